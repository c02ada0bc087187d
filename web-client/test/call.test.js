import { describe, expect, it } from 'vitest';
import { CallController } from '../src/call.js';

const ME = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const MADE = 2;
const ROOM = 40;

class FakeTrack {
    constructor(kind) {
        this.kind = kind;
        this.enabled = true;
        this.stopped = false;
    }

    stop() {
        this.stopped = true;
    }
}

class FakeStream {
    constructor(tracks = []) {
        this.tracks = tracks;
    }

    getTracks() {
        return this.tracks;
    }

    getVideoTracks() {
        return this.tracks.filter((t) => t.kind === 'video');
    }

    addTrack(t) {
        this.tracks.push(t);
    }
}

// Records what the controller does to its peer connection.
class FakePeer {
    static made = [];

    constructor(config) {
        this.config = config;
        this.log = [];
        this.connectionState = 'new';
        this.iceConnectionState = 'new';
        this.localDescription = null;
        this.closed = false;
        FakePeer.made.push(this);
    }

    addTrack(track) {
        this.log.push(`track:${track.kind}`);
    }

    addTransceiver(kind, init) {
        this.log.push(`transceiver:${kind}:${init.direction}`);
    }

    async createOffer() {
        return { type: 'offer', sdp: 'v=0 offer' };
    }

    async createAnswer() {
        return { type: 'answer', sdp: 'v=0 answer' };
    }

    async setLocalDescription(d) {
        this.localDescription = d;
        this.log.push(`local:${d.type}`);
    }

    async setRemoteDescription(d) {
        this.log.push(`remote:${d.type}`);
    }

    async addIceCandidate(c) {
        this.log.push(`ice:${c.candidate}`);
    }

    close() {
        this.closed = true;
    }

    // The browser reports a state change.
    become(connectionState, iceConnectionState = connectionState) {
        this.connectionState = connectionState;
        this.iceConnectionState = iceConnectionState;
        this.onconnectionstatechange();
    }
}

class FakeConn {
    constructor() {
        this.requests = [];
        this.answers = {};
    }

    request(type, fields = {}) {
        this.requests.push({ type, ...fields });
        const answer = this.answers[type];
        const reply = answer ? answer(fields) : {};
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve({ type: 'ok', ...reply });
    }

    sent(type) {
        return this.requests.filter((r) => r.type === type);
    }
}

const settle = async () => {
    for (let i = 0; i < 10; i += 1) {
        await new Promise((r) => setTimeout(r, 0));
    }
};

const call = (state, extra = {}) => ({ id: 7, room: ROOM, state, started_by: ME.id, started_ts: 1, ...extra });
const ICE = [{ urls: ['stun:stun.example.org:3478'] }];

function setup({ media = 'both' } = {}) {
    FakePeer.made = [];
    const conn = new FakeConn();
    const store = { me: ME, rooms: new Map([[ROOM, { id: ROOM, kind: 'mentoring' }], [41, { id: 41, kind: 'mentoring', viewOnly: true }]]) };
    let changes = 0;
    const getUserMedia = async (c) => {
        if (media === 'none' || (media === 'audio' && c.video)) {
            throw new Error('NotAllowedError');
        }
        return new FakeStream(c.video ? [new FakeTrack('audio'), new FakeTrack('video')] : [new FakeTrack('audio')]);
    };
    const calls = new CallController({
        conn,
        store,
        onChange: () => (changes += 1),
        RTCPeerConnection: FakePeer,
        getUserMedia,
        MediaStream: FakeStream,
    });
    return { conn, calls, changes: () => changes };
}

describe('CallController, calling', () => {
    it('rings, then makes the offer once the other side accepts, and connects', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: ICE });
        await calls.start(ROOM);
        expect(conn.sent('call_start')).toEqual([{ type: 'call_start', room: ROOM }]);
        expect(calls.current.phase).toBe('ringing');
        expect(FakePeer.made).toHaveLength(0);

        calls.onCallEvent(call('active', { accepted_ts: 2 }));
        await settle();
        const pc = FakePeer.made[0];
        expect(pc.config).toEqual({ iceServers: ICE });
        expect(pc.log).toEqual(['track:audio', 'track:video', 'local:offer']);
        expect(calls.current.phase).toBe('connecting');
        const [offer] = conn.sent('call_signal');
        expect(offer).toMatchObject({ call: 7, kind: 'offer' });
        expect(JSON.parse(offer.data)).toEqual({ type: 'offer', sdp: 'v=0 offer' });

        // A candidate of the other side waits for their answer.
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'ice', data: JSON.stringify({ candidate: 'c1' }) });
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'answer', data: JSON.stringify({ type: 'answer', sdp: 'a' }) });
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'ice', data: JSON.stringify({ candidate: 'c2' }) });
        await settle();
        expect(pc.log.slice(3)).toEqual(['remote:answer', 'ice:c1', 'ice:c2']);

        // Our own candidates go out as they come.
        pc.onicecandidate({ candidate: { toJSON: () => ({ candidate: 'mine', sdpMid: '0' }) } });
        pc.onicecandidate({ candidate: null });
        const ice = conn.sent('call_signal').filter((s) => s.kind === 'ice');
        expect(ice.map((s) => JSON.parse(s.data))).toEqual([{ candidate: 'mine', sdpMid: '0' }]);

        // Agreeing is not enough: connected is what the peer connection says.
        pc.become('connecting', 'checking');
        expect(calls.current.phase).toBe('connecting');
        pc.become('connecting', 'connected');
        expect(calls.current.phase).toBe('connected');
    });

    it('hangs up: call_end, media stopped, the peer closed', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.onCallEvent(call('active'));
        await settle();
        const tracks = calls.current.localStream.getTracks();
        calls.hangUp();
        expect(conn.sent('call_end')).toEqual([{ type: 'call_end', call: 7 }]);
        expect(calls.current.phase).toBe('ended');
        expect(calls.current.endReason).toBe('hangup');
        expect(tracks.every((t) => t.stopped)).toBe(true);
        expect(FakePeer.made[0].closed).toBe(true);
        // The server's ended event changes nothing more.
        calls.onCallEvent(call('ended', { end_reason: 'hangup' }));
        expect(calls.current.endReason).toBe('hangup');
        calls.dismiss();
        expect(calls.current).toBe(null);
    });

    it('ends when the other side declines or the ring times out', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.onCallEvent(call('ended', { end_reason: 'missed' }));
        expect(calls.current).toMatchObject({ phase: 'ended', endReason: 'missed' });
        expect(calls.busy()).toBe(false);
    });

    it('shows why a call could not start', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => Object.assign(new Error('a call is already on'), { code: 'conflict' });
        await calls.start(ROOM);
        expect(calls.current).toMatchObject({ phase: 'ended', endReason: 'conflict' });
    });

    it('handles an answer that came in the same frame as the call_start reply', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => {
            // The accept event is dispatched before the reply's continuation.
            queueMicrotask(() => calls.onCallEvent(call('active')));
            return { call: call('ringing'), ice_servers: [] };
        };
        await calls.start(ROOM);
        await settle();
        expect(FakePeer.made).toHaveLength(1);
        expect(conn.sent('call_signal')[0].kind).toBe('offer');
    });

    it('calls with the microphone alone when there is no camera, still asking for video', async () => {
        const { conn, calls } = setup({ media: 'audio' });
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.onCallEvent(call('active'));
        await settle();
        expect(FakePeer.made[0].log).toEqual(['track:audio', 'transceiver:video:recvonly', 'local:offer']);
        expect(calls.current.cameraOff).toBe(true);
    });

    it('mutes and turns the camera off by disabling tracks', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.toggleMute();
        calls.toggleCamera();
        const [audio, video] = calls.current.localStream.getTracks();
        expect([audio.enabled, video.enabled]).toEqual([false, false]);
        calls.toggleMute();
        expect(audio.enabled).toBe(true);
    });
});

describe('CallController, answering', () => {
    const ringing = call('ringing', { started_by: MADE });

    it('shows an incoming call, accepts it, and answers the offer', async () => {
        const { conn, calls } = setup();
        calls.onCallEvent(ringing);
        expect(calls.incoming).toEqual(ringing);
        conn.answers.call_accept = () => ({ call: call('active', { started_by: MADE }), ice_servers: ICE });
        await calls.accept();
        expect(conn.sent('call_accept')).toEqual([{ type: 'call_accept', call: 7 }]);
        expect(calls.incoming).toBe(null);
        expect(calls.current.phase).toBe('connecting');

        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'offer', data: JSON.stringify({ type: 'offer', sdp: 'o' }) });
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'ice', data: JSON.stringify({ candidate: 'c1' }) });
        await settle();
        const pc = FakePeer.made[0];
        expect(pc.log).toEqual(['remote:offer', 'track:audio', 'track:video', 'local:answer', 'ice:c1']);
        const answer = conn.sent('call_signal').find((s) => s.kind === 'answer');
        expect(JSON.parse(answer.data)).toEqual({ type: 'answer', sdp: 'v=0 answer' });
        pc.become('connected', 'completed');
        expect(calls.current.phase).toBe('connected');
    });

    it('keeps an offer that arrives before the call_accept reply', async () => {
        const { conn, calls } = setup();
        calls.onCallEvent(ringing);
        conn.answers.call_accept = () => {
            queueMicrotask(() => calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'offer', data: JSON.stringify({ type: 'offer', sdp: 'o' }) }));
            return { call: call('active', { started_by: MADE }), ice_servers: [] };
        };
        await calls.accept();
        await settle();
        expect(FakePeer.made[0].log[0]).toBe('remote:offer');
    });

    it('declines with the reason', () => {
        const { conn, calls } = setup();
        calls.onCallEvent(ringing);
        calls.decline();
        expect(conn.sent('call_end')).toEqual([{ type: 'call_end', call: 7, reason: 'declined' }]);
        expect(calls.incoming).toBe(null);
    });

    it('ignores signals of calls this tab did not accept', async () => {
        const { conn, calls } = setup();
        calls.onCallEvent(ringing);
        // Accepted in the user's other tab: the banner goes, signals are not ours.
        calls.onCallEvent(call('active', { started_by: MADE }));
        expect(calls.incoming).toBe(null);
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'offer', data: '{"type":"offer","sdp":"o"}' });
        await settle();
        expect(FakePeer.made).toHaveLength(0);
        expect(conn.requests).toEqual([]);
    });

    it('ignores signals of another call, and garbage', async () => {
        const { conn, calls } = setup();
        calls.onCallEvent(ringing);
        conn.answers.call_accept = () => ({ call: call('active', { started_by: MADE }), ice_servers: [] });
        await calls.accept();
        calls.onSignal({ call: 8, room: ROOM, from: MADE, kind: 'offer', data: '{"type":"offer","sdp":"o"}' });
        calls.onSignal({ call: 7, room: ROOM, from: MADE, kind: 'offer', data: 'not json' });
        await settle();
        expect(FakePeer.made[0].log).toEqual([]);
    });

    it('shows no banner for own calls, rooms only read, or while in a call', async () => {
        const { calls } = setup();
        calls.onCallEvent(call('ringing'));
        calls.onCallEvent(call('ringing', { id: 9, room: 41, started_by: MADE }));
        expect(calls.incoming).toBe(null);
    });
});

describe('CallController, leaving', () => {
    it('sends call_end when the page goes away', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.unload();
        expect(conn.sent('call_end')).toEqual([{ type: 'call_end', call: 7 }]);
    });

    it('ends a call whose end was missed while the link was down', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        conn.answers.mentoring_room = () => ({ request: {}, sessions: [], notes: [], actions: [] });
        await calls.onHello();
        expect(calls.current).toMatchObject({ phase: 'ended', endReason: 'disconnected' });
    });

    it('ends a call the peer connection cannot carry', async () => {
        const { conn, calls } = setup();
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        await calls.start(ROOM);
        calls.onCallEvent(call('active'));
        await settle();
        FakePeer.made[0].become('failed');
        expect(calls.current).toMatchObject({ phase: 'ended', endReason: 'failed' });
        expect(conn.sent('call_end')).toHaveLength(1);
    });
});

describe('CallController, a call this tab takes no part in', () => {
    it('is shown when the room has a call for the user that this tab holds no peer for', async () => {
        const { conn, calls } = setup();
        // After a reload, or in a second tab: the room's call is known, this
        // tab is in none.
        expect(calls.elsewhere(call('ringing'))).toMatchObject({ id: 7 });
        expect(calls.elsewhere(call('active'))).toMatchObject({ id: 7 });
        expect(calls.elsewhere(call('ended'))).toBe(null);
        expect(calls.elsewhere(null)).toBe(null);
        // Staff reading a room take no calls.
        expect(calls.elsewhere(call('active', { room: 41 }))).toBe(null);

        // The tab that started it holds it, from the first moment on.
        conn.answers.call_start = () => ({ call: call('ringing'), ice_servers: [] });
        const starting = calls.start(ROOM);
        expect(calls.elsewhere(call('ringing'))).toBe(null);
        await starting;
        expect(calls.elsewhere(call('ringing'))).toBe(null);
        // A newer call of the room is not this tab's.
        expect(calls.elsewhere(call('ringing', { id: 8 }))).toMatchObject({ id: 8 });
    });

    it('leaves a ringing call for the user to the incoming banner', () => {
        const { calls } = setup();
        const ringing = call('ringing', { started_by: MADE });
        calls.onCallEvent(ringing);
        expect(calls.incoming).toMatchObject({ id: 7 });
        expect(calls.elsewhere(ringing)).toBe(null);
    });

    it('ends it: the caller hangs up, the member called declines, and the room forgets it', async () => {
        const { conn, calls } = setup();
        const applied = [];
        calls.store.mentoring = { applyCall: (c) => applied.push(c) };
        conn.answers.call_end = (f) => ({ call: call('ended', { end_reason: f.reason }) });
        await calls.endElsewhere(call('ringing'));
        await calls.endElsewhere(call('active', { started_by: MADE }));
        await calls.endElsewhere(call('ringing', { started_by: MADE }));
        expect(conn.sent('call_end').map((r) => r.reason)).toEqual(['hangup', 'hangup', 'declined']);
        expect(applied.map((c) => c.state)).toEqual(['ended', 'ended', 'ended']);

        // One that ended meanwhile is gone too; other errors reach the view.
        conn.answers.call_end = () => Object.assign(new Error('conflict'), { code: 'conflict' });
        await calls.endElsewhere(call('active'));
        expect(applied).toHaveLength(4);
        conn.answers.call_end = () => Object.assign(new Error('rate_limited'), { code: 'rate_limited' });
        await expect(calls.endElsewhere(call('active'))).rejects.toMatchObject({ code: 'rate_limited' });
    });
});
