// Messages: send, reply_to, limits, edit, delete, read markers, typing,
// presence, and coalesced event frames.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { WebSocketServer } from 'ws';

import { closeAll, connect, connectAs, encodeMsg, login, newUser } from '../lib/client.mjs';
import { addUser, makeTempDir, startServer } from '../lib/server.mjs';
import { allHistory, range, roomMessages, send, sendMany, sleep, uid, waitMessages } from '../lib/util.mjs';

const MODERATOR = { username: 'mod.msgs', password: 'moderator-pw-2', name: 'Moderator Pesan', role: 'moderator' };

const isEvent = (type, room, extra = () => true) => (e) => e.type === type && e.room === room && extra(e);

describe('03 messages', { timeout: 60000 }, () => {
    let server;
    let alice;
    let bob;
    let carol;
    let mod;
    let group;
    let a1;
    let a2;
    let b1;
    const clients = [];

    async function as(token) {
        const c = await connectAs(server.url, token);
        clients.push(c);
        return c;
    }

    before(async () => {
        const dataDir = makeTempDir();
        await addUser(dataDir, MODERATOR);
        server = await startServer({ dataDir });
        alice = await newUser(server.url, { prefix: 'alice', name: 'Alice Sender' });
        bob = await newUser(server.url, { prefix: 'bob', name: 'Bob Reader' });
        carol = await newUser(server.url, { prefix: 'carol', name: 'Carol Presence' });
        const modClient = await connect(server.url);
        const m = await login(modClient, MODERATOR.username, MODERATOR.password);
        mod = { client: modClient, user: m.user, token: m.token };
        clients.push(alice.client, bob.client, mod.client);
        await carol.client.close();

        group = (await alice.client.request('room_create', {
            kind: 'group', title: 'Pesan', members: [bob.user.id, carol.user.id, mod.user.id],
        })).room;
        a1 = alice.client;
        a2 = await as(alice.token);
        b1 = bob.client;
        for (const c of [a1, a2, b1, mod.client]) {
            await c.request('join', { room: group.id });
        }
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    describe('send', () => {
        it('acknowledges with seq and ts and delivers the message to every joined connection', async () => {
            const t0 = Date.now();
            const ack = await a1.request('send', { room: group.id, body: 'Selamat pagi semua', client_id: 'hello-1' });
            const t1 = Date.now();
            assert.equal(ack.seq, 1);
            assert.ok(Number.isInteger(ack.ts), 'ts is an integer');
            assert.ok(ack.ts >= t0 - 2000 && ack.ts <= t1 + 2000, `ts ${ack.ts} near ${t0}..${t1}`);
            const expected = {
                type: 'message', room: group.id, seq: 1, from: alice.user.id, ts: ack.ts,
                kind: 'text', body: 'Selamat pagi semua', client_id: 'hello-1',
            };
            for (const c of [a1, a2, b1, mod.client]) {
                const ev = await c.nextEvent(isEvent('message', group.id, (e) => e.seq === 1));
                assert.deepEqual(ev, expected);
            }
        });

        it('keeps reply_to and refuses one that points nowhere', async () => {
            const ack = await send(a2, group.id, 'Balasan', 'reply-1', { reply_to: 1 });
            const ev = await b1.nextEvent(isEvent('message', group.id, (e) => e.seq === ack.seq));
            assert.equal(ev.reply_to, 1);
            const err = await a2.requestError('send', { room: group.id, body: 'x', client_id: 'reply-2', reply_to: 9999 });
            assert.equal(err.code, 'not_found');
            const hist = await allHistory(a1, group.id);
            assert.equal(hist.at(-1).reply_to, 1);
            assert.equal(hist.at(-1).seq, ack.seq);
        });

        it('refuses bodies and client_ids outside their limits, storing nothing', async () => {
            const before = (await a1.request('history', { room: group.id })).messages.at(-1).seq;
            const c = await as(alice.token);
            const bad = [
                [{ body: '', client_id: 'lim-1' }, ['bad_request']],
                [{ body: ' \n\t ', client_id: 'lim-2' }, ['bad_request']],
                [{ body: 'x'.repeat(4001), client_id: 'lim-3' }, ['too_large']],
                [{ body: 'ok', client_id: '' }, ['bad_request']],
                [{ body: 'ok', client_id: 'c'.repeat(65) }, ['bad_request']],
                [{ body: 'ok' }, ['bad_request']],
                [{ body: 42, client_id: 'lim-7' }, ['bad_request']],
            ];
            for (const [fields, codes] of bad) {
                const err = await c.requestError('send', { room: group.id, ...fields });
                assert.ok(codes.includes(err.code), `${JSON.stringify(fields).slice(0, 50)}: ${err.code}`);
            }
            const big = await send(c, group.id, 'é'.repeat(2000), 'lim-ok-1');
            assert.equal(big.seq, before + 1);
            const longId = await send(c, group.id, 'ok', 'é'.repeat(32));
            assert.equal(longId.seq, before + 2);
            const hist = await allHistory(a1, group.id);
            assert.equal(hist.at(-2).body, 'é'.repeat(2000));
            assert.equal(hist.at(-1).client_id, 'é'.repeat(32));
            assert.deepEqual(hist.map((m) => m.seq), range(1, before + 2));
        });
    });

    describe('edit and delete', () => {
        let s1;
        let s2;
        let s3;

        before(async () => {
            s1 = await send(a1, group.id, 'asli satu', 'ed-1');
            s2 = await send(a1, group.id, 'asli dua', 'ed-2');
            s3 = await send(a1, group.id, 'asli tiga', 'ed-3');
            await waitMessages(b1, group.id, s3.seq);
            b1.drain();
            a2.drain();
        });

        it('the author edits; every joined connection gets the edit', async () => {
            const reply = await a1.request('edit', { room: group.id, seq: s1.seq, body: 'sudah diubah' });
            assert.ok(Number.isInteger(reply.edited_ts));
            assert.ok(reply.edited_ts >= s1.ts);
            const expected = { type: 'edit', room: group.id, seq: s1.seq, body: 'sudah diubah', edited_ts: reply.edited_ts };
            assert.deepEqual(await b1.nextEvent(isEvent('edit', group.id)), expected);
            assert.deepEqual(await a2.nextEvent(isEvent('edit', group.id)), expected);
            const m = (await allHistory(b1, group.id)).find((x) => x.seq === s1.seq);
            assert.equal(m.body, 'sudah diubah');
            assert.equal(m.edited_ts, reply.edited_ts);
            assert.equal(m.ts, s1.ts);
        });

        it('only the author may edit, even a moderator may not', async () => {
            assert.equal((await b1.requestError('edit', { room: group.id, seq: s2.seq, body: 'hack' })).code, 'forbidden');
            assert.equal((await mod.client.requestError('edit', { room: group.id, seq: s2.seq, body: 'mod' })).code, 'forbidden');
            assert.equal((await a1.requestError('edit', { room: group.id, seq: 99999, body: 'x' })).code, 'not_found');
            assert.equal((await a1.requestError('edit', { room: group.id, seq: s2.seq, body: '' })).code, 'bad_request');
            const m = (await allHistory(b1, group.id)).find((x) => x.seq === s2.seq);
            assert.equal(m.body, 'asli dua');
            assert.equal(m.edited_ts, undefined);
        });

        it('a member who is neither author nor moderator may not delete', async () => {
            assert.equal((await b1.requestError('delete', { room: group.id, seq: s2.seq })).code, 'forbidden');
            const m = (await allHistory(b1, group.id)).find((x) => x.seq === s2.seq);
            assert.equal(m.body, 'asli dua');
            assert.ok(!m.deleted);
        });

        it('the author deletes; the message keeps its seq with an empty body', async () => {
            b1.drain();
            await a1.request('delete', { room: group.id, seq: s2.seq });
            assert.deepEqual(await b1.nextEvent(isEvent('delete', group.id)), { type: 'delete', room: group.id, seq: s2.seq });
            const hist = await allHistory(b1, group.id);
            const m = hist.find((x) => x.seq === s2.seq);
            assert.equal(m.body, '');
            assert.equal(m.deleted, true);
            assert.equal(m.from, alice.user.id);
            assert.equal(m.ts, s2.ts);
            assert.deepEqual(hist.map((x) => x.seq), range(1, s3.seq));
        });

        it('editing a deleted message is a conflict; deleting it again is ok and changes nothing', async () => {
            const before = await allHistory(b1, group.id);
            assert.equal((await a1.requestError('edit', { room: group.id, seq: s2.seq, body: 'kembali' })).code, 'conflict');
            b1.drain();
            await a1.request('delete', { room: group.id, seq: s2.seq });
            assert.deepEqual(await allHistory(b1, group.id), before);
            assert.equal(await b1.sawEvent((e) => e.type === 'delete', 300), false, 'no second delete event');
            assert.equal((await a1.requestError('delete', { room: group.id, seq: 99999 })).code, 'not_found');
        });

        it('a moderator deletes someone else\'s message', async () => {
            b1.drain();
            await mod.client.request('delete', { room: group.id, seq: s3.seq });
            await b1.nextEvent(isEvent('delete', group.id, (e) => e.seq === s3.seq));
            const m = (await allHistory(b1, group.id)).find((x) => x.seq === s3.seq);
            assert.equal(m.deleted, true);
            assert.equal(m.body, '');
        });
    });

    describe('read markers', () => {
        let room;
        let bobJoined;

        before(async () => {
            room = (await a1.request('room_create', { kind: 'group', title: 'Baca', members: [bob.user.id] })).room;
            await a1.request('join', { room: room.id });
            bobJoined = await as(bob.token);
            await bobJoined.request('join', { room: room.id });
            await sendMany(a1, room.id, 5, { tag: 'rd', window: 1 });
        });

        it('moves forward and tells the joined connections', async () => {
            const moved = await bobJoined.request('read', { room: room.id, seq: 3 });
            assert.equal(moved.seq, 3);
            const ev = await a1.nextEvent(isEvent('read', room.id));
            assert.equal(uid(ev.user), bob.user.id);
            assert.equal(ev.seq, 3);
            const r = (await bobJoined.request('rooms')).rooms.find((x) => x.id === room.id);
            assert.equal(r.last_read, 3);
            assert.equal(r.unread, 2);
        });

        it('never moves backward', async () => {
            a1.drain();
            const stayed = await bobJoined.request('read', { room: room.id, seq: 2 });
            assert.equal(stayed.seq, 3, 'the reply tells where the marker stands');
            assert.equal(await a1.sawEvent((e) => e.type === 'read', 300), false, 'no read event when it did not move');
            const r = (await bobJoined.request('rooms')).rooms.find((x) => x.id === room.id);
            assert.equal(r.last_read, 3);
            assert.equal(r.unread, 2);
            const joined = await (await as(alice.token)).request('join', { room: room.id });
            assert.equal(joined.members.find((m) => m.id === bob.user.id).last_read, 3);
            const mine = await (await as(bob.token)).request('join', { room: room.id });
            assert.equal(mine.last_read, 3);
        });

        it('counts new messages as unread and reaches zero when all are read', async () => {
            await send(a1, room.id, 'satu lagi', 'rd-more');
            let r = (await bobJoined.request('rooms')).rooms.find((x) => x.id === room.id);
            assert.equal(r.unread, 3);
            const beyond = await bobJoined.request('read', { room: room.id, seq: 1000 });
            assert.equal(beyond.seq, 6, 'never past the newest message');
            r = (await bobJoined.request('rooms')).rooms.find((x) => x.id === room.id);
            assert.equal(r.unread, 0);
            assert.equal(r.last_read, 6);
        });
    });

    describe('typing', () => {
        it('reaches the other members but not the typist\'s own connections, and is not stored', async () => {
            const before = await a1.request('history', { room: group.id });
            a1.drain();
            a2.drain();
            b1.drain();
            await a1.request('typing', { room: group.id });
            const ev = await b1.nextEvent(isEvent('typing', group.id));
            assert.deepEqual({ ...ev, user: uid(ev.user) }, { type: 'typing', room: group.id, user: alice.user.id });
            await mod.client.nextEvent(isEvent('typing', group.id));
            await sleep(250);
            assert.equal(a1.queue.filter((e) => e.type === 'typing').length, 0, 'not to the typing connection');
            assert.equal(a2.queue.filter((e) => e.type === 'typing').length, 0, 'not to the typist\'s other connection');
            assert.equal(b1.queue.filter((e) => e.type === 'message').length, 0, 'typing is no message');
            const afterReply = await a1.request('history', { room: group.id });
            assert.deepEqual(afterReply.messages, before.messages);
            const rooms = (await b1.request('rooms')).rooms.find((r) => r.id === group.id);
            assert.equal(rooms.last_seq, before.messages.at(-1).seq);
        });
    });

    describe('presence', () => {
        const isCarolPresence = (online) => isEvent('presence', group.id, (e) => uid(e.user) === carol.user.id && e.online === online);

        async function carolOnlineInJoin() {
            const c = await as(alice.token);
            const reply = await c.request('join', { room: group.id });
            await c.close();
            return reply.members.find((m) => m.id === carol.user.id).online;
        }

        it('reports a user online at the first connection and offline after the last', async () => {
            assert.equal(await carolOnlineInJoin(), false);
            b1.drain();

            const c1 = await as(carol.token);
            await b1.nextEvent(isCarolPresence(true));
            assert.equal(await carolOnlineInJoin(), true);

            const c2 = await as(carol.token);
            await c2.request('join', { room: group.id });
            await c1.close();
            await sleep(300);
            assert.equal(b1.queue.filter((e) => e.type === 'presence').length, 0, 'no presence change while one connection stays');
            assert.equal(await carolOnlineInJoin(), true);

            await c2.close();
            await b1.nextEvent(isCarolPresence(false));
            assert.equal(await carolOnlineInJoin(), false);
        });

        it('reports offline when the last connection drops without a close handshake', async () => {
            b1.drain();
            const c = await as(carol.token);
            await b1.nextEvent(isCarolPresence(true));
            await c.terminate();
            await b1.nextEvent(isCarolPresence(false), 5000);
        });
    });

    describe('coalesced frames', () => {
        it('the client library reads a map frame and an array frame alike', async () => {
            const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('kolab.v1') ? 'kolab.v1' : false) });
            await new Promise((r) => wss.on('listening', r));
            wss.on('connection', (ws) => {
                ws.send(encodeMsg({ type: 'hello', protocol: 1, server: 'fake', node: 'n', user: null }));
                ws.on('message', () => {
                    ws.send(encodeMsg([
                        { type: 'message', room: 1, seq: 1 },
                        { type: 'ok', id: 1 },
                        { type: 'message', room: 1, seq: 2 },
                    ]));
                });
            });
            try {
                const c = await connect(`ws://127.0.0.1:${wss.address().port}/ws`);
                assert.equal((await c.request('ping')).id, 1);
                assert.deepEqual(c.events.filter((e) => e.type === 'message').map((e) => e.seq), [1, 2]);
                assert.deepEqual(c.received.map((m) => m.type), ['hello', 'message', 'ok', 'message']);
                assert.deepEqual(c.frames, { binary: 2, arrays: 1, text: 0 });
                await c.close();
            } finally {
                await new Promise((r) => wss.close(r));
            }
        });

        it('a burst of events arrives complete and in order, in whatever frames', async (t) => {
            const room = (await a1.request('room_create', { kind: 'group', title: 'Ramai', members: [bob.user.id] })).room;
            const watcher = await as(bob.token);
            await watcher.request('join', { room: room.id });
            const framesBefore = { ...watcher.frames };
            await sendMany(a1, room.id, 300, { tag: 'burst', window: 64 });
            await waitMessages(watcher, room.id, 300);
            assert.deepEqual(roomMessages(watcher, room.id).map((e) => e.seq), range(1, 300));
            for (const m of watcher.received) {
                assert.equal(typeof m, 'object');
                assert.equal(typeof m.type, 'string');
            }
            t.diagnostic(`300 events in ${watcher.frames.binary - framesBefore.binary} frames, ` +
                `${watcher.frames.arrays - framesBefore.arrays} of them arrays`);
        });
    });
});
