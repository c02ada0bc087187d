// How people and rooms are named on screen.

import { t } from '../i18n.js';
import { TOPICS, isStaff } from '../mentoring.js';

// A mentoring topic's label in the reader's language.
export function topicLabel(topic) {
    return TOPICS.includes(topic) ? t(`topic.${topic}`) : t('topic.other');
}

export function userName(store, userId) {
    if (store.isMe(userId)) {
        return t('chat.you');
    }
    return store.userName(userId) || t('chat.unknown_user', { id: userId });
}

// A name for any user id: the users met in rooms, then those named by
// mentoring requests and mentor profiles (a former mentor is no longer a
// member of the room whose lines mention them).
export function anyUserName(store, userId) {
    if (store.isMe(userId) || store.userName(userId)) {
        return userName(store, userId);
    }
    const m = store.mentoring;
    if (m) {
        const mentor = m.mentors.get(userId);
        if (mentor) {
            return mentor.user.name;
        }
        for (const req of m.requests.values()) {
            if (req.business && req.business.id === userId) {
                return req.business.name;
            }
            if (req.mentor && req.mentor.id === userId) {
                return req.mentor.name;
            }
        }
    }
    return t('chat.unknown_user', { id: userId });
}

// The other person of a DM, from the rooms reply or else the member list.
export function dmPeer(store, room) {
    if (room.peer) {
        return room.peer;
    }
    const members = store.members.get(room.id);
    if (!members) {
        return null;
    }
    for (const m of members.values()) {
        if (!store.isMe(m.id)) {
            return m;
        }
    }
    return null;
}

// The id an avatar's colour comes from: a person's own user id wherever
// they appear (a DM in the room list and its header, the people picker), a
// group's room id. A DM whose other person is not known yet falls back to
// the room.
export function roomAvatarId(store, room) {
    if (room.kind === 'dm') {
        const peer = dmPeer(store, room);
        if (peer) {
            return peer.id;
        }
    }
    return room.id;
}

// A mentoring room as its reader sees it: the topic and the other party
// (the business sees "Pemasaran digital · <mentor>", the mentor
// "Pemasaran digital · <business>"), and for staff, who read many rooms of
// every topic, the business and the mentor. One's own name never takes up
// the width of a phone's header.
// The conversation's header shows the two parts on two lines, the room
// list on one.
export function mentoringTitleParts(store, req) {
    const business = req.business ? req.business.name : '';
    const mentor = req.mentor ? req.mentor.name : '';
    if (isStaff(store.me)) {
        return { staff: true, main: business, other: mentor };
    }
    const other = req.business && store.isMe(req.business.id) ? mentor : business;
    return { staff: false, main: topicLabel(req.topic), other };
}

function mentoringTitle(store, req) {
    const { staff, main, other } = mentoringTitleParts(store, req);
    if (!other) {
        return main;
    }
    return staff
        ? t('rooms.mentoring_title_staff', { business: main, mentor: other })
        : t('rooms.mentoring_title', { topic: main, name: other });
}

// A DM is named after the other person; a mentoring room after its topic
// and the other party, in the reader's language once its request is known
// (the server's title, until then, is in Indonesian and names the
// business); any other room by its title.
export function roomName(store, room) {
    if (room.kind === 'dm') {
        const peer = dmPeer(store, room);
        return peer ? peer.name || peer.username : t('rooms.dm');
    }
    if (room.kind === 'mentoring') {
        const req = store.mentoring && store.mentoring.requestForRoom(room.id);
        if (req && req.business) {
            return mentoringTitle(store, req);
        }
        return room.title || t('rooms.mentoring');
    }
    return room.title || t('rooms.group');
}
