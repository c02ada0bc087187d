// Fan-out over one and then two kolabd processes: one room, N subscribers
// spread over the processes (SO_REUSEPORT), one sender, M messages with a
// window in flight. Prints deliveries per second, latency percentiles and
// the CPU seconds each kolabd process used, read from /proc.
//
//   node bench/cluster.mjs [subscribers=400] [messages=2000] [window=32]

import fs from 'node:fs';
import { execSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

import { closeAll, connectAs, newUser } from '../lib/client.mjs';
import { startRedis } from '../lib/redis.mjs';
import { startServer } from '../lib/server.mjs';

const subscribers = Number(process.argv[2] ?? 400);
const messages = Number(process.argv[3] ?? 2000);
const windowSize = Number(process.argv[4] ?? 32);
const ticks = Number(execSync('getconf CLK_TCK').toString());

function cpuSeconds(pid) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function workerPids(parent) {
    const out = execSync(`pgrep -P ${parent} || true`).toString().trim();
    return out ? out.split('\n').map(Number) : [parent];
}

// Subscribers that decode every event; the others count them from the
// msgpack header: a map is one event, an array holds its length in events.
const SAMPLE_EVERY = 20;

function eventsInFrame(buf) {
    const b = buf[0];
    if (b >= 0x90 && b <= 0x9f) {
        return b & 0x0f;
    }
    if (b === 0xdc) {
        return buf.readUInt16BE(1);
    }
    if (b === 0xdd) {
        return buf.readUInt32BE(1);
    }
    return 1;
}

function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function run(workers, redis) {
    const args = workers > 1 ? ['--workers', String(workers), '--redis', redis.url] : [];
    const server = await startServer({ args });
    const owner = await newUser(server.url, { prefix: 'bench' });
    const room = (await owner.client.request('room_create', { kind: 'group', title: 'Bench', members: [] })).room;
    const conns = [];
    for (let i = 0; i < subscribers; i++) {
        const c = await connectAs(server.url, owner.token);
        await c.request('join', { room: room.id });
        conns.push(c);
    }
    const sentAt = new Map();
    const latencies = [];
    let delivered = 0;
    let finish;
    const done = new Promise((r) => { finish = r; });
    const count = (n) => {
        delivered += n;
        if (delivered === subscribers * messages) {
            finish();
        }
    };
    for (const [i, c] of conns.entries()) {
        if (i % SAMPLE_EVERY === 0) {
            // A sample of subscribers decodes everything, for latency.
            c.onMessage = (e) => {
                if (e.type === 'message') {
                    latencies.push(performance.now() - sentAt.get(e.body));
                    count(1);
                }
            };
            continue;
        }
        // The rest only read how many events a frame holds, so that the
        // load generator spends as little as it can per delivery.
        c.ws.removeAllListeners('message');
        c.ws.on('message', (data) => count(eventsInFrame(data)));
    }
    const pids = workerPids(server.pid);
    const cpuBefore = pids.map(cpuSeconds);
    const clientCpuBefore = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    async function pump() {
        while (next < messages) {
            const body = `m${next++}`;
            sentAt.set(body, performance.now());
            await owner.client.request('send', { room: room.id, body, client_id: body });
        }
    }
    await Promise.all(Array.from({ length: windowSize }, pump));
    await done;
    const seconds = (performance.now() - start) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cpu = pids.map((pid, i) => +(cpuSeconds(pid) - cpuBefore[i]).toFixed(2));
    latencies.sort((a, b) => a - b);
    await closeAll([owner.client, ...conns]);
    await server.stop();
    return {
        workers, subscribers, messages,
        deliveries_per_s: Math.round(delivered / seconds),
        latency_ms: { p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1) },
        server_cpu_s: cpu, client_cpu_s: +((clientCpu.user + clientCpu.system) / 1e6).toFixed(2),
        wall_s: +seconds.toFixed(2),
        spread: [...new Set(conns.map((c) => c.hello.node))].length,
    };
}

const redis = await startRedis();
for (const workers of [1, 2]) {
    console.log(JSON.stringify(await run(workers, redis)));
}
await redis.stop();
