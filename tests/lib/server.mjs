// Starts and stops real kolabd processes for the integration and browser tests.
//
// Every server gets a free port on 127.0.0.1 and, unless told otherwise, a new
// temporary data directory. Its stderr (logfmt lines) is kept; the logs of all
// servers are printed when the test process exits with a failure, or always
// when KOLAB_TEST_LOGS=1. Servers still running at exit are killed by pid.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { RELAXED_LIMITS } from './limits.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 10000;
const FAILURE_LOG_LINES = 60;

const started = [];
// Temporary directories made here, removed when the test process ends well.
const tempDirs = [];

export function kolabdPath() {
    return process.env.KOLABD || path.join(repoRoot, 'build', 'kolabd');
}

// Binds port 0, reads the port the kernel chose, and releases it.
export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

// A new directory under the system's temporary one. It is removed when the
// test process exits without a failure, and kept (its path is in the logs
// printed then) when one failed.
export function makeTempDir(prefix = 'kolab-test-') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
}

function defaultWebRoot() {
    const dist = path.join(repoRoot, 'web-client', 'dist');
    return fs.existsSync(dist) ? dist : makeTempDir('kolab-web-');
}

// A small HTTP request to 127.0.0.1. Resolves {status, headers, body} with the
// body as a string; rejects on a network error or after `timeoutMs`.
export function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 5000, ca } = {}) {
    // A fixed Content-Length, as browsers send, rather than a chunked body.
    const allHeaders = { ...headers };
    if (body !== undefined) {
        allHeaders['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
        const secure = url.startsWith('https:');
        const options = { method, headers: allHeaders, timeout: timeoutMs, ...(secure && ca ? { ca } : {}) };
        const req = (secure ? https : http).request(url, options, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () =>
                resolve({
                    status: res.statusCode,
                    headers: res.headers,
                    body: Buffer.concat(chunks).toString('utf8'),
                }),
            );
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${url} timed out`)));
        req.on('error', reject);
        if (body !== undefined) {
            req.write(body);
        }
        req.end();
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(url, proc, deadline, ca) {
    while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
            throw new Error(`kolabd exited during start (code ${proc.exitCode}, signal ${proc.signalCode})`);
        }
        try {
            const res = await httpRequest(`${url}/healthz`, { timeoutMs: 1000, ca });
            if (res.status === 200) {
                return;
            }
        } catch {
            // Not listening yet.
        }
        await sleep(50);
    }
    throw new Error(`kolabd did not answer /healthz within ${READY_TIMEOUT_MS} ms`);
}

// Runs kolabd once to completion (for example `user add`), writing `input` to
// its stdin; killed after `timeoutMs` if given. Resolves {code, signal,
// stdout, stderr}.
export function runKolabd(args, { input = '', env = {}, timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
        const proc = spawn(kolabdPath(), args, {
            env: { ...process.env, ...env },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        proc.stdout.on('data', (d) => (stdout += d));
        proc.stderr.on('data', (d) => (stderr += d));
        const timer = timeoutMs === undefined ? null : setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        proc.on('error', reject);
        proc.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
        proc.stdin.on('error', () => {});
        proc.stdin.end(input);
    });
}

// Creates a user with `kolabd user add` (the admin path, any role).
export async function addUser(dataDir, { username, password, name, role = 'mentor' }) {
    const res = await runKolabd(
        ['user', 'add', '--data', dataDir, '--role', role, '--name', name ?? username, username],
        { input: `${password}\n` },
    );
    if (res.code !== 0) {
        throw new Error(`kolabd user add ${username} failed (code ${res.code}): ${res.stderr}`);
    }
    return res;
}

/*
 * Starts a server and waits until GET /healthz answers.
 *   args:    extra command-line arguments (for example ['--origin', url])
 *   env:     extra environment variables
 *   dataDir: an existing data directory (default: a new temporary one)
 *   webRoot: static files (default: web-client/dist, or an empty directory)
 *   tls:     {cert, key} file paths and `ca`, the certificate's text: serves
 *            https and wss, and `url` starts with https:
 * Returns a handle; see the object literal below.
 */
export async function startServer({ args = [], env = {}, dataDir, webRoot, tls } = {}) {
    const port = await freePort();
    const state = {
        name: `kolabd:${port}`,
        dataDir: dataDir ?? makeTempDir(),
        webRoot: webRoot ?? defaultWebRoot(),
        logLines: [],
        proc: null,
        exited: null,
    };
    started.push(state);

    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

    async function launch() {
        const argv = [
            '--listen', `127.0.0.1:${port}`,
            '--data', state.dataDir,
            '--web-root', state.webRoot,
            '--log-level', 'info',
            ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : []),
            ...args,
        ];
        const proc = spawn(kolabdPath(), argv, {
            env: { ...process.env, ...RELAXED_LIMITS, ...env },
            stdio: ['ignore', 'ignore', 'pipe'],
        });
        state.proc = proc;
        state.logLines.push(`--- start ${kolabdPath()} ${argv.join(' ')}`);
        let partial = '';
        proc.stderr.setEncoding('utf8');
        proc.stderr.on('data', (d) => {
            const parts = (partial + d).split('\n');
            partial = parts.pop();
            state.logLines.push(...parts);
        });
        state.exited = new Promise((resolve) => {
            proc.on('close', (code, signal) => {
                if (partial) {
                    state.logLines.push(partial);
                }
                state.logLines.push(`--- exit code=${code} signal=${signal}`);
                resolve(code ?? signal);
            });
        });
        const spawned = new Promise((resolve, reject) => {
            proc.on('spawn', resolve);
            proc.on('error', reject);
        });
        await spawned;
        try {
            await waitHealthy(url, proc, Date.now() + READY_TIMEOUT_MS, tls?.ca);
        } catch (err) {
            killProc(proc, 'SIGKILL');
            err.message += `\n${state.logLines.join('\n')}`;
            throw err;
        }
    }

    function running() {
        return state.proc && state.proc.exitCode === null && state.proc.signalCode === null;
    }

    // SIGTERM, then waits for the exit. Resolves the exit code, or the signal
    // name when the process died of a signal. Throws (after a SIGKILL) when it
    // does not exit within STOP_TIMEOUT_MS.
    async function stop() {
        if (!state.proc) {
            return null;
        }
        if (!running()) {
            return state.exited;
        }
        killProc(state.proc, 'SIGTERM');
        let timer;
        const timeout = new Promise((resolve) => {
            timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
        });
        const result = await Promise.race([state.exited, timeout]);
        clearTimeout(timer);
        if (result === 'timeout') {
            killProc(state.proc, 'SIGKILL');
            await state.exited;
            throw new Error(`${state.name} did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
        }
        checkSanitizers();
        return result;
    }

    // Under AddressSanitizer or UBSan builds (KOLABD pointing at one), any
    // report in the server's output fails the test that stopped it.
    function checkSanitizers() {
        const report = state.logLines.find((l) => SANITIZER_REPORT.test(l));
        if (report) {
            throw new Error(`${state.name} reported a sanitizer error: ${report}\n${state.logLines.join('\n')}`);
        }
    }

    async function kill9() {
        if (running()) {
            killProc(state.proc, 'SIGKILL');
        }
        return state.exited;
    }

    async function restart() {
        await stop();
        await launch();
    }

    await launch();

    return {
        port,
        url,
        wsUrl: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`,
        origin: url,
        dataDir: state.dataDir,
        get pid() {
            return state.proc.pid;
        },
        logs: () => state.logLines.join('\n'),
        running,
        stop,
        kill9,
        restart,
        exited: () => state.exited,
    };
}

const SANITIZER_REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

function killProc(proc, signal) {
    try {
        process.kill(proc.pid, signal);
    } catch {
        // Already gone.
    }
}

process.on('exit', (code) => {
    for (const s of started) {
        if (s.proc && s.proc.exitCode === null && s.proc.signalCode === null) {
            killProc(s.proc, 'SIGKILL');
        }
    }
    const failed = code !== 0 || (process.exitCode !== undefined && process.exitCode !== 0);
    const all = process.env.KOLAB_TEST_LOGS === '1';
    if (failed || all) {
        for (const s of started) {
            // On failure the tail is usually enough; KOLAB_TEST_LOGS=1 shows everything.
            const lines = all ? s.logLines : s.logLines.slice(-FAILURE_LOG_LINES);
            process.stderr.write(`\n===== logs of ${s.name} (${s.dataDir}) =====\n`);
            process.stderr.write(`${lines.join('\n')}\n`);
        }
    }
    if (!failed) {
        for (const dir of tempDirs) {
            try {
                fs.rmSync(dir, { recursive: true, force: true });
            } catch {
                // A server killed just now may still be writing into it;
                // the directory then stays, as after a failure.
            }
        }
    }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => process.exit(130));
}
