// Failures from outside the protocol: a client that stops reading, a peer
// that vanishes without closing, kill -9 in the middle of heavy writing, a
// full disk and a data directory that turns read-only. Each runs on a real
// kolabd; the disk tests mount small file systems of their own (the tests run
// as root) and unmount them in `after`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { runKolabd, startServer } from '../lib/server.mjs';
import { allHistory, range, roomMessages, sleep, uid, waitFor } from '../lib/util.mjs';

// The largest body the protocol allows, starting with `tag` so each is told apart.
function bigBody(tag) {
    return `${tag} `.padEnd(4000, 'kain endek ');
}

// Resident memory of a process, in KiB.
function rssKiB(pid) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

// The server's log lines matching `re`, as objects of their logfmt fields.
function logLines(server, re) {
    return server.logs().split('\n').filter((l) => re.test(l)).map((l) => {
        const fields = {};
        for (const m of l.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
            fields[m[1]] = m[2].replace(/^"|"$/g, '');
        }
        return fields;
    });
}

describe('15 failures: a peer that vanishes', { timeout: 60000 }, () => {
    const IDLE_S = 4;
    let server;
    const clients = [];

    after(async () => {
        await closeAll(clients);
        await server?.stop();
    });

    it('is dropped by the idle policy, and a quiet peer that answers pings is not', async (t) => {
        server = await startServer({ args: ['--idle-timeout', String(IDLE_S)] });
        const ghost = await newUser(server.url, { prefix: 'ghost' });
        const friend = await newUser(server.url, { prefix: 'friend' });
        clients.push(ghost.client, friend.client);
        const { room } = await friend.client.request('room_create', { kind: 'dm', members: [ghost.user.id] });
        await friend.client.request('join', { room: room.id });

        // The ghost stops reading and writing without a FIN: its socket stays
        // open, the server's pings pile up unread and no pong comes back.
        ghost.client.ws._socket.pause();
        const vanished = Date.now();
        const offline = await friend.client.nextEvent(
            (e) => e.type === 'presence' && uid(e.user) === ghost.user.id && e.online === false,
            (IDLE_S + 6) * 1000,
        );
        const after = (Date.now() - vanished) / 1000;
        t.diagnostic(`the silent peer was dropped after ${after.toFixed(1)} s (idle timeout ${IDLE_S} s)`);
        assert.equal(offline.room, room.id);
        assert.ok(after >= IDLE_S * 2 / 3, `dropped after ${after} s, before the first ping was due`);
        assert.ok(after <= IDLE_S + 3, `dropped after ${after} s, idle timeout ${IDLE_S} s`);

        // The friend said nothing for longer than the timeout, but its client
        // answers pings, so it is still connected and served.
        await sleep((IDLE_S + 1) * 1000);
        assert.ok(friend.client.isOpen, 'a quiet connection that answers pings stays');
        await friend.client.request('ping');
        ghost.client.ws._socket.destroy();
    });

    it('--idle-timeout outside 4-3600 is refused', async () => {
        for (const bad of ['3', '3601', 'x']) {
            const res = await runKolabd(['--idle-timeout', bad]);
            assert.equal(res.code, 2, `--idle-timeout ${bad}`);
            assert.match(res.stderr, /bad value for --idle-timeout/);
        }
    });
});

describe('15 failures: a client that stops reading', { timeout: 90000 }, () => {
    const QUEUE_EVENTS = 64;
    const QUEUE_BYTES = 128 * 1024;
    const COUNT = 600;
    let server;
    const clients = [];

    after(async () => {
        await closeAll(clients);
        await server?.stop();
    });

    // Records when each message event reaches `client`, by client_id.
    function clock(client) {
        const seen = new Map();
        const onMessage = client.onMessage.bind(client);
        client.onMessage = (m) => {
            if (m.type === 'message') {
                seen.set(m.client_id, performance.now());
            }
            onMessage(m);
        };
        return seen;
    }

    // The publisher sends COUNT big messages, 16 in flight, and goes on while
    // `until` says so (at most 4000); resolves the acks and the
    // send-to-receive latencies (ms) seen by every watcher.
    async function burst(publisher, watchers, room, tag, until = () => true) {
        const sent = new Map();
        const acks = [];
        let next = 0;
        const more = () => next < COUNT || (!until() && next < 4000);
        async function worker() {
            while (more()) {
                const i = next++;
                const clientId = `${tag}-${i}`;
                sent.set(clientId, performance.now());
                const reply = await publisher.request('send', { room, body: bigBody(clientId), client_id: clientId });
                acks[i] = { clientId, seq: reply.seq };
            }
        }
        await Promise.all(range(1, 16).map(worker));
        const latencies = [];
        for (const w of watchers) {
            await waitFor(() => [...sent.keys()].every((id) => w.times.has(id)),
                { timeoutMs: 20000, what: `${tag}: every message at a watcher` });
            for (const [id, at] of sent) {
                latencies.push(w.times.get(id) - at);
            }
        }
        return { acks, latencies };
    }

    it('is closed with 1013 at its queue bound while the others keep up, and resumes by seq', async (t) => {
        server = await startServer({
            args: ['--queue-events', String(QUEUE_EVENTS), '--queue-bytes', String(QUEUE_BYTES)],
        });
        const publisher = await newUser(server.url, { prefix: 'pub' });
        const slow = await newUser(server.url, { prefix: 'slow' });
        const users = [publisher, slow];
        for (let i = 0; i < 3; i++) {
            users.push(await newUser(server.url, { prefix: 'sub' }));
        }
        clients.push(...users.map((u) => u.client));
        const { room } = await publisher.client.request('room_create', {
            kind: 'group', title: 'Ramai', members: users.slice(1).map((u) => u.user.id),
        });
        const watchers = [];
        for (const u of users.slice(2)) {
            await u.client.request('join', { room: room.id });
            watchers.push({ client: u.client, times: clock(u.client) });
        }

        const base = await burst(publisher.client, watchers, room.id, 'base');

        // The slow reader joins, then stops reading: TCP backpressure fills
        // the kernel's buffers, then its queue in the server.
        const slowConn = await connectAs(server.url, slow.token);
        clients.push(slowConn);
        await slowConn.request('join', { room: room.id });
        slowConn.ws._socket.pause();
        const culledYet = () => server.logs().includes('msg="slow client closed"');
        const loaded = await burst(publisher.client, watchers, room.id, 'slow', culledYet);
        const total = base.acks.length + loaded.acks.length;

        const culled = await waitFor(() => logLines(server, /msg="slow client closed"/)[0],
            { timeoutMs: 5000, what: 'the server to close the slow client' });
        const queued = Number(culled.queued);
        const bytes = Number(culled.bytes);
        assert.ok(queued === QUEUE_EVENTS || bytes + 4100 > QUEUE_BYTES,
            `closed at the bound: ${queued} events, ${bytes} bytes queued`);
        assert.ok(bytes <= QUEUE_BYTES && queued <= QUEUE_EVENTS, 'never beyond the bound');

        // Every watcher got every message once and in order.
        const acked = [...base.acks, ...loaded.acks].sort((a, b) => a.seq - b.seq);
        assert.deepEqual(acked.map((a) => a.seq), range(1, total));
        for (const w of watchers) {
            const got = roomMessages(w.client, room.id);
            assert.deepEqual(got.map((m) => m.seq), range(1, total), 'every seq once, in order');
            assert.deepEqual(got.map((m) => m.client_id), acked.map((a) => a.clientId));
        }

        const p50Base = median(base.latencies);
        const p50Slow = median(loaded.latencies);
        t.diagnostic(`median latency ${p50Base.toFixed(1)} ms alone, ${p50Slow.toFixed(1)} ms beside the slow ` +
            `reader; it was closed with ${queued} events, ${bytes} bytes queued`);
        assert.ok(p50Slow < Math.max(5 * p50Base, 200), `median ${p50Slow} ms against ${p50Base} ms alone`);

        // Once it reads again it sees the close code, and resumes where it stopped.
        slowConn.ws._socket.resume();
        assert.equal((await slowConn.waitClosed(10000)).code, 1013);
        const seen = roomMessages(slowConn, room.id).map((m) => m.seq);
        assert.deepEqual(seen, range(COUNT + 1, COUNT + seen.length), 'what it got came in order');
        assert.ok(seen.length < loaded.acks.length, `it fell behind (saw ${seen.length} of ${loaded.acks.length})`);
        const back = await connectAs(server.url, slow.token);
        clients.push(back);
        const since = seen.length ? seen.at(-1) : COUNT;
        const joined = await back.request('join', { room: room.id, since, epoch: room.epoch });
        assert.equal(joined.gap, false);
        assert.deepEqual(joined.messages.map((m) => m.seq), range(since + 1, total));
        assert.deepEqual(joined.messages.map((m) => m.client_id), acked.slice(since).map((a) => a.clientId));
        // A page of history is larger than the bound too, and is served.
        const page = await back.request('history', { room: room.id, limit: 100 });
        assert.deepEqual(page.messages.map((m) => m.seq), range(total - 99, total));
        assert.ok(back.isOpen, 'replies larger than the bound do not close the client that asked');
        t.diagnostic(`${loaded.acks.length} messages beside the slow reader; it saw ${seen.length} before the ` +
            `close and ${joined.messages.length} on resume`);

        // A client that asks and asks without reading the answers is not
        // read either: its replies stop growing the server, and it gets them
        // all once it reads.
        const greedy = await connectAs(server.url, slow.token);
        clients.push(greedy);
        const rssBefore = rssKiB(server.pid);
        greedy.ws._socket.pause();
        const pages = range(1, 300).map(() => greedy.request('history', { room: room.id, limit: 100 }, { timeoutMs: 30000 }));
        await sleep(1500);
        const grown = (rssKiB(server.pid) - rssBefore) / 1024;
        greedy.ws._socket.resume();
        const answers = await Promise.all(pages);
        assert.ok(answers.every((a) => a.messages.length === 100), 'every page answered in full');
        t.diagnostic(`300 unread pages of ${(answers[0].messages.length * 4.1).toFixed(0)} KB grew the server by ${grown.toFixed(1)} MiB`);
        assert.ok(grown < 64, `the server grew by ${grown} MiB for a client that did not read`);
    });
});

describe('15 failures: kill -9 under load in many rooms', { timeout: 120000 }, () => {
    const ROOMS = 40;
    const SENDERS = 3;
    const WINDOW = 8;
    const ROUNDS = 3;
    let server;
    let users;
    let rooms;
    const clients = [];
    // Per room: client_id -> {seq, body, from} for every acknowledged send,
    // and client_id -> {body, user} for every send attempted, over all rounds.
    const acked = new Map();
    const attempted = new Map();

    after(async () => {
        await closeAll(clients);
        await server?.stop();
    });

    // Every room's history checked against what was acknowledged: seqs 1..N,
    // each acknowledged message at its seq with its body and sender, and no
    // message that was not sent or that is there twice.
    async function verify(reader) {
        let total = 0;
        for (const room of rooms) {
            const hist = await allHistory(reader, room.id);
            total += hist.length;
            assert.deepEqual(hist.map((m) => m.seq), range(1, hist.length), `room ${room.id}: seqs 1..N`);
            const byClient = new Map(hist.map((m) => [m.client_id, m]));
            assert.equal(byClient.size, hist.length, `room ${room.id}: no client_id twice`);
            for (const [clientId, a] of acked.get(room.id)) {
                const m = byClient.get(clientId);
                assert.ok(m, `room ${room.id}: acknowledged ${clientId} (seq ${a.seq}) lost`);
                assert.equal(m.seq, a.seq, `room ${room.id}: ${clientId} kept its seq`);
                assert.equal(m.body, a.body);
                assert.equal(m.from, a.from);
            }
            for (const m of hist) {
                assert.ok(attempted.get(room.id).has(m.client_id), `room ${room.id}: ${m.client_id} was never sent`);
            }
        }
        return total;
    }

    it('loses no acknowledged message and stores nothing twice, over several kills', async (t) => {
        server = await startServer();
        users = [];
        for (let i = 0; i < SENDERS; i++) {
            users.push(await newUser(server.url, { prefix: 'k9' }));
        }
        clients.push(...users.map((u) => u.client));
        rooms = [];
        for (let r = 0; r < ROOMS; r++) {
            const { room } = await users[0].client.request('room_create', {
                kind: 'group', title: `Ruang ${r}`, members: users.slice(1).map((u) => u.user.id),
            });
            rooms.push(room);
            acked.set(room.id, new Map());
            attempted.set(room.id, new Map());
        }

        for (let round = 1; round <= ROUNDS; round++) {
            // One connection per sender per room, each with WINDOW sends in flight.
            const conns = [];
            for (const room of rooms) {
                for (const u of users) {
                    conns.push({ room, u, c: await connectAs(server.url, u.token) });
                }
            }
            let stopped = false;
            let ackedThisRound = 0;
            let next = 0;
            async function worker({ room, u, c }) {
                while (!stopped) {
                    const clientId = `r${round}-${u.user.id}-${next++}`;
                    const body = `ronde ${round} pesan ${clientId}`;
                    attempted.get(room.id).set(clientId, { body, u });
                    try {
                        const reply = await c.request('send', { room: room.id, body, client_id: clientId });
                        acked.get(room.id).set(clientId, { seq: reply.seq, body, from: u.user.id });
                        ackedThisRound++;
                    } catch {
                        return;
                    }
                }
            }
            const workers = conns.flatMap((conn) => range(1, WINDOW).map(() => worker(conn)));
            const delay = 500 + Math.floor(Math.random() * 1500);
            await sleep(delay);
            assert.ok(ackedThisRound > 0, 'sends were acknowledged before the kill');
            await server.kill9();
            stopped = true;
            await Promise.all(workers);
            await closeAll(conns.map((x) => x.c));
            const sentThisRound = [...attempted.values()].reduce((n, m) =>
                n + [...m.keys()].filter((k) => k.startsWith(`r${round}-`)).length, 0);

            await server.restart();
            const reader = await connectAs(server.url, users[0].token);
            clients.push(reader);
            const stored = await verify(reader);

            // Sending every unacknowledged message again stores each once:
            // those that were committed before the kill answer their old seq.
            const resenders = await Promise.all(users.map((u) => connectAs(server.url, u.token)));
            clients.push(...resenders);
            let resent = 0;
            for (const room of rooms) {
                const pending = [...attempted.get(room.id)].filter(([id]) => !acked.get(room.id).has(id));
                await Promise.all(pending.map(async ([clientId, { body, u }]) => {
                    const c = resenders[users.indexOf(u)];
                    const reply = await c.request('send', { room: room.id, body, client_id: clientId });
                    acked.get(room.id).set(clientId, { seq: reply.seq, body, from: u.user.id });
                    resent++;
                }));
            }
            const total = await verify(reader);
            const attemptedAll = [...attempted.values()].reduce((n, m) => n + m.size, 0);
            assert.equal(total, attemptedAll, 'one stored message per client_id');
            t.diagnostic(`round ${round}: killed after ${delay} ms with ${ackedThisRound} of ${sentThisRound} sends ` +
                `acknowledged; ${stored} stored in ${ROOMS} rooms, ${resent} resent`);
            await closeAll(resenders, reader);
        }
    });
});
