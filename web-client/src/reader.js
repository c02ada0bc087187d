// The room on screen: which one it is, loading its history page by page, and
// telling the server how far the user has read.

const HISTORY_PAGE = 50;
const READ_DELAY_MS = 250;

export class RoomReader {
    // `session` supplies the connection, the store, the page's document and
    // the generation of the current socket.
    constructor(session) {
        this.session = session;
        this.activeRoom = null;
        this.loading = new Set();
        this.readTimer = null;
    }

    get conn() {
        return this.session.conn;
    }

    get store() {
        return this.session.store;
    }

    // Forgets loads in progress; a new socket asks again.
    reset() {
        this.loading = new Set();
    }

    open(roomId) {
        this.activeRoom = roomId;
        const log = this.store.log(roomId);
        if (!log.loaded && this.conn.state === 'online') {
            this.loadNewest(roomId).catch(() => {});
        }
        this.scheduleRead();
    }

    close() {
        this.activeRoom = null;
    }

    isOpen(roomId) {
        return this.activeRoom === roomId;
    }

    loadNewest(roomId) {
        return this.loadPage(roomId, { room: roomId, limit: HISTORY_PAGE }, true);
    }

    // Loads the page before the oldest message held.
    loadOlder(roomId) {
        const log = this.store.log(roomId);
        if (!log.loaded || log.size === 0) {
            return this.loadNewest(roomId);
        }
        if (!log.more) {
            return Promise.resolve();
        }
        return this.loadPage(roomId, { room: roomId, before: log.oldestSeq, limit: HISTORY_PAGE }, false);
    }

    async loadPage(roomId, fields, newest) {
        if (this.loading.has(roomId)) {
            return;
        }
        const loading = this.loading;
        loading.add(roomId);
        const gen = this.session.generation;
        try {
            const reply = await this.conn.request('history', fields);
            if (gen === this.session.generation) {
                this.store.addHistory(roomId, reply.messages || [], reply.more, { newest });
                if (this.isOpen(roomId)) {
                    this.scheduleRead();
                }
            }
        } finally {
            loading.delete(roomId);
        }
    }

    isLoading(roomId) {
        return this.loading.has(roomId);
    }

    // Sends a read marker for the newest message of the open room, shortly
    // after it changes and only while the page is in front of the user.
    scheduleRead() {
        if (this.readTimer !== null) {
            return;
        }
        this.readTimer = setTimeout(() => {
            this.readTimer = null;
            this.markRead();
        }, READ_DELAY_MS);
    }

    markRead() {
        const roomId = this.activeRoom;
        const doc = this.session.doc;
        if (roomId === null || this.conn.state !== 'online') {
            return;
        }
        if (doc && doc.visibilityState && doc.visibilityState !== 'visible') {
            return;
        }
        const room = this.store.rooms.get(roomId);
        const log = this.store.logs.get(roomId);
        const newest = log ? log.synced : 0;
        // A reader who is not a member has no marker to move.
        if (!room || room.viewOnly || newest <= (room.last_read || 0)) {
            return;
        }
        this.store.markReadLocal(roomId, newest);
        this.conn.request('read', { room: roomId, seq: newest }).catch(() => {});
    }
}
