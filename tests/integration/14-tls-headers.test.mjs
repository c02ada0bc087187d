// https and wss with the development certificate of scripts/dev-cert: ALPN
// settles on http/1.1, the WebSocket works over TLS, the cookie is Secure,
// and HSTS is sent. Every kind of HTTP response, with TLS and without,
// carries the security headers. Tokens appear neither in the logs nor work
// in a URL.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { DEFAULT_PASSWORD, closeAll, connect, httpLogin, login, newUser, register, uniqueName } from '../lib/client.mjs';
import { httpRequest, makeTempDir, repoRoot, startServer } from '../lib/server.mjs';

const HEADERS = {
    'x-content-type-options': /^nosniff$/,
    'referrer-policy': /^no-referrer$/,
    'content-security-policy': /frame-ancestors 'none'/,
};

// The policy must not let an injected inline script or eval run.
function checkPolicy(csp, what) {
    assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: script-src`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: no unsafe sources`);
    assert.match(csp, /(^|; )default-src 'self'/, `${what}: default-src`);
}

function checkHeaders(res, what, { hsts }) {
    for (const [name, re] of Object.entries(HEADERS)) {
        assert.match(res.headers[name] ?? '', re, `${what}: ${name}`);
    }
    checkPolicy(res.headers['content-security-policy'], what);
    if (hsts) {
        assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d{7,}/, `${what}: HSTS`);
    } else {
        assert.equal(res.headers['strict-transport-security'], undefined, `${what}: no HSTS without TLS`);
    }
}

// One of each kind of response the server gives.
async function everyKind(url, opts = {}) {
    const index = await httpRequest(`${url}/`, opts);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body);
    const kinds = {
        'GET /healthz': await httpRequest(`${url}/healthz`, opts),
        'GET /': index,
        'GET /nothing-here': await httpRequest(`${url}/nothing-here`, opts),
        'POST /api/logout': await httpRequest(`${url}/api/logout`, { ...opts, method: 'POST', body: '' }),
        'POST /api/login (wrong)': await httpRequest(`${url}/api/login`, {
            ...opts,
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: 'username=nobody&password=wrong-password',
        }),
    };
    if (script) {
        kinds[`GET ${script[1]}`] = await httpRequest(`${url}${script[1]}`, opts);
    }
    return kinds;
}

describe('14 TLS and security headers', { timeout: 60000 }, () => {
    let secure;
    let plain;
    let ca;
    const clients = [];

    before(async () => {
        const dir = makeTempDir();
        execFileSync(path.join(repoRoot, 'scripts', 'dev-cert'), [dir], { stdio: 'ignore' });
        const cert = path.join(dir, 'cert.pem');
        ca = fs.readFileSync(cert, 'utf8');
        secure = await startServer({ tls: { cert, key: path.join(dir, 'key.pem'), ca } });
        plain = await startServer();
    });

    after(async () => {
        await closeAll(clients);
        await secure?.stop();
        await plain?.stop();
    });

    it('negotiates http/1.1 by ALPN, even when the client prefers h2', async () => {
        const alpn = await new Promise((resolve, reject) => {
            const sock = tls.connect(
                { host: '127.0.0.1', port: secure.port, ca, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] },
                () => {
                    resolve(sock.alpnProtocol);
                    sock.end();
                },
            );
            sock.on('error', reject);
        });
        assert.equal(alpn, 'http/1.1');
    });

    it('serves the WebSocket over wss and sets a Secure cookie', async () => {
        const user = async (prefix) => {
            const client = await connect(secure.url, { ca });
            clients.push(client);
            const username = uniqueName(prefix);
            await register(client, username);
            return { client, username, ...(await login(client, username)) };
        };
        const a = await user('tlsa');
        const b = await user('tlsb');
        const { room } = await a.client.request('room_create', { kind: 'dm', members: [b.user.id] });
        await b.client.request('join', { room: room.id });
        await a.client.request('send', { room: room.id, body: 'lewat TLS', client_id: 't1' });
        const ev = await b.client.nextEvent((e) => e.type === 'message' && e.room === room.id);
        assert.equal(ev.body, 'lewat TLS');

        const res = await httpLogin(secure.url, a.username, DEFAULT_PASSWORD, { ca });
        assert.equal(res.status, 200);
        assert.match(res.setCookie, /; Secure/);
        assert.match(res.setCookie, /HttpOnly/);
    });

    it('puts the security headers and HSTS on every response under TLS', async () => {
        for (const [what, res] of Object.entries(await everyKind(secure.url, { ca }))) {
            checkHeaders(res, what, { hsts: true });
        }
    });

    it('puts the security headers, without HSTS, on every plain response', async () => {
        const kinds = await everyKind(plain.url);
        assert.ok(Object.keys(kinds).some((k) => k.startsWith('GET /assets/')), 'a bundle was fetched');
        for (const [what, res] of Object.entries(kinds)) {
            checkHeaders(res, what, { hsts: false });
        }
    });

    it('keeps tokens out of the logs and refuses them in a URL', async () => {
        const u = await newUser(plain.url, { prefix: 'tok' });
        clients.push(u.client);
        const cookie = (await httpLogin(plain.url, u.username, u.password)).cookie;
        const cookieToken = cookie.split('=')[1];

        // A token in the query string authenticates nobody.
        const viaUrl = await connect(`${plain.wsUrl}?token=${u.token}`);
        clients.push(viaUrl);
        assert.equal(viaUrl.hello.user, null);
        const viaUrl2 = await connect(`${plain.wsUrl}?kolab_session=${cookieToken}`);
        clients.push(viaUrl2);
        assert.equal(viaUrl2.hello.user, null);

        await u.client.request('logout');
        const logs = plain.logs();
        for (const t of [u.token, cookieToken]) {
            assert.equal(logs.includes(t), false, 'a token in the log');
            assert.equal(logs.includes(t.slice(0, 16)), false, 'part of a token in the log');
        }
    });
});
