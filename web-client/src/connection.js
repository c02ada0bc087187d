// One WebSocket to the Kolab server, kept open for the life of the page.
//
// The connection turns requests into promises (matched to replies by id),
// hands events to a listener, and reconnects by itself after any drop with
// exponential backoff and jitter. Its state is what the banner shows:
//   connecting  the first attempt, or an attempt right after restart()
//   online      the server's hello arrived; requests may be sent
//   offline     the link is down and a retry is scheduled or under way
// Everything above this module (syncing rooms, the outbox) starts over from
// the hello of each new socket.

import { decodeFrame, encodeFrame } from './codec.js';

export const SUBPROTOCOL = 'kolab.v1';

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
const REPLY_TIMEOUT_MS = 20000;
// A quiet link on mobile data can die without a close event; a small ping
// now and then finds that out so the client can reconnect and resume.
const PING_INTERVAL_MS = 25000;
const PING_TIMEOUT_MS = 10000;
// The session-ended close code from the protocol (logout, revoked token).
export const CLOSE_SESSION_ENDED = 4001;

// A request that failed. `code` is a protocol error code (translated by the
// views), or `unavailable` when the connection dropped before the reply.
export class RequestError extends Error {
    constructor(code, message = code, extra = {}) {
        super(message);
        this.name = 'RequestError';
        this.code = code;
        this.retryMs = extra.retry_ms;
    }
}

// The wait before reconnect attempt number `attempt` (0 first). Each wait is
// random between half and all of the exponential step, so that many phones
// dropped by the same outage do not all come back in the same instant.
export function backoffDelay(attempt, random = Math.random) {
    const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10));
    return Math.round(step / 2 + (random() * step) / 2);
}

// The WebSocket address on the page's own host, ws: or wss: to match.
export function pageSocketUrl(loc = globalThis.location) {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${loc.host}/ws`;
}

export class Connection {
    // `options.WebSocketImpl` and `options.timers` exist for tests; a page
    // uses the browser's own.
    constructor({ url, WebSocketImpl = globalThis.WebSocket, timers = globalThis } = {}) {
        this.url = url;
        this.WebSocketImpl = WebSocketImpl;
        this.timers = timers;
        this.state = 'connecting';
        this.socket = null;
        this.nextId = 1;
        this.pending = new Map();
        this.attempt = 0;
        this.retryTimer = null;
        this.pingTimer = null;
        this.stopped = true;
        this.listeners = { event: [], state: [], hello: [], close: [] };
    }

    // Registers a listener for 'event' (each server event), 'state' (the new
    // state name), 'hello' (the hello event of each new socket) or 'close'
    // (the close code of a socket that was online or connecting).
    on(kind, fn) {
        this.listeners[kind].push(fn);
        return () => {
            this.listeners[kind] = this.listeners[kind].filter((f) => f !== fn);
        };
    }

    emit(kind, value) {
        for (const fn of this.listeners[kind]) {
            fn(value);
        }
    }

    setState(state) {
        if (this.state !== state) {
            this.state = state;
            this.emit('state', state);
        }
    }

    start() {
        this.stopped = false;
        this.open();
    }

    stop() {
        this.stopped = true;
        this.clearTimers();
        this.drop();
        this.setState('offline');
    }

    // Closes the current socket and opens a new one at once: after a login
    // the new handshake carries the session cookie.
    restart() {
        this.stopped = false;
        this.attempt = 0;
        this.clearTimers();
        this.drop();
        this.setState('connecting');
        this.open();
    }

    // Skips the rest of a backoff wait, for example when the browser reports
    // that the network is back.
    retryNow() {
        if (!this.stopped && this.state === 'offline' && this.retryTimer !== null) {
            this.attempt = 0;
            this.clearTimers();
            this.open();
        }
    }

    // The browser reports that the network is gone. A socket can look open
    // for a long while after that (until a ping goes unanswered), so it is
    // closed now: the banner says offline at once, messages wait in the
    // outbox, and the retry that follows resumes with `since`.
    linkLost() {
        const socket = this.socket;
        if (this.stopped || !socket) {
            return;
        }
        this.closed(socket, 4000);
        try {
            socket.close();
        } catch {
            // Nothing more to do for a socket already gone.
        }
    }

    open() {
        let socket;
        try {
            socket = new this.WebSocketImpl(this.url, SUBPROTOCOL);
        } catch {
            this.scheduleRetry();
            return;
        }
        socket.binaryType = 'arraybuffer';
        socket.onmessage = (ev) => this.receive(socket, ev.data);
        socket.onclose = (ev) => this.closed(socket, ev.code);
        // An error is always followed by close, which does the work.
        socket.onerror = () => {};
        this.socket = socket;
    }

    // Detaches and closes the current socket without triggering a retry.
    drop() {
        const socket = this.socket;
        if (!socket) {
            return;
        }
        this.socket = null;
        socket.onmessage = null;
        socket.onclose = null;
        try {
            socket.close();
        } catch {
            // It was already closing.
        }
        this.failPending();
    }

    clearTimers() {
        this.timers.clearTimeout(this.retryTimer);
        this.timers.clearTimeout(this.pingTimer);
        this.retryTimer = null;
        this.pingTimer = null;
    }

    closed(socket, code) {
        if (socket !== this.socket) {
            return;
        }
        this.socket = null;
        this.timers.clearTimeout(this.pingTimer);
        this.failPending();
        this.emit('close', code);
        if (!this.stopped) {
            this.scheduleRetry();
        }
    }

    scheduleRetry() {
        this.setState('offline');
        const delay = backoffDelay(this.attempt);
        this.attempt += 1;
        this.retryTimer = this.timers.setTimeout(() => {
            this.retryTimer = null;
            this.open();
        }, delay);
    }

    failPending() {
        const pending = this.pending;
        this.pending = new Map();
        for (const entry of pending.values()) {
            this.timers.clearTimeout(entry.timer);
            entry.reject(new RequestError('unavailable', 'connection closed'));
        }
    }

    receive(socket, data) {
        let messages;
        try {
            messages = decodeFrame(data);
        } catch {
            // A frame we cannot read says nothing we could act on.
            return;
        }
        for (const msg of messages) {
            if (socket !== this.socket) {
                return;
            }
            this.dispatch(msg);
        }
    }

    dispatch(msg) {
        if ((msg.type === 'ok' || msg.type === 'error') && this.pending.has(msg.id)) {
            const entry = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            this.timers.clearTimeout(entry.timer);
            if (msg.type === 'ok') {
                entry.resolve(msg);
            } else {
                entry.reject(new RequestError(msg.code || 'internal', msg.message, msg));
            }
            return;
        }
        if (msg.type === 'hello') {
            this.attempt = 0;
            this.setState('online');
            this.schedulePing();
            this.emit('hello', msg);
            return;
        }
        this.emit('event', msg);
    }

    // Sends one request; resolves with the `ok` reply, rejects with a
    // RequestError for an `error` reply, a dropped link or no reply in time.
    request(type, fields = {}, { timeoutMs = REPLY_TIMEOUT_MS } = {}) {
        const socket = this.socket;
        if (!socket || this.state !== 'online') {
            return Promise.reject(new RequestError('unavailable', 'not connected'));
        }
        const id = this.nextId;
        this.nextId += 1;
        return new Promise((resolve, reject) => {
            const timer = this.timers.setTimeout(() => {
                this.pending.delete(id);
                reject(new RequestError('unavailable', 'no reply in time'));
            }, timeoutMs);
            this.pending.set(id, { resolve, reject, timer });
            try {
                socket.send(encodeFrame({ ...fields, type, id }));
            } catch {
                this.pending.delete(id);
                this.timers.clearTimeout(timer);
                reject(new RequestError('unavailable', 'send failed'));
            }
        });
    }

    schedulePing() {
        this.timers.clearTimeout(this.pingTimer);
        this.pingTimer = this.timers.setTimeout(() => this.ping(), PING_INTERVAL_MS);
    }

    ping() {
        const socket = this.socket;
        this.request('ping', {}, { timeoutMs: PING_TIMEOUT_MS }).then(
            () => this.schedulePing(),
            (err) => {
                // No answer on a socket that still looks open means the path
                // is dead: close it, and the close handler reconnects.
                if (socket === this.socket && err.code === 'unavailable') {
                    this.linkLost();
                } else if (socket === this.socket) {
                    this.schedulePing();
                }
            },
        );
    }
}
