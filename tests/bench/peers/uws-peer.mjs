// The uWebSockets.js peer (the npm package @trufflesuite/uws-js-unofficial,
// native builds for Node 20): the fan-out protocol of fanout-protocol.mjs
// over uWS's own pub/sub, one topic per room. Backpressure: maxBackpressure
// of 4 MiB per socket with closeOnBackpressureLimit, the nearest to kolabd's
// queue bound; the idle timeout is kolabd's 45 s.
//
//   node uws-peer.mjs [port]

import { createRequire } from 'node:module';

import { FanoutState, SUBPROTOCOL, portArg } from './fanout-protocol.mjs';

const uWS = createRequire(import.meta.url)('@trufflesuite/uws-js-unofficial');

let app;
const state = new FanoutState((room, bytes) => app.publish(`room/${room}`, bytes, true));

app = uWS.App().ws('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 4 * 1024 * 1024,
    closeOnBackpressureLimit: true,
    idleTimeout: 45,
    upgrade: (res, req, context) => {
        const offered = (req.getHeader('sec-websocket-protocol') || '').split(',').map((s) => s.trim());
        if (!offered.includes(SUBPROTOCOL)) {
            res.writeStatus('400 Bad Request').end();
            return;
        }
        res.upgrade({ user: 0 }, req.getHeader('sec-websocket-key'), SUBPROTOCOL,
            req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
        ws.send(state.hello(), true);
    },
    message: (ws, message, isBinary) => {
        if (!isBinary) {
            return;
        }
        const data = ws.getUserData();
        const conn = {
            get user() {
                return data.user;
            },
            set user(v) {
                data.user = v;
            },
            join: (room) => ws.subscribe(`room/${room}`),
        };
        const reply = state.handle(conn, Buffer.from(message));
        if (reply) {
            ws.send(reply, true);
        }
    },
}).listen('127.0.0.1', portArg(), (token) => {
    if (!token) {
        console.error('uws-peer: could not listen');
        process.exit(1);
    }
    console.log(`listening ${uWS.us_socket_local_port(token)}`);
});
