// What the user writes and starts: messages (through the outbox), edits,
// deletions, the typing hint, finding people and creating rooms.

import { bodyToSend, bodyTooLong, clampBytes, SEARCH_MAX_BYTES } from './limits.js';

const TYPING_SEND_EVERY_MS = 3000;
const SEARCH_LIMIT = 20;

export class Writer {
    // `session` supplies the connection, the store, the current user's
    // outbox, and the joining of new rooms.
    constructor(session) {
        this.session = session;
        this.typingSent = new Map();
    }

    get conn() {
        return this.session.conn;
    }

    get store() {
        return this.session.store;
    }

    get outbox() {
        return this.session.outbox;
    }

    // Queues a message; it goes out now when online, or after the next
    // catch-up when not. A body the server would refuse (only white space,
    // over the limit) is not queued, where it would only fail later; the
    // composer explains those before calling this. Returns whether queued.
    send(roomId, body, replyTo) {
        if (!this.outbox || !bodyToSend(body) || bodyTooLong(body)) {
            return false;
        }
        this.outbox.add({ room: roomId, body, reply_to: replyTo || undefined });
        this.stoppedTyping(roomId);
        this.flush();
        return true;
    }

    flush() {
        if (!this.outbox || this.conn.state !== 'online') {
            return;
        }
        const send = (entry) =>
            this.conn.request('send', {
                room: entry.room,
                body: entry.body,
                client_id: entry.client_id,
                reply_to: entry.reply_to,
            });
        this.outbox.flush(send, (entry, reply) => this.store.addAcked(entry, reply));
    }

    retryUnsent(clientId) {
        if (this.outbox) {
            this.outbox.retry(clientId);
            this.flush();
        }
    }

    discardUnsent(clientId) {
        if (this.outbox) {
            this.outbox.remove(clientId);
        }
    }

    async edit(roomId, seq, body) {
        const reply = await this.conn.request('edit', { room: roomId, seq, body });
        this.store.applyEdit({ room: roomId, seq, body, edited_ts: reply.edited_ts });
    }

    async remove(roomId, seq) {
        await this.conn.request('delete', { room: roomId, seq });
        this.store.applyDelete({ room: roomId, seq });
    }

    // Tells the room that the user is typing, at most every few seconds.
    typing(roomId, now = Date.now()) {
        const last = this.typingSent.get(roomId) || 0;
        if (now - last < TYPING_SEND_EVERY_MS || this.conn.state !== 'online') {
            return;
        }
        this.typingSent.set(roomId, now);
        this.conn.request('typing', { room: roomId }).catch(() => {});
    }

    stoppedTyping(roomId) {
        this.typingSent.delete(roomId);
    }

    // People matching `query` (everyone without one), without the user.
    async searchUsers(query) {
        const fields = { limit: SEARCH_LIMIT };
        if (query) {
            // The server takes at most 100 bytes; what is typed beyond
            // that would only narrow the search a little further.
            fields.query = clampBytes(query, SEARCH_MAX_BYTES);
        }
        const reply = await this.conn.request('users', fields);
        return (reply.users || []).filter((u) => !this.store.isMe(u.id));
    }

    // Starts (or finds) a DM or creates a group; resolves with its room id
    // once it is joined and listed.
    async createRoom({ kind, members, title }) {
        const fields = { kind, members };
        if (kind === 'group') {
            fields.title = title;
        }
        const reply = await this.conn.request('room_create', fields);
        const room = reply.room;
        this.store.upsertRoom(room);
        await this.session.ensureJoined(room.id);
        await this.session.refreshRooms();
        return room.id;
    }
}
