// Guarantee 6: bad input hurts only its sender. Every kind of broken frame
// gets bad_request and leaves its connection working; text frames, oversized
// frames and repeated abuse close only the offending connection; other
// connections stay quick and the stored data stays intact.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connect, connectAs, encodeMsg, newUser, register, uniqueName } from '../lib/client.mjs';
import { httpRequest, startServer } from '../lib/server.mjs';
import { allHistory, range, send, sleep } from '../lib/util.mjs';

const FRAME_CAP = 64 * 1024;

// A ping frame of exactly `size` bytes, padded with an unknown field.
function pingOfSize(size, id) {
    let pad = size - 32;
    for (;;) {
        const frame = encodeMsg({ type: 'ping', id, pad: 'x'.repeat(pad) });
        if (frame.length === size) {
            return frame;
        }
        pad += size - frame.length;
    }
}

// A small deterministic generator, so a failing fuzz run can be repeated.
function prng(seed) {
    let x = seed >>> 0;
    return () => {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        return x / 0x100000000;
    };
}

function bytes(...parts) {
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

describe('06 bad input hurts only its sender', { timeout: 60000 }, () => {
    let server;
    let alice;
    let bob;
    let room;
    let observer;
    const sent = [];
    const clients = [];
    const pings = { ok: 0, failed: 0, worst: 0 };
    let pinging = true;
    let pinger;

    async function as(user) {
        const c = await connectAs(server.url, user.token);
        clients.push(c);
        return c;
    }

    // Sends one raw frame and resolves the reply it causes, which must be an
    // error. The reply may lack an id, so it lands among the events.
    async function rawError(c, frame) {
        c.sendRaw(frame);
        const reply = await c.nextEvent((e) => e.type === 'error' || e.type === 'ok', 5000);
        assert.equal(reply.type, 'error', `an error reply, not ${JSON.stringify(reply)}`);
        return reply;
    }

    async function assertWorks(c, note) {
        assert.ok(c.isOpen, `${note}: connection still open`);
        assert.equal((await c.request('ping')).type, 'ok', `${note}: ping`);
        const body = `masih jalan: ${note}`;
        const clientId = `works-${sent.length}`;
        const r = await send(c, room.id, body, clientId);
        sent.push({ seq: r.seq, body, clientId });
    }

    before(async () => {
        server = await startServer();
        alice = await newUser(server.url, { prefix: 'alice' });
        bob = await newUser(server.url, { prefix: 'bob' });
        clients.push(alice.client, bob.client);
        room = (await alice.client.request('room_create', { kind: 'group', title: 'Aman', members: [bob.user.id] })).room;
        observer = await as(bob);
        await observer.request('join', { room: room.id });

        // Bob's own connection keeps pinging through all the abuse below.
        pinger = (async () => {
            while (pinging) {
                const t0 = Date.now();
                try {
                    await bob.client.request('ping', {}, { timeoutMs: 3000 });
                    pings.ok++;
                    pings.worst = Math.max(pings.worst, Date.now() - t0);
                } catch {
                    pings.failed++;
                }
                await sleep(25);
            }
        })();
    });

    after(async () => {
        pinging = false;
        await pinger;
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    it('undecodable frames get bad_request without an id', async () => {
        const c = await as(alice);
        const ping = encodeMsg({ type: 'ping', id: 900 });
        const frames = {
            'reserved byte 0xc1': bytes([0xc1]),
            'truncated map': ping.subarray(0, ping.length - 1),
            'trailing bytes': bytes(ping, [0x00]),
            'an array': encodeMsg([{ type: 'ping', id: 901 }]),
            'an integer': encodeMsg(42),
            'a string': encodeMsg('ping'),
            'an integer key': bytes([0x82, 0xa4], 'type', [0xa4], 'ping', [0x01, 0x01]),
            'invalid UTF-8': bytes([0x82, 0xa4], 'type', [0xa4, 0x70, 0x69, 0xc3, 0x28, 0xa2], 'id', [0x05]),
        };
        for (const [what, frame] of Object.entries(frames)) {
            const err = await rawError(c, frame);
            assert.equal(err.code, 'bad_request', what);
            assert.equal(err.id, undefined, `${what}: no id`);
            assert.equal(typeof err.message, 'string');
        }
        await assertWorks(c, 'after undecodable frames');
    });

    it('lying lengths, deep nesting and a missing or non-string type get bad_request', async () => {
        const c = await as(alice);
        let deep = 1;
        for (let i = 0; i < 12; i++) {
            deep = [deep];
        }
        const frames = {
            'map32 claiming 4 billion pairs': bytes([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa4], 'type'),
            'array32 claiming 4 billion items': bytes([0x81, 0xa1, 0x78, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]),
            'str32 claiming 4 GiB': bytes([0x81, 0xa4], 'type', [0xdb, 0xff, 0xff, 0xff, 0xf0], 'ping'),
            'nesting deeper than 8': encodeMsg({ type: 'ping', id: 902, x: deep }),
            'no type': encodeMsg({ id: 903 }),
            'integer type': encodeMsg({ type: 5, id: 904 }),
            'binary type': encodeMsg({ type: new Uint8Array(Buffer.from('ping')), id: 905 }),
            'empty frame': Buffer.alloc(0),
        };
        for (const [what, frame] of Object.entries(frames)) {
            const err = await rawError(c, frame);
            assert.equal(err.code, 'bad_request', what);
            assert.equal(err.id, undefined, `${what}: no id`);
        }
        await assertWorks(c, 'after lying frames');
    });

    it('an id that is not a uint gets an error without id', async () => {
        const c = await as(alice);
        for (const id of ['7', -1, 1.5, [1]]) {
            const err = await rawError(c, encodeMsg({ type: 'ping', id }));
            assert.equal(err.code, 'bad_request', `id ${JSON.stringify(id)}`);
            assert.equal(err.id, undefined);
        }
        const noId = await rawError(c, encodeMsg({ type: 'rooms' }));
        assert.equal(noId.code, 'bad_request');
        await assertWorks(c, 'after bad ids');
    });

    it('unknown types and fields of the wrong type get bad_request with the id', async () => {
        const c = await as(alice);
        const requests = [
            ['frobnicate', {}],
            ['send', { room: 'abc', body: 'x', client_id: 'w1' }],
            ['send', { room: room.id, body: ['x'], client_id: 'w2' }],
            ['join', { room: -1 }],
            ['history', { room: room.id, limit: 'x' }],
            ['read', { room: room.id, seq: 1.5 }],
            ['edit', { room: room.id, seq: '1', body: 'x' }],
            ['room_create', { kind: 'group', title: 5, members: [] }],
        ];
        for (const [type, fields] of requests) {
            const err = await c.requestError(type, fields);
            assert.equal(err.code, 'bad_request', `${type} ${JSON.stringify(fields)}`);
        }
        await assertWorks(c, 'after wrong field types');
    });

    it('ignores unknown fields and treats nil as absent', async () => {
        const c = await as(alice);
        assert.equal((await c.request('ping', { extra: { nested: [1, 'two', null] }, f: 1.25 })).type, 'ok');
        const r = await c.request('send', { room: room.id, body: 'nil reply_to', client_id: 'nil-1', reply_to: null });
        sent.push({ seq: r.seq, body: 'nil reply_to', clientId: 'nil-1' });
        const h = await c.request('history', { room: room.id, before: null, limit: null });
        assert.equal(h.messages.at(-1).seq, r.seq);
        assert.equal(h.messages.at(-1).reply_to, undefined);
    });

    it('nine bad requests keep the connection; the tenth within a minute closes it with 1008', async () => {
        const c = await as(alice);
        for (let i = 0; i < 9; i++) {
            assert.equal((await c.requestError(`nope${i}`)).code, 'bad_request');
        }
        await assertWorks(c, 'after nine bad requests');
        c.call('nope9').catch(() => {});
        const closed = await c.waitClosed(3000);
        assert.equal(closed.code, 1008);
    });

    it('a text frame closes the connection with 1003', async () => {
        const c = await as(alice);
        c.sendRaw('{"type":"ping","id":1}');
        assert.equal((await c.waitClosed(5000)).code, 1003);
    });

    it('a frame of exactly 64 KiB is served; one byte more closes with 1009', async () => {
        const c = await as(alice);
        const exact = pingOfSize(FRAME_CAP, 4242);
        assert.equal(exact.length, FRAME_CAP);
        c.sendRaw(exact);
        const reply = await c.nextEvent((e) => e.type === 'ok' && e.id === 4242, 5000);
        assert.equal(reply.id, 4242);
        await assertWorks(c, 'after a 64 KiB frame');

        c.sendRaw(pingOfSize(FRAME_CAP + 1, 4243));
        assert.equal((await c.waitClosed(5000)).code, 1009);
    });

    it('a 4 MiB frame also closes with 1009, not an abnormal closure', async () => {
        // The server stops reading at the cap; its close frame must still
        // reach the client although most of the frame was never read.
        const d = await as(alice);
        d.sendRaw(Buffer.alloc(4 * 1024 * 1024, 0x90));
        assert.equal((await d.waitClosed(10000)).code, 1009);
    });

    it('survives random and mutated frames from many connections', async () => {
        const eve = await newUser(server.url, { prefix: 'eve' });
        clients.push(eve.client);
        const fuzzRoom = (await eve.client.request('room_create', { kind: 'group', title: 'Fuzz', members: [] })).room;
        const rand = prng(20240611);
        const template = encodeMsg({ type: 'send', id: 1, room: fuzzRoom.id, body: 'fuzz body', client_id: 'fz' });

        for (let round = 0; round < 12; round++) {
            const c = await (round % 2 ? connect(server.url) : connectAs(server.url, eve.token));
            clients.push(c);
            for (let i = 0; i < 8 && c.isOpen; i++) {
                let frame;
                if (i % 2 === 0) {
                    frame = Buffer.alloc(1 + Math.floor(rand() * 200));
                    for (let k = 0; k < frame.length; k++) {
                        frame[k] = Math.floor(rand() * 256);
                    }
                } else {
                    frame = Buffer.from(template);
                    for (let k = 0; k < 3; k++) {
                        frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256);
                    }
                }
                const before = c.received.length;
                c.sendRaw(frame);
                const deadline = Date.now() + 3000;
                while (c.isOpen && Date.now() < deadline &&
                    !c.received.slice(before).some((m) => m.type === 'ok' || m.type === 'error')) {
                    await sleep(5);
                }
                if (c.isOpen) {
                    const replies = c.received.slice(before).filter((m) => m.type === 'ok' || m.type === 'error');
                    assert.equal(replies.length, 1, `round ${round} frame ${i}: one reply to ${frame.toString('hex').slice(0, 40)}`);
                }
            }
            if (!c.isOpen) {
                assert.equal(c.closeInfo.code, 1008, 'only abuse closes a fuzzed connection');
            }
        }
        const health = await httpRequest(`${server.url}/healthz`);
        assert.equal(health.status, 200);
    });

    it('text that looks like SQL or holds NUL is only text', async () => {
        const c = await as(alice);
        const sqlish = "'); DROP TABLE messages; -- \" OR 1=1";
        const r = await send(c, room.id, sqlish, 'sql-1');
        sent.push({ seq: r.seq, body: sqlish, clientId: 'sql-1' });
        const found = (await c.request('users', { query: "%' OR '1'='1" })).users;
        assert.deepEqual(found, []);
        assert.deepEqual((await c.request('users', { query: '%' })).users, [], '% is no wildcard');

        const nul = await c.call('send', { room: room.id, body: 'a\u0000b', client_id: 'nul-1' });
        if (nul.type === 'ok') {
            sent.push({ seq: nul.seq, body: 'a\u0000b', clientId: 'nul-1' });
        } else {
            assert.equal(nul.code, 'bad_request');
        }
        const anon = await connect(server.url);
        clients.push(anon);
        const err = await anon.requestError('register', {
            username: uniqueName('nul'), password: 'password-123', name: 'Nu\u0000ll', role: 'umkm',
        });
        assert.equal(err.code, 'bad_request', 'NUL in a name');
    });

    it('other connections stayed quick, and the server and its data are intact', async () => {
        pinging = false;
        await pinger;
        assert.equal(pings.failed, 0, 'no ping of the bystander failed');
        assert.ok(pings.ok >= 20, `bystander pings: ${pings.ok}`);
        assert.ok(pings.worst < 1000, `worst bystander ping ${pings.worst} ms`);
        assert.ok(observer.isOpen, 'the observer is still connected');

        const last = await send(alice.client, room.id, 'penutup', 'final');
        sent.push({ seq: last.seq, body: 'penutup', clientId: 'final' });
        const ev = await observer.nextEvent((e) => e.type === 'message' && e.seq === last.seq);
        assert.equal(ev.body, 'penutup');

        const hist = await allHistory(bob.client, room.id);
        assert.deepEqual(hist.map((m) => m.seq), range(1, hist.length));
        assert.deepEqual(
            hist.map((m) => [m.seq, m.body, m.client_id]),
            sent.sort((a, b) => a.seq - b.seq).map((s) => [s.seq, s.body, s.clientId]),
            'exactly the accepted messages are stored',
        );

        const newcomer = await connect(server.url);
        clients.push(newcomer);
        const username = uniqueName('late');
        await register(newcomer, username);
        assert.equal((await newcomer.request('login', { username, password: 'correct-horse-9' })).user.username, username);
        const health = await httpRequest(`${server.url}/healthz`);
        assert.equal(health.status, 200);
    });
});
