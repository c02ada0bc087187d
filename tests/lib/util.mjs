// Small helpers shared by the integration tests.

import { KolabError } from './client.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns a truthy value, which it resolves; rejects
// with `what` after `timeoutMs`.
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) {
            return v;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        await sleep(intervalMs);
    }
}

// [from, from+1, ..., to]; empty when to < from.
export function range(from, to) {
    const out = [];
    for (let i = from; i <= to; i++) {
        out.push(i);
    }
    return out;
}

// A user reference in an event: the protocol names it `user`; accept an id
// or a user object and give the id.
export function uid(v) {
    return v !== null && typeof v === 'object' ? v.id : v;
}

export function byteLength(s) {
    return Buffer.byteLength(s, 'utf8');
}

/*
 * Sends one text message, waiting and retrying with the same client_id when
 * the server answers rate_limited (as a client should). Resolves {seq, ts}.
 */
export async function send(client, room, body, clientId, extra = {}) {
    for (;;) {
        try {
            const reply = await client.request('send', { room, body, client_id: clientId, ...extra });
            return { seq: reply.seq, ts: reply.ts };
        } catch (err) {
            if (err instanceof KolabError && err.code === 'rate_limited') {
                await sleep(Math.max(1, err.reply.retry_ms ?? 50));
                continue;
            }
            throw err;
        }
    }
}

/*
 * Sends `count` messages with at most `window` in flight. Bodies and
 * client_ids are `${tag}-${i}`. Resolves [{clientId, body, seq, ts}] in
 * send order.
 */
export async function sendMany(client, room, count, { tag = 'm', window = 32 } = {}) {
    const results = new Array(count);
    let next = 0;
    async function worker() {
        while (next < count) {
            const i = next++;
            const clientId = `${tag}-${i}`;
            const body = `${tag} message ${i}`;
            const { seq, ts } = await send(client, room, body, clientId);
            results[i] = { clientId, body, seq, ts };
        }
    }
    await Promise.all(range(1, Math.min(window, count)).map(worker));
    return results;
}

// Every message of `room`, ascending by seq, read through `history` pages.
export async function allHistory(client, room) {
    const pages = [];
    let before;
    for (;;) {
        const fields = { room, limit: 100 };
        if (before !== undefined) {
            fields.before = before;
        }
        const reply = await client.request('history', fields);
        pages.unshift(reply.messages);
        if (!reply.more || reply.messages.length === 0) {
            break;
        }
        before = reply.messages[0].seq;
    }
    return pages.flat();
}

// The message events of `room` that `client` has received so far, in order.
export function roomMessages(client, room) {
    return client.events.filter((e) => e.type === 'message' && e.room === room);
}

// Resolves when `client` has seen `count` message events in `room`.
export function waitMessages(client, room, count, timeoutMs = 10000) {
    return waitFor(() => roomMessages(client, room).length >= count, {
        timeoutMs,
        what: `${count} message events in room ${room}`,
    });
}
