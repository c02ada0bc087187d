// Authorization: walks the table of protocol/AUTHORIZATION.md. Every row is
// sent by every caller (an anonymous connection and one user of each role)
// to one real server, with fixtures built so that the request is well formed
// and would succeed for someone allowed: a `yes` cell must be served, a
// `forbidden` or `unauthenticated` cell must get that error, a `refused` cell
// must not open a WebSocket, and a `member` cell is sent twice, by a party to
// the object (served) and by a user of the same role who is none (forbidden).
// Also: the table names every request the C sources declare, and every path
// the HTTP layer routes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
    DEFAULT_PASSWORD,
    closeAll,
    connect,
    connectAs,
    login,
    loginHttp,
    newUser,
    openSocket,
    uniqueName,
} from '../lib/client.mjs';
import { addUser, httpRequest, makeTempDir, repoRoot, startServer } from '../lib/server.mjs';
import { send } from '../lib/util.mjs';

const TABLE = path.join(repoRoot, 'protocol', 'AUTHORIZATION.md');
const CALLERS = ['anonymous', 'umkm', 'koperasi', 'student', 'mentor', 'moderator', 'admin'];
const WORDS = new Set(['yes', 'member', 'forbidden', 'unauthenticated', 'refused']);
// The answers that refuse a caller (bad_request: a fixture that went wrong).
const REFUSALS = new Set(['forbidden', 'unauthenticated', 'refused', 'bad_request']);
const BUSINESS = new Set(['umkm', 'koperasi']);
const STAFF = new Set(['moderator', 'admin']);
const FOREIGN = 'http://evil.example';
const DAY = 24 * 60 * 60 * 1000;

// Accounts the operator creates; the other roles register themselves. Slots
// `in` and `out` are callers (below); the others are helpers.
const OPERATOR_ACCOUNTS = [
    ['mentor', 'in'],
    ['mentor', 'out'],
    ['mentor', 'mentor'],
    ['mentor', 'spare'],
    ['moderator', 'in'],
    ['moderator', 'out'],
    ['moderator', 'mod'],
    ['admin', 'in'],
    ['admin', 'out'],
].map(([role, slot]) => ({
    role,
    slot,
    username: `${role}.${slot}`,
    password: `${role}-${slot}-pw`,
    name: `${role} ${slot}`,
}));

// ---- the table ----------------------------------------------------------------

function cellsOf(line) {
    return line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim());
}

// The rows of the table: {label, name, http, expect: {caller: word}}.
function readTable() {
    const lines = fs.readFileSync(TABLE, 'utf8').split('\n');
    const head = lines.findIndex((l) => /^\|\s*request\s*\|/.test(l));
    assert.ok(head >= 0, `${TABLE} has no table whose first column is "request"`);
    assert.deepEqual(cellsOf(lines[head]).slice(1, 1 + CALLERS.length), CALLERS, 'the table\'s caller columns');

    const rows = [];
    for (let i = head + 2; i < lines.length && lines[i].startsWith('|'); i++) {
        const cells = cellsOf(lines[i]);
        const label = cells[0];
        const name = /`([^`]+)`/.exec(label)?.[1];
        assert.ok(name, `row ${i + 1} names no request in backquotes: ${label}`);
        const expect = {};
        CALLERS.forEach((caller, k) => {
            const word = cells[k + 1];
            assert.ok(WORDS.has(word), `${label} / ${caller}: "${word}" is not one of ${[...WORDS].join(', ')}`);
            expect[caller] = word;
        });
        assert.notEqual(expect.anonymous, 'member', `${label}: an anonymous caller is nobody's party`);
        rows.push({ label, name, http: /^(GET|POST) \//.test(name), expect });
    }
    return rows;
}

function cFiles(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? cFiles(p) : e.name.endsWith('.c') ? [p] : [];
    });
}

// Every request name in a `struct request_def` table of the server's sources.
function serverRequests() {
    const names = new Set();
    for (const file of cFiles(path.join(repoRoot, 'server'))) {
        const src = fs.readFileSync(file, 'utf8');
        for (const table of src.matchAll(/struct request_def\s+\w+\s*\[\s*\]\s*=\s*\{([\s\S]*?)\n\};/g)) {
            for (const entry of table[1].matchAll(/\{\s*"([^"]+)"\s*,/g)) {
                names.add(entry[1]);
            }
        }
    }
    return names;
}

// Every path the network layer compares a request's URI with.
function serverPaths() {
    const paths = new Set();
    for (const file of cFiles(path.join(repoRoot, 'server', 'net'))) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/strcmp\(uri,\s*"(\/[^"]*)"\)/g)) {
            paths.add(m[1]);
        }
    }
    return paths;
}

const rows = readTable();

describe('12 authorization', { timeout: 600000 }, () => {
    let server;
    let anon;
    // people[role].in is the caller of a role's cells and the party of its
    // fixtures; people[role].out is a user of the same role who is no party.
    const people = {};
    // Users who fill the other places in fixtures: the other member of a dm,
    // a business, a mentor, a mentor to transfer to, and a moderator to assign.
    const helpers = {};
    const clients = [];
    const cookies = new Map();
    // What the walk did, for the last test.
    const walked = { cells: 0, exchanges: 0 };

    async function operatorLogin(account) {
        const client = await connect(server.url);
        const { user, token } = await login(client, account.username, account.password);
        clients.push(client);
        return { client, user, token, username: account.username, password: account.password };
    }

    async function selfRegistered(role, prefix) {
        const u = await newUser(server.url, { prefix, role, name: `Pengguna ${prefix}` });
        clients.push(u.client);
        return u;
    }

    before(async () => {
        const dataDir = makeTempDir();
        for (const account of OPERATOR_ACCOUNTS) {
            await addUser(dataDir, account);
        }
        server = await startServer({ dataDir });
        anon = await connect(server.url);
        clients.push(anon);

        for (const account of OPERATOR_ACCOUNTS) {
            const u = await operatorLogin(account);
            if (account.slot === 'in' || account.slot === 'out') {
                people[account.role] = { ...people[account.role], [account.slot]: u };
            } else {
                helpers[account.slot] = u;
            }
        }
        for (const role of ['umkm', 'koperasi', 'student']) {
            people[role] = {
                in: await selfRegistered(role, `${role.slice(0, 3)}in`),
                out: await selfRegistered(role, `${role.slice(0, 3)}out`),
            };
        }
        helpers.peer = await selfRegistered('student', 'peer');
        helpers.biz = await selfRegistered('umkm', 'biz');
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    // ---- fixtures ----------------------------------------------------------------

    // Whoever acts for a caller that has no user of its own (anonymous).
    const actor = (me) => me ?? helpers.biz;

    async function message(room, author) {
        const { seq } = await send(author.client, room, 'Pesan untuk diuji', uniqueName('cid'));
        return seq;
    }

    // A dm and a group, both with `who` as a member (the group's creator).
    async function chatRooms(who) {
        const dm = await who.client.request('room_create', { kind: 'dm', members: [helpers.peer.user.id] });
        const group = await who.client.request('room_create', {
            kind: 'group',
            title: 'Kelompok uji',
            members: [helpers.peer.user.id],
        });
        return [dm.room.id, group.room.id];
    }

    /*
     * A mentoring request through the real requests, up to `state`: the
     * caller's role is the business or the mentor when it can be, helpers
     * fill the other place. Resolves {request, room, business, mentor}.
     */
    // A business may have only five requests waiting or offered; the
    // fixtures of earlier cells are done with, so theirs are withdrawn.
    async function withdrawQueued(business) {
        const { requests } = await business.client.request('mentoring_requests');
        for (const q of requests) {
            if (q.business.id === business.user.id && (q.status === 'waiting' || q.status === 'offered')) {
                await business.client.request('mentoring_cancel', { request: q.id });
            }
        }
    }

    async function mentorship(role, state = 'active') {
        const business = BUSINESS.has(role) ? people[role].in : helpers.biz;
        const mentor = role === 'mentor' ? people.mentor.in : helpers.mentor;
        await withdrawQueued(business);
        const opened = await business.client.request('mentoring_open', {
            topic: 'bookkeeping',
            description: 'Kami butuh bantuan pembukuan.',
        });
        const m = { request: opened.request.id, business, mentor };
        if (state === 'waiting') {
            return m;
        }
        await helpers.mod.client.request('mentoring_assign', { request: m.request, mentor: mentor.user.id });
        if (state === 'offered') {
            return m;
        }
        m.room = (await mentor.client.request('mentoring_accept', { request: m.request })).request.room;
        if (state === 'closed') {
            await closeMentorship(m);
        }
        return m;
    }

    async function closeMentorship(m) {
        await m.business.client.request('mentoring_close', { request: m.request, rating: 5 });
    }

    // The member of `m` who is the caller, or the business for one who is none.
    const memberFor = (role, m) => (role === 'mentor' ? m.mentor : m.business);

    // A ringing call in a new mentorship, started by the member who is not
    // the caller (the business, when the caller is neither).
    async function ringing(role) {
        const m = await mentorship(role);
        const starter = BUSINESS.has(role) ? m.mentor : m.business;
        m.call = (await starter.client.request('call_start', { room: m.room })).call.id;
        return m;
    }

    async function cookieOf(who) {
        if (!who) {
            return null;
        }
        if (!cookies.has(who)) {
            cookies.set(who, await loginHttp(server.url, who.username, who.password));
        }
        return cookies.get(who);
    }

    const withCookie = (cookie, headers = {}) => (cookie ? { ...headers, Cookie: cookie } : headers);

    function httpOutcome(res) {
        if (res.status >= 200 && res.status < 300) {
            return 'ok';
        }
        return { 401: 'unauthenticated', 403: 'forbidden' }[res.status] ?? `HTTP ${res.status}`;
    }

    // A WebSocket handshake with `cookie`: 'ok' when it opens as the
    // cookie's user, 'refused' when it does not open.
    async function handshake(cookie, expectedUser, opts = {}) {
        const res = await openSocket(server.url, { cookie: cookie ?? undefined, ...opts });
        if (!res.opened) {
            return 'refused';
        }
        const hello = await res.client.nextEvent('hello');
        await res.client.close();
        const got = hello.user?.id ?? null;
        return got === (expectedUser?.id ?? null) ? 'ok' : `opened as user ${got}`;
    }

    function postForm(urlPath, { cookie, origin, body = '' }) {
        const headers = withCookie(cookie, { 'Content-Type': 'application/x-www-form-urlencoded' });
        if (origin) {
            headers.Origin = origin;
        }
        return httpRequest(`${server.url}${urlPath}`, { method: 'POST', headers, body });
    }

    const credentials = (who) => new URLSearchParams({ username: who.username, password: who.password }).toString();

    // A new connection that belongs to `me` (anonymous for null), holding a
    // token of its own when `fresh`, so that a logout revokes nothing else.
    async function connectionOf(me, { fresh = false } = {}) {
        const client = me && !fresh ? await connectAs(server.url, me.token) : await connect(server.url);
        if (me && fresh) {
            await login(client, me.username, me.password);
        }
        return client;
    }

    /*
     * One fixture per row, keyed by the row's first cell. Each takes
     * {role, me} (me: the role's party user, null for anonymous) and
     * resolves one case or several, each {fields} for a WebSocket request
     * (with `via`, a function giving the connection to send it on, closed
     * afterwards; with `allowed`, the answer an allowed caller gets when it
     * is not `ok`) or {http}, a function resolving the outcome of an HTTP
     * exchange.
     */
    const FIXTURES = {
        '`register` as `umkm`, `koperasi` or `student`': () =>
            ['umkm', 'koperasi', 'student'].map((role) => ({
                fields: { username: uniqueName('reg'), password: DEFAULT_PASSWORD, name: 'Pendaftar', role },
            })),
        '`register` as `mentor`, `moderator` or `admin`': () =>
            ['mentor', 'moderator', 'admin'].map((role) => ({
                fields: { username: uniqueName('reg'), password: DEFAULT_PASSWORD, name: 'Pendaftar', role },
            })),
        '`login`': ({ me }) => ({
            fields: { username: actor(me).username, password: actor(me).password },
            via: () => connectionOf(me),
        }),
        '`login` with a wrong password': ({ me }) => ({
            fields: { username: actor(me).username, password: 'not-the-password' },
            via: () => connectionOf(me),
        }),
        '`auth`': ({ me }) => ({ fields: { token: actor(me).token }, via: () => connectionOf(me) }),
        '`auth` with an unknown token': ({ me }) => ({
            fields: { token: 'a'.repeat(64) },
            via: () => connectionOf(me),
        }),
        '`ping`': () => ({ fields: {} }),
        '`logout`': ({ me }) => ({ fields: {}, via: () => connectionOf(me, { fresh: true }) }),
        '`users`': () => ({ fields: { query: 'pengguna' } }),
        '`room_create`': () => ({
            fields: { kind: 'group', title: 'Kelompok baru', members: [helpers.peer.user.id] },
        }),
        '`rooms`': () => ({ fields: {} }),

        '`join` in a dm or a group': async ({ me }) =>
            (await chatRooms(actor(me))).map((room) => ({ fields: { room } })),
        '`join` in a mentoring room': async ({ role }) => ({ fields: { room: (await mentorship(role)).room } }),
        '`leave`': async ({ me }) => ({ fields: { room: (await chatRooms(actor(me)))[0] } }),
        '`send` in a dm or a group': async ({ me }) =>
            (await chatRooms(actor(me))).map((room) => ({
                fields: { room, body: 'Halo', client_id: uniqueName('cid') },
            })),
        '`send` in a mentoring room': async ({ role }) => ({
            fields: { room: (await mentorship(role)).room, body: 'Halo', client_id: uniqueName('cid') },
        }),
        '`history` in a dm or a group': async ({ me }) =>
            (await chatRooms(actor(me))).map((room) => ({ fields: { room } })),
        '`history` in a mentoring room': async ({ role }) => ({ fields: { room: (await mentorship(role)).room } }),
        '`read` in a dm or a group': async ({ me }) =>
            Promise.all(
                (await chatRooms(actor(me))).map(async (room) => ({
                    fields: { room, seq: await message(room, helpers.peer) },
                })),
            ),
        '`read` in a mentoring room': async ({ role }) => {
            const m = await mentorship(role);
            return { fields: { room: m.room, seq: await message(m.room, m.business) } };
        },
        '`read` in a closed mentoring room': async ({ role }) => {
            const m = await mentorship(role);
            const seq = await message(m.room, m.business);
            await closeMentorship(m);
            return { fields: { room: m.room, seq } };
        },
        '`typing` in a dm or a group': async ({ me }) =>
            (await chatRooms(actor(me))).map((room) => ({ fields: { room } })),
        '`typing` in a mentoring room': async ({ role }) => ({ fields: { room: (await mentorship(role)).room } }),
        '`edit` in a dm or a group': async ({ me }) =>
            Promise.all(
                (await chatRooms(actor(me))).map(async (room) => ({
                    fields: { room, seq: await message(room, actor(me)), body: 'Diubah' },
                })),
            ),
        '`edit` in a mentoring room': async ({ role }) => {
            const m = await mentorship(role);
            const seq = await message(m.room, memberFor(role, m));
            return { fields: { room: m.room, seq, body: 'Diubah' } };
        },
        // Staff delete someone else's message; the others their own.
        '`delete` in a dm or a group': async ({ role, me }) =>
            Promise.all(
                (await chatRooms(actor(me))).map(async (room) => ({
                    fields: { room, seq: await message(room, STAFF.has(role) ? helpers.peer : actor(me)) },
                })),
            ),
        '`delete` in a mentoring room': async ({ role }) => {
            const m = await mentorship(role);
            return { fields: { room: m.room, seq: await message(m.room, memberFor(role, m)) } };
        },
        '`delete` in a closed mentoring room': async ({ role }) => {
            const m = await mentorship(role);
            const seq = await message(m.room, memberFor(role, m));
            await closeMentorship(m);
            return { fields: { room: m.room, seq }, allowed: STAFF.has(role) ? 'ok' : 'conflict' };
        },
        // The caller creates the group, except staff, who manage groups they
        // are not in.
        '`member_add` in a group': async ({ role, me }) => {
            const creator = STAFF.has(role) ? helpers.biz : actor(me);
            const room = (await chatRooms(creator))[1];
            return { fields: { room, user: helpers.spare.user.id } };
        },
        '`member_add` in a dm or a mentoring room': async ({ role, me }) => {
            const cases = [{ fields: { room: (await chatRooms(actor(me)))[0], user: helpers.spare.user.id } }];
            if (BUSINESS.has(role) || role === 'mentor') {
                cases.push({ fields: { room: (await mentorship(role)).room, user: helpers.spare.user.id } });
            }
            return cases;
        },
        '`member_remove` in a group': async ({ role, me }) => {
            const creator = STAFF.has(role) ? helpers.biz : actor(me);
            const room = (await chatRooms(creator))[1];
            return { fields: { room, user: helpers.peer.user.id } };
        },
        '`member_remove` in a dm or a mentoring room': async ({ role, me }) => {
            const cases = [{ fields: { room: (await chatRooms(actor(me)))[0], user: helpers.peer.user.id } }];
            if (BUSINESS.has(role) || role === 'mentor') {
                const m = await mentorship(role);
                const other = role === 'mentor' ? m.business : m.mentor;
                cases.push({ fields: { room: m.room, user: other.user.id } });
            }
            return cases;
        },

        '`mentoring_open`': async ({ role }) => {
            if (BUSINESS.has(role)) {
                await withdrawQueued(people[role].in);
            }
            return { fields: { topic: 'licensing', description: 'Izin usaha makanan.' } };
        },
        '`mentoring_requests`': () => ({ fields: {} }),
        '`mentoring_cancel`': async ({ role }) => ({ fields: { request: (await mentorship(role, 'waiting')).request } }),
        '`mentoring_assign`': async ({ role }) => ({
            fields: { request: (await mentorship(role, 'waiting')).request, mentor: helpers.mentor.user.id },
        }),
        '`mentoring_accept`': async ({ role }) => ({ fields: { request: (await mentorship(role, 'offered')).request } }),
        '`mentoring_decline`': async ({ role }) => ({
            fields: { request: (await mentorship(role, 'offered')).request, reason: 'Jadwal saya penuh.' },
        }),
        '`mentoring_transfer`': async ({ role }) => ({
            fields: {
                request: (await mentorship(role)).request,
                mentor: helpers.spare.user.id,
                note: 'Mentor lain lebih cocok.',
            },
        }),
        '`mentoring_close`': async ({ role }) => ({
            fields: { request: (await mentorship(role)).request, rating: 4, comment: 'Terima kasih.' },
        }),
        '`mentoring_settings`': () => ({ fields: {} }),
        '`mentor_profile`': () => ({ fields: {} }),
        '`mentors`': () => ({ fields: { topic: 'bookkeeping' } }),
        '`mentoring_room`': async ({ role }) => ({ fields: { room: (await mentorship(role)).room } }),
        '`mentoring_session_add`': async ({ role }) => ({
            fields: {
                room: (await mentorship(role)).room,
                starts_ts: Date.now() + DAY,
                duration_min: 60,
                agenda: 'Rencana pembukuan',
            },
        }),
        '`mentoring_session_update`': async ({ role }) => ({
            fields: { session: await sessionIn(await mentorship(role)), agenda: 'Agenda baru' },
        }),
        '`mentoring_session_cancel`': async ({ role }) => ({
            fields: { session: await sessionIn(await mentorship(role)) },
        }),
        '`mentoring_note_add`': async ({ role }) => ({
            fields: { room: (await mentorship(role)).room, body: 'Catatan mentor' },
        }),
        '`mentoring_note_edit`': async ({ role }) => {
            const m = await mentorship(role);
            const note = await m.mentor.client.request('mentoring_note_add', { room: m.room, body: 'Catatan' });
            return { fields: { note: note.note.id, body: 'Catatan diubah' } };
        },
        '`mentoring_action_add`': async ({ role }) => {
            const m = await mentorship(role);
            return { fields: { room: m.room, text: 'Catat penjualan harian', owner: m.business.user.id } };
        },
        // The business owns the item, so both members may tick it off.
        '`mentoring_action_update`': async ({ role }) => {
            const m = await mentorship(role);
            const added = await m.mentor.client.request('mentoring_action_add', {
                room: m.room,
                text: 'Catat penjualan harian',
                owner: m.business.user.id,
            });
            return { fields: { action: added.action.id, done: true } };
        },
        '`mentoring_figures`': () => ({ fields: {} }),

        '`call_start` in a mentoring room': async ({ role }) => ({ fields: { room: (await mentorship(role)).room } }),
        '`call_start` in a dm or a group': async ({ me }) =>
            (await chatRooms(actor(me))).map((room) => ({ fields: { room } })),
        '`call_accept`': async ({ role }) => ({ fields: { call: (await ringing(role)).call } }),
        '`call_signal`': async ({ role }) => ({
            fields: { call: (await ringing(role)).call, kind: 'offer', data: '{"type":"offer","sdp":"v=0"}' },
        }),
        '`call_end`': async ({ role }) => ({ fields: { call: (await ringing(role)).call } }),

        '`GET /healthz`': ({ me }) => ({
            http: async () =>
                httpOutcome(await httpRequest(`${server.url}/healthz`, { headers: withCookie(await cookieOf(me)) })),
        }),
        '`POST /api/login`': ({ me }) => ({
            http: async () =>
                httpOutcome(await postForm('/api/login', { cookie: await cookieOf(me), body: credentials(actor(me)) })),
        }),
        '`POST /api/login` from a foreign origin': ({ me }) => ({
            http: async () =>
                httpOutcome(
                    await postForm('/api/login', {
                        cookie: await cookieOf(me),
                        origin: FOREIGN,
                        body: credentials(actor(me)),
                    }),
                ),
        }),
        // A cookie of its own, so that the logout ends no other session.
        '`POST /api/logout`': ({ me }) => ({
            http: async () => {
                const cookie = me ? await loginHttp(server.url, me.username, me.password) : null;
                return httpOutcome(await postForm('/api/logout', { cookie, origin: server.origin }));
            },
        }),
        '`POST /api/logout` from a foreign origin': ({ me }) => ({
            http: async () => httpOutcome(await postForm('/api/logout', { cookie: await cookieOf(me), origin: FOREIGN })),
        }),
        '`GET /ws` offering `kolab.v1`': ({ me }) => ({
            http: async () => handshake(await cookieOf(me), me?.user),
        }),
        '`GET /ws` without `kolab.v1`': ({ me }) =>
            [[], ['chat']].map((protocols) => ({
                http: async () => handshake(await cookieOf(me), me?.user, { protocols }),
            })),
        '`GET /ws` from a foreign origin': ({ me }) => ({
            http: async () => handshake(await cookieOf(me), me?.user, { origin: FOREIGN }),
        }),
        '`GET /` and the other static files': ({ me }) =>
            ['/', '/index.html'].map((urlPath) => ({
                http: async () => {
                    const res = await httpRequest(`${server.url}${urlPath}`, { headers: withCookie(await cookieOf(me)) });
                    const html = /^text\/html/.test(res.headers['content-type'] ?? '');
                    return res.status === 200 && !html ? 'not html' : httpOutcome(res);
                },
            })),
    };

    async function sessionIn(m) {
        const added = await m.business.client.request('mentoring_session_add', {
            room: m.room,
            starts_ts: Date.now() + DAY,
            duration_min: 60,
            agenda: 'Rencana pembukuan',
        });
        return added.session.id;
    }

    // ---- the walk ------------------------------------------------------------------

    // Sends one case as `who` (null: the anonymous connection) and resolves
    // the outcome: 'ok', an error code, or for HTTP what httpOutcome says.
    async function attempt(row, kase, who) {
        if (kase.http) {
            return kase.http();
        }
        const client = kase.via ? await kase.via() : (who?.client ?? anon);
        try {
            const reply = await client.call(row.name, kase.fields);
            return reply.type === 'ok' ? 'ok' : reply.code;
        } finally {
            if (kase.via) {
                await client.close();
            }
        }
    }

    // Walks one cell and returns what disagreed with it, in words.
    async function walkCell(row, role) {
        const word = row.expect[role];
        const me = role === 'anonymous' ? null : people[role].in;
        const problems = [];

        async function check(who, whoName, wanted) {
            const cases = [].concat(await FIXTURES[row.label]({ role, me }));
            for (const [i, kase] of cases.entries()) {
                const got = await attempt(row, kase, who);
                walked.exchanges++;
                // An allowed caller must not be refused, and the fixtures are
                // built so that it is served: `ok`, or the case's own answer.
                const want = wanted === 'allowed' ? (kase.allowed ?? 'ok') : wanted;
                if (got !== want) {
                    const which = cases.length > 1 ? ` (case ${i + 1})` : '';
                    const hint = wanted !== 'allowed' || REFUSALS.has(got) ? '' : ' (is the fixture right?)';
                    problems.push(
                        `${row.label} as ${whoName}${which}: the table says ${word}; wanted ${want}, got ${got}${hint}`,
                    );
                }
            }
        }

        walked.cells++;
        if (word === 'member') {
            await check(me, `${role}, a party`, 'allowed');
            await check(people[role].out, `${role}, no party`, 'forbidden');
        } else {
            await check(me, role, word === 'yes' ? 'allowed' : word);
        }
        return problems;
    }

    it('has a row for every request the server declares', () => {
        const declared = serverRequests();
        assert.ok(declared.has('ping') && declared.has('mentoring_open'), 'the request tables were found');
        const listed = new Set(rows.filter((r) => !r.http).map((r) => r.name));
        assert.deepEqual([...declared].filter((n) => !listed.has(n)).sort(), [], 'requests missing from the table');
        assert.deepEqual([...listed].filter((n) => !declared.has(n)).sort(), [], 'rows for requests the server lacks');
    });

    it('has a row for every path the HTTP layer routes', () => {
        const routed = serverPaths();
        assert.ok(routed.has('/healthz') && routed.has('/ws'), 'the routes were found');
        const listed = new Set(rows.filter((r) => r.http).map((r) => r.name.split(' ')[1]));
        assert.deepEqual([...routed].filter((p) => !listed.has(p)).sort(), [], 'paths missing from the table');
    });

    it('has a fixture for every row and a row for every fixture', () => {
        const labels = rows.map((r) => r.label);
        assert.deepEqual(labels.filter((l) => !FIXTURES[l]), [], 'rows without a fixture');
        assert.deepEqual(Object.keys(FIXTURES).filter((l) => !labels.includes(l)), [], 'fixtures without a row');
        assert.equal(new Set(labels).size, labels.length, 'every row label is unique');
    });

    for (const row of rows) {
        it(`${row.label}: ${CALLERS.map((c) => row.expect[c]).join(' ')}`, async (t) => {
            if (!FIXTURES[row.label]) {
                t.skip('no fixture (see the fixture test)');
                return;
            }
            const problems = [];
            for (const role of CALLERS) {
                problems.push(...(await walkCell(row, role)));
            }
            assert.deepEqual(problems, [], problems.join('\n'));
        });
    }

    it('walked every cell of the table', (t) => {
        t.diagnostic(`${rows.length} rows, ${walked.cells} cells, ${walked.exchanges} requests and handshakes`);
        assert.equal(walked.cells, rows.length * CALLERS.length);
    });
});
