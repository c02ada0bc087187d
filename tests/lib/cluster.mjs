// Several kolabd processes on one data directory, sharing events over a real
// redis-server of their own, for the tests that cross processes.

import { startRedis } from './redis.mjs';
import { makeTempDir, startServer } from './server.mjs';

/*
 * Starts Redis, then `count` servers with `--redis` and `args`. `prepare`
 * runs on the data directory before the first server starts (to add staff
 * accounts, say). Resolves {redis, nodes, dataDir, stop}; stop() stops the
 * servers, then Redis.
 */
export async function startCluster(count, { args = [], prepare } = {}) {
    const redis = await startRedis();
    const dataDir = makeTempDir();
    const nodes = [];
    async function stop() {
        for (const n of nodes) {
            await n.stop();
        }
        await redis.stop();
    }
    try {
        if (prepare) {
            await prepare(dataDir);
        }
        for (let i = 0; i < count; i++) {
            nodes.push(await startServer({ dataDir, args: ['--redis', redis.url, ...args] }));
        }
    } catch (err) {
        await stop();
        throw err;
    }
    return { redis, nodes, dataDir, stop };
}
