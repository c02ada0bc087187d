// The client's behaviour, between the connection and the store: signing in
// and out, catching up after every (re)connect, and applying server events.
// The room on screen is the reader's (reader.js), what the user writes the
// writer's (writer.js); views reach both through the session and read the
// store.
//
// Catching up happens on every hello that carries a user: fetch `rooms`,
// `join` each room with `since` = the last seq this page saw (and the epoch
// that seq belongs to), reload a room whose join reports a gap, then send
// whatever waits in the outbox. Each hello starts a new generation, and work
// belonging to an older socket is dropped when its replies come back.

import * as api from './api.js';
import { CallController } from './call.js';
import { CLOSE_SESSION_ENDED, RequestError } from './connection.js';
import { MentoringClient } from './mentoringclient.js';
import { Outbox } from './outbox.js';
import { RoomReader } from './reader.js';
import { Writer } from './writer.js';
// How long signing in waits for the new socket's hello before giving up.
const HELLO_TIMEOUT_MS = 15000;

export class Session {
    constructor({ connection, store, storage, doc = globalThis.document }) {
        this.conn = connection;
        this.store = store;
        this.storage = storage;
        this.doc = doc;
        this.outbox = null;
        this.generation = 0;
        this.joined = new Set();
        this.reader = new RoomReader(this);
        this.writer = new Writer(this);
        this.mentoring = new MentoringClient(this);
        this.calls = new CallController({ conn: connection, store, onChange: () => store.changed() });
        this.helloWaiters = [];
        // Set when the server ended the session (another tab signed out, the
        // token expired), so the sign-in screen can say why it is back.
        this.sessionEnded = false;
        this.signingOut = false;
    }

    start() {
        this.conn.on('state', (state) => this.store.setConnState(state));
        this.conn.on('hello', (hello) => this.onHello(hello));
        this.conn.on('event', (ev) => this.onEvent(ev));
        this.conn.on('close', (code) => {
            if (code === CLOSE_SESSION_ENDED && this.store.me && !this.signingOut) {
                this.sessionEnded = true;
            }
        });
        this.store.setConnState(this.conn.state);
        this.conn.start();
    }

    // Browser signals that are worth a reconnect or a read marker.
    watchPage(win = globalThis) {
        win.addEventListener('online', () => this.conn.retryNow());
        win.addEventListener('offline', () => this.conn.linkLost());
        this.doc.addEventListener('visibilitychange', () => {
            if (this.doc.visibilityState === 'visible') {
                this.conn.retryNow();
                this.reader.scheduleRead();
            }
        });
    }

    // ---- signing in and out ----------------------------------------------

    async onHello(hello) {
        this.generation += 1;
        const gen = this.generation;
        this.joined = new Set();
        this.reader.reset();
        const user = hello.user || null;
        // A reconnect that comes back anonymous means the session ended
        // elsewhere (a sign-out in another tab, expiry), whatever the close
        // code of the old socket said.
        if (!user && this.store.me) {
            this.sessionEnded = true;
        }
        this.store.setMe(user);
        const waiters = this.helloWaiters;
        this.helloWaiters = [];
        for (const w of waiters) {
            w(user);
        }
        if (!user) {
            this.outbox = null;
            this.reader.close();
            this.calls.reset();
            return;
        }
        this.sessionEnded = false;
        this.useOutbox(user.id);
        // Mentoring's lists load beside the rooms; neither waits for the other.
        const isCurrent = () => gen === this.generation;
        const mentoring = this.mentoring.onHello(user, isCurrent);
        this.calls.onHello();
        try {
            await this.syncRooms(gen);
        } catch {
            // The socket dropped during catch-up; the next hello starts over.
            return;
        }
        if (isCurrent()) {
            this.writer.flush();
            this.reader.scheduleRead();
            mentoring.then(() => isCurrent() && this.mentoring.loadCalls(isCurrent)).catch(() => {});
        }
    }

    useOutbox(userId) {
        if (this.outbox && this.outbox.userId === userId) {
            return;
        }
        this.outbox = new Outbox(this.storage, userId);
        this.outbox.userId = userId;
        this.outbox.onChange((entries) => this.store.setPending(entries));
        this.store.setPending(this.outbox.list());
    }

    // Resolves with the user of the next hello (null when anonymous);
    // rejects with `unavailable` when none comes in time.
    nextHello() {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.helloWaiters = this.helloWaiters.filter((w) => w !== waiter);
                reject(new RequestError('unavailable', 'no hello in time'));
            }, HELLO_TIMEOUT_MS);
            const waiter = (user) => {
                clearTimeout(timer);
                resolve(user);
            };
            this.helloWaiters.push(waiter);
        });
    }

    // Creates an account over the WebSocket, then signs in with it.
    async register({ username, name, password, role }) {
        await this.conn.request('register', { username, name, password, role });
        return this.login(username, password);
    }

    // Signs in over HTTP (which sets the session cookie), then reopens the
    // WebSocket so that its handshake carries the cookie.
    async login(username, password) {
        await api.login(username, password);
        const hello = this.nextHello();
        this.conn.restart();
        const user = await hello;
        if (!user) {
            throw new RequestError('unauthenticated');
        }
        return user;
    }

    // Signs out on the server, then here. When the server cannot be reached
    // the session cookie stays valid (JavaScript cannot clear an HttpOnly
    // cookie), so this rejects and leaves the user signed in rather than
    // pretending: the next connection would sign them straight back in.
    async logout() {
        this.signingOut = true;
        try {
            await api.logout();
        } finally {
            this.signingOut = false;
        }
        this.sessionEnded = false;
        this.reader.close();
        this.calls.reset();
        this.outbox = null;
        this.store.setMe(null);
        this.conn.restart();
    }

    // ---- catching up -----------------------------------------------------

    async syncRooms(gen) {
        const reply = await this.conn.request('rooms');
        if (gen !== this.generation) {
            return;
        }
        this.store.setRooms(reply.rooms || []);
        // A room that refuses the join (the user was just removed) must not
        // hold up the others or the outbox; only a dropped link ends the sync.
        // Rooms opened only to read are joined again too.
        const joins = [...this.store.rooms.values()]
            .filter((room) => !this.joined.has(room.id))
            .map((room) =>
                this.joinRoom(room.id, gen).catch((err) => {
                    if (err.code === 'unavailable') {
                        throw err;
                    }
                }),
            );
        await Promise.all(joins);
    }

    // Where a join resumes: a room this page has followed, at the last seq
    // it saw and under the epoch it saw it in; any other room, at the newest
    // message of the `rooms` reply, so that nothing written between that
    // reply and the join goes unseen (older messages load as history).
    resumePoint(roomId) {
        const log = this.store.logs.get(roomId);
        if (log && (log.loaded || log.synced > 0)) {
            return { since: log.synced, epoch: log.epoch };
        }
        const room = this.store.rooms.get(roomId);
        if (room && Number.isInteger(room.last_seq)) {
            return { since: room.last_seq, epoch: room.epoch };
        }
        return {};
    }

    // A join the server asks to wait with (too many requests at once, as
    // when a user with very many rooms connects) is sent again after the
    // wait, as long as this connection lasts.
    async joinRequest(fields, gen) {
        for (;;) {
            try {
                return await this.conn.request('join', fields);
            } catch (err) {
                if (err.code !== 'rate_limited' || gen !== this.generation) {
                    throw err;
                }
                await new Promise((resolve) => setTimeout(resolve, err.retryMs || 1000));
            }
        }
    }

    async joinRoom(roomId, gen = this.generation) {
        this.joined.add(roomId);
        const fields = { room: roomId, ...this.resumePoint(roomId) };
        // The unread count of the `rooms` reply covers messages up to its
        // last_seq; replayed messages after that are new to it.
        const known = this.store.rooms.get(roomId);
        const countedUpTo = known ? known.last_seq || 0 : 0;
        let reply;
        try {
            reply = await this.joinRequest(fields, gen);
        } catch (err) {
            this.joined.delete(roomId);
            throw err;
        }
        if (gen !== this.generation) {
            return;
        }
        const current = this.store.log(roomId);
        if (reply.gap) {
            current.clear();
        }
        this.store.applyJoin(roomId, reply, { countedUpTo });
        const room = this.store.rooms.get(roomId);
        current.epoch = (reply.room && reply.room.epoch) || (room && room.epoch) || current.epoch;
        if (reply.gap || (this.reader.isOpen(roomId) && !current.loaded)) {
            await this.reader.loadNewest(roomId);
        }
    }

    // Joins a room this socket has not joined yet (a room just created).
    async ensureJoined(roomId) {
        if (!this.joined.has(roomId)) {
            await this.joinRoom(roomId);
        }
    }

    // Opens a room the user may read without being a member (staff reading
    // a mentoring room): it is joined like any room, kept out of the room
    // list, and shown without a composer.
    async viewRoom(roomId) {
        const known = this.store.rooms.get(roomId);
        if (known && this.joined.has(roomId)) {
            return;
        }
        if (!known) {
            this.store.upsertRoom({ id: roomId, kind: 'mentoring', title: '', viewOnly: true });
        }
        try {
            await this.joinRoom(roomId);
        } catch (err) {
            if (!known) {
                this.store.removeRoom(roomId);
            }
            throw err;
        }
    }

    // Joins rooms that appeared since the last sync, for example a DM that
    // someone else just started with this user.
    async refreshRooms() {
        try {
            await this.syncRooms(this.generation);
        } catch {
            // A drop here is caught up by the next hello.
        }
    }

    // ---- server events ---------------------------------------------------

    onEvent(ev) {
        const store = this.store;
        switch (ev.type) {
            case 'message':
                store.addMessage(ev, { live: true });
                if (this.reader.isOpen(ev.room)) {
                    this.reader.scheduleRead();
                }
                break;
            case 'edit':
                store.applyEdit(ev);
                break;
            case 'delete':
                store.applyDelete(ev);
                break;
            case 'read':
                store.applyRead(ev);
                break;
            case 'typing':
                store.setTyping(ev.room, ev.user);
                break;
            case 'presence':
                store.setPresence(ev.user, Boolean(ev.online));
                break;
            case 'member':
                this.onMember(ev);
                break;
            case 'call':
                store.mentoring.applyCall(ev.call);
                store.changed();
                this.calls.onCallEvent(ev.call);
                break;
            case 'call_signal':
                this.calls.onSignal(ev);
                break;
            default:
                // Events of features this client does not show are ignored,
                // as the protocol asks of clients.
                this.mentoring.onEvent(ev);
                break;
        }
    }

    onMember(ev) {
        const store = this.store;
        if (store.isMe(ev.user)) {
            if (ev.action === 'added') {
                this.refreshRooms();
            } else if (ev.action === 'removed') {
                this.joined.delete(ev.room);
                store.removeRoom(ev.room);
            }
            return;
        }
        if (ev.action === 'added' && this.joined.has(ev.room)) {
            // The join reply is the one place that names the members.
            this.joinRoom(ev.room).catch(() => {});
        } else {
            store.applyMember(ev);
        }
    }
}
