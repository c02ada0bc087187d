// `kolabd --workers N --redis URL`: N processes on one port and one data
// directory. Connections spread over them, events cross between them, and
// SIGTERM to the parent stops them all cleanly.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { startRedis } from '../lib/redis.mjs';
import { startServer } from '../lib/server.mjs';
import { waitFor } from '../lib/util.mjs';

describe('09 workers', { timeout: 60000 }, () => {
    let redis;
    let server;
    const clients = [];

    before(async () => {
        redis = await startRedis();
        server = await startServer({ args: ['--workers', '2', '--redis', redis.url] });
    });

    after(async () => {
        await closeAll(clients);
        await server?.stop();
        await redis?.stop();
    });

    it('connections spread over the workers and messages reach all of them', async () => {
        const owner = await newUser(server.url, { prefix: 'w' });
        clients.push(owner.client);
        const room = (await owner.client.request('room_create', { kind: 'group', title: 'Pekerja', members: [] })).room;
        const conns = [];
        for (let i = 0; i < 16; i++) {
            const c = await connectAs(server.url, owner.token);
            clients.push(c);
            await c.request('join', { room: room.id, since: 0 });
            conns.push(c);
        }
        const nodes = new Set(conns.map((c) => c.hello.node));
        assert.equal(nodes.size, 2, 'both workers took connections');

        for (let i = 0; i < 20; i++) {
            await conns[i % conns.length].request('send', { room: room.id, body: `w${i}`, client_id: `w${i}` });
        }
        await waitFor(() => conns.every((c) => c.events.filter((e) => e.type === 'message').length === 20),
            { timeoutMs: 10000, what: 'every connection has every message' });
        for (const c of conns) {
            assert.deepEqual(c.events.filter((e) => e.type === 'message').map((e) => e.seq),
                Array.from({ length: 20 }, (_, k) => k + 1));
        }
    });

    it('SIGTERM to the parent stops every worker and exits 0', async () => {
        const c = await connectAs(server.url, (await newUser(server.url, { prefix: 'z' })).token);
        const closed = c.waitClosed(10000);
        assert.equal(await server.stop(), 0);
        assert.equal((await closed).code, 1001);
    });
});
