// A real redis-server for the tests: on a free loopback port, no
// persistence, stopped by its pid. `stop()` kills it at once (SIGKILL), as a
// crash would; `start()` brings it back on the same port.

import { spawn } from 'node:child_process';
import net from 'node:net';

import { freePort } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function answers(port) {
    return new Promise((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        sock.on('connect', () => sock.write('PING\r\n'));
        sock.on('data', (d) => {
            sock.destroy();
            resolve(d.toString().startsWith('+PONG'));
        });
        sock.on('error', () => resolve(false));
    });
}

const running = new Set();
process.on('exit', () => {
    for (const proc of running) {
        try {
            process.kill(proc.pid, 'SIGKILL');
        } catch {
            // Already gone.
        }
    }
});

export async function startRedis() {
    const port = await freePort();
    let proc = null;

    async function start() {
        proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
            '--appendonly', 'no'], { stdio: 'ignore' });
        running.add(proc);
        for (let i = 0; i < 100; i++) {
            if (await answers(port)) {
                return;
            }
            await sleep(50);
        }
        throw new Error(`redis-server on ${port} did not answer`);
    }

    async function stop() {
        if (proc && proc.exitCode === null && proc.signalCode === null) {
            const exited = new Promise((r) => proc.on('exit', r));
            process.kill(proc.pid, 'SIGKILL');
            await exited;
        }
        running.delete(proc);
    }

    // Sends one command and resolves the first line of the reply.
    function command(...args) {
        const resp = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
        return new Promise((resolve, reject) => {
            const sock = net.connect(port, '127.0.0.1', () => sock.write(resp));
            sock.on('data', (d) => {
                sock.destroy();
                resolve(d.toString().split('\r\n')[0]);
            });
            sock.on('error', reject);
        });
    }

    await start();
    return { port, url: `redis://127.0.0.1:${port}`, start, stop, command };
}
