import { describe, expect, it } from 'vitest';
import { RequestError } from '../src/connection.js';
import { Session } from '../src/session.js';
import { ChatStore } from '../src/store.js';
import { memoryStorage } from './storage.js';

const ME = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const PEER = { id: 2, username: 'budi', name: 'Budi', role: 'student' };

// Plays the server for the session: records every request and answers it
// with whatever `answer(type, fields)` returns (an Error rejects).
class FakeConnection {
    constructor(answer) {
        this.answer = answer;
        this.state = 'online';
        this.handlers = { state: [], hello: [], event: [], close: [] };
        this.requests = [];
    }

    on(kind, fn) {
        this.handlers[kind].push(fn);
    }

    start() {}

    restart() {}

    retryNow() {}

    linkLost() {}

    request(type, fields = {}) {
        this.requests.push({ type, ...fields });
        const reply = this.answer(type, fields);
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve({ type: 'ok', ...reply });
    }

    setState(state) {
        if (this.state !== state) {
            this.state = state;
            this.handlers.state.forEach((fn) => fn(state));
        }
    }

    // The link dropped, as the real connection reports it.
    drop() {
        this.setState('offline');
    }

    hello(user) {
        this.setState('online');
        this.handlers.hello.forEach((fn) => fn({ type: 'hello', protocol: 1, user }));
    }

    event(ev) {
        this.handlers.event.forEach((fn) => fn(ev));
    }

    sent(type) {
        return this.requests.filter((r) => r.type === type);
    }
}


const settle = async () => {
    for (let i = 0; i < 10; i += 1) {
        await new Promise((r) => setTimeout(r, 0));
    }
};

const ROOM = { id: 10, kind: 'dm', title: '', last_seq: 0, epoch: 'e1', unread: 0, last_read: 0, peer: PEER };
const msg = (seq, extra = {}) => ({ room: 10, seq, from: 2, ts: seq, kind: 'text', body: `m${seq}`, client_id: `c${seq}`, ...extra });

// A server with one DM; `overrides[type]` replaces the default answer.
function setup(overrides = {}) {
    let seq = 0;
    const defaults = {
        rooms: () => ({ rooms: [ROOM] }),
        join: () => ({ room: ROOM, members: [{ ...ME, online: true, last_read: 0 }, { ...PEER, online: false, last_read: 0 }], messages: [], gap: false, last_read: 0 }),
        history: () => ({ messages: [], more: false }),
        send: () => ({ seq: ++seq + 100, ts: 5 }),
        read: () => ({}),
    };
    const conn = new FakeConnection((type, fields) => (overrides[type] || defaults[type] || (() => ({})))(fields));
    const store = new ChatStore();
    const storage = memoryStorage();
    const doc = { visibilityState: 'visible', addEventListener() {} };
    const session = new Session({ connection: conn, store, storage, doc });
    session.start();
    return { conn, store, session, storage };
}

describe('Session catching up', () => {
    it('fetches rooms and joins each from the newest seq it listed', async () => {
        const { conn, store } = setup({ rooms: () => ({ rooms: [{ ...ROOM, last_seq: 4 }] }) });
        conn.hello(ME);
        await settle();
        // Mentoring's lists load beside the rooms (see the mentoring tests).
        expect(conn.requests.map((r) => r.type).filter((t) => !t.startsWith('mentor'))).toEqual(['rooms', 'join']);
        expect(conn.sent('join')[0]).toEqual({ type: 'join', room: 10, since: 4, epoch: 'e1' });
        expect(store.auth).toBe('user');
        expect(store.rooms.get(10).peer.name).toBe('Budi');
    });

    it('counts messages written between the rooms reply and the join as unread', async () => {
        const { conn, store } = setup({
            rooms: () => ({ rooms: [{ ...ROOM, last_seq: 4, unread: 1, last_read: 3 }] }),
            join: () => ({
                room: { id: 10, kind: 'dm', title: '', last_seq: 6, epoch: 'e1' },
                members: [],
                messages: [msg(5), msg(6)],
                gap: false,
                last_read: 3,
            }),
        });
        conn.hello(ME);
        await settle();
        expect(store.rooms.get(10).unread).toBe(3);
        expect(store.rooms.get(10).last.seq).toBe(6);
    });

    it('sends a join the server rate-limited again after the wait it gave', async () => {
        let refusals = 1;
        const { conn, store } = setup({
            join: () => {
                if (refusals > 0) {
                    refusals -= 1;
                    return new RequestError('rate_limited', 'too many requests', { retry_ms: 30 });
                }
                return { room: ROOM, members: [], messages: [msg(1)], gap: false, last_read: 0 };
            },
        });
        conn.hello(ME);
        await settle();
        expect(conn.sent('join')).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 60));
        await settle();
        expect(conn.sent('join')).toHaveLength(2);
        expect(store.rooms.get(10).last.seq).toBe(1);
    });

    it('resumes with since and epoch after a reconnect', async () => {
        const { conn } = setup();
        conn.hello(ME);
        await settle();
        conn.event({ type: 'message', ...msg(1) });
        conn.event({ type: 'message', ...msg(2) });
        conn.hello(ME);
        await settle();
        expect(conn.sent('join').at(-1)).toEqual({ type: 'join', room: 10, since: 2, epoch: 'e1' });
    });

    it('forgets a room and reloads its history when the join reports a gap', async () => {
        let gap = false;
        const { conn, store } = setup({
            join: () => ({ room: { ...ROOM, epoch: 'e2' }, members: [], messages: [], gap, last_read: 0 }),
            history: () => ({ messages: [msg(7), msg(8)], more: true }),
        });
        conn.hello(ME);
        await settle();
        conn.event({ type: 'message', ...msg(3) });
        gap = true;
        conn.hello(ME);
        await settle();
        expect(conn.sent('history').at(-1)).toMatchObject({ room: 10, limit: 50 });
        expect(store.conversation(10).map((m) => m.seq)).toEqual([7, 8]);
        expect(store.logs.get(10).epoch).toBe('e2');
    });

    it('sends the outbox after catching up, and again with the same client_id after a drop', async () => {
        let up = false;
        const { conn, session, store } = setup({
            send: () => (up ? { seq: 3, ts: 9 } : new RequestError('unavailable')),
        });
        conn.hello(ME);
        await settle();
        session.writer.send(10, 'halo');
        await settle();
        const first = conn.sent('send');
        expect(first).toHaveLength(1);
        expect(store.conversation(10).at(-1)).toMatchObject({ body: 'halo', pending: true });

        up = true;
        conn.hello(ME);
        await settle();
        const all = conn.sent('send');
        expect(all).toHaveLength(2);
        expect(all[1].client_id).toBe(first[0].client_id);
        expect(store.pending).toEqual([]);
        expect(store.conversation(10).map((m) => [m.seq, m.body, Boolean(m.pending)])).toEqual([[3, 'halo', false]]);
    });

    it('joins a room someone else just created with this user', async () => {
        const rooms = [ROOM];
        const { conn, store } = setup({
            rooms: () => ({ rooms }),
            join: ({ room }) => ({ room: rooms.find((r) => r.id === room), members: [], messages: [], gap: false, last_read: 0 }),
        });
        conn.hello(ME);
        await settle();
        rooms.push({ ...ROOM, id: 11, kind: 'group', title: 'Grup Endek' });
        conn.event({ type: 'member', room: 11, user: ME.id, action: 'added' });
        await settle();
        expect(conn.sent('join').map((r) => r.room)).toEqual([10, 11]);
        expect(store.rooms.get(11).title).toBe('Grup Endek');
    });

    it('marks the open room read up to its newest message', async () => {
        const { conn, session, store } = setup({
            history: () => ({ messages: [msg(1), msg(2)], more: false }),
        });
        conn.hello(ME);
        await settle();
        session.reader.open(10);
        await new Promise((r) => setTimeout(r, 300));
        expect(conn.sent('read')).toEqual([{ type: 'read', room: 10, seq: 2 }]);
        expect(store.rooms.get(10).unread).toBe(0);
    });

    it('shows the sign-in screen when the hello has no user', async () => {
        const { conn, store } = setup();
        conn.hello(null);
        await settle();
        expect(store.auth).toBe('anon');
        expect(conn.requests).toEqual([]);
    });

    it('tells the user the session ended when a reconnect comes back anonymous', async () => {
        const { conn, session, store } = setup();
        conn.hello(ME);
        await settle();
        expect(session.sessionEnded).toBe(false);
        conn.hello(null);
        await settle();
        expect(store.auth).toBe('anon');
        expect(session.sessionEnded).toBe(true);
        expect(store.rooms.size).toBe(0);
    });

    it('shows presence only while connected and takes it afresh from the joins after a reconnect', async () => {
        let peerOnline = true;
        const { conn, store } = setup({
            join: () => ({
                room: ROOM,
                members: [{ ...ME, online: true, last_read: 0 }, { ...PEER, online: peerOnline, last_read: 0 }],
                messages: [],
                gap: false,
                last_read: 0,
            }),
        });
        conn.hello(ME);
        await settle();
        expect(store.presenceOf(PEER.id)).toBe(true);

        conn.drop();
        expect(store.connState).toBe('offline');
        expect(store.presenceOf(PEER.id)).toBeUndefined();

        // Budi went away while the link was down; the new join says so.
        peerOnline = false;
        conn.hello(ME);
        await settle();
        expect(store.presenceOf(PEER.id)).toBe(false);
        conn.event({ type: 'presence', user: PEER.id, online: true });
        expect(store.presenceOf(PEER.id)).toBe(true);
    });
});

describe('Writer', () => {
    it('queues nothing that is only white space or over 4000 bytes', async () => {
        const { conn, session, store } = setup();
        conn.hello(ME);
        await settle();
        expect(session.writer.send(10, '')).toBe(false);
        expect(session.writer.send(10, '\u00a0\u3000')).toBe(false);
        expect(session.writer.send(10, ' \u0085\u2028\t')).toBe(false);
        expect(session.writer.send(10, 'é'.repeat(2001))).toBe(false);
        await settle();
        expect(store.pending).toEqual([]);
        expect(conn.sent('send')).toEqual([]);

        expect(session.writer.send(10, 'é'.repeat(2000))).toBe(true);
        await settle();
        expect(conn.sent('send')).toHaveLength(1);
    });
});

describe('Writer search', () => {
    it('clamps a people search to 100 bytes without cutting a character', async () => {
        const { conn, session } = setup();
        conn.hello(ME);
        await settle();
        session.writer.searchUsers('a' + 'é'.repeat(60)).catch(() => {});
        session.writer.searchUsers('budi').catch(() => {});
        await settle();
        const queries = conn.sent('users').map((f) => f.query);
        expect(queries[0]).toBe('a' + 'é'.repeat(49));
        expect(new TextEncoder().encode(queries[0]).length).toBe(99);
        expect(queries[1]).toBe('budi');
    });
});
