// The Node `ws` peer: a broadcast server of the fan-out protocol in
// fanout-protocol.mjs. Backpressure: a client whose send buffer passes
// MAX_BUFFERED bytes is closed with 1013, as kolabd closes a client that
// falls behind its queue bound.
//
//   node ws-peer.mjs [port]

import { WebSocketServer } from 'ws';

import { FanoutState, SUBPROTOCOL, portArg } from './fanout-protocol.mjs';

const MAX_BUFFERED = 4 * 1024 * 1024;
const rooms = new Map();

const state = new FanoutState((room, bytes) => {
    for (const ws of rooms.get(room) || []) {
        if (ws.bufferedAmount > MAX_BUFFERED) {
            ws.close(1013, 'too far behind');
            continue;
        }
        ws.send(bytes, { binary: true });
    }
});

const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: portArg(),
    path: '/ws',
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
});

wss.on('connection', (ws) => {
    const joined = new Set();
    const conn = {
        user: 0,
        join(room) {
            if (!rooms.has(room)) {
                rooms.set(room, new Set());
            }
            rooms.get(room).add(ws);
            joined.add(room);
        },
    };
    ws.send(state.hello(), { binary: true });
    ws.on('message', (data, isBinary) => {
        const reply = isBinary ? state.handle(conn, data) : null;
        if (reply) {
            ws.send(reply, { binary: true });
        }
    });
    ws.on('close', () => {
        for (const room of joined) {
            rooms.get(room)?.delete(ws);
        }
    });
});

wss.on('listening', () => console.log(`listening ${wss.address().port}`));
