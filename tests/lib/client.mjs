// A small Kolab protocol client for tests, over the `ws` package.
//
// Requests go out as one msgpack map per binary frame. Every frame from the
// server is decoded as one map or an array of maps, handled in array order.
// Replies settle the request with the same id; everything else is an event,
// kept in a queue that `nextEvent` takes from and in `events` (a full log).

import { decode, encode } from '@msgpack/msgpack';
import WebSocket from 'ws';

import { httpRequest } from './server.mjs';

export const SUBPROTOCOL = 'kolab.v1';
const DEFAULT_TIMEOUT_MS = 10000;

const DECODE_OPTIONS = { useBigInt64: false };

// An `error` reply, thrown by KolabClient.request.
export class KolabError extends Error {
    constructor(reply, type) {
        super(`${type}: ${reply.code}: ${reply.message}`);
        this.code = reply.code;
        this.reply = reply;
    }
}

export function toWsUrl(url) {
    if (url.startsWith('ws://') || url.startsWith('wss://')) {
        return url;
    }
    return `${url.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`;
}

function originOf(wsUrl) {
    const u = new URL(wsUrl);
    return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

export function encodeMsg(value) {
    return Buffer.from(encode(value));
}

export function decodeMsg(bytes) {
    return decode(bytes, DECODE_OPTIONS);
}

export class KolabClient {
    constructor(ws) {
        this.ws = ws;
        this.nextId = 1;
        this.pending = new Map();
        // Every decoded map in arrival order, replies included.
        this.received = [];
        // Every event (map without a matching request) in arrival order.
        this.events = [];
        this.queue = [];
        this.waiters = [];
        this.frames = { binary: 0, arrays: 0, text: 0 };
        this.hello = null;
        this.closeInfo = null;

        this.closed = new Promise((resolve) => {
            ws.on('close', (code, reason) => {
                this.closeInfo = { code, reason: reason.toString('utf8') };
                for (const { reject, timer } of this.pending.values()) {
                    clearTimeout(timer);
                    reject(new Error(`connection closed (${code}) before the reply`));
                }
                this.pending.clear();
                this.wakeWaiters();
                resolve(this.closeInfo);
            });
        });
        ws.on('error', () => {});
        ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    }

    onFrame(data, isBinary) {
        if (!isBinary) {
            this.frames.text++;
            return;
        }
        this.frames.binary++;
        const value = decodeMsg(data);
        const maps = Array.isArray(value) ? value : [value];
        if (Array.isArray(value)) {
            this.frames.arrays++;
        }
        for (const m of maps) {
            this.onMessage(m);
        }
    }

    onMessage(m) {
        this.received.push(m);
        const isReply = (m.type === 'ok' || m.type === 'error') && m.id !== undefined;
        if (isReply && this.pending.has(m.id)) {
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            clearTimeout(p.timer);
            p.resolve(m);
            return;
        }
        if (m.type === 'hello' && this.hello === null) {
            this.hello = m;
        }
        this.events.push(m);
        this.queue.push(m);
        this.wakeWaiters();
    }

    wakeWaiters() {
        for (const w of [...this.waiters]) {
            w.check();
        }
    }

    get isOpen() {
        return this.ws.readyState === WebSocket.OPEN;
    }

    // Sends one request and resolves the reply as it came, `ok` or `error`.
    call(type, fields = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            if (!this.isOpen) {
                reject(new Error(`connection not open, cannot send ${type}`));
                return;
            }
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(new Error(`no reply to ${type} (id ${id}) within ${timeoutMs} ms`));
            }, timeoutMs);
            this.pending.set(id, { resolve, reject, timer });
            this.ws.send(encodeMsg({ ...fields, type, id }), { binary: true });
        });
    }

    // Sends one request; resolves an `ok` reply, rejects a KolabError for an
    // `error` reply (with .code) and a plain Error for anything else.
    async request(type, fields = {}, opts = {}) {
        const reply = await this.call(type, fields, opts);
        if (reply.type === 'error') {
            throw new KolabError(reply, type);
        }
        return reply;
    }

    // Sends a request that should fail: resolves the `error` reply, throws
    // when the server answered `ok`.
    async requestError(type, fields = {}, opts = {}) {
        const reply = await this.call(type, fields, opts);
        if (reply.type !== 'error') {
            throw new Error(`${type} succeeded, an error was expected: ${JSON.stringify(reply)}`);
        }
        return reply;
    }

    // Sends raw bytes (a Buffer, binary) or a string (a text frame).
    sendRaw(data, { binary = typeof data !== 'string' } = {}) {
        this.ws.send(data, { binary });
    }

    // Takes the first queued event that satisfies `predicate`, waiting for it
    // up to `timeoutMs`. Rejects on timeout or when the connection closes.
    nextEvent(predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
        if (typeof predicate === 'string') {
            const type = predicate;
            predicate = (e) => e.type === type;
        }
        return new Promise((resolve, reject) => {
            const waiter = {
                check: () => {
                    const i = this.queue.findIndex(predicate);
                    if (i >= 0) {
                        const [event] = this.queue.splice(i, 1);
                        done();
                        resolve(event);
                    } else if (this.closeInfo) {
                        done();
                        reject(new Error(`connection closed (${this.closeInfo.code}) while waiting for an event`));
                    }
                },
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`no matching event within ${timeoutMs} ms`));
            }, timeoutMs);
            const done = () => {
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== waiter);
            };
            this.waiters.push(waiter);
            waiter.check();
        });
    }

    // Collects `count` events matching `predicate`, in arrival order.
    async takeEvents(predicate, count, timeoutMs = DEFAULT_TIMEOUT_MS) {
        const deadline = Date.now() + timeoutMs;
        const out = [];
        while (out.length < count) {
            out.push(await this.nextEvent(predicate, Math.max(1, deadline - Date.now())));
        }
        return out;
    }

    // Resolves true when a matching event arrives within `ms`, else false;
    // a matching event stays in the queue.
    async sawEvent(predicate, ms) {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
            if (this.queue.some(predicate)) {
                return true;
            }
            await new Promise((r) => setTimeout(r, 20));
        }
        return this.queue.some(predicate);
    }

    // Forgets the queued events (the `events` log keeps them).
    drain() {
        this.queue = [];
    }

    // Resolves {code, reason} when the connection has closed, or rejects
    // after `timeoutMs`.
    waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS) {
        let timer;
        const timeout = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
        });
        return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
    }

    async close(code = 1000) {
        if (this.ws.readyState === WebSocket.CLOSED) {
            return this.closeInfo;
        }
        if (this.ws.readyState === WebSocket.CONNECTING) {
            this.ws.terminate();
        } else {
            this.ws.close(code);
        }
        try {
            return await this.waitClosed(3000);
        } catch {
            this.ws.terminate();
            return this.closed;
        }
    }

    // Drops the TCP connection without a close handshake.
    terminate() {
        this.ws.terminate();
        return this.closed;
    }
}

/*
 * Opens the WebSocket handshake and reports how it went, without waiting for
 * `hello`. Resolves {client, ws, opened: true, protocol} or {opened: false,
 * status}. The client listens from the start, so a `hello` that arrives in
 * the same packet as the handshake answer is not lost.
 *   cookie:    a Cookie header value
 *   origin:    the Origin header (default: the server's own origin; null omits it)
 *   protocols: subprotocols offered (default ['kolab.v1']; [] offers none)
 *   headers:   further request headers (for example X-Forwarded-For)
 *   ca:        the certificate to trust for wss: (a self-signed one in tests)
 */
export function openSocket(url, { cookie, origin, protocols = [SUBPROTOCOL], timeoutMs = 5000, headers: extra = {}, ca } = {}) {
    const wsUrl = toWsUrl(url);
    const headers = { ...extra };
    if (cookie) {
        headers.Cookie = cookie;
    }
    const options = { headers, handshakeTimeout: timeoutMs };
    if (ca) {
        options.ca = ca;
    }
    const theOrigin = origin === undefined ? originOf(wsUrl) : origin;
    if (theOrigin !== null) {
        options.origin = theOrigin;
    }
    const ws = new WebSocket(wsUrl, protocols, options);
    ws.binaryType = 'nodebuffer';
    const client = new KolabClient(ws);
    return new Promise((resolve) => {
        let settled = false;
        const settle = (v) => {
            if (!settled) {
                settled = true;
                resolve(v);
            }
        };
        ws.on('unexpected-response', (req, res) => {
            settle({ opened: false, status: res.statusCode });
            req.destroy();
        });
        ws.on('open', () => settle({ client, ws, opened: true, protocol: ws.protocol }));
        ws.on('error', (err) => settle({ opened: false, status: null, error: err }));
        ws.on('close', (code) => settle({ opened: false, status: null, closeCode: code }));
    });
}

// Connects and waits for the `hello` event. Options as for openSocket.
export async function connect(url, opts = {}) {
    const res = await openSocket(url, opts);
    if (!res.opened) {
        const why = res.status ? `HTTP ${res.status}` : res.error?.message ?? `close ${res.closeCode}`;
        throw new Error(`WebSocket handshake to ${url} failed: ${why}`);
    }
    await res.client.nextEvent('hello', opts.helloTimeoutMs ?? 5000);
    return res.client;
}

let userCounter = 0;

// A fresh valid username with `prefix` (kept short to stay within 32 bytes).
export function uniqueName(prefix = 'u') {
    userCounter++;
    const rand = Math.random().toString(36).slice(2, 7);
    return `${prefix}${userCounter}_${rand}`.toLowerCase();
}

export const DEFAULT_PASSWORD = 'correct-horse-9';

// Registers `username` over `client`. Resolves the ok reply's user.
export async function register(client, username, { password = DEFAULT_PASSWORD, name, role = 'umkm' } = {}) {
    const reply = await client.request('register', {
        username,
        password,
        name: name ?? `Test ${username}`,
        role,
    });
    return reply.user;
}

// Logs `client` in. Resolves {token, user}.
export async function login(client, username, password = DEFAULT_PASSWORD) {
    const reply = await client.request('login', { username, password });
    return { token: reply.token, user: reply.user };
}

/*
 * A new registered and logged-in user on a new connection.
 * Resolves {client, user, token, username, password}.
 */
export async function newUser(url, { prefix = 'u', role = 'umkm', name, password = DEFAULT_PASSWORD } = {}) {
    const client = await connect(url);
    const username = uniqueName(prefix);
    await register(client, username, { password, role, name });
    const { token, user } = await login(client, username, password);
    return { client, user, token, username, password };
}

// Another connection for a user who holds `token`. Resolves the client.
export async function connectAs(url, token) {
    const client = await connect(url);
    await client.request('auth', { token });
    return client;
}

// POST /api/login. Resolves {status, headers, body, json, cookie}, where
// `cookie` is "kolab_session=<token>" when a session cookie was set.
export async function httpLogin(url, username, password, { origin, ca } = {}) {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (origin) {
        headers.Origin = origin;
    }
    const body = new URLSearchParams({ username, password }).toString();
    const res = await httpRequest(`${url}/api/login`, { method: 'POST', headers, body, ca });
    let json = null;
    try {
        json = JSON.parse(res.body);
    } catch {
        json = null;
    }
    const setCookies = res.headers['set-cookie'] ?? [];
    const session = setCookies.find((c) => c.startsWith('kolab_session='));
    const cookie = session ? session.split(';')[0] : null;
    return { ...res, json, cookie, setCookie: session ?? null };
}

// Logs in over HTTP and resolves the Cookie header value; throws on failure.
export async function loginHttp(url, username, password, opts = {}) {
    const res = await httpLogin(url, username, password, opts);
    if (res.status !== 200 || !res.cookie) {
        throw new Error(`POST /api/login for ${username}: HTTP ${res.status} ${res.body}`);
    }
    return res.cookie;
}

// Closes every client given, ignoring ones already closed.
export async function closeAll(...clients) {
    await Promise.all(clients.flat().filter(Boolean).map((c) => c.close().catch(() => {})));
}
