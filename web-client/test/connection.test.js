import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { Connection, RequestError, SUBPROTOCOL, backoffDelay, pageSocketUrl } from '../src/connection.js';

// A stand-in for the browser's WebSocket that records what is sent and lets
// a test play the server.
class FakeSocket {
    static all = [];

    constructor(url, protocol) {
        this.url = url;
        this.protocol = protocol;
        this.sent = [];
        this.closed = false;
        FakeSocket.all.push(this);
    }

    send(bytes) {
        this.sent.push(decode(bytes));
    }

    close() {
        this.closed = true;
    }

    serverSends(value) {
        const bytes = encode(value);
        this.onmessage({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    }

    serverCloses(code) {
        this.onclose({ code });
    }
}

// Timers that run only when the test says so.
function manualTimers() {
    let next = 1;
    const due = new Map();
    return {
        setTimeout: (fn, ms) => {
            const id = next++;
            due.set(id, { fn, ms });
            return id;
        },
        clearTimeout: (id) => due.delete(id),
        pending: () => [...due.values()].map((t) => t.ms),
        runAll: () => {
            const list = [...due.values()];
            due.clear();
            list.forEach((t) => t.fn());
        },
    };
}

function connect() {
    FakeSocket.all = [];
    const timers = manualTimers();
    const conn = new Connection({ url: 'ws://h/ws', WebSocketImpl: FakeSocket, timers });
    const states = [];
    const events = [];
    conn.on('state', (s) => states.push(s));
    conn.on('event', (e) => events.push(e));
    conn.start();
    return { conn, timers, states, events, socket: () => FakeSocket.all[FakeSocket.all.length - 1] };
}

describe('Connection', () => {
    it('opens with the kolab.v1 subprotocol and binary frames', () => {
        const { socket } = connect();
        expect(socket().protocol).toBe(SUBPROTOCOL);
        expect(socket().binaryType).toBe('arraybuffer');
    });

    it('is online after hello and matches replies to requests by id', async () => {
        const { conn, socket, states } = connect();
        socket().serverSends({ type: 'hello', protocol: 1, user: null });
        expect(states).toEqual(['online']);
        const a = conn.request('ping');
        const b = conn.request('users', { query: 'bu' });
        const [ra, rb] = socket().sent;
        expect(ra).toMatchObject({ type: 'ping' });
        expect(rb).toMatchObject({ type: 'users', query: 'bu' });
        expect(ra.id).not.toBe(rb.id);
        // Both replies in one coalesced frame, the second first.
        socket().serverSends([
            { type: 'error', id: rb.id, code: 'forbidden', message: 'no' },
            { type: 'ok', id: ra.id },
        ]);
        await expect(a).resolves.toMatchObject({ type: 'ok' });
        await expect(b).rejects.toMatchObject({ code: 'forbidden' });
    });

    it('hands events to listeners in frame order', () => {
        const { socket, events } = connect();
        socket().serverSends({ type: 'hello', protocol: 1, user: null });
        socket().serverSends([
            { type: 'message', room: 1, seq: 1 },
            { type: 'message', room: 1, seq: 2 },
        ]);
        socket().serverSends({ type: 'typing', room: 1, user: 3 });
        expect(events.map((e) => e.seq || e.type)).toEqual([1, 2, 'typing']);
    });

    it('fails requests in flight on a drop and reconnects after a backoff', async () => {
        const { conn, socket, states, timers } = connect();
        const first = socket();
        first.serverSends({ type: 'hello', protocol: 1, user: null });
        const pending = conn.request('rooms');
        first.serverCloses(1006);
        await expect(pending).rejects.toBeInstanceOf(RequestError);
        expect(states).toEqual(['online', 'offline']);
        expect(timers.pending()).toHaveLength(1);
        await expect(conn.request('rooms')).rejects.toMatchObject({ code: 'unavailable' });
        timers.runAll();
        expect(socket()).not.toBe(first);
        socket().serverSends({ type: 'hello', protocol: 1, user: null });
        expect(states).toEqual(['online', 'offline', 'online']);
    });

    it('drops the socket at once when the browser reports the network gone, and retries', () => {
        const { conn, socket, states, timers } = connect();
        const first = socket();
        first.serverSends({ type: 'hello', protocol: 1, user: null });
        conn.linkLost();
        expect(first.closed).toBe(true);
        expect(states).toEqual(['online', 'offline']);
        expect(timers.pending()).toHaveLength(1);
        // The old socket's late close changes nothing.
        first.serverCloses(1006);
        expect(states).toEqual(['online', 'offline']);
        conn.retryNow();
        expect(socket()).not.toBe(first);
        socket().serverSends({ type: 'hello', protocol: 1, user: null });
        expect(states).toEqual(['online', 'offline', 'online']);
    });

    it('restarts at once, ignoring the old socket', () => {
        const { conn, socket, states } = connect();
        const first = socket();
        first.serverSends({ type: 'hello', protocol: 1, user: null });
        conn.restart();
        expect(first.closed).toBe(true);
        expect(states).toEqual(['online', 'connecting']);
        socket().serverSends({ type: 'hello', protocol: 1, user: { id: 1 } });
        expect(states).toEqual(['online', 'connecting', 'online']);
    });
});

describe('backoffDelay', () => {
    it('grows, stays between half and all of its step, and is capped', () => {
        expect(backoffDelay(0, () => 0)).toBe(250);
        expect(backoffDelay(0, () => 1)).toBe(500);
        expect(backoffDelay(3, () => 1)).toBe(4000);
        expect(backoffDelay(20, () => 1)).toBe(15000);
        expect(backoffDelay(20, () => 0)).toBe(7500);
    });
});

describe('pageSocketUrl', () => {
    it('uses the page host and a matching scheme', () => {
        expect(pageSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
        expect(pageSocketUrl({ protocol: 'https:', host: 'kolab.example' })).toBe('wss://kolab.example/ws');
    });
});
