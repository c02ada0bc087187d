// The first five guarantees of PROTOCOL-CORE.md, each tested so that it fails
// when the server breaks the guarantee. Guarantee 6 (bad input) has its own
// file, 06-bad-input.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { allHistory, range, roomMessages, send, sendMany, sleep, waitFor, waitMessages } from '../lib/util.mjs';

// A message as a stored object: the event without its `type`.
function asMessage(event) {
    const { type, ...m } = event;
    return m;
}

function seqs(messages) {
    return messages.map((m) => m.seq);
}

describe('05 guarantees', { timeout: 90000 }, () => {
    let server;
    let alice;
    let bob;
    let carol;
    let dave;
    const clients = [];

    async function as(user) {
        const c = await connectAs(server.url, user.token);
        clients.push(c);
        return c;
    }

    async function group(title, creator = alice, others = [bob, carol, dave]) {
        const reply = await creator.client.request('room_create', {
            kind: 'group', title, members: others.map((u) => u.user.id),
        });
        return reply.room;
    }

    before(async () => {
        server = await startServer();
        alice = await newUser(server.url, { prefix: 'alice' });
        bob = await newUser(server.url, { prefix: 'bob' });
        carol = await newUser(server.url, { prefix: 'carol' });
        dave = await newUser(server.url, { prefix: 'dave' });
    });

    after(async () => {
        await closeAll(clients, [alice, bob, carol, dave].filter(Boolean).map((u) => u.client));
        if (server) {
            await server.stop();
        }
    });

    it('1. per-room order: concurrent senders, every connection sees seq 1..N in order', async () => {
        const room = await group('Urutan');
        const senders = [alice, bob, carol, dave];
        const senderConns = [];
        for (const u of senders) {
            const c = await as(u);
            await c.request('join', { room: room.id });
            senderConns.push(c);
        }
        const watchers = [];
        for (const u of [alice, bob, carol]) {
            const c = await as(u);
            await c.request('join', { room: room.id });
            watchers.push(c);
        }
        const PER_SENDER = 60;
        const N = PER_SENDER * senders.length;

        const acks = await Promise.all(
            senderConns.map((c, i) => sendMany(c, room.id, PER_SENDER, { tag: `s${i}`, window: 16 })),
        );

        const bySeq = new Map();
        acks.forEach((list, i) => {
            for (const a of list) {
                assert.ok(!bySeq.has(a.seq), `seq ${a.seq} acknowledged twice`);
                bySeq.set(a.seq, { ...a, from: senders[i].user.id });
            }
        });
        assert.deepEqual([...bySeq.keys()].sort((x, y) => x - y), range(1, N), 'acks cover 1..N exactly');

        for (const c of [...senderConns, ...watchers]) {
            await waitMessages(c, room.id, N);
            const got = roomMessages(c, room.id);
            assert.equal(got.length, N, 'no repeats');
            assert.deepEqual(seqs(got), range(1, N), 'seq order with no gaps');
            for (const e of got) {
                const a = bySeq.get(e.seq);
                assert.equal(e.client_id, a.clientId);
                assert.equal(e.from, a.from);
                assert.equal(e.body, a.body);
                assert.equal(e.ts, a.ts);
            }
        }
        const hist = await allHistory(watchers[0], room.id);
        assert.deepEqual(seqs(hist), range(1, N));
        assert.deepEqual(hist, roomMessages(watchers[0], room.id).map(asMessage));
    });

    it('2. acknowledged means durable: SIGKILL under load loses no acknowledged message', async (t) => {
        const room = await group('Tahan Lama');
        const writer = await as(alice);
        const acked = new Map();
        const attempted = new Map();
        let stopped = false;
        let next = 0;

        async function worker() {
            while (!stopped) {
                const i = next++;
                const clientId = `dur-${i}`;
                const body = `pesan tahan lama ${i}`;
                attempted.set(clientId, body);
                try {
                    const { seq, ts } = await send(writer, room.id, body, clientId);
                    acked.set(clientId, { seq, ts, body });
                } catch {
                    stopped = true;
                }
            }
        }
        const workers = range(1, 16).map(worker);
        await waitFor(() => acked.size >= 200, { timeoutMs: 15000, what: '200 acknowledged sends' });
        await server.kill9();
        stopped = true;
        await Promise.all(workers);
        assert.ok(acked.size >= 200);
        t.diagnostic(`killed with ${attempted.size - acked.size} of ${attempted.size} sends unacknowledged`);

        await server.restart();
        // The crash closed every connection; the tokens survive it.
        for (const u of [alice, bob, carol, dave]) {
            u.client = await connectAs(server.url, u.token);
        }
        const reader = await as(bob);
        const hist = await allHistory(reader, room.id);
        const histBySeq = new Map(hist.map((m) => [m.seq, m]));
        for (const [clientId, a] of acked) {
            const m = histBySeq.get(a.seq);
            assert.ok(m, `acknowledged seq ${a.seq} (${clientId}) missing after SIGKILL`);
            assert.equal(m.client_id, clientId);
            assert.equal(m.body, a.body);
            assert.equal(m.ts, a.ts);
            assert.equal(m.from, alice.user.id);
        }
        assert.deepEqual(seqs(hist), range(1, hist.length), 'no holes after the crash');

        // Everything attempted can be sent again safely; nothing doubles.
        const resender = await as(alice);
        for (const [clientId, body] of attempted) {
            const r = await send(resender, room.id, body, clientId);
            if (acked.has(clientId)) {
                assert.equal(r.seq, acked.get(clientId).seq, `resend of ${clientId} kept its seq`);
            }
        }
        const final = await allHistory(reader, room.id);
        assert.equal(final.length, attempted.size, 'one stored message per client_id');
        assert.deepEqual(seqs(final), range(1, attempted.size));
        assert.equal(new Set(final.map((m) => m.client_id)).size, attempted.size);
    });

    describe('3. idempotent send', () => {
        let room;
        let watcher;

        before(async () => {
            room = await group('Sekali Saja');
            watcher = await as(bob);
            await watcher.request('join', { room: room.id });
        });

        it('a repeated client_id returns the original seq and ts and stores nothing new', async () => {
            const c = await as(alice);
            const first = await c.request('send', { room: room.id, body: 'hanya sekali', client_id: 'idem-1' });
            await sleep(5);
            const again = await c.request('send', { room: room.id, body: 'hanya sekali', client_id: 'idem-1' });
            assert.equal(again.seq, first.seq);
            assert.equal(again.ts, first.ts);

            const burst = await Promise.all(range(1, 5).map(() =>
                c.request('send', { room: room.id, body: 'serentak', client_id: 'idem-burst' })));
            for (const r of burst) {
                assert.equal(r.seq, burst[0].seq);
                assert.equal(r.ts, burst[0].ts);
            }
            assert.equal(burst[0].seq, first.seq + 1);

            // A marker after the repeats: once it is seen, any extra event would have been.
            const marker = await send(c, room.id, 'penanda', 'idem-marker');
            assert.equal(marker.seq, first.seq + 2);
            await watcher.nextEvent((e) => e.type === 'message' && e.seq === marker.seq);
            const events = roomMessages(watcher, room.id);
            assert.equal(events.filter((e) => e.client_id === 'idem-1').length, 1, 'one event for idem-1');
            assert.equal(events.filter((e) => e.client_id === 'idem-burst').length, 1, 'one event for idem-burst');
        });

        it('still holds on a new connection', async () => {
            const c = await as(alice);
            const hist = await allHistory(c, room.id);
            const original = hist.find((m) => m.client_id === 'idem-1');
            const r = await c.request('send', { room: room.id, body: 'hanya sekali', client_id: 'idem-1' });
            assert.equal(r.seq, original.seq);
            assert.equal(r.ts, original.ts);
            const after = await allHistory(c, room.id);
            assert.deepEqual(after, hist);
        });

        it('is scoped to the sender and the room', async () => {
            const hist = await allHistory(watcher, room.id);
            const mine = await send(watcher, room.id, 'bob pakai id sama', 'idem-1');
            assert.equal(mine.seq, hist.at(-1).seq + 1, 'another user\'s same client_id is a new message');

            const other = await group('Ruang Lain');
            const elsewhere = await send(alice.client, other.id, 'ruang lain', 'idem-1');
            assert.equal(elsewhere.seq, 1, 'the same client_id in another room is a new message');

            const all = await allHistory(watcher, room.id);
            assert.deepEqual(seqs(all), range(1, all.length));
            assert.equal(all.filter((m) => m.client_id === 'idem-1').length, 2);
        });
    });

    describe('4. nothing missed on resume', () => {
        let room;
        let epoch;

        before(async () => {
            room = await group('Lanjut');
            epoch = room.epoch;
        });

        it('join with since yields exactly the missed messages, then live', async () => {
            const b1 = await as(bob);
            await b1.request('join', { room: room.id });
            await sendMany(alice.client, room.id, 5, { tag: 'r1', window: 1 });
            await waitMessages(b1, room.id, 5);
            const lastSeen = roomMessages(b1, room.id).at(-1).seq;
            assert.equal(lastSeen, 5);
            await b1.terminate();

            await sendMany(alice.client, room.id, 7, { tag: 'r2', window: 4 });
            const b2 = await as(bob);
            const joined = await b2.request('join', { room: room.id, since: lastSeen, epoch });
            assert.equal(joined.gap, false);
            assert.deepEqual(seqs(joined.messages), range(6, 12));
            assert.deepEqual(joined.messages, (await allHistory(b2, room.id)).slice(5));

            const live = await send(alice.client, room.id, 'langsung', 'r3');
            await b2.nextEvent((e) => e.type === 'message' && e.room === room.id && e.seq === live.seq);
            assert.deepEqual(seqs(roomMessages(b2, room.id)), [13], 'live starts after the replay, once');
            await b2.close();
        });

        it('a join racing with sends still delivers every message once, in order', async () => {
            const hist = await allHistory(alice.client, room.id);
            const since = hist.at(-1).seq;
            const b = await as(bob);

            const sending = sendMany(alice.client, room.id, 60, { tag: 'race', window: 8 });
            await sleep(15);
            const joinIndex = b.received.length;
            const joined = await b.request('join', { room: room.id, since, epoch });
            const acks = await sending;
            const last = Math.max(...acks.map((a) => a.seq));
            assert.equal(last, since + 60);
            assert.equal(joined.gap, false);

            const replyAt = b.received.findIndex((m, i) => i >= joinIndex && m.type === 'ok' && m.id === joined.id);
            const early = b.received.slice(joinIndex, replyAt).filter((m) => m.type === 'message' && m.room === room.id);
            assert.deepEqual(early, [], 'no live message before the join reply');

            await waitFor(() => {
                const seen = [...seqs(joined.messages), ...seqs(roomMessages(b, room.id))];
                return seen.length >= 60 || seen.includes(last);
            }, { timeoutMs: 10000, what: 'every raced message' });
            await sleep(100);
            const seen = [...seqs(joined.messages), ...seqs(roomMessages(b, room.id))];
            assert.deepEqual(seen, range(since + 1, last), 'replay then live: each message exactly once');
            await b.close();
        });

        it('since equal to last_seq replays nothing; a wrong epoch or a future since is a gap', async () => {
            const b = await as(bob);
            const last = (await allHistory(b, room.id)).at(-1).seq;
            const now = await b.request('join', { room: room.id, since: last, epoch });
            assert.equal(now.gap, false);
            assert.deepEqual(now.messages, []);

            const wrongEpoch = await b.request('join', { room: room.id, since: last - 3, epoch: `${epoch}x` });
            assert.equal(wrongEpoch.gap, true);
            assert.deepEqual(wrongEpoch.messages, []);

            const future = await b.request('join', { room: room.id, since: last + 10, epoch });
            assert.equal(future.gap, true);
            assert.deepEqual(future.messages, []);

            const plain = await b.request('join', { room: room.id });
            assert.equal(plain.gap, false);
            assert.deepEqual(plain.messages, []);
            await b.close();
        });

        it('replays up to 1000 missed messages and answers gap beyond that', async () => {
            const big = await group('Seribu', alice, [bob]);
            await sendMany(alice.client, big.id, 1000, { tag: 'cap', window: 64 });
            const b = await as(bob);
            const full = await b.request('join', { room: big.id, since: 0, epoch: big.epoch });
            assert.equal(full.gap, false);
            assert.deepEqual(seqs(full.messages), range(1, 1000));

            await send(alice.client, big.id, 'satu lagi', 'cap-extra');
            const over = await b.request('join', { room: big.id, since: 0, epoch: big.epoch });
            assert.equal(over.gap, true, '1001 missed is more than the cap');
            assert.deepEqual(over.messages, []);

            const atCap = await b.request('join', { room: big.id, since: 1, epoch: big.epoch });
            assert.equal(atCap.gap, false);
            assert.deepEqual(seqs(atCap.messages), range(2, 1001));
            await b.close();
        });
    });

    describe('5. history agrees with live', () => {
        it('history and replay equal the live events with edits and deletions applied', async () => {
            const room = await group('Sejarah', alice, [bob]);
            const observer = await as(bob);
            await observer.request('join', { room: room.id });
            const writerA = await as(alice);
            const writerB = await as(bob);

            const state = new Map();
            for (let i = 0; i < 30; i++) {
                const writer = i % 3 === 2 ? writerB : writerA;
                const extra = i > 3 && i % 5 === 0 ? { reply_to: i - 2 } : {};
                await send(writer, room.id, `riwayat ${i}`, `h-${i}`, extra);
            }
            for (const seq of [2, 4, 7, 7, 11]) {
                await writerA.request('edit', { room: room.id, seq, body: `diubah ${seq} ${Date.now()}` });
            }
            await writerB.request('edit', { room: room.id, seq: 3, body: 'bob mengubah' });
            for (const seq of [5, 10, 13]) {
                await writerA.request('delete', { room: room.id, seq });
            }
            await writerB.request('delete', { room: room.id, seq: 6 });
            const marker = await send(writerA, room.id, 'selesai', 'h-end');
            await observer.nextEvent((e) => e.type === 'message' && e.seq === marker.seq);

            for (const e of observer.events.filter((x) => x.room === room.id)) {
                if (e.type === 'message') {
                    assert.ok(!state.has(e.seq), `message ${e.seq} delivered twice`);
                    state.set(e.seq, asMessage(e));
                } else if (e.type === 'edit') {
                    Object.assign(state.get(e.seq), { body: e.body, edited_ts: e.edited_ts });
                } else if (e.type === 'delete') {
                    Object.assign(state.get(e.seq), { body: '', deleted: true });
                }
            }
            const live = [...state.values()].sort((x, y) => x.seq - y.seq);
            assert.deepEqual(seqs(live), range(1, 31));

            const hist = await allHistory(observer, room.id);
            assert.deepEqual(hist, live, 'history equals live');

            const fresh = await as(bob);
            const replay = await fresh.request('join', { room: room.id, since: 0, epoch: room.epoch });
            assert.deepEqual(replay.messages, live, 'replay equals live');

            const listed = (await fresh.request('rooms')).rooms.find((r) => r.id === room.id);
            assert.deepEqual(listed.last, live.at(-1));
            assert.equal(listed.last_seq, 31);
        });

        it('history pages by before and limit, ascending, with more', async () => {
            const room = await group('Halaman', alice, [bob]);
            await sendMany(alice.client, room.id, 60, { tag: 'pg', window: 8 });
            const c = await as(bob);

            const newest = await c.request('history', { room: room.id });
            assert.deepEqual(seqs(newest.messages), range(11, 60), 'default limit 50, newest last');
            assert.equal(newest.more, true);

            const page = await c.request('history', { room: room.id, before: 25, limit: 10 });
            assert.deepEqual(seqs(page.messages), range(15, 24));
            assert.equal(page.more, true);

            const first = await c.request('history', { room: room.id, before: 11, limit: 100 });
            assert.deepEqual(seqs(first.messages), range(1, 10));
            assert.equal(first.more, false);

            for (const before of [1, 0]) {
                const none = await c.request('history', { room: room.id, before });
                assert.deepEqual(none.messages, [], `nothing lies below seq ${before}`);
                assert.equal(none.more, false);
            }

            for (const limit of [0, 101]) {
                const err = await c.requestError('history', { room: room.id, limit });
                assert.equal(err.code, 'bad_request', `limit ${limit}`);
            }
        });
    });
});
