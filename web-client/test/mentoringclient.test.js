import { describe, expect, it } from 'vitest';
import { Session } from '../src/session.js';
import { ChatStore } from '../src/store.js';
import { systemLine } from '../src/systemline.js';
import { anyUserName, userName } from '../src/views/names.js';

const AYU = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const MADE = { id: 2, username: 'made', name: 'Made', role: 'mentor' };
const DINAS = { id: 5, username: 'dinas', name: 'Dinas', role: 'moderator' };
const PUTU = { id: 3, username: 'putu', name: 'Putu', role: 'student' };

// Plays the server: records every request and answers it from `answers`.
class FakeConnection {
    constructor(answers) {
        this.answers = answers;
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

    request(type, fields = {}) {
        this.requests.push({ type, ...fields });
        const answer = this.answers[type];
        const reply = answer ? answer(fields) : {};
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve({ type: 'ok', ...reply });
    }

    hello(user) {
        this.handlers.hello.forEach((fn) => fn({ type: 'hello', protocol: 1, user }));
    }

    event(ev) {
        this.handlers.event.forEach((fn) => fn(ev));
    }

    sent(type) {
        return this.requests.filter((r) => r.type === type);
    }

    types() {
        return this.requests.map((r) => r.type);
    }
}

const settle = async () => {
    for (let i = 0; i < 10; i += 1) {
        await new Promise((r) => setTimeout(r, 0));
    }
};

const REQ = { id: 11, business: AYU, topic: 'digital_marketing', description: 'Sepi', status: 'waiting', position: 1, created_ts: 5 };
const MROOM = { id: 40, kind: 'mentoring', title: 'Pemasaran digital: Ayu', last_seq: 3, epoch: 'e1' };

function setup(answers = {}) {
    const rooms = [];
    const conn = new FakeConnection({
        rooms: () => ({ rooms }),
        join: (f) => ({ room: { ...MROOM, id: f.room }, members: [], messages: [], gap: false, last_read: 0 }),
        history: () => ({ messages: [], more: false }),
        mentoring_requests: () => ({ requests: [REQ] }),
        mentor_profile: () => ({ mentor: { user: MADE, topics: ['export'], available: true, load: 0, online: true } }),
        mentoring_settings: (f) => ({ auto_assign: f.auto_assign ?? false }),
        mentors: () => ({ mentors: [{ user: MADE, topics: ['digital_marketing'], available: true, load: 1, online: true }] }),
        ...answers,
    });
    const store = new ChatStore();
    const storage = { getItem: () => null, setItem() {}, removeItem() {} };
    const doc = { visibilityState: 'visible', addEventListener() {} };
    const session = new Session({ connection: conn, store, storage, doc });
    session.start();
    return { conn, store, session, rooms };
}

describe('mentoring after each hello', () => {
    it('a business gets its requests', async () => {
        const { conn, store } = setup();
        conn.hello(AYU);
        await settle();
        expect(conn.sent('mentoring_requests')).toHaveLength(1);
        expect(conn.sent('mentor_profile')).toHaveLength(0);
        expect(store.mentoring.ownRequests(AYU.id).map((r) => r.id)).toEqual([11]);
    });

    it('a mentor gets its profile too, staff the setting and the mentors', async () => {
        const m = setup();
        m.conn.hello(MADE);
        await settle();
        expect(m.store.mentoring.profile.topics).toEqual(['export']);
        const d = setup();
        d.conn.hello(DINAS);
        await settle();
        expect(d.conn.types()).toEqual(expect.arrayContaining(['mentoring_requests', 'mentoring_settings', 'mentors']));
        expect(d.store.mentoring.autoAssign).toBe(false);
        expect(d.store.mentoring.mentorsFor('digital_marketing')).toHaveLength(1);
    });

    it('a student asks nothing about mentoring', async () => {
        const { conn } = setup();
        conn.hello(PUTU);
        await settle();
        expect(conn.types().filter((t) => t.startsWith('mentor'))).toEqual([]);
    });
});

describe('mentoring events', () => {
    it('a moved place in the queue and an offer reach the state', async () => {
        const { conn, store } = setup();
        conn.hello(AYU);
        await settle();
        conn.event({ type: 'mentoring_request', request: { ...REQ, position: 1 } });
        conn.event({ type: 'mentoring_request', request: { ...REQ, status: 'offered', mentor: MADE, position: undefined } });
        expect(store.mentoring.ownRequests(AYU.id)[0].status).toBe('offered');
    });

    it('a request that became active makes the room list fetch its room', async () => {
        const { conn, rooms } = setup();
        conn.hello(AYU);
        await settle();
        const before = conn.sent('rooms').length;
        rooms.push(MROOM);
        conn.event({ type: 'mentoring_request', request: { ...REQ, status: 'active', mentor: MADE, room: 40 } });
        await settle();
        expect(conn.sent('rooms').length).toBe(before + 1);
        expect(conn.sent('join').map((j) => j.room)).toContain(40);
    });

    it('sessions, notes, actions and calls of an opened room arrive by events', async () => {
        const { conn, store, session } = setup({
            mentoring_room: () => ({ request: { ...REQ, status: 'active', room: 40, mentor: MADE }, sessions: [], notes: [], actions: [] }),
        });
        conn.hello(AYU);
        await settle();
        await session.mentoring.loadRoom(40);
        conn.event({ type: 'mentoring_session', session: { id: 1, room: 40, starts_ts: 9, duration_min: 30, agenda: 'x', status: 'scheduled', updated_ts: 1 } });
        conn.event({ type: 'mentoring_note', note: { id: 1, room: 40, author: 2, body: 'n', created_ts: 1, updated_ts: 1 } });
        conn.event({ type: 'mentoring_action', action: { id: 1, room: 40, text: 'a', owner: 1, due: '', done: false, updated_ts: 1 } });
        conn.event({ type: 'call', call: { id: 3, room: 40, state: 'ringing', started_by: 2 } });
        expect(store.mentoring.sessionsOf(40)).toHaveLength(1);
        expect(store.mentoring.notesOf(40)).toHaveLength(1);
        expect(store.mentoring.actionsOf(40)).toHaveLength(1);
        expect(store.mentoring.room(40).call.id).toBe(3);
        // Ayu is not a member of room 40 in this store: no banner.
        expect(session.calls.incoming).toBe(null);
    });
});

describe('calls after a reload', () => {
    it('a call ringing for the user shows its banner wherever the user is', async () => {
        const ACTIVE = { ...REQ, status: 'active', mentor: MADE, room: 40, position: undefined };
        const CLOSED = { ...ACTIVE, id: 12, status: 'closed', room: 41 };
        const { conn, session, rooms } = setup({
            mentoring_requests: () => ({ requests: [ACTIVE, CLOSED] }),
            mentoring_room: (f) => ({
                request: f.room === 40 ? ACTIVE : CLOSED,
                sessions: [],
                notes: [],
                actions: [],
                people: [AYU, MADE],
                call: f.room === 40 ? { id: 3, room: 40, state: 'ringing', started_by: MADE.id, started_ts: 1 } : undefined,
            }),
        });
        rooms.push(MROOM, { ...MROOM, id: 41 });
        // Ayu reloads on the room list: no room is open.
        conn.hello(AYU);
        await settle();
        expect(conn.sent('mentoring_room').map((r) => r.room)).toEqual([40]);
        expect(session.calls.incoming).toMatchObject({ id: 3 });
    });
});

describe('the people of a mentoring room', () => {
    it('names a former mentor in messages, system lines, notes and action owners', async () => {
        const KOMANG = { id: 6, username: 'komang', name: 'Komang Ari', role: 'mentor' };
        const { conn, store, session } = setup({
            mentoring_room: () => ({
                request: { ...REQ, status: 'active', room: 40, mentor: KOMANG },
                sessions: [],
                notes: [{ id: 1, room: 40, author: MADE.id, body: 'n', created_ts: 1, updated_ts: 1 }],
                actions: [],
                people: [AYU, MADE, KOMANG],
            }),
        });
        conn.hello(KOMANG);
        await settle();
        // Komang shares no room with Made: no join reply names him.
        expect(userName(store, MADE.id)).toBe('Pengguna #2');
        await session.mentoring.loadRoom(40);
        expect(userName(store, MADE.id)).toBe('Made');
        expect(anyUserName(store, MADE.id)).toBe('Made');
        const line = systemLine(JSON.stringify({ event: 'mentoring_transferred', request: 11, from: 2, to: 6 }), {
            name: (id) => anyUserName(store, id),
        });
        expect(line).toBe('Pendampingan dialihkan dari Made ke Anda');
    });
});

describe('mentoring requests', () => {
    it('opens a request with its topic and description', async () => {
        const { conn, store, session } = setup({
            mentoring_open: (f) => ({ request: { ...REQ, id: 12, topic: f.topic, description: f.description } }),
        });
        conn.hello(AYU);
        await settle();
        await session.mentoring.open('haki', 'Merek dagang');
        expect(conn.sent('mentoring_open')).toEqual([{ type: 'mentoring_open', topic: 'haki', description: 'Merek dagang' }]);
        expect(store.mentoring.ownRequests(AYU.id).map((r) => r.id)).toEqual([12, 11]);
    });

    it('assigns to a mentor, or automatically without one', async () => {
        const { conn, session } = setup({ mentoring_assign: () => ({ request: { ...REQ, status: 'offered', mentor: MADE } }) });
        conn.hello(DINAS);
        await settle();
        await session.mentoring.assign(11, 2);
        await session.mentoring.assign(11, null);
        expect(conn.sent('mentoring_assign')).toEqual([
            { type: 'mentoring_assign', request: 11, mentor: 2 },
            { type: 'mentoring_assign', request: 11 },
        ]);
    });

    it('accepting lists the new room and resolves with it', async () => {
        const { conn, session, rooms, store } = setup({
            mentoring_accept: () => {
                rooms.push(MROOM);
                return { request: { ...REQ, status: 'active', mentor: MADE, room: 40 } };
            },
        });
        conn.hello(MADE);
        await settle();
        expect(await session.mentoring.accept(11)).toBe(40);
        expect(store.rooms.has(40)).toBe(true);
    });

    it('sends optional fields only when given', async () => {
        const { conn, session } = setup({
            mentoring_close: () => ({ request: { ...REQ, status: 'closed' } }),
            mentoring_action_add: (f) => ({ action: { id: 1, ...f, done: false } }),
        });
        conn.hello(AYU);
        await settle();
        await session.mentoring.close(11, 5, '');
        await session.mentoring.addAction(40, 'Foto', 1, '');
        expect(conn.sent('mentoring_close')).toEqual([{ type: 'mentoring_close', request: 11, rating: 5 }]);
        expect(conn.sent('mentoring_action_add')).toEqual([{ type: 'mentoring_action_add', room: 40, text: 'Foto', owner: 1 }]);
    });
});

describe('the agency’s figures', () => {
    it('asks for the chosen period, and keeps only the answer to the latest ask', async () => {
        // The figures' answers come when the test says.
        const answers = [];
        const { conn, store, session } = setup();
        const request = conn.request.bind(conn);
        conn.request = (type, fields = {}) => {
            if (type !== 'mentoring_figures') {
                return request(type, fields);
            }
            conn.requests.push({ type, ...fields });
            return new Promise((resolve) => answers.push(resolve));
        };
        conn.hello(DINAS);
        await settle();
        const now = Date.UTC(2025, 9, 14);
        const first = session.mentoring.loadFigures('year', now);
        const second = session.mentoring.loadFigures('days30', now);
        expect(conn.sent('mentoring_figures')).toEqual([
            { type: 'mentoring_figures', since_ts: Date.UTC(2024, 11, 31, 16, 0) },
            { type: 'mentoring_figures', since_ts: now - 30 * 24 * 3600 * 1000 },
        ]);
        answers[1]({ topics: [], total: { requests: 2 } });
        answers[0]({ topics: [], total: { requests: 9 } });
        await Promise.all([first, second]);
        expect(store.mentoring.figures).toMatchObject({ period: 'days30', total: { requests: 2 } });
        const all = session.mentoring.loadFigures('all');
        expect(conn.sent('mentoring_figures')[2]).toEqual({ type: 'mentoring_figures' });
        answers[2]({ topics: [], total: null });
        await all;
        expect(store.mentoring.figures.period).toBe('all');
    });
});

describe('staff reading a mentoring room', () => {
    it('joins it without listing it, keeps it through a room sync, and marks nothing read', async () => {
        const { conn, store, session } = setup();
        conn.hello(DINAS);
        await settle();
        await session.viewRoom(40);
        expect(store.rooms.get(40)).toMatchObject({ kind: 'mentoring', viewOnly: true });
        expect(store.roomList()).toEqual([]);
        await session.refreshRooms();
        expect(store.rooms.has(40)).toBe(true);
        // A reconnect joins it again.
        const joins = conn.sent('join').length;
        conn.hello(DINAS);
        await settle();
        expect(conn.sent('join').length).toBe(joins + 1);
        session.reader.open(40);
        await new Promise((r) => setTimeout(r, 300));
        expect(conn.sent('read')).toEqual([]);
    });

    it('forgets the room when the join is refused', async () => {
        const { conn, store, session } = setup({ join: () => Object.assign(new Error('forbidden'), { code: 'forbidden' }) });
        conn.hello(DINAS);
        await settle();
        await expect(session.viewRoom(40)).rejects.toThrow();
        expect(store.rooms.has(40)).toBe(false);
    });
});
