// A first load generator: one room, N subscribers, one sender pushing M
// messages with a window of requests in flight. Prints deliveries per second,
// sends acknowledged per second, and delivery latency percentiles (send to
// receipt, measured on this machine's clock). Starts its own kolabd on a
// free loopback port unless KOLAB_URL is given.
//
//   node bench/fanout.mjs [subscribers=200] [messages=5000] [window=64]

import { performance } from 'node:perf_hooks';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';

const subscribers = Number(process.argv[2] ?? 200);
const messages = Number(process.argv[3] ?? 5000);
const windowSize = Number(process.argv[4] ?? 64);

function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

const server = process.env.KOLAB_URL ? null : await startServer();
const url = process.env.KOLAB_URL ?? server.url;
const owner = await newUser(url, { prefix: 'bench' });
const room = (await owner.client.request('room_create', { kind: 'group', title: 'Bench', members: [] })).room;

const conns = [];
for (let i = 0; i < subscribers; i++) {
    const c = await connectAs(url, owner.token);
    await c.request('join', { room: room.id });
    conns.push(c);
}

const sentAt = new Map();
const latencies = [];
let delivered = 0;
let resolveDone;
const done = new Promise((r) => { resolveDone = r; });
for (const c of conns) {
    // Subscribers send nothing more: count messages without keeping them.
    c.onMessage = (e) => {
        if (e.type !== 'message') {
            return;
        }
        delivered++;
        latencies.push(performance.now() - sentAt.get(e.body));
        if (delivered === subscribers * messages) {
            resolveDone();
        }
    };
}

const start = performance.now();
let next = 0;
let acked = 0;
async function pump() {
    while (next < messages) {
        const body = `m${next++}`;
        sentAt.set(body, performance.now());
        await owner.client.request('send', { room: room.id, body, client_id: body });
        acked++;
    }
}
await Promise.all(Array.from({ length: windowSize }, pump));
const ackSeconds = (performance.now() - start) / 1000;
await done;
const seconds = (performance.now() - start) / 1000;

latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
    subscribers, messages, window: windowSize,
    deliveries_per_s: Math.round(delivered / seconds),
    sends_acked_per_s: Math.round(acked / ackSeconds),
    latency_ms: { p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2) },
}));
await closeAll([owner.client, ...conns]);
if (server) {
    await server.stop();
}
