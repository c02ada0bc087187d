// The benchmark orchestrator: runs each scenario of a profile on kolabd and on
// each peer it applies to (tests/bench/peers: uWebSockets.js, ws, Mosquitto),
// drives every run with build/loadgen, and prints one table of medians and one
// of kolabd's ratios to its peers. All raw results go to
// build/bench/results-<profile>.json.
//
//   node tests/bench/run.mjs [smoke|quick|full] [--runs N] [--only SERVER[,SERVER]]
//
// tests/bench/run builds and installs what this needs and then calls it.
// Every server gets a fresh start for every run, alone on free 127.0.0.1
// ports, and is stopped by its pid when the run ends (also on an error or on
// SIGINT/SIGTERM), so nothing is left running. Repetitions alternate between
// the servers (kolab, uws, ws, mosquitto, kolab, uws, ...) so that a slow
// spell of the machine falls on all of them. A run fails, and the whole
// command exits non-zero after the tables, when a message is lost or out of
// order, a request fails, a server dies, or loadgen exits non-zero; a timing
// never fails it. A failed run's logs are kept and their directory printed.
//
// KOLABD, LOADGEN and MOSQUITTO override the programs' paths.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { RELAXED_LIMITS } from '../lib/limits.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEERS = path.join(ROOT, 'tests', 'bench', 'peers');
const KOLABD = path.resolve(ROOT, process.env.KOLABD || 'build/kolabd');
const LOADGEN = path.resolve(ROOT, process.env.LOADGEN || 'build/loadgen');
const OUT_DIR = path.join(ROOT, 'build', 'bench');

const READY_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 10000;

const SERVERS = ['kolab', 'uws', 'ws', 'mosquitto'];
const ALL = SERVERS;
const KOLAB = ['kolab'];

// loadgen's arguments from a short string: lg('fanout --conns 50') is
// ['--scenario', 'fanout', '--conns', '50'].
function lg(spec) {
    const [scenario, ...rest] = spec.split(/\s+/);
    return ['--scenario', scenario, ...rest];
}

// Each scenario: a name for the tables, what it measures, the servers it
// runs on, loadgen's arguments, and loadgen's --timeout in seconds (a guard
// against a hang, generous enough that no healthy run meets it).
const PROFILES = {
    // For CI (scripts/test, through tests/bench/smoke.sh): seconds.
    smoke: {
        runs: 1,
        scenarios: [
            { name: 'fanout-50', what: 'fan-out to 50, 200 messages', servers: ALL,
                args: lg('fanout --conns 50 --messages 200'), timeout: 60 },
            { name: 'pairs-20', what: '10 rooms of two, 100 messages', servers: KOLAB,
                args: lg('pairs --conns 20 --messages 100'), timeout: 60 },
            { name: 'fanout-20x2-r500', what: 'fan-out to 20 from 2 publishers at 500/s', servers: KOLAB,
                args: lg('fanout --conns 20 --publishers 2 --messages 100 --rate 500'), timeout: 60 },
            { name: 'connect-100', what: '100 connections connect, log in, join', servers: KOLAB,
                args: lg('connect-storm --conns 100'), timeout: 60 },
            { name: 'resume-20', what: '20 subscribers resume 50 messages', servers: KOLAB,
                args: lg('resume-storm --conns 20 --messages 50'), timeout: 60 },
        ],
    },
    // About a minute. 800 messages keep the slowest peers (ws and Mosquitto,
    // 80 k to 125 k deliveries/s on a 2-core machine) under 10 s. 10,000
    // connections need one source address (loadgen adds more from 20,000 on).
    quick: {
        runs: 1,
        scenarios: [
            { name: 'fanout-1000', what: 'fan-out to 1,000, 800 messages, as fast as possible',
                servers: ALL, args: lg('fanout --conns 1000 --messages 800'), timeout: 120 },
            { name: 'fanout-1000-r20', what: 'fan-out to 1,000 at 20 messages/s for 5 s',
                servers: ALL, args: lg('fanout --conns 1000 --messages 100 --rate 20'), timeout: 120 },
            { name: 'idle-10000', what: '10,000 idle connections, held 1 s', servers: KOLAB,
                args: lg('connect-storm --conns 10000 --hold 1'), timeout: 120 },
            { name: 'pairs-200-r20k', what: '100 rooms of two, 60,000 messages at 20,000/s',
                servers: KOLAB, args: lg('pairs --conns 200 --messages 60000 --rate 20000'), timeout: 120 },
        ],
    },
    // The benchmark of record.
    full: {
        runs: 3,
        scenarios: [
            { name: 'fanout-1000', what: 'fan-out to 1,000, 10,000 messages, as fast as possible',
                servers: ALL, args: lg('fanout --conns 1000 --messages 10000'), timeout: 600 },
            { name: 'fanout-5000', what: 'fan-out to 5,000, 2,000 messages, as fast as possible',
                servers: ALL, args: lg('fanout --conns 5000 --messages 2000'), timeout: 600 },
            { name: 'fanout-1000-r20', what: 'fan-out to 1,000 at 20 messages/s for 20 s',
                servers: ALL, args: lg('fanout --conns 1000 --messages 400 --rate 20'), timeout: 120 },
            { name: 'idle-10000', what: '10,000 idle connections, held 2 s', servers: KOLAB,
                args: lg('connect-storm --conns 10000 --hold 2'), timeout: 120 },
            { name: 'pairs-200', what: '100 rooms of two, 100,000 messages, as fast as possible',
                servers: KOLAB, args: lg('pairs --conns 200 --messages 100000'), timeout: 300 },
            { name: 'pairs-200-r20k', what: '100 rooms of two, 100,000 messages at 20,000/s',
                servers: KOLAB, args: lg('pairs --conns 200 --messages 100000 --rate 20000'), timeout: 300 },
            { name: 'resume-2000', what: '2,000 subscribers resume 1,000 messages', servers: KOLAB,
                args: lg('resume-storm --conns 2000 --messages 1000'), timeout: 300 },
        ],
    },
};


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---- child processes: every one is tracked until it exits -------------- */

const live = new Set();
let stopping = false;
let workDir = null;

// Spawns a tracked process; `proc.exited` resolves {code, signal} once it
// has exited. Refuses to start anything once the orchestrator is stopping.
function spawnTracked(cmd, args, options) {
    if (stopping) {
        throw new Error('stopping');
    }
    const proc = spawn(cmd, args, options);
    live.add(proc);
    proc.exited = new Promise((resolve) => {
        proc.on('error', (err) => {
            proc.spawnError = err;
            live.delete(proc);
            resolve({ code: null, signal: null, error: err });
        });
        proc.on('exit', (code, signal) => {
            live.delete(proc);
            resolve({ code, signal });
        });
    });
    return proc;
}

function hasExited(proc) {
    return !live.has(proc);
}

function signalProc(proc, signal) {
    try {
        process.kill(proc.pid, signal);
    } catch {
        // Already gone.
    }
}

// SIGTERM, then SIGKILL when the process has not exited within the timeout.
async function stopProc(proc) {
    if (hasExited(proc)) {
        return proc.exited;
    }
    signalProc(proc, 'SIGTERM');
    let timer;
    const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
    });
    const done = await Promise.race([proc.exited, late]);
    clearTimeout(timer);
    if (done) {
        return done;
    }
    signalProc(proc, 'SIGKILL');
    return proc.exited;
}

// The last resort, when the orchestrator exits for any reason.
process.on('exit', () => {
    for (const proc of live) {
        signalProc(proc, 'SIGKILL');
    }
});

// What a step awaits once shutdown() has begun: it ends the process itself.
const forever = () => new Promise(() => {});

async function shutdown(signal) {
    if (stopping) {
        return;
    }
    stopping = true;
    console.error(`\nbench: ${signal}, stopping`);
    await Promise.all([...live].map(stopProc));
    if (workDir) {
        fs.rmSync(workDir, { recursive: true, force: true });
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

/* ---- ports ------------------------------------------------------------ */

// Binds n listeners to port 0 on 127.0.0.1 at once (so that the ports
// differ), reads the ports the kernel chose and releases them.
async function freePorts(n) {
    const servers = [];
    try {
        for (let i = 0; i < n; i++) {
            const srv = net.createServer();
            servers.push(srv);
            await new Promise((resolve, reject) => {
                srv.once('error', reject);
                srv.listen(0, '127.0.0.1', resolve);
            });
        }
        return servers.map((s) => s.address().port);
    } finally {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
}

function portAccepts(port) {
    return new Promise((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port });
        sock.once('connect', () => {
            sock.destroy();
            resolve(true);
        });
        sock.once('error', () => resolve(false));
    });
}

async function waitForPort(port, proc, what) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
        if (hasExited(proc)) {
            const why = proc.spawnError ? `: ${proc.spawnError.message}` : '';
            throw new Error(`${what} exited during start${why}`);
        }
        if (await portAccepts(port)) {
            return;
        }
        await sleep(50);
    }
    throw new Error(`${what} did not accept on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

/* ---- the servers ------------------------------------------------------ */

// Each starter takes the run's own directory (for the log and any data)
// and resolves {proc, url, proto}; the server's stderr goes to a log there.

function logFd(dir, name) {
    return fs.openSync(path.join(dir, name), 'w');
}

// The caller's KOLAB_* variables are dropped so that no setting of theirs
// (workers, Redis, limits) changes what is measured.
function kolabEnv() {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!k.startsWith('KOLAB_')) {
            env[k] = v;
        }
    }
    // The abuse limits out of reach, as for the integration tests: one
    // address opens every connection.
    return { ...env, ...RELAXED_LIMITS };
}

async function startKolab(dir) {
    const [port] = await freePorts(1);
    const log = logFd(dir, 'kolabd.log');
    const args = ['--listen', `127.0.0.1:${port}`, '--data', dir, '--web-root', dir,
        '--log-level', 'warn'];
    const proc = spawnTracked(KOLABD, args, { env: kolabEnv(), stdio: ['ignore', 'ignore', log] });
    fs.closeSync(log);
    await waitForPort(port, proc, 'kolabd');
    return { proc, url: `ws://127.0.0.1:${port}/ws`, proto: 'kolab' };
}

// A Node peer prints `listening PORT` once it listens on 127.0.0.1.
async function startNodePeer(dir, file) {
    const log = logFd(dir, `${file}.log`);
    const proc = spawnTracked(process.execPath, [path.join(PEERS, file), '0'],
        { stdio: ['ignore', 'pipe', log] });
    fs.closeSync(log);
    const port = await new Promise((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`${file} did not listen in time`)), READY_TIMEOUT_MS);
        proc.stdout.setEncoding('utf8');
        proc.stdout.on('data', (d) => {
            text += d;
            const m = /^listening (\d+)$/m.exec(text);
            if (m) {
                clearTimeout(timer);
                resolve(Number(m[1]));
            }
        });
        proc.exited.then(() => {
            clearTimeout(timer);
            reject(new Error(`${file} exited during start`));
        });
    });
    return { proc, url: `ws://127.0.0.1:${port}/ws`, proto: 'kolab' };
}

function findMosquitto() {
    if (process.env.MOSQUITTO) {
        return process.env.MOSQUITTO;
    }
    // Debian installs it in sbin, which a user's PATH may lack.
    const dirs = [...(process.env.PATH || '').split(':'), '/usr/sbin', '/usr/local/sbin'];
    for (const d of dirs) {
        const p = path.join(d, 'mosquitto');
        if (d && fs.existsSync(p)) {
            return p;
        }
    }
    return 'mosquitto';
}

async function startMosquitto(dir) {
    const [mqttPort, wsPort] = await freePorts(2);
    const conf = fs.readFileSync(path.join(PEERS, 'mosquitto.conf.in'), 'utf8')
        .replaceAll('@MQTT_PORT@', String(mqttPort))
        .replaceAll('@WS_PORT@', String(wsPort));
    const confPath = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(confPath, conf);
    const log = logFd(dir, 'mosquitto.log');
    const proc = spawnTracked(findMosquitto(), ['-c', confPath], { stdio: ['ignore', 'ignore', log] });
    fs.closeSync(log);
    await waitForPort(wsPort, proc, 'mosquitto');
    return { proc, url: `ws://127.0.0.1:${wsPort}/mqtt`, proto: 'mqtt' };
}

const STARTERS = {
    kolab: startKolab,
    uws: (dir) => startNodePeer(dir, 'uws-peer.mjs'),
    ws: (dir) => startNodePeer(dir, 'ws-peer.mjs'),
    mosquitto: startMosquitto,
};

/* ---- one run ---------------------------------------------------------- */

function runLoadgen(args) {
    const proc = spawnTracked(LOADGEN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    return proc.exited.then(({ code, signal, error }) => ({ code, signal, error, stdout, stderr }));
}

// loadgen's last stdout line is its JSON result.
function parseResult(stdout) {
    const lines = stdout.trim().split('\n');
    try {
        return JSON.parse(lines[lines.length - 1]);
    } catch {
        return null;
    }
}

// What is wrong with a run, as sentences; none for a good run.
function failuresOf(out, result, serverDied) {
    const f = [];
    if (out.error) {
        f.push(`loadgen did not start: ${out.error.message}`);
    } else if (out.code !== 0) {
        f.push(`loadgen exited with ${out.code ?? out.signal}`);
    }
    if (serverDied) {
        f.push('the server exited during the run');
    }
    if (!result) {
        f.push('loadgen printed no JSON result');
        return f;
    }
    const counts = ['lost', 'errors', 'out_of_order', 'closes', 'bad_frames'];
    for (const k of counts) {
        if (result[k] !== 0) {
            f.push(`${k} ${result[k]}`);
        }
    }
    if (result.timed_out) {
        f.push(`not done within loadgen's --timeout`);
    }
    return f;
}

async function runOnce(scenario, server, run, label) {
    const dir = fs.mkdtempSync(path.join(workDir, `${scenario.name}-${server}-${run}-`));
    const record = { scenario: scenario.name, server, run, ok: false, failures: [], result: null };
    let srv = null;
    try {
        srv = await STARTERS[server](dir);
        const args = ['--url', srv.url, '--server-pid', String(srv.proc.pid),
            '--timeout', String(scenario.timeout), ...(srv.proto === 'mqtt' ? ['--proto', 'mqtt'] : []),
            ...scenario.args];
        record.loadgen_args = args;
        console.log(`-- ${label} ${scenario.name} on ${server}: loadgen ${args.join(' ')}`);
        const out = await runLoadgen(args);
        if (stopping) {
            await forever();
        }
        record.exit_code = out.code;
        record.result = parseResult(out.stdout);
        record.failures = failuresOf(out, record.result, hasExited(srv.proc));
        const said = (out.stdout + out.stderr).trim();
        if (record.failures.length > 0 && said) {
            process.stdout.write(indent(said));
        }
    } catch (err) {
        record.failures.push(err.message);
    } finally {
        if (srv) {
            const end = await stopProc(srv.proc);
            record.server_exit = end.code ?? end.signal;
        }
    }
    if (stopping) {
        await forever();
    }
    record.ok = record.failures.length === 0;
    if (record.ok) {
        fs.rmSync(dir, { recursive: true, force: true });
        console.log(`   ${oneLine(record.result)}`);
    } else {
        record.kept = dir;
        console.log(`   FAILED: ${record.failures.join('; ')} (logs kept in ${dir})`);
    }
    return record;
}

function indent(text) {
    return `${text.split('\n').map((l) => `   | ${l}`).join('\n')}\n`;
}

function oneLine(r) {
    const parts = [];
    if (r.deliveries > 0) {
        parts.push(`${fmtCount(r.deliveries_per_s)} deliveries/s`,
            `p50 ${fmtMs(r.latency_ms.p50)} ms`, `p99 ${fmtMs(r.latency_ms.p99)} ms`);
    }
    const note = notesOf([r]);
    if (note) {
        parts.push(note);
    }
    parts.push(`server cpu ${r.server_cpu_s.toFixed(2)} s`);
    return parts.join(', ');
}

/* ---- summaries -------------------------------------------------------- */

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtCount(n) {
    if (n >= 1e6) {
        return `${(n / 1e6).toFixed(2)} M`;
    }
    if (n >= 1e4) {
        return `${Math.round(n / 1e3)} k`;
    }
    return String(Math.round(n));
}

function fmtMs(ms) {
    if (ms >= 100) {
        return ms.toFixed(0);
    }
    return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

// "median (min-max)" over the runs, or the one value.
function spread(xs, fmt) {
    if (xs.length === 0) {
        return '-';
    }
    const mid = fmt(median(xs));
    return xs.length === 1 ? mid : `${mid} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;
}

// What the storms measure, which the delivery columns do not show.
function notesOf(results) {
    const r0 = results[0];
    if (r0.scenario === 'connect-storm') {
        const rate = results.map((r) => r.conns / r.connect_s);
        const perConn = results.map((r) => r.server_rss_per_conn_kib);
        return `${spread(rate, fmtCount)} connects/s, ${median(perConn).toFixed(1)} KiB/conn`;
    }
    if (r0.scenario === 'resume-storm') {
        const rate = results.map((r) => r.replayed / r.run_s);
        const ms = median(results.map((r) => r.run_s)) * 1000;
        return `${spread(rate, fmtCount)} replays/s, all rejoined in ${fmtMs(ms)} ms`;
    }
    return '';
}

function summarize(records, scenario, server) {
    const mine = records.filter((r) => r.scenario === scenario.name && r.server === server);
    const good = mine.filter((r) => r.ok).map((r) => r.result);
    const s = { scenario: scenario.name, server, runs: mine.length, ok: good.length };
    if (good.length > 0) {
        const deliveries = good[0].deliveries > 0;
        s.deliveries_per_s = median(good.map((r) => r.deliveries_per_s));
        s.latency_p99_ms = median(good.map((r) => r.latency_ms.p99));
        s.cells = [
            deliveries ? spread(good.map((r) => r.deliveries_per_s), fmtCount) : '-',
            deliveries ? fmtMs(median(good.map((r) => r.latency_ms.p50))) : '-',
            deliveries ? fmtMs(s.latency_p99_ms) : '-',
            good[0].ack_ms.p99 > 0 ? fmtMs(median(good.map((r) => r.ack_ms.p99))) : '-',
            median(good.map((r) => r.server_cpu_s)).toFixed(2),
            median(good.map((r) => r.loadgen_cpu_s)).toFixed(2),
            `${(median(good.map((r) => r.server_rss_kib)) / 1024).toFixed(1)} MiB`,
        ];
        s.note = notesOf(good);
    } else {
        s.cells = ['-', '-', '-', '-', '-', '-', '-'];
        s.note = '';
    }
    if (s.ok < s.runs) {
        s.note = `FAILED ${s.runs - s.ok} of ${s.runs}${s.note ? `; ${s.note}` : ''}`;
    }
    return s;
}

function printTable(head, rows, rightFrom) {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (cells) => cells
        .map((c, i) => (i >= rightFrom && i < cells.length - 1 ? String(c).padStart(widths[i])
            : String(c).padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    console.log(line(head));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) {
        console.log(line(r));
    }
}

function printSummary(summaries, runs) {
    console.log(`\nResults (median of ${runs} run${runs === 1 ? '' : 's'}; latencies in ms)\n`);
    printTable(
        ['scenario', 'server', 'deliveries/s (min-max)', 'p50', 'p99', 'ack p99', 'server CPU s',
            'loadgen CPU s', 'server RSS', 'notes'],
        summaries.map((s) => [s.scenario, s.server, ...s.cells, s.note]),
        2,
    );
}

// kolab beside each peer in every fan-out scenario both completed.
function printRatios(scenarios, summaries) {
    const rows = [];
    for (const sc of scenarios.filter((x) => x.args[1] === 'fanout')) {
        const kolab = summaries.find((s) => s.scenario === sc.name && s.server === 'kolab');
        if (!kolab || kolab.ok === 0) {
            continue;
        }
        for (const peer of summaries.filter((s) => s.scenario === sc.name && s.server !== 'kolab')) {
            if (peer.ok === 0) {
                rows.push([sc.name, peer.server, '-', fmtMs(kolab.latency_p99_ms), '-', 'peer failed']);
                continue;
            }
            // At a fixed rate every server that keeps up delivers the same: only
            // the latency compares.
            const fixedRate = sc.args.includes('--rate');
            rows.push([
                sc.name, peer.server,
                fixedRate ? 'fixed rate' : `${(kolab.deliveries_per_s / peer.deliveries_per_s).toFixed(2)}x`,
                fmtMs(kolab.latency_p99_ms), fmtMs(peer.latency_p99_ms), '',
            ]);
        }
    }
    if (rows.length === 0) {
        return;
    }
    console.log('\nkolab beside each peer (deliveries/s: ratio of medians; latency p99 in ms)\n');
    printTable(['scenario', 'peer', 'kolab/peer deliveries/s', 'kolab p99', 'peer p99', ''], rows, 2);
}

/* ---- main ------------------------------------------------------------- */

function usage(message, code = 2) {
    if (message) {
        console.error(`bench: ${message}`);
    }
    console.error('usage: tests/bench/run [smoke|quick|full] [--runs N] [--only SERVER[,SERVER]]\n' +
        '       smoke: seconds, every scenario tiny (CI); quick (default): about a minute;\n' +
        '       full: the benchmark of record, about half an hour\n' +
        `       servers: ${SERVERS.join(', ')}`);
    process.exit(code);
}

function parseCli() {
    let parsed;
    try {
        parsed = parseArgs({
            allowPositionals: true,
            options: { runs: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        });
    } catch (err) {
        usage(err.message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        usage(null, 0);
    }
    if (positionals.length > 1) {
        usage();
    }
    const profileName = positionals[0] ?? 'quick';
    const profile = PROFILES[profileName];
    if (!profile) {
        usage(`no profile ${profileName}`);
    }
    const runs = values.runs === undefined ? profile.runs : Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1) {
        usage('--runs takes a whole number from 1');
    }
    const only = values.only === undefined ? SERVERS : values.only.split(',');
    for (const s of only) {
        if (!SERVERS.includes(s)) {
            usage(`no server "${s}"`);
        }
    }
    return { profileName, profile, runs, only };
}

function gitDescribe() {
    try {
        const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
        const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'],
            { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
        return { commit, dirty };
    } catch {
        return null;
    }
}

function writeReport(report) {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const file = path.join(OUT_DIR, `results-${report.profile}.json`);
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    return file;
}

async function main() {
    const { profileName, profile, runs, only } = parseCli();
    // tests/bench/run checks the arguments this way before it builds anything.
    if (process.env.KOLAB_BENCH_CHECK_ARGS === '1') {
        process.exit(0);
    }
    const scenarios = profile.scenarios
        .map((sc) => ({ ...sc, servers: sc.servers.filter((s) => only.includes(s)) }))
        .filter((sc) => sc.servers.length > 0);
    const total = scenarios.reduce((n, sc) => n + sc.servers.length * runs, 0);
    const started = new Date();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kolab-bench-'));

    const records = [];
    for (const sc of scenarios) {
        for (let run = 1; run <= runs; run++) {
            for (const server of sc.servers) {
                const label = `[${records.length + 1}/${total}]`;
                records.push(await runOnce(sc, server, run, label));
            }
        }
    }

    const summaries = scenarios.flatMap((sc) => sc.servers.map((s) => summarize(records, sc, s)));
    printSummary(summaries, runs);
    printRatios(scenarios, summaries);

    const failed = records.filter((r) => !r.ok);
    const wall = (Date.now() - started.getTime()) / 1000;
    const outFile = writeReport({
        profile: profileName,
        runs,
        servers: only,
        started_at: started.toISOString(),
        wall_s: Math.round(wall * 10) / 10,
        ok: failed.length === 0,
        git: gitDescribe(),
        host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), node: process.version },
        scenarios: scenarios.map(({ name, what, servers, args, timeout }) => ({ name, what, servers, args, timeout })),
        medians: summaries.map(({ scenario, server, runs: n, ok, deliveries_per_s, latency_p99_ms }) =>
            ({ scenario, server, runs: n, ok, deliveries_per_s, latency_p99_ms })),
        results: records,
    });
    console.log(`\n${records.length} runs in ${wall.toFixed(0)} s; raw results in ${path.relative(ROOT, outFile)}`);

    if (failed.length === 0) {
        fs.rmSync(workDir, { recursive: true, force: true });
        return 0;
    }
    console.log(`bench: ${failed.length} run(s) FAILED:`);
    for (const r of failed) {
        console.log(`  ${r.scenario} on ${r.server}, run ${r.run}: ${r.failures.join('; ')}`);
    }
    return 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        if (!stopping) {
            console.error(`bench: ${err.stack || err}`);
            process.exit(1);
        }
    },
);
