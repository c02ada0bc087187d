// Calls in mentoring rooms: call_start, call_accept, call_signal, call_end,
// who may take part, the signalling relay that reaches the other member
// only, the system lines, the ring timeout, ICE servers in the replies, and
// what transfer and close do to a call. Also: the room access rules that
// chat now goes through keep dm and group rooms as they were.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connect, connectAs, login, newUser } from '../lib/client.mjs';
import { startCluster } from '../lib/cluster.mjs';
import { addUser, makeTempDir, startServer } from '../lib/server.mjs';
import { send, sleep } from '../lib/util.mjs';

const RING_S = 2;
const STUN = 'stun:stun.example.org:3478';
const TURN = 'turn:turn.example.org:3478?transport=udp';
const TURN_USER = 'kolab-turn';
const TURN_SECRET = 'turn secret 42';

const MENTOR = { username: 'mentor.calls', password: 'mentor-pw-123', name: 'Made Mentor', role: 'mentor' };
const MENTOR2 = { username: 'mentor.calls2', password: 'mentor-pw-456', name: 'Komang Mentor', role: 'mentor' };
const MOD = { username: 'mod.calls', password: 'moderator-pw-1', name: 'Moderator Calls', role: 'moderator' };

const isCall = (id, state) => (e) => e.type === 'call' && e.call.id === id && (!state || e.call.state === state);
const isSignal = (id) => (e) => e.type === 'call_signal' && e.call === id;
const anySignal = (e) => e.type === 'call_signal';

// A system line of `room` whose JSON body has event `event` for call `call`
// (any call, or none, when `call` is undefined).
function isSystem(room, event, call) {
    return (e) => {
        if (e.type !== 'message' || e.room !== room || e.kind !== 'system' || e.from !== 0) {
            return false;
        }
        try {
            const body = JSON.parse(e.body);
            return body.event === event && (call === undefined || body.call === call);
        } catch {
            return false;
        }
    };
}

describe('11 calls', { timeout: 120000 }, () => {
    let server;
    let mentor;
    let mentor2;
    let mod;
    let stranger;
    const clients = [];

    async function staffLogin(account) {
        const client = await connect(server.url);
        const { user, token } = await login(client, account.username, account.password);
        clients.push(client);
        return { client, user, token };
    }

    // A business with an active mentorship with `mentor`, through the real
    // requests. Resolves {business, request, room}.
    async function mentorship(topic = 'bookkeeping') {
        const business = await newUser(server.url, { prefix: 'biz', name: 'Ni Luh Ayu', role: 'umkm' });
        clients.push(business.client);
        const opened = await business.client.request('mentoring_open', {
            topic,
            description: 'Kami butuh bantuan pembukuan.',
        });
        const id = opened.request.id;
        await mod.client.request('mentoring_assign', { request: id, mentor: mentor.user.id });
        const accepted = await mentor.client.request('mentoring_accept', { request: id });
        const room = accepted.request.room;
        assert.ok(Number.isInteger(room) && room > 0, `room ${room}`);
        return { business, request: id, room };
    }

    before(async () => {
        const dataDir = makeTempDir();
        for (const account of [MENTOR, MENTOR2, MOD]) {
            await addUser(dataDir, account);
        }
        server = await startServer({
            dataDir,
            args: ['--call-ring-s', String(RING_S), '--ice-servers', `${STUN}, ${TURN}`, '--turn-username', TURN_USER],
            env: { KOLAB_TURN_CREDENTIAL: TURN_SECRET },
        });
        mentor = await staffLogin(MENTOR);
        mentor2 = await staffLogin(MENTOR2);
        mod = await staffLogin(MOD);
        stranger = await newUser(server.url, { prefix: 'str', role: 'umkm' });
        clients.push(stranger.client);
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    describe('a call from start to end', () => {
        let m;
        let call;

        before(async () => {
            m = await mentorship();
            await m.business.client.request('join', { room: m.room });
            await mentor.client.request('join', { room: m.room });
            // The moderator reads the room without belonging to it.
            const joined = await mod.client.request('join', { room: m.room });
            assert.equal(joined.last_read, 0);
            mentor.client.drain();
            mod.client.drain();
            stranger.client.drain();
        });

        it('call_start rings, with the ICE servers, and tells the room', async () => {
            const reply = await m.business.client.request('call_start', { room: m.room });
            call = reply.call;
            assert.equal(call.room, m.room);
            assert.equal(call.state, 'ringing');
            assert.equal(call.started_by, m.business.user.id);
            assert.ok(call.started_ts > 0);
            assert.equal(call.accepted_ts, undefined);
            assert.equal(call.ended_ts, undefined);
            assert.deepEqual(reply.ice_servers, [
                { urls: [STUN] },
                { urls: [TURN], username: TURN_USER, credential: TURN_SECRET },
            ]);

            const ev = await mentor.client.nextEvent(isCall(call.id, 'ringing'));
            assert.deepEqual(ev.call, call);
            await mod.client.nextEvent(isCall(call.id, 'ringing'));
            await m.business.client.nextEvent(isCall(call.id, 'ringing'));
        });

        it('posts a call_started system line', async () => {
            const ev = await mentor.client.nextEvent(isSystem(m.room, 'call_started', call.id));
            assert.deepEqual(JSON.parse(ev.body), { event: 'call_started', call: call.id, by: m.business.user.id });
        });

        it('refuses a second call while one rings, from either member', async () => {
            for (const c of [m.business.client, mentor.client]) {
                const err = await c.requestError('call_start', { room: m.room });
                assert.equal(err.code, 'conflict');
            }
        });

        it('the caller cannot accept their own call', async () => {
            const err = await m.business.client.requestError('call_accept', { call: call.id });
            assert.equal(err.code, 'forbidden');
        });

        it('staff reading the room and strangers cannot accept, signal or end', async () => {
            for (const c of [mod.client, stranger.client]) {
                for (const [type, fields] of [
                    ['call_accept', { call: call.id }],
                    ['call_signal', { call: call.id, kind: 'offer', data: 'v=0' }],
                    ['call_end', { call: call.id }],
                ]) {
                    const err = await c.requestError(type, fields);
                    assert.equal(err.code, 'forbidden', `${type}`);
                }
            }
        });

        it('call_accept by the other member makes it active', async () => {
            const reply = await mentor.client.request('call_accept', { call: call.id });
            assert.equal(reply.call.state, 'active');
            assert.ok(reply.call.accepted_ts >= call.started_ts);
            assert.equal(reply.ice_servers.length, 2);
            const ev = await m.business.client.nextEvent(isCall(call.id, 'active'));
            assert.deepEqual(ev.call, reply.call);
            await mod.client.nextEvent(isCall(call.id, 'active'));
            const again = await mentor.client.requestError('call_accept', { call: call.id });
            assert.equal(again.code, 'conflict');
        });

        it('relays offer, answer and ICE to the other member only', async () => {
            const biz = m.business;
            const offer = JSON.stringify({ type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' });
            const ok = await biz.client.request('call_signal', { call: call.id, kind: 'offer', data: offer });
            assert.deepEqual(Object.keys(ok).sort(), ['id', 'type']);
            const got = await mentor.client.nextEvent(isSignal(call.id));
            assert.deepEqual(got, {
                type: 'call_signal', call: call.id, room: m.room, from: biz.user.id, kind: 'offer', data: offer,
            });

            await mentor.client.request('call_signal', { call: call.id, kind: 'answer', data: 'answer-sdp' });
            const answer = await biz.client.nextEvent(isSignal(call.id));
            assert.equal(answer.kind, 'answer');
            assert.equal(answer.from, mentor.user.id);
            assert.equal(answer.data, 'answer-sdp');

            for (let i = 0; i < 3; i++) {
                await biz.client.request('call_signal', { call: call.id, kind: 'ice', data: `cand-b-${i}` });
                await mentor.client.request('call_signal', { call: call.id, kind: 'ice', data: `cand-m-${i}` });
            }
            const toMentor = await mentor.client.takeEvents(isSignal(call.id), 3);
            assert.deepEqual(toMentor.map((e) => e.data), ['cand-b-0', 'cand-b-1', 'cand-b-2']);
            const toBiz = await biz.client.takeEvents(isSignal(call.id), 3);
            assert.deepEqual(toBiz.map((e) => e.data), ['cand-m-0', 'cand-m-1', 'cand-m-2']);

            // Nobody else heard any of it, the senders included.
            await sleep(200);
            assert.equal(mod.client.events.some(anySignal), false, 'the moderator got a signal');
            assert.equal(stranger.client.events.some(anySignal), false, 'a stranger got a signal');
            assert.equal(await biz.client.sawEvent(isSignal(call.id), 100), false, 'an echo to the sender');
            assert.equal(await mentor.client.sawEvent(isSignal(call.id), 100), false, 'an echo to the sender');
        });

        it('reaches every connection of the other member', async () => {
            const second = await connect(server.url);
            clients.push(second);
            await second.request('auth', { token: mentor.token });
            await m.business.client.request('call_signal', { call: call.id, kind: 'ice', data: 'both-tabs' });
            assert.equal((await second.nextEvent(isSignal(call.id))).data, 'both-tabs');
            assert.equal((await mentor.client.nextEvent(isSignal(call.id))).data, 'both-tabs');
        });

        it('refuses bad signals and keeps the connection', async () => {
            const c = m.business.client;
            const cases = [
                [{ call: call.id, kind: 'offer', data: 'x'.repeat(16001) }, 'too_large'],
                [{ call: call.id, kind: 'offer', data: '' }, 'bad_request'],
                [{ call: call.id, kind: 'bye', data: 'x' }, 'bad_request'],
                [{ call: call.id, kind: 'offer' }, 'bad_request'],
                [{ call: call.id, kind: 'offer', data: 42 }, 'bad_request'],
                [{ kind: 'offer', data: 'x' }, 'bad_request'],
                [{ call: 987654, kind: 'offer', data: 'x' }, 'not_found'],
            ];
            for (const [fields, code] of cases) {
                const err = await c.requestError('call_signal', fields);
                assert.equal(err.code, code, JSON.stringify(fields).slice(0, 80));
            }
            // The largest allowed data goes through whole.
            const big = 'y'.repeat(16000);
            await c.request('call_signal', { call: call.id, kind: 'offer', data: big });
            assert.equal((await mentor.client.nextEvent(isSignal(call.id))).data, big);
            assert.equal(c.closeInfo, null);
        });

        it('call_end ends it for the room and posts call_ended', async () => {
            await sleep(1100);
            const reply = await mentor.client.request('call_end', { call: call.id });
            assert.equal(reply.call.state, 'ended');
            assert.equal(reply.call.end_reason, 'hangup');
            assert.ok(reply.call.ended_ts >= reply.call.accepted_ts);
            const ev = await m.business.client.nextEvent(isCall(call.id, 'ended'));
            assert.deepEqual(ev.call, reply.call);
            await mod.client.nextEvent(isCall(call.id, 'ended'));

            const line = await m.business.client.nextEvent(isSystem(m.room, 'call_ended', call.id));
            const body = JSON.parse(line.body);
            const expected = Math.floor((reply.call.ended_ts - reply.call.accepted_ts) / 1000);
            assert.deepEqual(body, { event: 'call_ended', call: call.id, reason: 'hangup', duration_s: expected });
            assert.ok(body.duration_s >= 1);
        });

        it('refuses signalling, accepting and ending an ended call', async () => {
            const c = m.business.client;
            assert.equal((await c.requestError('call_signal', { call: call.id, kind: 'ice', data: 'late' })).code, 'conflict');
            assert.equal((await c.requestError('call_end', { call: call.id })).code, 'conflict');
            assert.equal((await mentor.client.requestError('call_accept', { call: call.id })).code, 'conflict');
        });

        it('keeps both system lines in the history, readable by staff', async () => {
            const { messages } = await mod.client.request('history', { room: m.room });
            const events = messages.filter((x) => x.kind === 'system').map((x) => JSON.parse(x.body).event);
            assert.ok(events.includes('call_started') && events.includes('call_ended'), events.join());
        });
    });

    describe('who may call', () => {
        let m;

        before(async () => {
            m = await mentorship();
        });

        it('refuses call_start from a stranger and from a moderator reading the room', async () => {
            for (const c of [stranger.client, mod.client, mentor2.client]) {
                const err = await c.requestError('call_start', { room: m.room });
                assert.equal(err.code, 'forbidden');
            }
        });

        it('refuses call_start in an unknown room and with a bad room field', async () => {
            assert.equal((await m.business.client.requestError('call_start', { room: 987654 })).code, 'not_found');
            assert.equal((await m.business.client.requestError('call_start', { room: 'x' })).code, 'bad_request');
            assert.equal((await m.business.client.requestError('call_start', {})).code, 'bad_request');
        });

        it('refuses calls in dm and group rooms, even between their members', async () => {
            const dm = (await m.business.client.request('room_create', { kind: 'dm', members: [stranger.user.id] })).room;
            const group = (
                await m.business.client.request('room_create', { kind: 'group', title: 'Grup', members: [stranger.user.id] })
            ).room;
            for (const room of [dm.id, group.id]) {
                const err = await m.business.client.requestError('call_start', { room });
                assert.equal(err.code, 'forbidden');
                assert.equal(err.message, 'calls are only in mentoring rooms');
            }
        });

        it('the callee declines: ended as declined, lasting 0 seconds', async () => {
            await mentor.client.request('join', { room: m.room });
            const { call } = await mentor.client.request('call_start', { room: m.room });
            const reply = await m.business.client.request('call_end', { call: call.id, reason: 'declined' });
            assert.equal(reply.call.end_reason, 'declined');
            assert.equal(reply.call.accepted_ts, undefined);
            const line = await mentor.client.nextEvent(isSystem(m.room, 'call_ended', call.id));
            assert.deepEqual(JSON.parse(line.body), { event: 'call_ended', call: call.id, reason: 'declined', duration_s: 0 });
        });

        it('refuses an unknown end reason', async () => {
            const { call } = await mentor.client.request('call_start', { room: m.room });
            for (const reason of ['missed', 'transfer', 'bye', 7]) {
                const err = await mentor.client.requestError('call_end', { call: call.id, reason });
                assert.equal(err.code, 'bad_request', String(reason));
            }
            await mentor.client.request('call_end', { call: call.id });
        });
    });

    describe('ring timeout', () => {
        it(`a call not accepted within ${RING_S} s ends as missed`, async () => {
            const m = await mentorship();
            await m.business.client.request('join', { room: m.room });
            const started = Date.now();
            const { call } = await m.business.client.request('call_start', { room: m.room });
            const ev = await m.business.client.nextEvent(isCall(call.id, 'ended'), (RING_S + 5) * 1000);
            const waited = Date.now() - started;
            assert.ok(waited >= RING_S * 1000 - 100, `ended after ${waited} ms`);
            assert.equal(ev.call.end_reason, 'missed');
            const line = await m.business.client.nextEvent(isSystem(m.room, 'call_ended', call.id));
            assert.deepEqual(JSON.parse(line.body), { event: 'call_ended', call: call.id, reason: 'missed', duration_s: 0 });

            // A new call may start after it.
            const next = await m.business.client.request('call_start', { room: m.room });
            assert.equal(next.call.state, 'ringing');
            await m.business.client.request('call_end', { call: next.call.id });
        });

        it('an accepted call is not ended by the ring timer', async () => {
            const m = await mentorship();
            await m.business.client.request('join', { room: m.room });
            const { call } = await m.business.client.request('call_start', { room: m.room });
            await mentor.client.request('call_accept', { call: call.id });
            await sleep((RING_S + 1) * 1000);
            assert.equal(await m.business.client.sawEvent(isCall(call.id, 'ended'), 100), false);
            const { call: still } = await mentor.client.request('call_end', { call: call.id });
            assert.equal(still.end_reason, 'hangup');
        });
    });

    describe('a member who goes away', () => {
        it('ends the call as disconnected once they stayed away for the ring timeout', async () => {
            const m = await mentorship();
            await mentor.client.request('join', { room: m.room });
            const { call } = await m.business.client.request('call_start', { room: m.room });
            await mentor.client.request('call_accept', { call: call.id });
            const started = Date.now();
            await m.business.client.terminate();
            const ev = await mentor.client.nextEvent(isCall(call.id, 'ended'), (RING_S + 3) * 1000);
            assert.equal(ev.call.end_reason, 'disconnected');
            assert.ok(Date.now() - started >= RING_S * 1000 - 100, 'not before the ring timeout');
            const line = await mentor.client.nextEvent(isSystem(m.room, 'call_ended', call.id));
            assert.equal(JSON.parse(line.body).reason, 'disconnected');
            // The room can call again.
            const next = await mentor.client.request('call_start', { room: m.room });
            await mentor.client.request('call_end', { call: next.call.id });
        });

        it('keeps the call when they come back within the ring timeout', async () => {
            const m = await mentorship();
            await mentor.client.request('join', { room: m.room });
            const { call } = await m.business.client.request('call_start', { room: m.room });
            await mentor.client.request('call_accept', { call: call.id });
            await m.business.client.terminate();
            await sleep(RING_S * 500);
            const back = await connectAs(server.url, m.business.token);
            clients.push(back);
            await sleep(RING_S * 1000);
            assert.equal(await mentor.client.sawEvent(isCall(call.id, 'ended'), 100), false);
            const { call: still } = await back.request('call_end', { call: call.id });
            assert.equal(still.end_reason, 'hangup');
        });
    });

    describe('transfer and close', () => {
        it('a transfer ends the call as transfer', async () => {
            const m = await mentorship();
            await m.business.client.request('join', { room: m.room });
            const { call } = await m.business.client.request('call_start', { room: m.room });
            await mentor.client.request('call_accept', { call: call.id });
            await mentor.client.request('mentoring_transfer', {
                request: m.request, mentor: mentor2.user.id, note: 'Komang lebih paham perizinan.',
            });
            const ev = await m.business.client.nextEvent(isCall(call.id, 'ended'));
            assert.equal(ev.call.end_reason, 'transfer');
            await m.business.client.nextEvent(isSystem(m.room, 'call_ended', call.id));

            // The old mentor is out; the new one may call, and the room still
            // names the old one (their messages and notes stay).
            assert.equal((await mentor.client.requestError('call_start', { room: m.room })).code, 'forbidden');
            const snapshot = await mentor2.client.request('mentoring_room', { room: m.room });
            const ids = snapshot.people.map((p) => p.id);
            for (const who of [mentor.user, mentor2.user, m.business.user]) {
                assert.ok(ids.includes(who.id), `people names ${who.username}`);
            }
            assert.equal(snapshot.people.find((p) => p.id === mentor.user.id).name, mentor.user.name);
            const next = await mentor2.client.request('call_start', { room: m.room });
            await mentor2.client.request('call_end', { call: next.call.id });
        });

        it('closing the mentorship ends the call as closed and refuses new calls', async () => {
            const m = await mentorship();
            await m.business.client.request('join', { room: m.room });
            const { call } = await mentor.client.request('call_start', { room: m.room });
            await m.business.client.request('send', { room: m.room, body: 'Sampai jumpa', client_id: 'before-close' });
            await m.business.client.request('mentoring_close', { request: m.request, rating: 5, comment: 'Terima kasih' });
            const ev = await m.business.client.nextEvent(isCall(call.id, 'ended'));
            assert.equal(ev.call.end_reason, 'closed');
            // System lines commit in the store's next batch, after the reply.
            await m.business.client.nextEvent(isSystem(m.room, 'mentoring_closed'));

            for (const c of [m.business.client, mentor.client]) {
                const err = await c.requestError('call_start', { room: m.room });
                assert.equal(err.code, 'conflict');
            }

            // The closed room is read-only for its members; staff still delete in it.
            const sent = await m.business.client.requestError('send', { room: m.room, body: 'halo', client_id: 'c1' });
            assert.equal(sent.code, 'conflict');
            const { messages } = await mod.client.request('history', { room: m.room });
            const said = messages.find((x) => x.client_id === 'before-close');
            await mod.client.request('delete', { room: m.room, seq: said.seq });
            const again = await m.business.client.requestError('delete', { room: m.room, seq: said.seq });
            assert.equal(again.code, 'conflict');
            // Nobody takes a system line back, staff included.
            const line = messages.find((x) => x.kind === 'system');
            const kept = await mod.client.requestError('delete', { room: m.room, seq: line.seq });
            assert.equal(kept.code, 'forbidden');
            assert.match(kept.message, /system lines stay/);
        });
    });
});

describe('11 calls across a restart', { timeout: 60000 }, () => {
    let server;
    let mentor;
    let mod;
    const clients = [];

    async function staff(account) {
        const client = await connect(server.url);
        const { user } = await login(client, account.username, account.password);
        clients.push(client);
        return { client, user };
    }

    async function mentorship() {
        const business = await newUser(server.url, { prefix: 'rbiz', role: 'umkm' });
        clients.push(business.client);
        const { request } = await business.client.request('mentoring_open', {
            topic: 'bookkeeping', description: 'Pembukuan koperasi.',
        });
        await mod.client.request('mentoring_assign', { request: request.id, mentor: mentor.user.id });
        const accepted = await mentor.client.request('mentoring_accept', { request: request.id });
        return { business, room: accepted.request.room };
    }

    // Both come back after the restart; resolves the room's call lines.
    async function callLines(m) {
        const { messages } = await mentor.client.request('history', { room: m.room });
        return messages.filter((x) => x.kind === 'system').map((x) => JSON.parse(x.body))
            .filter((b) => b.event === 'call_ended');
    }

    before(async () => {
        const dataDir = makeTempDir();
        for (const account of [MENTOR, MOD]) {
            await addUser(dataDir, account);
        }
        server = await startServer({ dataDir, args: ['--call-ring-s', String(RING_S)] });
    });

    after(async () => {
        await closeAll(clients);
        await server?.stop();
    });

    it('a call ringing when the server stops ends as missed after its ring time', async () => {
        mentor = await staff(MENTOR);
        mod = await staff(MOD);
        const m = await mentorship();
        const { call } = await m.business.client.request('call_start', { room: m.room });
        const active = await mentorship();
        const { call: talk } = await active.business.client.request('call_start', { room: active.room });
        await mentor.client.request('call_accept', { call: talk.id });
        const back = await mentorship();
        const { call: kept } = await back.business.client.request('call_start', { room: back.room });
        await mentor.client.request('call_accept', { call: kept.id });

        await server.restart();
        mentor = await staff(MENTOR);
        mod = await staff(MOD);
        // The business of the third call comes back at once; nobody of the
        // second does until the ring timeout has passed.
        const again = await connectAs(server.url, back.business.token);
        clients.push(again);
        await sleep((RING_S + 1.5) * 1000);

        const rang = await callLines(m);
        assert.deepEqual(rang.map((b) => [b.call, b.reason]), [[call.id, 'missed']]);
        const talked = await callLines(active);
        assert.deepEqual(talked.map((b) => [b.call, b.reason]), [[talk.id, 'disconnected']]);
        assert.deepEqual(await callLines(back), []);
        const snapshot = await again.request('mentoring_room', { room: back.room });
        assert.equal(snapshot.call.id, kept.id);
        assert.equal(snapshot.call.state, 'active');
        await again.request('call_end', { call: kept.id });
    });
});

describe('11 calls across two processes', { timeout: 60000 }, () => {
    let cluster;
    let nodes;
    const clients = [];
    let mentor;
    let mod;

    async function loginOn(node, account) {
        const client = await connect(node.url);
        const { user } = await login(client, account.username, account.password);
        clients.push(client);
        return { client, user };
    }

    // The business on node 0, the mentor on node 1, both joined.
    async function mentorship() {
        const business = await newUser(nodes[0].url, { prefix: 'xbiz', role: 'koperasi' });
        clients.push(business.client);
        const { request } = await business.client.request('mentoring_open', {
            topic: 'export', description: 'Ekspor kopi ke Jepang.',
        });
        await mod.client.request('mentoring_assign', { request: request.id, mentor: mentor.user.id });
        const room = (await mentor.client.request('mentoring_accept', { request: request.id })).request.room;
        await business.client.request('join', { room });
        await mentor.client.request('join', { room });
        return { business, room };
    }

    before(async () => {
        cluster = await startCluster(2, {
            args: ['--call-ring-s', String(RING_S)],
            prepare: async (dataDir) => {
                await addUser(dataDir, MENTOR);
                await addUser(dataDir, MOD);
            },
        });
        nodes = cluster.nodes;
        mentor = await loginOn(nodes[1], MENTOR);
        mod = await loginOn(nodes[0], MOD);
    });

    after(async () => {
        await closeAll(clients);
        await cluster?.stop();
    });

    it('rings, is accepted and relays signals between processes, and the ring timer leaves it be', async () => {
        const m = await mentorship();
        await mod.client.request('join', { room: m.room });
        const { call } = await m.business.client.request('call_start', { room: m.room });
        await mentor.client.nextEvent(isCall(call.id, 'ringing'));
        await mentor.client.request('call_accept', { call: call.id });
        await m.business.client.nextEvent(isCall(call.id, 'active'));

        await m.business.client.request('call_signal', { call: call.id, kind: 'offer', data: 'offer-x' });
        assert.equal((await mentor.client.nextEvent(isSignal(call.id))).data, 'offer-x');
        await mentor.client.request('call_signal', { call: call.id, kind: 'answer', data: 'answer-x' });
        assert.equal((await m.business.client.nextEvent(isSignal(call.id))).data, 'answer-x');

        // The timer of node 0 fires meanwhile and finds the call active.
        await sleep((RING_S + 1) * 1000);
        assert.equal(await m.business.client.sawEvent(isCall(call.id, 'ended'), 100), false);
        await mentor.client.request('call_end', { call: call.id });
        assert.equal((await m.business.client.nextEvent(isCall(call.id, 'ended'))).call.end_reason, 'hangup');
        await mod.client.nextEvent(isCall(call.id, 'ended'));
        assert.equal(mod.client.events.some(anySignal), false, 'the moderator got a signal');
    });

    it('a call declined on the other process ends once', async () => {
        const m = await mentorship();
        const { call } = await m.business.client.request('call_start', { room: m.room });
        await mentor.client.request('call_end', { call: call.id, reason: 'declined' });
        await m.business.client.nextEvent(isCall(call.id, 'ended'));
        await sleep((RING_S + 1) * 1000);
        const ends = m.business.client.events.filter(isCall(call.id, 'ended'));
        assert.equal(ends.length, 1);
        assert.equal(ends[0].call.end_reason, 'declined');
    });
});

describe('11 room access for dm and group rooms', { timeout: 60000 }, () => {
    let server;
    let alice;
    let bob;
    let eve;
    let mod;
    const clients = [];

    before(async () => {
        const dataDir = makeTempDir();
        await addUser(dataDir, MOD);
        server = await startServer({ dataDir });
        alice = await newUser(server.url, { prefix: 'alice' });
        bob = await newUser(server.url, { prefix: 'bob', role: 'koperasi' });
        eve = await newUser(server.url, { prefix: 'eve', role: 'student' });
        const modClient = await connect(server.url);
        const { user } = await login(modClient, MOD.username, MOD.password);
        mod = { client: modClient, user };
        clients.push(alice.client, bob.client, eve.client, modClient);
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    for (const kind of ['dm', 'group']) {
        it(`${kind}: members join, read, write; others, staff included, do none of it`, async () => {
            const fields = kind === 'dm' ? { members: [bob.user.id] } : { title: 'Grup Batik', members: [bob.user.id] };
            const { room } = await alice.client.request('room_create', { kind, ...fields });
            const { seq } = await send(alice.client, room.id, 'halo', `${kind}-1`);

            const joined = await bob.client.request('join', { room: room.id });
            assert.equal(joined.room.id, room.id);
            assert.equal((await bob.client.request('history', { room: room.id })).messages.length, 1);
            await send(bob.client, room.id, 'halo juga', `${kind}-2`);
            await bob.client.request('typing', { room: room.id });
            assert.equal((await bob.client.request('read', { room: room.id, seq })).seq, seq);

            for (const c of [eve.client, mod.client]) {
                const requests = [
                    ['join', { room: room.id }],
                    ['history', { room: room.id }],
                    ['send', { room: room.id, body: 'masuk', client_id: 'x1' }],
                    ['typing', { room: room.id }],
                    ['read', { room: room.id, seq }],
                    ['edit', { room: room.id, seq, body: 'ubah' }],
                ];
                for (const [type, f] of requests) {
                    const err = await c.requestError(type, f);
                    assert.equal(err.code, 'forbidden', `${type} by ${c === mod.client ? 'staff' : 'stranger'}`);
                }
            }
            // A stranger may not delete; staff delete only where they may read.
            assert.equal((await eve.client.requestError('delete', { room: room.id, seq })).code, 'forbidden');
            assert.equal((await mod.client.requestError('delete', { room: room.id, seq })).code, 'forbidden');
            assert.equal((await alice.client.requestError('join', { room: 987654 })).code, 'not_found');
        });
    }

    it('staff still manage a group they do not belong to', async () => {
        const { room } = await alice.client.request('room_create', { kind: 'group', title: 'Grup Kopi', members: [] });
        await mod.client.request('member_add', { room: room.id, user: bob.user.id });
        await bob.client.request('join', { room: room.id });
        await mod.client.request('member_remove', { room: room.id, user: bob.user.id });
        assert.equal((await bob.client.requestError('history', { room: room.id })).code, 'forbidden');
    });
});
