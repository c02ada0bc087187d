// The two HTTP endpoints of kolabd. Login answers with an HttpOnly session
// cookie that the next WebSocket handshake carries: the token itself never
// reaches JavaScript.

import { RequestError } from './connection.js';

async function post(path, body) {
    let res;
    try {
        res = await fetch(path, {
            method: 'POST',
            credentials: 'same-origin',
            headers: body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {},
            body,
        });
    } catch {
        throw new RequestError('unavailable', 'network error');
    }
    let data = {};
    try {
        data = await res.json();
    } catch {
        // Some failures (a proxy's 502) have no JSON body; the status is enough.
    }
    if (!res.ok) {
        throw new RequestError(data.error || codeForStatus(res.status), `HTTP ${res.status}`, data);
    }
    return data;
}

function codeForStatus(status) {
    if (status === 400) {
        return 'bad_request';
    }
    if (status === 401) {
        return 'unauthenticated';
    }
    if (status === 403) {
        return 'forbidden';
    }
    if (status === 429) {
        return 'rate_limited';
    }
    return status >= 500 ? 'unavailable' : 'internal';
}

// Resolves with the signed-in user; rejects with a RequestError
// (`unauthenticated` for a wrong username or password).
export async function login(username, password) {
    const data = await post('/api/login', new URLSearchParams({ username, password }));
    return data.user;
}

export async function logout() {
    await post('/api/logout');
}
