// What the page knows about the chat: who is signed in, the connection's
// state, rooms, their messages, members, read markers, who is typing and who
// is online, and the unsent messages. The session writes here, the views read
// from here; every change schedules one notification to the views.

import { MentoringState } from './mentoring.js';
import { RoomLog } from './roomlog.js';

// How long a typing event keeps its "is typing" line up, per the protocol.
export const TYPING_SHOW_MS = 5000;

export class ChatStore {
    constructor() {
        this.listeners = new Set();
        this.scheduled = false;
        this.reset();
        this.connState = 'connecting';
        // 'unknown' until the first hello, then 'anon' or 'user'.
        this.auth = 'unknown';
    }

    // Forgets everything tied to a user, for logout or a different login.
    reset() {
        this.me = null;
        this.rooms = new Map();
        this.logs = new Map();
        this.members = new Map();
        this.users = new Map();
        this.presence = new Map();
        this.typing = new Map();
        this.pending = [];
        this.mentoring = new MentoringState();
        this.changed();
    }

    subscribe(fn) {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
    }

    // Batches the notifications of one burst of events (a coalesced frame
    // may carry dozens) into a single render.
    changed() {
        if (this.scheduled || !this.listeners) {
            return;
        }
        this.scheduled = true;
        queueMicrotask(() => {
            this.scheduled = false;
            for (const fn of this.listeners) {
                fn();
            }
        });
    }

    // Presence is only known while connected: events stop with the link,
    // so what was known is dropped when it goes, and the join replies of the
    // next connection tell it afresh.
    setConnState(state) {
        this.connState = state;
        if (state !== 'online') {
            this.presence.clear();
        }
        this.changed();
    }

    setMe(user) {
        if (!user) {
            this.reset();
            this.auth = 'anon';
        } else {
            if (this.me && this.me.id !== user.id) {
                this.reset();
            }
            this.me = user;
            this.users.set(user.id, user);
            this.auth = 'user';
        }
        this.changed();
    }

    isMe(userId) {
        return this.me !== null && this.me.id === userId;
    }

    log(roomId) {
        let log = this.logs.get(roomId);
        if (!log) {
            log = new RoomLog();
            this.logs.set(roomId, log);
        }
        return log;
    }

    // Replaces the room list with the server's, keeping local knowledge
    // (messages, members) of rooms that remain. Rooms opened to read
    // without being a member (staff reading a mentoring room) are kept: the
    // server's list has only the user's own.
    setRooms(list) {
        const next = new Map();
        for (const room of this.rooms.values()) {
            if (room.viewOnly) {
                next.set(room.id, room);
            }
        }
        for (const room of list) {
            next.set(room.id, { ...this.rooms.get(room.id), ...room });
            if (room.peer) {
                this.users.set(room.peer.id, room.peer);
            }
        }
        this.rooms = next;
        this.changed();
    }

    upsertRoom(room) {
        this.rooms.set(room.id, { ...this.rooms.get(room.id), ...room });
        this.changed();
    }

    removeRoom(roomId) {
        this.rooms.delete(roomId);
        this.logs.delete(roomId);
        this.members.delete(roomId);
        this.typing.delete(roomId);
        this.changed();
    }

    // The user's rooms with the most recently active first (rooms opened
    // only to read are not the user's).
    roomList() {
        const activity = (r) => (r.last ? r.last.ts : 0);
        return [...this.rooms.values()].filter((r) => !r.viewOnly).sort((a, b) => activity(b) - activity(a) || b.id - a.id);
    }

    // Takes in a `join` reply: room fields, members with their online state
    // and read markers, the caller's own marker, and the replayed messages.
    // Replayed messages above `countedUpTo` are missing from the unread count
    // of the `rooms` reply, so they are counted here.
    applyJoin(roomId, reply, { countedUpTo = Infinity } = {}) {
        if (reply.room) {
            this.rooms.set(roomId, { ...this.rooms.get(roomId), ...reply.room });
        }
        const room = this.rooms.get(roomId);
        if (room && Number.isInteger(reply.last_read)) {
            room.last_read = Math.max(room.last_read || 0, reply.last_read);
        }
        const members = new Map();
        for (const m of reply.members || []) {
            const { online, last_read, ...user } = m;
            members.set(m.id, { ...user, last_read: last_read || 0 });
            this.users.set(m.id, user);
            if (typeof online === 'boolean') {
                this.presence.set(m.id, online);
            }
        }
        this.members.set(roomId, members);
        for (const msg of reply.messages || []) {
            this.addMessage({ ...msg, room: roomId }, { live: msg.seq > countedUpTo });
        }
        this.changed();
    }

    // Adds a page from `history`. Its `more` says whether messages older
    // than the page exist; it describes the log only when the page reaches
    // at least as far back as what was held before. A page asked for without
    // `before` (`newest`) may stop short of older pages loaded earlier.
    addHistory(roomId, messages, more, { newest = false } = {}) {
        const log = this.log(roomId);
        const heldOldest = log.oldestSeq;
        for (const msg of messages) {
            log.put({ ...msg, room: roomId });
        }
        const pageOldest = messages.length ? messages[0].seq : Infinity;
        if (!newest || heldOldest === 0 || pageOldest <= heldOldest) {
            log.more = Boolean(more);
        }
        log.loaded = true;
        this.refreshLast(roomId);
        this.changed();
    }

    // Adds one message from the ordered stream (join replay or live event).
    // Only `live` messages count as unread: the `rooms` reply's unread count
    // already includes what it knew of. Returns true when the message was new
    // to this page.
    addMessage(msg, { ordered = true, live = false } = {}) {
        const log = this.log(msg.room);
        const isNew = log.put(msg, { ordered });
        const room = this.rooms.get(msg.room);
        if (room && isNew) {
            if (!room.last || msg.seq >= room.last.seq) {
                room.last = log.get(msg.seq);
            }
            room.last_seq = Math.max(room.last_seq || 0, msg.seq);
            const fromOther = !this.isMe(msg.from) && msg.kind !== 'system';
            if (live && fromOther && msg.seq > (room.last_read || 0)) {
                room.unread = (room.unread || 0) + 1;
            }
        }
        const typing = this.typing.get(msg.room);
        if (typing) {
            typing.delete(msg.from);
        }
        this.changed();
        return isNew;
    }

    // Records a message the server acknowledged, as the sender knows it.
    addAcked(entry, reply) {
        this.addMessage(
            {
                room: entry.room,
                seq: reply.seq,
                ts: reply.ts,
                from: this.me ? this.me.id : 0,
                kind: 'text',
                body: entry.body,
                client_id: entry.client_id,
                reply_to: entry.reply_to,
            },
            { ordered: false },
        );
    }

    applyEdit(ev) {
        if (this.log(ev.room).edit(ev)) {
            this.refreshLast(ev.room);
            this.changed();
        }
    }

    applyDelete(ev) {
        if (this.log(ev.room).remove(ev)) {
            this.refreshLast(ev.room);
            this.changed();
        }
    }

    // Keeps a room's preview equal to the newest message held, so edits and
    // deletions show in the room list too.
    refreshLast(roomId) {
        const room = this.rooms.get(roomId);
        const log = this.logs.get(roomId);
        if (!room || !log || log.size === 0) {
            return;
        }
        const newest = log.get(log.newestSeq);
        if (!room.last || newest.seq >= room.last.seq) {
            room.last = newest;
        }
    }

    // A read event: someone's marker moved forward (possibly mine, from
    // another tab or device).
    applyRead({ room: roomId, user, seq }) {
        const members = this.members.get(roomId);
        const member = members && members.get(user);
        if (member) {
            member.last_read = Math.max(member.last_read || 0, seq);
        }
        if (this.isMe(user)) {
            this.markReadLocal(roomId, seq);
        }
        this.changed();
    }

    // Moves my own read marker and recounts what is still unread.
    markReadLocal(roomId, seq) {
        const room = this.rooms.get(roomId);
        if (!room || seq <= (room.last_read || 0)) {
            return;
        }
        room.last_read = seq;
        const log = this.logs.get(roomId);
        let unread = 0;
        if (log) {
            for (const s of log.seqs) {
                const m = log.get(s);
                if (s > seq && !this.isMe(m.from) && m.kind !== 'system') {
                    unread += 1;
                }
            }
        }
        room.unread = unread;
        this.changed();
    }

    setTyping(roomId, userId, now = Date.now()) {
        if (this.isMe(userId)) {
            return;
        }
        let typing = this.typing.get(roomId);
        if (!typing) {
            typing = new Map();
            this.typing.set(roomId, typing);
        }
        typing.set(userId, now + TYPING_SHOW_MS);
        this.changed();
    }

    // The users typing in a room right now; drops those whose time is up.
    typingIn(roomId, now = Date.now()) {
        const typing = this.typing.get(roomId);
        if (!typing) {
            return [];
        }
        for (const [user, until] of typing) {
            if (until <= now) {
                typing.delete(user);
            }
        }
        return [...typing.keys()];
    }

    setPresence(userId, online) {
        this.presence.set(userId, online);
        this.changed();
    }

    // true or false when known, undefined when not (while not connected,
    // or before a join reply or presence event has said).
    presenceOf(userId) {
        if (this.connState !== 'online') {
            return undefined;
        }
        return this.presence.get(userId);
    }

    isOnline(userId) {
        return this.presenceOf(userId) === true;
    }

    // Members of a group are added or removed one at a time by events.
    applyMember({ room: roomId, user, action }) {
        const members = this.members.get(roomId);
        if (members && action === 'removed') {
            members.delete(user);
            this.changed();
        }
    }

    setPending(entries) {
        this.pending = entries;
        this.changed();
    }

    // The messages of a room as the conversation shows them: everything
    // held, in seq order, then the unsent ones that the server has not
    // echoed back yet.
    conversation(roomId) {
        const log = this.logs.get(roomId);
        const held = log ? log.list() : [];
        const unsent = this.pending
            .filter((e) => e.room === roomId && !(log && log.hasClientId(e.client_id)))
            .map((e) => ({
                room: e.room,
                from: this.me ? this.me.id : 0,
                ts: e.created,
                kind: 'text',
                body: e.body,
                client_id: e.client_id,
                reply_to: e.reply_to,
                pending: true,
                failed: e.failed,
            }));
        return held.concat(unsent);
    }

    // The other members of a room with their read markers, for "Read" marks.
    othersRead(roomId) {
        const members = this.members.get(roomId);
        if (!members) {
            return [];
        }
        return [...members.values()].filter((m) => !this.isMe(m.id));
    }

    // People named elsewhere than in a join reply (the people of a
    // mentoring room, a former mentor among them), so that their messages,
    // notes and action items show a name rather than a number.
    addUsers(list) {
        let added = false;
        for (const user of list || []) {
            if (user && Number.isInteger(user.id) && (user.name || user.username)) {
                this.users.set(user.id, { ...this.users.get(user.id), ...user });
                added = true;
            }
        }
        if (added) {
            this.changed();
        }
    }

    userName(userId) {
        const user = this.users.get(userId);
        return user ? user.name || user.username : null;
    }
}
