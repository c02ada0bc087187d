// The load generator of tests/bench (build/loadgen) as someone trying it
// meets it: a mistake on its command line names the option and what it takes,
// a run against a server whose abuse limits refuse the load (its requests or
// its connections) stops at the first refusal and says why, and a run cut
// off by --timeout still reports the rates of what it did. Nothing here
// checks a timing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { kolabdPath, repoRoot, startServer } from '../lib/server.mjs';

const LOADGEN = path.join(repoRoot, 'build', 'loadgen');

// Runs loadgen to its end. Resolves {code, stdout, stderr, result}, result
// being the JSON line of its report when it printed one.
function loadgen(args) {
    return new Promise((resolve, reject) => {
        const proc = spawn(LOADGEN, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        proc.stdout.on('data', (d) => (stdout += d));
        proc.stderr.on('data', (d) => (stderr += d));
        proc.on('error', reject);
        proc.on('close', (code) => {
            const json = stdout.split('\n').find((l) => l.startsWith('{'));
            resolve({ code, stdout, stderr, result: json ? JSON.parse(json) : null });
        });
    });
}

describe('17 the load generator', { timeout: 60000 }, () => {
    const servers = [];
    after(async () => {
        for (const s of servers) {
            await s.stop();
        }
    });

    it('names the option and the values it takes when one is wrong', async () => {
        const cases = [
            [['--start', '--conns', '0'], /--conns needs a whole number from 1 to 1000000, not "0"/],
            [['--start', '--timeout', '0'], /--timeout needs a number from 1 to 86400, not "0"/],
            [['--start', '--users', '-3'], /--users needs a whole number from 2 to 64, not "-3"/],
            [['--start', '--scenario', 'banjir'], /--scenario is fanout, pairs, connect-storm or resume-storm, not "banjir"/],
            [['--start', '--sambung', '5'], /unknown option "--sambung"/],
            [['--url'], /this option needs a value: "--url"/],
            [['--url', 'http://127.0.0.1:1/ws'], /--url needs the form ws:\/\/ADDRESS:PORT\/PATH/],
            [['--start', '--kolabd', '/tidak/ada/kolabd'], /cannot run kolabd at \/tidak\/ada\/kolabd: No such file/],
            [[], /give --start or --url/],
        ];
        for (const [args, message] of cases) {
            const res = await loadgen(args);
            assert.equal(res.code, 2, `exit code of loadgen ${args.join(' ')}`);
            assert.match(res.stderr, message, `loadgen ${args.join(' ')}`);
        }
    });

    it('stops at the first refused request against a server with its own limits, and says why', async () => {
        // The limits of a server as an operator runs it, not the relaxed test ones.
        const srv = await startServer({ env: { KOLAB_MSG_RATE: '5', KOLAB_MSG_BURST: '30' } });
        servers.push(srv);
        const res = await loadgen(['--url', srv.wsUrl, '--server-pid', String(srv.pid), '--conns', '10',
            '--messages', '500', '--timeout', '50']);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /failed: rate_limited/);
        assert.match(res.stderr, /abuse limits refused the load/);
        assert.match(res.stdout, /STOPPED AT THE FIRST FAILURE/);
        assert.equal(res.result.stopped, true);
        assert.equal(res.result.timed_out, false);
        assert.ok(res.result.errors > 0);
        assert.ok(srv.running(), 'the server is still up');
    });

    it('stops when the server closes its connections for their number, and says why', async () => {
        const srv = await startServer({ env: { KOLAB_CONN_RATE_PER_IP: '5' } });
        servers.push(srv);
        const res = await loadgen(['--url', srv.wsUrl, '--conns', '50', '--messages', '100',
            '--timeout', '50']);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /closed connection \d+ with code 4029/);
        assert.match(res.stderr, /limit on connections per address/);
        assert.equal(res.result.stopped, true);
        assert.equal(res.result.timed_out, false);
        assert.match(res.stdout, /not delivered before the run ended/);
        assert.doesNotMatch(res.stdout, /conns\/s/, 'no connect rate for connections that never all got ready');
    });

    it('reports the rates of a run cut off by --timeout', async () => {
        const res = await loadgen(['--start', '--kolabd', kolabdPath(), '--conns', '2',
            '--messages', '100000000', '--timeout', '1']);
        // A failed run keeps the server's data directory for its log.
        const kept = /kept (\S+kolab-loadgen-\S+) /.exec(res.stderr);
        if (kept) {
            fs.rmSync(kept[1], { recursive: true, force: true });
        }
        assert.ok(kept, res.stderr);
        assert.equal(res.code, 1);
        assert.equal(res.result.timed_out, true);
        assert.match(res.stdout, /TIMED OUT/);
        // The measured part starts once every connection is ready, so it is
        // a little shorter than --timeout, but never nothing.
        assert.ok(res.result.run_s > 0 && res.result.run_s <= 1.5, `run_s ${res.result.run_s}`);
        assert.ok(res.result.deliveries > 0);
        assert.ok(res.result.deliveries_per_s > 0, 'a rate, not 0');
    });
});
