// SIGTERM: a graceful stop closes every connection with 1001, exits 0, and
// keeps every acknowledged message.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connect, connectAs, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { allHistory, range, send, waitFor } from '../lib/util.mjs';

describe('04 shutdown', { timeout: 60000 }, () => {
    let server;
    let alice;
    let bob;
    let room;
    const clients = [];

    before(async () => {
        server = await startServer();
        alice = await newUser(server.url, { prefix: 'alice' });
        bob = await newUser(server.url, { prefix: 'bob' });
        room = (await alice.client.request('room_create', { kind: 'group', title: 'Tutup', members: [bob.user.id] })).room;
    });

    after(async () => {
        await closeAll(clients, alice?.client, bob?.client);
        if (server) {
            await server.stop();
        }
    });

    it('SIGTERM under load: close 1001 everywhere, exit 0, acknowledged messages kept', async () => {
        const writer = await connectAs(server.url, alice.token);
        const observer = await connectAs(server.url, bob.token);
        const anonymous = await connect(server.url);
        clients.push(writer, observer, anonymous);
        await observer.request('join', { room: room.id });

        const acked = new Map();
        let stopped = false;
        let next = 0;
        async function worker() {
            while (!stopped) {
                const clientId = `sd-${next++}`;
                try {
                    const r = await send(writer, room.id, `sebelum berhenti ${clientId}`, clientId);
                    acked.set(clientId, r);
                } catch {
                    stopped = true;
                }
            }
        }
        const workers = range(1, 8).map(worker);
        await waitFor(() => acked.size >= 100, { timeoutMs: 15000, what: '100 acknowledged sends' });

        const t0 = Date.now();
        const code = await server.stop();
        const took = Date.now() - t0;
        stopped = true;
        await Promise.all(workers);

        assert.equal(code, 0, 'exit code after SIGTERM');
        assert.ok(took < 5000, `stopped in ${took} ms`);
        const codes = {};
        for (const [name, c] of Object.entries({ writer, observer, anonymous, alice: alice.client, bob: bob.client })) {
            codes[name] = (await c.waitClosed(1000)).code;
        }
        assert.deepEqual(codes, { writer: 1001, observer: 1001, anonymous: 1001, alice: 1001, bob: 1001 });

        await server.restart();
        const reader = await connectAs(server.url, bob.token);
        clients.push(reader);
        const hist = await allHistory(reader, room.id);
        assert.deepEqual(hist.map((m) => m.seq), range(1, hist.length));
        const bySeq = new Map(hist.map((m) => [m.seq, m]));
        for (const [clientId, a] of acked) {
            const m = bySeq.get(a.seq);
            assert.ok(m, `acknowledged ${clientId} (seq ${a.seq}) kept`);
            assert.equal(m.client_id, clientId);
            assert.equal(m.ts, a.ts);
        }
        // The observer saw only stored messages, in order.
        const seen = observer.events.filter((e) => e.type === 'message' && e.room === room.id);
        assert.deepEqual(seen.map((e) => e.seq), range(1, seen.length));
        for (const e of seen) {
            assert.equal(bySeq.get(e.seq)?.client_id, e.client_id, `delivered seq ${e.seq} is stored`);
        }
    });

    it('an idle server stops at once and serves again after a restart', async () => {
        if (!server.running()) {
            await server.restart();
        }
        const c = await connectAs(server.url, alice.token);
        const t0 = Date.now();
        assert.equal(await server.stop(), 0);
        assert.ok(Date.now() - t0 < 5000);
        assert.equal((await c.waitClosed(1000)).code, 1001);

        await server.restart();
        const again = await connectAs(server.url, alice.token);
        clients.push(again);
        const r = await send(again, room.id, 'sudah kembali', 'back-1');
        const hist = await allHistory(again, room.id);
        assert.equal(hist.at(-1).seq, r.seq);
        assert.equal(hist.at(-1).body, 'sudah kembali');
    });
});
