// Removing a member while messages are being sent: the removed user's
// connections, on every process, receive nothing of the room once they are
// told of the removal, and nothing that was sent after the removal was
// acknowledged; what they did receive is an unbroken run from the start. The
// race is run many times, on one process and across two over Redis.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { startCluster } from '../lib/cluster.mjs';
import { startServer } from '../lib/server.mjs';
import { sleep, waitFor } from '../lib/util.mjs';

const ROUNDS = 25;
const isRemoval = (room, user) => (e) =>
    e.type === 'member' && e.room === room && e.action === 'removed' && (e.user?.id ?? e.user) === user;

// One race: `sender` keeps sending into a new group while `remover` (the same
// user on another connection) removes `victim` after a random number of
// sends. `witness` stays a member and must see everything.
async function race({ sender, remover, victim, victimConns, witness }) {
    const { room } = await sender.client.request('room_create', {
        kind: 'group',
        title: 'Balapan',
        members: [victim.user.id, witness.user.id],
    });
    for (const c of [...victimConns, witness.client]) {
        await c.request('join', { room: room.id });
    }
    for (const c of victimConns) {
        c.drain();
    }
    const firstEvent = victimConns.map((c) => c.events.length);

    let stop = false;
    let n = 0;
    let removedAck = null;
    const acked = [];
    const afterRemoval = new Set();
    const removeAt = 5 + Math.floor(Math.random() * 20);

    // Eight sends in flight at any time, until told to stop.
    async function pump() {
        while (!stop) {
            const i = n++;
            const wasRemoved = removedAck !== null;
            const reply = await sender.client.request('send', { room: room.id, body: `m${i}`, client_id: `r${room.id}-${i}` });
            acked.push(reply.seq);
            if (wasRemoved) {
                afterRemoval.add(reply.seq);
            }
            if (i === removeAt) {
                remover.request('member_remove', { room: room.id, user: victim.user.id }).then(() => {
                    removedAck = Date.now();
                });
            }
            if (removedAck !== null && afterRemoval.size >= 10) {
                stop = true;
            }
        }
    }
    await Promise.all(Array.from({ length: 8 }, pump));
    const total = Math.max(...acked);
    await waitFor(() => witness.client.events.filter((e) => e.type === 'message' && e.room === room.id).length >= total,
        { what: 'the witness to see every message' });
    await sleep(50);

    for (const [k, c] of victimConns.entries()) {
        const events = c.events.slice(firstEvent[k]);
        const told = events.findIndex(isRemoval(room.id, victim.user.id));
        assert.ok(told >= 0, `connection ${k} was told of the removal`);
        const after = events.slice(told + 1).filter((e) => e.type === 'message' && e.room === room.id);
        assert.deepEqual(after.map((e) => e.seq), [], `connection ${k}: messages after the removal notice`);
        const seqs = events.filter((e) => e.type === 'message' && e.room === room.id).map((e) => e.seq);
        assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `connection ${k}: an unbroken run from seq 1`);
        assert.ok(seqs.every((s) => !afterRemoval.has(s)), `connection ${k}: a message sent after the removal`);
    }
    const err = await victimConns[0].requestError('history', { room: room.id });
    assert.equal(err.code, 'forbidden');
}

describe('16 removal racing with sends, one process', { timeout: 180000 }, () => {
    let server;
    const clients = [];

    before(async () => {
        server = await startServer();
    });

    after(async () => {
        await closeAll(clients);
        await server?.stop();
    });

    it(`holds in ${ROUNDS} races`, async () => {
        const sender = await newUser(server.url, { prefix: 'snd' });
        const victim = await newUser(server.url, { prefix: 'vic' });
        const witness = await newUser(server.url, { prefix: 'wit' });
        const remover = await connectAs(server.url, sender.token);
        const second = await connectAs(server.url, victim.token);
        clients.push(sender.client, victim.client, witness.client, remover, second);
        for (let i = 0; i < ROUNDS; i++) {
            await race({ sender, remover, victim, victimConns: [victim.client, second], witness });
        }
    });
});

describe('16 removal racing with sends, two processes', { timeout: 180000 }, () => {
    let cluster;
    let nodes;
    const clients = [];

    before(async () => {
        cluster = await startCluster(2);
        nodes = cluster.nodes;
    });

    after(async () => {
        await closeAll(clients);
        await cluster?.stop();
    });

    it(`holds in ${ROUNDS} races, with the removal and the sends on different processes`, async () => {
        const sender = await newUser(nodes[0].url, { prefix: 'xsnd' });
        const victim = await newUser(nodes[0].url, { prefix: 'xvic' });
        const witness = await newUser(nodes[1].url, { prefix: 'xwit' });
        const remover = await connectAs(nodes[1].url, sender.token);
        const second = await connectAs(nodes[1].url, victim.token);
        clients.push(sender.client, victim.client, witness.client, remover, second);
        for (let i = 0; i < ROUNDS; i++) {
            await race({ sender, remover, victim, victimConns: [victim.client, second], witness });
        }
    });
});
