// Session: hello, register, login, auth, logout, cookies, origins, tokens.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
    DEFAULT_PASSWORD,
    closeAll,
    connect,
    connectAs,
    httpLogin,
    login,
    newUser,
    openSocket,
    register,
    uniqueName,
} from '../lib/client.mjs';
import { addUser, httpRequest, makeTempDir, startServer } from '../lib/server.mjs';

const CSP =
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; " +
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

function assertUser(user, { username, name, role }) {
    assert.ok(Number.isInteger(user.id) && user.id > 0, `user id ${user.id}`);
    assert.equal(user.username, username);
    assert.equal(user.name, name);
    assert.equal(user.role, role);
}

// Splits a CSP header into a map of directive name to its source list.
function cspDirectives(value) {
    const out = new Map();
    for (const part of value.split(';')) {
        const [name, ...sources] = part.trim().split(/\s+/);
        if (name) {
            out.set(name, sources.join(' '));
        }
    }
    return out;
}

// Every directive of the required policy must be present with exactly its
// sources; a directive the policy does not name can only restrict further.
function assertSecurityHeaders(res) {
    const got = res.headers['content-security-policy'];
    assert.equal(typeof got, 'string', 'Content-Security-Policy present');
    const have = cspDirectives(got);
    for (const [name, sources] of cspDirectives(CSP)) {
        assert.equal(have.get(name), sources, `CSP ${name} in ${got}`);
    }
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
}

describe('01 session', { timeout: 60000 }, () => {
    let server;
    const clients = [];

    async function conn(opts) {
        const c = await connect(server.url, opts);
        clients.push(c);
        return c;
    }

    async function user(opts) {
        const u = await newUser(server.url, opts);
        clients.push(u.client);
        return u;
    }

    before(async () => {
        server = await startServer();
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    it('GET /healthz answers JSON status and version', async () => {
        const res = await httpRequest(`${server.url}/healthz`);
        assert.equal(res.status, 200);
        assert.match(res.headers['content-type'], /^application\/json/);
        assert.deepEqual(JSON.parse(res.body), { status: 'ok', version: '0.1.0' });
        assertSecurityHeaders(res);
    });

    it('sends hello on connect with protocol 1 and no user', async () => {
        const c = await conn();
        assert.equal(c.hello.type, 'hello');
        assert.equal(c.hello.protocol, 1);
        assert.equal(c.hello.server, 'kolabd/0.1.0');
        assert.equal(typeof c.hello.node, 'string');
        assert.ok(c.hello.node.length > 0);
        assert.equal(c.hello.user, null);
        assert.equal(c.ws.protocol, 'kolab.v1');
    });

    it('answers ping before authentication', async () => {
        const c = await conn();
        const reply = await c.request('ping');
        assert.equal(reply.type, 'ok');
    });

    it('registers umkm, koperasi and student users', async () => {
        const c = await conn();
        for (const role of ['umkm', 'koperasi', 'student']) {
            const username = uniqueName(role.slice(0, 3));
            const name = `Ibu ${role} Sari`;
            const u = await register(c, username, { role, name });
            assertUser(u, { username, name, role });
        }
    });

    it('refuses self-registration as mentor, moderator or admin', async () => {
        const c = await conn();
        for (const role of ['mentor', 'moderator', 'admin']) {
            const username = uniqueName('r');
            const err = await c.requestError('register', {
                username, password: DEFAULT_PASSWORD, name: 'Sneaky', role,
            });
            assert.ok(['forbidden', 'bad_request'].includes(err.code), `${role}: ${err.code}`);
            // The refused name was not taken by the attempt.
            const u = await register(c, username, { role: 'umkm' });
            assert.equal(u.username, username);
        }
    });

    it('accepts usernames of 3 and 32 characters from a-z 0-9 . _ -', async () => {
        const c = await conn();
        const tag = uniqueName('').replace(/[^a-z0-9]/g, '');
        const short = `z${tag.slice(-2)}`;
        const long = `${tag}.a_b-9`.padEnd(32, 'x');
        for (const username of [short, long]) {
            const u = await register(c, username);
            assert.equal(u.username, username);
        }
    });

    it('refuses bad usernames with bad_request', async () => {
        const bad = ['ab', 'a'.repeat(33), 'Alice', 'ali ce', 'ali@ce', 'al!ce', 'ałice', ''];
        // At most eight bad requests per connection, under the abuse limit.
        const c = await conn();
        for (const username of bad) {
            const err = await c.requestError('register', {
                username, password: DEFAULT_PASSWORD, name: 'X', role: 'umkm',
            });
            assert.equal(err.code, 'bad_request', `username ${JSON.stringify(username)}`);
        }
        assert.equal((await c.request('ping')).type, 'ok');
    });

    it('enforces password 8-256 bytes and name 1-100 bytes', async () => {
        const c = await conn();
        const cases = [
            { password: 'short77', name: 'X' },
            { password: 'p'.repeat(257), name: 'X' },
            { password: DEFAULT_PASSWORD, name: '' },
            { password: DEFAULT_PASSWORD, name: 'n'.repeat(101) },
            { password: 12345678, name: 'X' },
            { password: DEFAULT_PASSWORD },
        ];
        for (const fields of cases) {
            const err = await c.requestError('register', {
                username: uniqueName('p'), role: 'umkm', ...fields,
            });
            assert.equal(err.code, 'bad_request', JSON.stringify(fields).slice(0, 80));
        }
        const c2 = await conn();
        for (const fields of [
            { password: 'p'.repeat(8), name: 'n' },
            { password: 'p'.repeat(256), name: 'n'.repeat(100) },
            { password: 'pässwört', name: 'Ñame' },
        ]) {
            const username = uniqueName('p');
            await register(c2, username, fields);
            await login(c2, username, fields.password);
        }
    });

    it('refuses an unknown role with bad_request', async () => {
        const c = await conn();
        const err = await c.requestError('register', {
            username: uniqueName('k'), password: DEFAULT_PASSWORD, name: 'K', role: 'king',
        });
        assert.equal(err.code, 'bad_request');
    });

    it('answers conflict for a taken username', async () => {
        const c = await conn();
        const username = uniqueName('t');
        await register(c, username);
        const err = await c.requestError('register', {
            username, password: 'another-password', name: 'Other', role: 'student',
        });
        assert.equal(err.code, 'conflict');
        // The first account is unchanged.
        const { user } = await login(c, username, DEFAULT_PASSWORD);
        assert.equal(user.role, 'umkm');
    });

    it('logs in with the right password and refuses a wrong one', async () => {
        const c = await conn();
        const username = uniqueName('l');
        const registered = await register(c, username, { name: 'Pak Budi' });
        const e1 = await c.requestError('login', { username, password: 'wrong-password' });
        assert.equal(e1.code, 'unauthenticated');
        const e2 = await c.requestError('login', { username: uniqueName('nobody'), password: DEFAULT_PASSWORD });
        assert.equal(e2.code, 'unauthenticated');
        // Still not logged in after the failures.
        assert.equal((await c.requestError('rooms')).code, 'unauthenticated');

        const reply = await c.request('login', { username, password: DEFAULT_PASSWORD });
        assert.equal(typeof reply.token, 'string');
        assert.ok(reply.token.length >= 32, 'token long enough');
        assert.deepEqual(reply.user, registered);
        const rooms = await c.request('rooms');
        assert.deepEqual(rooms.rooms, []);
    });

    it('answers unauthenticated to every request but register, login, auth and ping', async () => {
        const requests = [
            ['rooms', {}],
            ['room_create', { kind: 'group', title: 'T', members: [] }],
            ['join', { room: 1 }],
            ['leave', { room: 1 }],
            ['send', { room: 1, body: 'hi', client_id: 'c1' }],
            ['history', { room: 1 }],
            ['read', { room: 1, seq: 1 }],
            ['typing', { room: 1 }],
            ['edit', { room: 1, seq: 1, body: 'x' }],
            ['delete', { room: 1, seq: 1 }],
            ['users', { query: 'a' }],
            ['member_add', { room: 1, user: 1 }],
            ['member_remove', { room: 1, user: 1 }],
            ['logout', {}],
        ];
        // Seven per connection, to stay well clear of any abuse limit.
        for (let i = 0; i < requests.length; i += 7) {
            const c = await conn();
            for (const [type, fields] of requests.slice(i, i + 7)) {
                const err = await c.requestError(type, fields);
                assert.equal(err.code, 'unauthenticated', type);
            }
            assert.ok(c.isOpen, 'unauthenticated requests do not close the connection');
        }
    });

    it('authenticates a second connection by token', async () => {
        const u = await user({ name: 'Siti Token' });
        const c = await conn();
        const reply = await c.request('auth', { token: u.token });
        assert.deepEqual(reply.user, u.user);
        assert.deepEqual((await c.request('rooms')).rooms, []);
    });

    it('refuses unknown and malformed tokens with unauthenticated', async () => {
        const c = await conn();
        for (const token of ['0'.repeat(64), 'f'.repeat(64), 'not-a-token', '']) {
            const err = await c.requestError('auth', { token });
            assert.equal(err.code, 'unauthenticated', `token ${JSON.stringify(token)}`);
        }
        assert.equal((await c.requestError('rooms')).code, 'unauthenticated');
    });

    it('logout revokes the token and closes its other connections with 4001', async () => {
        const u = await user();
        const same1 = await connectAs(server.url, u.token);
        const same2 = await connectAs(server.url, u.token);
        clients.push(same1, same2);
        const other = await conn();
        const second = await login(other, u.username, u.password);
        assert.notEqual(second.token, u.token);

        await u.client.request('logout');
        // The logging-out connection stays open, now anonymous.
        assert.ok(u.client.isOpen);
        assert.equal((await u.client.requestError('rooms')).code, 'unauthenticated');

        const [c1, c2] = await Promise.all([same1.waitClosed(5000), same2.waitClosed(5000)]);
        assert.equal(c1.code, 4001);
        assert.equal(c2.code, 4001);

        const fresh = await conn();
        assert.equal((await fresh.requestError('auth', { token: u.token })).code, 'unauthenticated');

        // A connection on another token of the same user is untouched.
        assert.ok(other.isOpen);
        assert.deepEqual((await other.request('rooms')).rooms, []);
    });

    it('keeps a token valid across a server restart', async () => {
        const u = await user({ name: 'Restart Rina' });
        await u.client.close();
        await server.restart();
        const c = await conn();
        const reply = await c.request('auth', { token: u.token });
        assert.deepEqual(reply.user, u.user);
    });

    it('refuses a handshake without the kolab.v1 subprotocol', async () => {
        for (const protocols of [[], ['chat']]) {
            const res = await openSocket(server.url, { protocols });
            if (res.opened) {
                res.ws.terminate();
            }
            assert.equal(res.opened, false, `offered ${JSON.stringify(protocols)}`);
        }
    });

    it('refuses a handshake from a disallowed Origin', async () => {
        const res = await openSocket(server.url, { origin: 'http://evil.example' });
        if (res.opened) {
            res.ws.terminate();
        }
        assert.equal(res.opened, false);
        if (res.status !== null) {
            assert.ok(res.status >= 400, `status ${res.status}`);
        }
    });

    describe('HTTP login and cookie session', () => {
        let u;

        before(async () => {
            u = await user({ name: 'Cookie Cahya', role: 'koperasi' });
        });

        it('POST /api/login sets an HttpOnly SameSite=Strict session cookie', async () => {
            const res = await httpLogin(server.url, u.username, u.password, { origin: server.origin });
            assert.equal(res.status, 200);
            assert.deepEqual(res.json, { user: u.user });
            assertSecurityHeaders(res);
            assert.match(res.cookie, /^kolab_session=[0-9a-f]{64}$/);
            const attrs = res.setCookie.split(';').slice(1).map((a) => a.trim());
            assert.ok(attrs.includes('Path=/'), res.setCookie);
            assert.ok(attrs.includes('HttpOnly'), res.setCookie);
            assert.ok(attrs.includes('SameSite=Strict'), res.setCookie);
            assert.ok(!attrs.includes('Secure'), 'no Secure attribute over plain HTTP');
            const maxAge = attrs.find((a) => a.startsWith('Max-Age='));
            assert.ok(maxAge && Number(maxAge.slice(8)) > 0, res.setCookie);
        });

        it('a handshake with the cookie is authenticated', async () => {
            const cookie = (await httpLogin(server.url, u.username, u.password)).cookie;
            const c = await conn({ cookie });
            assert.deepEqual(c.hello.user, u.user);
            assert.deepEqual((await c.request('rooms')).rooms, []);
        });

        it('a handshake with an unknown cookie is not authenticated', async () => {
            const c = await conn({ cookie: `kolab_session=${'a'.repeat(64)}` });
            assert.equal(c.hello.user, null);
            assert.equal((await c.requestError('rooms')).code, 'unauthenticated');
        });

        it('refuses wrong credentials with 401, missing fields with 400', async () => {
            const wrong = await httpLogin(server.url, u.username, 'not-the-password');
            assert.equal(wrong.status, 401);
            assert.deepEqual(wrong.json, { error: 'unauthenticated' });
            assert.equal(wrong.cookie, null);

            const res = await httpRequest(`${server.url}/api/login`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: `username=${u.username}`,
            });
            assert.equal(res.status, 400);
            assert.deepEqual(JSON.parse(res.body), { error: 'bad_request' });
        });

        it('answers a known path asked with the wrong method with 405 and Allow, an unknown one with 404', async () => {
            const cases = [
                ['GET', '/api/login', 405, 'POST'],
                ['PUT', '/api/logout', 405, 'POST'],
                ['POST', '/healthz', 405, 'GET'],
                ['POST', '/api/lupa', 404, undefined],
                ['GET', '/api/lupa', 404, undefined],
            ];
            for (const [method, target, status, allow] of cases) {
                const res = await httpRequest(`${server.url}${target}`, { method });
                assert.equal(res.status, status, `${method} ${target}`);
                assert.equal(res.headers.allow, allow, `Allow of ${method} ${target}`);
                const code = status === 405 ? 'method_not_allowed' : 'not_found';
                assert.deepEqual(JSON.parse(res.body), { error: code }, `${method} ${target}`);
            }
        });

        it('refuses a login from a disallowed Origin with 403', async () => {
            const res = await httpLogin(server.url, u.username, u.password, { origin: 'http://evil.example' });
            assert.equal(res.status, 403);
            assert.equal(res.cookie, null);
        });

        it('POST /api/logout clears the cookie and closes its connections with 4001', async () => {
            const cookie = (await httpLogin(server.url, u.username, u.password)).cookie;
            const c = await conn({ cookie });
            assert.deepEqual(c.hello.user, u.user);

            const res = await httpRequest(`${server.url}/api/logout`, {
                method: 'POST',
                headers: { Cookie: cookie, Origin: server.origin },
            });
            assert.equal(res.status, 200);
            assert.deepEqual(JSON.parse(res.body), {});
            const cleared = (res.headers['set-cookie'] ?? []).find((s) => s.startsWith('kolab_session='));
            assert.ok(cleared, 'logout sets the cookie again');
            assert.match(cleared, /Max-Age=0/);

            assert.equal((await c.waitClosed(5000)).code, 4001);
            const again = await conn({ cookie });
            assert.equal(again.hello.user, null);
        });
    });
});

describe('01 session: admin-created users and configured origins', { timeout: 30000 }, () => {
    const ORIGIN = 'http://kolab.test:8080';
    let server;
    const mentor = { username: 'mentor.dewi', password: 'mentor pass 123', name: 'Dewi Mentor', role: 'mentor' };

    before(async () => {
        const dataDir = makeTempDir();
        await addUser(dataDir, mentor);
        server = await startServer({ dataDir, args: ['--origin', ORIGIN] });
    });

    after(async () => {
        if (server) {
            await server.stop();
        }
    });

    it('kolabd user add creates a mentor who can log in', async () => {
        const c = await connect(server.url, { origin: ORIGIN });
        try {
            const { user } = await login(c, mentor.username, mentor.password);
            assertUser(user, mentor);
            const err = await c.requestError('login', { username: mentor.username, password: `${mentor.password}\n` });
            assert.equal(err.code, 'unauthenticated');
            const taken = await c.requestError('register', {
                username: mentor.username, password: DEFAULT_PASSWORD, name: 'X', role: 'umkm',
            });
            assert.equal(taken.code, 'conflict');
        } finally {
            await c.close();
        }
    });

    it('accepts a handshake and a login from an origin given with --origin', async () => {
        const c = await connect(server.url, { origin: ORIGIN });
        assert.equal(c.hello.protocol, 1);
        await c.close();
        const res = await httpLogin(server.url, mentor.username, mentor.password, { origin: ORIGIN });
        assert.equal(res.status, 200);
        assert.equal(res.json.user.role, 'mentor');
    });

    it('still refuses other origins', async () => {
        const res = await openSocket(server.url, { origin: 'http://other.test:8080' });
        if (res.opened) {
            res.ws.terminate();
        }
        assert.equal(res.opened, false);
    });
});
