// Failures from outside the protocol: a client that stops reading, a peer
// that vanishes without closing, kill -9 in the middle of heavy writing, a
// full disk and a data directory that turns read-only. Each runs on a real
// kolabd; the disk tests mount small file systems of their own (the tests run
// as root) and unmount them in `after`.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { runKolabd, startServer } from '../lib/server.mjs';
import { sleep, uid, waitFor } from '../lib/util.mjs';

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
