// Mentoring over the connection: loading what the user may see after every
// hello, the requests each role sends, and the events that keep the
// mentoring state (mentoring.js, kept in the store) current. Views call
// these methods and read the store; errors reach them as RequestErrors.

import { isMentor, isStaff, periodSince, usesMentoring } from './mentoring.js';

export class MentoringClient {
    // `session` supplies the connection, the store and the room list.
    constructor(session) {
        this.session = session;
    }

    get conn() {
        return this.session.conn;
    }

    get store() {
        return this.session.store;
    }

    get state() {
        return this.store.mentoring;
    }

    get me() {
        return this.store.me;
    }

    async request(type, fields) {
        return this.conn.request(type, fields);
    }

    changed() {
        this.store.changed();
    }

    // ---- catching up -------------------------------------------------------

    // After each hello: the requests, the mentor's own profile, the staff's
    // setting and mentors; and the open mentoring room again. Small replies,
    // so all of it is asked afresh rather than resumed.
    async onHello(user, isCurrent = () => true) {
        if (!usesMentoring(user)) {
            return;
        }
        const asks = [this.loadRequests(isCurrent)];
        if (isMentor(user)) {
            asks.push(this.loadProfile());
        }
        if (isStaff(user)) {
            asks.push(this.loadSettings(), this.loadMentors());
        }
        const open = this.session.reader.activeRoom;
        if (open !== null && this.state.rooms.has(open)) {
            asks.push(this.loadRoom(open));
        }
        await Promise.all(asks.map((p) => p.catch(() => {})));
    }

    // A call rings the user wherever they are in the app, and the `call`
    // events that tell of it are not replayed: after each hello (a reload, a
    // dropped link), the room of each of the user's active mentorships is
    // asked for its state, so that a call that rang or went on meanwhile
    // shows (the incoming banner, or the room's call bar). The open room
    // is asked by whoever opened it. Called once the rooms and the
    // requests are in.
    async loadCalls(isCurrent = () => true) {
        const me = this.me;
        if (!me || isStaff(me)) {
            return;
        }
        const open = this.session.reader.activeRoom;
        const rooms = [...this.state.requests.values()]
            .filter((r) => r.status === 'active' && r.room && r.room !== open)
            .filter((r) => (r.business && r.business.id === me.id) || (r.mentor && r.mentor.id === me.id))
            .map((r) => r.room)
            .filter((id) => {
                const room = this.store.rooms.get(id);
                return room && !room.viewOnly;
            });
        await Promise.all(rooms.map((id) => this.loadRoom(id).catch(() => {})));
    }

    async loadRequests(isCurrent = () => true) {
        const reply = await this.request('mentoring_requests', {});
        if (isCurrent()) {
            this.state.setRequests(reply.requests);
            this.changed();
        }
    }

    async loadProfile() {
        const reply = await this.request('mentor_profile', {});
        this.state.applyMentor(reply.mentor, this.me && this.me.id);
        this.changed();
    }

    async loadSettings() {
        const reply = await this.request('mentoring_settings', {});
        this.state.autoAssign = Boolean(reply.auto_assign);
        this.changed();
    }

    async loadMentors(topic) {
        const reply = await this.request('mentors', topic ? { topic } : {});
        if (topic) {
            for (const m of reply.mentors || []) {
                this.state.applyMentor(m, this.me && this.me.id);
            }
        } else {
            this.state.setMentors(reply.mentors);
        }
        this.changed();
        return reply.mentors || [];
    }

    // The figures for one of FIGURE_PERIODS. When the period is changed
    // again before the answer comes, only the latest ask's answer is kept.
    async loadFigures(period = 'all', now = Date.now()) {
        const since = periodSince(period, now);
        this.figuresAsked = (this.figuresAsked || 0) + 1;
        const ask = this.figuresAsked;
        const reply = await this.request('mentoring_figures', since ? { since_ts: since } : {});
        if (ask !== this.figuresAsked) {
            return;
        }
        this.state.figures = { topics: reply.topics || [], total: reply.total || null, since, period };
        this.changed();
    }

    // Everything of one mentoring room, when it is opened.
    async loadRoom(roomId) {
        const reply = await this.request('mentoring_room', { room: roomId });
        // Names first: the room's lines may mention a mentor who is no
        // member any more, whom no join reply names.
        this.store.addUsers(reply.people);
        this.state.setRoom(roomId, reply);
        this.changed();
        if (reply.call) {
            this.session.calls.onCallEvent(reply.call);
        }
    }

    // ---- events ------------------------------------------------------------

    // Returns true when the event was a mentoring one.
    onEvent(ev) {
        switch (ev.type) {
            case 'mentoring_request':
                this.applyRequest(ev.request);
                return true;
            case 'mentor':
                this.state.applyMentor(ev.mentor, this.me && this.me.id);
                break;
            case 'mentoring_session':
                this.state.applySession(ev.session);
                break;
            case 'mentoring_note':
                this.state.applyNote(ev.note);
                break;
            case 'mentoring_action':
                this.state.applyAction(ev.action);
                break;
            default:
                return false;
        }
        this.changed();
        return true;
    }

    // A request that gained a room this user belongs to makes the room list
    // fetch it (the member event may come later, or not to this process).
    applyRequest(req) {
        if (!req) {
            return;
        }
        this.state.applyRequest(req);
        this.changed();
        const me = this.me;
        const mine = me && ((req.business && req.business.id === me.id) || (req.mentor && req.mentor.id === me.id));
        if (req.room && mine && req.status === 'active' && !this.store.rooms.has(req.room)) {
            this.session.refreshRooms();
        }
    }

    // ---- the business ------------------------------------------------------

    async open(topic, description) {
        const reply = await this.request('mentoring_open', { topic, description });
        this.applyRequest(reply.request);
        return reply.request;
    }

    async cancel(requestId) {
        const reply = await this.request('mentoring_cancel', { request: requestId });
        this.applyRequest(reply.request);
    }

    async close(requestId, rating, comment) {
        const fields = { request: requestId, rating };
        if (comment) {
            fields.comment = comment;
        }
        const reply = await this.request('mentoring_close', fields);
        this.applyRequest(reply.request);
    }

    // ---- the mentor --------------------------------------------------------

    // Accepts an offer; resolves with the new room's id once it is listed.
    async accept(requestId) {
        const reply = await this.request('mentoring_accept', { request: requestId });
        this.applyRequest(reply.request);
        if (reply.request.room) {
            await this.session.refreshRooms();
        }
        return reply.request.room || null;
    }

    async decline(requestId, reason) {
        const reply = await this.request('mentoring_decline', { request: requestId, reason });
        this.applyRequest(reply.request);
    }

    async transfer(requestId, mentorId, note) {
        const reply = await this.request('mentoring_transfer', { request: requestId, mentor: mentorId, note });
        this.applyRequest(reply.request);
    }

    async saveProfile(fields) {
        const reply = await this.request('mentor_profile', fields);
        this.state.applyMentor(reply.mentor, this.me && this.me.id);
        this.changed();
    }

    // ---- the agency --------------------------------------------------------

    // Offers a request to `mentorId`, or to the least-loaded mentor of its
    // topic without one.
    async assign(requestId, mentorId) {
        const fields = { request: requestId };
        if (mentorId) {
            fields.mentor = mentorId;
        }
        const reply = await this.request('mentoring_assign', fields);
        this.applyRequest(reply.request);
    }

    async setAutoAssign(on) {
        const reply = await this.request('mentoring_settings', { auto_assign: on });
        this.state.autoAssign = Boolean(reply.auto_assign);
        this.changed();
    }

    // ---- in the room -------------------------------------------------------

    async addSession(roomId, startsTs, durationMin, agenda) {
        const reply = await this.request('mentoring_session_add', {
            room: roomId,
            starts_ts: startsTs,
            duration_min: durationMin,
            agenda,
        });
        this.state.applySession(reply.session);
        this.changed();
    }

    async updateSession(sessionId, fields) {
        const reply = await this.request('mentoring_session_update', { session: sessionId, ...fields });
        this.state.applySession(reply.session);
        this.changed();
    }

    async cancelSession(sessionId) {
        const reply = await this.request('mentoring_session_cancel', { session: sessionId });
        this.state.applySession(reply.session);
        this.changed();
    }

    async addNote(roomId, body) {
        const reply = await this.request('mentoring_note_add', { room: roomId, body });
        this.state.applyNote(reply.note);
        this.changed();
    }

    async editNote(noteId, body) {
        const reply = await this.request('mentoring_note_edit', { note: noteId, body });
        this.state.applyNote(reply.note);
        this.changed();
    }

    async addAction(roomId, text, owner, due) {
        const fields = { room: roomId, text, owner };
        if (due) {
            fields.due = due;
        }
        const reply = await this.request('mentoring_action_add', fields);
        this.state.applyAction(reply.action);
        this.changed();
    }

    async updateAction(actionId, fields) {
        const reply = await this.request('mentoring_action_update', { action: actionId, ...fields });
        this.state.applyAction(reply.action);
        this.changed();
    }
}
