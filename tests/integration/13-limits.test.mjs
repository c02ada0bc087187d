// The abuse limits, each on a server started with a tight setting: a user's
// writes across all their connections, the WebSockets an address may hold and
// open, failed logins per account and per address (over the WebSocket and
// over HTTP, with growing waits and an audit line), new accounts per address,
// rooms joined per connection, and X-Forwarded-For believed only from a
// configured proxy.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
    DEFAULT_PASSWORD,
    closeAll,
    connect,
    connectAs,
    httpLogin,
    newUser,
    openSocket,
    register,
    uniqueName,
} from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { sleep } from '../lib/util.mjs';

const CLOSE_RATE_LIMITED = 4029;

// Opens a socket and reports whether it was greeted or closed, and how.
async function tryConnect(url, opts = {}) {
    const res = await openSocket(url, opts);
    if (!res.opened) {
        return { greeted: false, code: res.closeCode ?? null, status: res.status };
    }
    const outcome = await Promise.race([
        res.client.nextEvent('hello', 3000).then(() => 'hello'),
        res.client.waitClosed(3000).then(() => 'closed'),
    ]).catch(() => 'timeout');
    if (outcome === 'hello') {
        return { greeted: true, client: res.client };
    }
    const info = await res.client.waitClosed(3000);
    return { greeted: false, code: info.code, reason: String(info.reason ?? '') };
}

describe('13 limits', { timeout: 120000 }, () => {
    const servers = [];
    const clients = [];

    async function server(args) {
        // A server's own settings must win over the relaxed ones of the test
        // library, so each limit under test is passed as a flag.
        const s = await startServer({ args });
        servers.push(s);
        return s;
    }

    after(async () => {
        await closeAll(clients);
        for (const s of servers) {
            await s.stop();
        }
    });

    it('writes are counted per user across all connections', async () => {
        const s = await server(['--msg-rate', '2', '--msg-burst', '4']);
        const a = await newUser(s.url, { prefix: 'rate' });
        const b = await newUser(s.url, { prefix: 'peer' });
        clients.push(a.client, b.client);
        const { room } = await a.client.request('room_create', { kind: 'dm', members: [b.user.id] });
        // room_create was one write; three more sends fill the burst.
        for (let i = 0; i < 3; i++) {
            await a.client.request('send', { room: room.id, body: `m${i}`, client_id: `c${i}` });
        }

        // More sockets buy nothing: the second and third share the budget.
        const second = await connectAs(s.url, a.token);
        const third = await connectAs(s.url, a.token);
        clients.push(second, third);
        const err = await second.requestError('send', { room: room.id, body: 'more', client_id: 'c9' });
        assert.equal(err.code, 'rate_limited');
        assert.ok(err.retry_ms > 0 && err.retry_ms <= 1000, `retry_ms ${err.retry_ms}`);
        assert.equal((await third.requestError('typing', { room: room.id })).code, 'rate_limited');

        // Reads are not writes; and after the wait a write goes through.
        await third.request('history', { room: room.id });
        await sleep(err.retry_ms + 50);
        const ok = await second.request('send', { room: room.id, body: 'more', client_id: 'c9' });
        assert.equal(ok.seq, 4);

        // Another user was never limited by any of it.
        await b.client.request('send', { room: room.id, body: 'halo', client_id: 'b1' });
    });

    it('an address holds at most its connections; closing one makes room', async () => {
        const s = await server(['--conns-per-ip', '3']);
        const open = [];
        for (let i = 0; i < 3; i++) {
            const r = await tryConnect(s.url);
            assert.ok(r.greeted, `connection ${i} greeted`);
            open.push(r.client);
        }
        clients.push(...open);
        const refused = await tryConnect(s.url);
        assert.equal(refused.greeted, false);
        assert.equal(refused.code, CLOSE_RATE_LIMITED);

        await open[0].close();
        await sleep(100);
        const again = await tryConnect(s.url);
        assert.ok(again.greeted, 'a connection after one closed');
        clients.push(again.client);
    });

    it('an address opens at most its rate of new connections', async () => {
        const s = await server(['--conn-rate-per-ip', '2']);
        // Twice the rate may come at once, then the address must wait.
        for (let i = 0; i < 4; i++) {
            const r = await tryConnect(s.url);
            assert.ok(r.greeted, `connection ${i} greeted`);
            await r.client.close();
        }
        const refused = await tryConnect(s.url);
        assert.equal(refused.code, CLOSE_RATE_LIMITED);
        await sleep(600);
        const later = await tryConnect(s.url);
        assert.ok(later.greeted, 'a connection after the wait');
        await later.client.close();
    });

    it('failed logins of an account wait longer each time, and are audited', async () => {
        const s = await server(['--login-failures', '3']);
        const victim = await newUser(s.url, { prefix: 'victim' });
        clients.push(victim.client);
        const c = await connect(s.url);
        clients.push(c);
        const guess = (password) => c.requestError('login', { username: victim.username, password });

        for (let i = 0; i < 3; i++) {
            assert.equal((await guess(`wrong-guess-${i}`)).code, 'unauthenticated');
        }
        const first = await guess('wrong-guess-3');
        assert.equal(first.code, 'rate_limited');
        assert.ok(first.retry_ms > 500 && first.retry_ms <= 1000, `first wait ${first.retry_ms}`);

        // Even the right password waits; after the wait a guess is checked
        // again, and the wait after it has doubled.
        assert.equal((await guess(DEFAULT_PASSWORD)).code, 'rate_limited');
        await sleep(first.retry_ms + 50);
        assert.equal((await guess('wrong-guess-4')).code, 'unauthenticated');
        const second = await guess('wrong-guess-5');
        assert.equal(second.code, 'rate_limited');
        assert.ok(second.retry_ms > 1500 && second.retry_ms <= 2000, `second wait ${second.retry_ms}`);

        // Over HTTP the same account is throttled the same way.
        const http = await httpLogin(s.url, victim.username, 'wrong-guess-6');
        assert.equal(http.status, 429);
        assert.equal(http.json.error, 'rate_limited');
        assert.ok(Number(http.headers['retry-after']) >= 1, `Retry-After ${http.headers['retry-after']}`);

        // The right password after the wait logs in and forgets the failures.
        await sleep(second.retry_ms + 50);
        await c.request('login', { username: victim.username, password: DEFAULT_PASSWORD });
        const c2 = await connect(s.url);
        clients.push(c2);
        assert.equal((await c2.requestError('login', { username: victim.username, password: 'x-wrong-1' })).code,
            'unauthenticated');

        const logs = s.logs();
        assert.match(logs, new RegExp(`mod=audit msg="login failed" user=${victim.user.id} ip=127\\.0\\.0\\.1`));
        assert.doesNotMatch(logs, /wrong-guess/);
        assert.doesNotMatch(logs, new RegExp(DEFAULT_PASSWORD));
    });

    it('audits a guess at an account by the account, short passwords and waits included', async () => {
        const s = await server(['--login-failures', '1']);
        const u = await newUser(s.url, { prefix: 'pendek' });
        clients.push(u.client);
        const c = await connect(s.url);
        clients.push(c);
        // Shorter than any password can be: still a guess at this account.
        assert.equal((await c.requestError('login', { username: u.username, password: 'abc' })).code, 'unauthenticated');
        for (let i = 0; i < 3; i++) {
            assert.equal((await c.requestError('login', { username: u.username, password: 'abcdefgh' })).code,
                'rate_limited');
        }
        const logs = s.logs();
        assert.match(logs, new RegExp(`mod=audit msg="login failed" user=${u.user.id} ip=`));
        assert.doesNotMatch(logs, /user=unknown/);
        // The refusals of one wait make one line, not one each.
        assert.equal(logs.split('msg="login refused: waiting after failed logins"').length - 1, 1);
    });

    it('counts pings of a logged-in user against the request budget', async () => {
        const s = await server(['--req-rate', '1', '--req-burst', '3']);
        const u = await newUser(s.url, { prefix: 'pinger' });
        clients.push(u.client);
        const other = await connectAs(s.url, u.token);
        clients.push(other);
        // Logging in and `auth` come before the user is known: not counted.
        await other.request('ping');
        await u.client.request('ping');
        await other.request('ping');
        const err = await u.client.requestError('ping');
        assert.equal(err.code, 'rate_limited');
    });

    it('failed logins from one address across accounts are throttled too', async () => {
        const s = await server(['--login-failures-ip', '4']);
        const c = await connect(s.url);
        clients.push(c);
        for (let i = 0; i < 4; i++) {
            const err = await c.requestError('login', { username: uniqueName('nobody'), password: 'guess-guess' });
            assert.equal(err.code, 'unauthenticated');
        }
        const err = await c.requestError('login', { username: uniqueName('nobody'), password: 'guess-guess' });
        assert.equal(err.code, 'rate_limited');
        const http = await httpLogin(s.url, uniqueName('nobody'), 'guess-guess');
        assert.equal(http.status, 429);
        assert.match(s.logs(), /mod=audit msg="login failed" user=unknown ip=127\.0\.0\.1/);
    });

    it('an address registers at most its number of new accounts', async () => {
        const s = await server(['--registrations-per-ip', '2']);
        const c = await connect(s.url);
        clients.push(c);
        await register(c, uniqueName('reg'));
        await register(c, uniqueName('reg'));
        const err = await c.requestError('register', {
            username: uniqueName('reg'), password: DEFAULT_PASSWORD, name: 'Satu Lagi', role: 'umkm',
        });
        assert.equal(err.code, 'rate_limited');
        assert.ok(err.retry_ms > 60000, `retry_ms ${err.retry_ms}`);
    });

    it('a connection joins at most its number of rooms', async () => {
        const s = await server(['--rooms-per-conn', '2']);
        const a = await newUser(s.url, { prefix: 'joiner' });
        const b = await newUser(s.url, { prefix: 'other' });
        clients.push(a.client, b.client);
        const rooms = [];
        for (let i = 0; i < 3; i++) {
            const { room } = await a.client.request('room_create', {
                kind: 'group', title: `Kelompok ${i}`, members: [b.user.id],
            });
            rooms.push(room.id);
        }
        await a.client.request('join', { room: rooms[0] });
        await a.client.request('join', { room: rooms[1] });
        // Joining a room again is no new room.
        await a.client.request('join', { room: rooms[1] });
        const err = await a.client.requestError('join', { room: rooms[2] });
        assert.equal(err.code, 'rate_limited');
        await a.client.request('leave', { room: rooms[0] });
        await a.client.request('join', { room: rooms[2] });
        // The cap is per connection: another one of the same user starts at 0.
        const other = await connectAs(s.url, a.token);
        clients.push(other);
        await other.request('join', { room: rooms[0] });
    });

    it('X-Forwarded-For counts only from a trusted proxy', async () => {
        const direct = await server(['--conns-per-ip', '1']);
        const spoofed = async (addr) => tryConnect(direct.url, { headers: { 'X-Forwarded-For': addr } });
        const one = await spoofed('203.0.113.1');
        assert.ok(one.greeted);
        clients.push(one.client);
        // Without a trusted proxy the header is ignored: both are 127.0.0.1.
        assert.equal((await spoofed('203.0.113.2')).code, CLOSE_RATE_LIMITED);

        const proxied = await server(['--conns-per-ip', '1', '--trusted-proxy', '127.0.0.1']);
        const via = async (addr) => tryConnect(proxied.url, { headers: { 'X-Forwarded-For': addr } });
        const first = await via('203.0.113.1');
        const second = await via('198.51.100.7, 203.0.113.2');
        assert.ok(first.greeted && second.greeted, 'two clients behind the proxy');
        clients.push(first.client, second.client);
        assert.equal((await via('203.0.113.1')).code, CLOSE_RATE_LIMITED);
        // A client's own forged entry on the left changes nothing.
        assert.equal((await via('10.9.9.9, 203.0.113.2')).code, CLOSE_RATE_LIMITED);
    });
});
