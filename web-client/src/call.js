// The live call of a mentoring room: one 1:1 audio and video call at a time
// per tab, over an RTCPeerConnection, with the server as the signalling
// relay.
//
// The order of a call, on the wire:
//   caller  call_start {room}          -> reply {call (ringing), ice_servers}
//   callee  (call event, ringing)      -> the incoming banner
//   callee  call_accept {call}         -> reply {call (active), ice_servers}
//   caller  (call event, active)       -> creates the offer, call_signal "offer"
//   callee  (call_signal offer)        -> call_signal "answer"
//   both    call_signal "ice"          -> as candidates come
//   either  call_end {call}            -> (call event, ended) for both
// `data` of a signal is the JSON of an SDP description or an ICE candidate.
//
// What the view shows is `current` (the call this tab is in) and `incoming`
// (a ringing call for the user that this tab may accept). A phase is
// 'ringing', 'connecting', 'connected' or 'ended'; 'connected' means the
// peer connection itself says so, not merely that both sides agreed.
// Signals of any call this tab neither started nor accepted are ignored: the
// user's other tabs see the same events.

const MEDIA = { audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } };

export class CallController {
    // `deps`: { conn, store, onChange, RTCPeerConnection, getUserMedia,
    // MediaStream }. The last three default to the browser's.
    constructor({
        conn,
        store,
        onChange = () => {},
        RTCPeerConnection = globalThis.RTCPeerConnection,
        getUserMedia = (c) => globalThis.navigator.mediaDevices.getUserMedia(c),
        MediaStream = globalThis.MediaStream,
    }) {
        this.conn = conn;
        this.store = store;
        this.onChange = onChange;
        this.RTCPeerConnection = RTCPeerConnection;
        this.getUserMedia = getUserMedia;
        this.MediaStream = MediaStream;
        this.current = null;
        this.incoming = null;
        this.pc = null;
        this.queue = Promise.resolve();
        this.pendingSignals = [];
        this.pendingIce = [];
        this.remoteSet = false;
    }

    changed() {
        this.onChange();
    }

    busy() {
        return this.current !== null && this.current.phase !== 'ended';
    }

    // Whether the user is a member of this mentoring room (staff who read
    // it are not, and take no calls).
    isMemberOf(roomId) {
        const room = this.store.rooms.get(roomId);
        return Boolean(room) && !room.viewOnly;
    }

    // Whether this tab takes part in `call`: it started it (the reply may
    // still be on its way) or answered it, and has not left it.
    holds(call) {
        const c = this.current;
        if (!c || c.roomId !== call.room) {
            return false;
        }
        if (c.call) {
            return c.call.id === call.id;
        }
        return c.phase !== 'ended' && c.role === 'caller';
    }

    // The room's ringing or active call when it concerns the user but this
    // tab has no part in it: after a reload, in a second tab, or ringing
    // while this tab is in another call. The view then offers to end it,
    // rather than leave a call that nobody here can reach. A ringing call
    // for the user that the incoming banner shows is the banner's.
    elsewhere(call) {
        if (!call || call.state === 'ended' || !this.isMemberOf(call.room) || this.holds(call)) {
            return null;
        }
        if (this.incoming && this.incoming.id === call.id) {
            return null;
        }
        return call;
    }

    // Ends a call that this tab holds no part in: the caller gives up a
    // ringing call (`hangup`), the member called refuses it (`declined`),
    // and either ends an active one (`hangup`).
    async endElsewhere(call) {
        const me = this.store.me;
        const refusing = call.state === 'ringing' && me && call.started_by !== me.id;
        let ended;
        try {
            const reply = await this.conn.request('call_end', { call: call.id, reason: refusing ? 'declined' : 'hangup' });
            ended = reply.call;
        } catch (err) {
            if (err.code !== 'conflict') {
                throw err;
            }
            // It had ended already; its event may not have come yet.
            ended = { ...call, state: 'ended' };
        }
        if (ended && this.store.mentoring) {
            this.store.mentoring.applyCall(ended);
        }
        this.changed();
    }

    // ---- starting and answering --------------------------------------------

    // Calls the other member of a room. Resolves when the call rings (or
    // failed: then `current` is ended with the error's code as its reason).
    async start(roomId, { video = true } = {}) {
        if (this.busy()) {
            return;
        }
        this.current = this.newCurrent(roomId, 'caller', 'ringing', null);
        const current = this.current;
        this.changed();
        await this.openMedia(current, video);
        if (this.current !== current || current.phase === 'ended') {
            this.stopMedia(current);
            return;
        }
        try {
            const reply = await this.conn.request('call_start', { room: roomId });
            if (this.current !== current || current.phase === 'ended') {
                return;
            }
            current.iceServers = reply.ice_servers || [];
            // Events that came in the same frame as the reply were handled
            // before it: the other side may have answered, or hung up.
            const seen = current.seen && current.seen.id === reply.call.id ? current.seen : null;
            current.call = seen || reply.call;
            if (current.call.state === 'ended') {
                this.finish(current, current.call.end_reason || 'hangup');
            } else if (current.call.state === 'active') {
                this.callerConnect(current);
            }
        } catch (err) {
            this.finish(current, err.code || 'error');
        }
        this.changed();
    }

    // Answers the ringing call shown in the banner.
    async accept({ video = true } = {}) {
        const call = this.incoming;
        if (!call || this.busy()) {
            return;
        }
        this.incoming = null;
        this.current = this.newCurrent(call.room, 'callee', 'connecting', call);
        const current = this.current;
        this.pendingSignals = [];
        this.changed();
        await this.openMedia(current, video);
        if (this.current !== current || current.phase === 'ended') {
            this.stopMedia(current);
            return;
        }
        try {
            const reply = await this.conn.request('call_accept', { call: call.id });
            if (this.current !== current || current.phase === 'ended') {
                return;
            }
            current.call = reply.call;
            current.iceServers = reply.ice_servers || [];
            this.createPeer(current);
            const early = this.pendingSignals;
            this.pendingSignals = [];
            for (const ev of early) {
                this.onSignal(ev);
            }
        } catch (err) {
            this.finish(current, err.code || 'error');
        }
        this.changed();
    }

    decline() {
        const call = this.incoming;
        if (!call) {
            return;
        }
        this.incoming = null;
        this.conn.request('call_end', { call: call.id, reason: 'declined' }).catch(() => {});
        this.changed();
    }

    hangUp() {
        const current = this.current;
        if (!current || current.phase === 'ended') {
            return;
        }
        if (current.call) {
            this.conn.request('call_end', { call: current.call.id }).catch(() => {});
        }
        this.finish(current, 'hangup');
    }

    // The page is going away: the server hears of it now rather than when
    // the ring times out or the other side gives up.
    unload() {
        const current = this.current;
        if (current && current.phase !== 'ended' && current.call) {
            this.conn.request('call_end', { call: current.call.id }).catch(() => {});
        }
        if (current) {
            this.closePeer();
            this.stopMedia(current);
        }
    }

    // Signing out: the call ends and nothing of it stays on screen.
    reset() {
        this.unload();
        this.current = null;
        this.incoming = null;
        this.changed();
    }

    // Closes the ended call's view.
    dismiss() {
        if (this.current && this.current.phase === 'ended') {
            this.current = null;
            this.changed();
        }
    }

    toggleMute() {
        this.toggleTracks('audio', 'muted');
    }

    toggleCamera() {
        this.toggleTracks('video', 'cameraOff');
    }

    toggleTracks(kind, flag) {
        const current = this.current;
        if (!current || !current.localStream) {
            return;
        }
        current[flag] = !current[flag];
        for (const track of current.localStream.getTracks()) {
            if (track.kind === kind) {
                track.enabled = !current[flag];
            }
        }
        this.changed();
    }

    // ---- events ------------------------------------------------------------

    // A `call` event: a call in one of the user's rooms changed state.
    onCallEvent(call) {
        if (!call) {
            return;
        }
        const current = this.current;
        const me = this.store.me;
        if (current && !current.call && current.role === 'caller' && call.room === current.roomId
            && me && call.started_by === me.id) {
            // The call_start reply is still on its way.
            current.seen = call;
            return;
        }
        if (current && current.call && current.call.id === call.id) {
            if (call.state === 'ended') {
                this.finish(current, call.end_reason || 'hangup');
                return;
            }
            current.call = call;
            if (call.state === 'active' && current.role === 'caller' && !this.pc && current.iceServers) {
                this.callerConnect(current);
            }
            this.changed();
            return;
        }
        if (this.incoming && this.incoming.id === call.id && call.state !== 'ringing') {
            // Answered in another tab, declined there, or over.
            this.incoming = null;
            this.changed();
            return;
        }
        if (call.state === 'ringing' && me && call.started_by !== me.id && this.isMemberOf(call.room) && !this.busy()) {
            this.incoming = call;
            this.changed();
        }
    }

    // A `call_signal` event from the other member.
    onSignal(ev) {
        const current = this.current;
        if (!current || current.phase === 'ended' || !current.call || ev.call !== current.call.id) {
            return;
        }
        if (!this.pc) {
            // Accepted here, the peer not made yet: keep it for a moment.
            if (current.role === 'callee') {
                this.pendingSignals.push(ev);
            }
            return;
        }
        let data;
        try {
            data = JSON.parse(ev.data);
        } catch {
            return;
        }
        const pc = this.pc;
        // Descriptions and candidates are applied one after the other, in
        // the order they came.
        this.queue = this.queue
            .then(() => this.applySignal(current, pc, ev.kind, data))
            .catch(() => {});
    }

    async applySignal(current, pc, kind, data) {
        if (pc !== this.pc) {
            return;
        }
        if (kind === 'offer' && current.role === 'callee') {
            await pc.setRemoteDescription(data);
            this.remoteSet = true;
            this.addLocalTracks(current, pc);
            const answer = await pc.createAnswer();
            await pc.setLocalDescription(answer);
            this.signal(current, 'answer', pc.localDescription || answer);
            await this.flushIce(pc);
        } else if (kind === 'answer' && current.role === 'caller') {
            await pc.setRemoteDescription(data);
            this.remoteSet = true;
            await this.flushIce(pc);
        } else if (kind === 'ice') {
            if (this.remoteSet) {
                await pc.addIceCandidate(data);
            } else {
                this.pendingIce.push(data);
            }
        }
    }

    async flushIce(pc) {
        const waiting = this.pendingIce;
        this.pendingIce = [];
        for (const candidate of waiting) {
            await pc.addIceCandidate(candidate).catch(() => {});
        }
    }

    // After a reconnect: a call whose end was missed while the link was down
    // is ended here too, and a ringing banner that may be stale goes.
    async onHello() {
        this.incoming = null;
        const current = this.current;
        this.changed();
        if (!current || current.phase === 'ended' || !current.call) {
            return;
        }
        try {
            const reply = await this.conn.request('mentoring_room', { room: current.roomId });
            if (!reply.call || reply.call.id !== current.call.id) {
                this.finish(current, 'disconnected');
            }
        } catch {
            // The next hello asks again.
        }
    }

    // ---- the peer connection -----------------------------------------------

    newCurrent(roomId, role, phase, call) {
        return {
            roomId,
            role,
            phase,
            call,
            iceServers: null,
            localStream: null,
            remoteStream: null,
            muted: false,
            cameraOff: false,
            endReason: null,
            mediaError: false,
            seen: null,
        };
    }

    // Microphone and camera; the microphone alone when there is no camera;
    // nothing (receive only) when neither may be used.
    async openMedia(current, video) {
        const tries = video ? [MEDIA, { audio: true }] : [{ audio: true }];
        for (const constraints of tries) {
            try {
                current.localStream = await this.getUserMedia(constraints);
                current.cameraOff = !current.localStream.getVideoTracks().length;
                this.changed();
                return;
            } catch {
                // Try with less.
            }
        }
        current.mediaError = true;
        this.changed();
    }

    createPeer(current) {
        this.pendingIce = [];
        this.remoteSet = false;
        const pc = new this.RTCPeerConnection({ iceServers: current.iceServers || [] });
        this.pc = pc;
        pc.onicecandidate = (ev) => {
            if (ev.candidate && pc === this.pc) {
                const c = ev.candidate;
                this.signal(current, 'ice', typeof c.toJSON === 'function' ? c.toJSON() : c);
            }
        };
        pc.ontrack = (ev) => {
            if (pc !== this.pc) {
                return;
            }
            if (!current.remoteStream) {
                current.remoteStream = (ev.streams && ev.streams[0]) || new this.MediaStream();
            }
            if (!current.remoteStream.getTracks().includes(ev.track)) {
                current.remoteStream.addTrack(ev.track);
            }
            this.changed();
        };
        const onState = () => this.peerStateChanged(current, pc);
        pc.onconnectionstatechange = onState;
        pc.oniceconnectionstatechange = onState;
        return pc;
    }

    addLocalTracks(current, pc) {
        if (!current.localStream) {
            return;
        }
        for (const track of current.localStream.getTracks()) {
            pc.addTrack(track, current.localStream);
        }
    }

    // The caller makes the offer once the call is accepted, asking to
    // receive audio and video even when it sends neither.
    async callerConnect(current) {
        current.phase = 'connecting';
        const pc = this.createPeer(current);
        this.addLocalTracks(current, pc);
        const tracks = current.localStream ? current.localStream.getTracks() : [];
        for (const kind of ['audio', 'video']) {
            if (!tracks.some((tr) => tr.kind === kind)) {
                pc.addTransceiver(kind, { direction: 'recvonly' });
            }
        }
        this.changed();
        this.queue = this.queue
            .then(async () => {
                const offer = await pc.createOffer();
                await pc.setLocalDescription(offer);
                if (pc === this.pc) {
                    this.signal(current, 'offer', pc.localDescription || offer);
                }
            })
            .catch(() => {});
    }

    peerStateChanged(current, pc) {
        if (pc !== this.pc || current.phase === 'ended') {
            return;
        }
        const ice = pc.iceConnectionState;
        const up = pc.connectionState === 'connected' || ice === 'connected' || ice === 'completed';
        if (up) {
            current.phase = 'connected';
        } else if (pc.connectionState === 'failed' || ice === 'failed') {
            // Nothing gets through: end it rather than show a call that is not.
            if (current.call) {
                this.conn.request('call_end', { call: current.call.id }).catch(() => {});
            }
            this.finish(current, 'failed');
            return;
        } else if (current.phase === 'connected') {
            current.phase = 'connecting';
        }
        this.changed();
    }

    signal(current, kind, value) {
        const desc = value && typeof value.toJSON === 'function' ? value.toJSON() : value;
        const data = JSON.stringify(desc);
        this.conn.request('call_signal', { call: current.call.id, kind, data }).catch(() => {});
    }

    closePeer() {
        const pc = this.pc;
        this.pc = null;
        this.pendingIce = [];
        this.pendingSignals = [];
        this.remoteSet = false;
        if (pc) {
            pc.onicecandidate = null;
            pc.ontrack = null;
            pc.onconnectionstatechange = null;
            pc.oniceconnectionstatechange = null;
            try {
                pc.close();
            } catch {
                // Already closed.
            }
        }
    }

    stopMedia(current) {
        if (current.localStream) {
            for (const track of current.localStream.getTracks()) {
                track.stop();
            }
        }
    }

    finish(current, reason) {
        if (current.phase === 'ended') {
            return;
        }
        current.phase = 'ended';
        current.endReason = reason;
        if (this.current === current) {
            this.closePeer();
        }
        this.stopMedia(current);
        this.changed();
    }
}
