// How people and rooms are named on screen.

import { t } from '../i18n.js';

export function userName(store, userId) {
    if (store.isMe(userId)) {
        return t('chat.you');
    }
    return store.userName(userId) || t('chat.unknown_user', { id: userId });
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

// A DM is named after the other person, any other room by its title.
export function roomName(store, room) {
    if (room.kind === 'dm') {
        const peer = dmPeer(store, room);
        return peer ? peer.name || peer.username : t('rooms.dm');
    }
    return room.title || t('rooms.group');
}
