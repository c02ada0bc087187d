// The part of kolab.v1 that the load generator's fan-out and pairs scenarios
// use, answered from memory by the peer servers, so that the same client
// drives kolabd and its peers: hello, register/auth/login, room_create, join, send
// (acknowledged, then broadcast to the room's subscribers as a `message`
// event). Nothing is stored and nobody is checked: a peer measures what a
// plain broadcast server costs, which is the floor kolabd is compared with.

import { decode, encode } from '@msgpack/msgpack';

export const SUBPROTOCOL = 'kolab.v1';

const HELLO = encode({ type: 'hello', protocol: 1, server: 'peer', node: 'peer', user: null });

// One peer's rooms and sequence numbers. `publish(room, bytes)` is the
// server's own broadcast (a loop over sockets, or uWebSockets' pub/sub).
export class FanoutState {
    constructor(publish) {
        this.publish = publish;
        this.nextRoom = 1;
        this.seqs = new Map();
    }

    hello() {
        return HELLO;
    }

    // Handles one binary frame from a client. `conn` is the peer's record of
    // the connection: {user, join(room)}. Returns the reply's bytes, or null.
    handle(conn, data) {
        let req;
        try {
            req = decode(data);
        } catch {
            return encode({ type: 'error', code: 'bad_request', message: 'malformed' });
        }
        const ok = (fields = {}) => encode({ type: 'ok', id: req.id, ...fields });
        switch (req.type) {
        case 'register':
        case 'auth':
        case 'login':
            conn.user = conn.user || Math.floor(Math.random() * 1e9) + 1;
            return ok({ token: 'peer', user: { id: conn.user, username: 'peer', name: 'Peer', role: 'umkm' } });
        case 'room_create': {
            const id = this.nextRoom++;
            this.seqs.set(id, 0);
            return ok({ room: { id, kind: req.kind || 'group', title: req.title || '', last_seq: 0, epoch: 'peer' } });
        }
        case 'join':
            conn.join(req.room);
            return ok({ room: { id: req.room, kind: 'group', title: '', last_seq: this.seqs.get(req.room) || 0, epoch: 'peer' },
                members: [], messages: [], gap: false, last_read: 0 });
        case 'send': {
            const seq = (this.seqs.get(req.room) || 0) + 1;
            this.seqs.set(req.room, seq);
            const ts = Date.now();
            const reply = ok({ seq, ts });
            this.publish(req.room, encode({ type: 'message', room: req.room, seq, from: conn.user, ts, kind: 'text',
                body: req.body, client_id: req.client_id }));
            return reply;
        }
        case 'ping':
            return ok();
        default:
            return encode({ type: 'error', id: req.id, code: 'bad_request', message: 'not in the peer' });
        }
    }
}

// The port from argv[2] (0: any free one); the peer prints "listening PORT".
export function portArg() {
    return Number(process.argv[2] ?? 0);
}
