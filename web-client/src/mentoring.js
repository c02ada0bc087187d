// What the page knows about mentoring (pendampingan): the requests the user
// may see, mentors' profiles and load, the agency's auto-assign setting and
// figures, and, per mentoring room that was opened, its sessions, notes,
// action items and current call. Plain data and pure functions: replies and
// events go in, the views read the lists out. The requests and events that
// fill it live in mentoringclient.js.

import { notice } from './i18n.js';
import { witaToUtc, witaToday } from './time.js';

// The fixed topic list, as the wire names them, in the order forms show.
export const TOPICS = ['digital_marketing', 'bookkeeping', 'licensing', 'packaging', 'export', 'haki', 'other'];

// The protocol's limits, in UTF-8 bytes.
export const DESCRIPTION_MAX_BYTES = 2000;
export const REASON_MAX_BYTES = 500;
export const AGENDA_MAX_BYTES = 500;
export const NOTE_MAX_BYTES = 4000;
export const ACTION_MAX_BYTES = 500;
export const COMMENT_MAX_BYTES = 1000;
export const DURATION_MIN = 15;
export const DURATION_MAX = 480;

// The periods the agency's figures can cover, and where each begins
// (`since_ts` of `mentoring_figures`; 0 is all time). "This year" begins
// on 1 January in WITA, the agency's own calendar.
export const FIGURE_PERIODS = ['all', 'days30', 'year'];
const DAY_MS = 24 * 60 * 60 * 1000;

export function periodSince(period, now = Date.now()) {
    if (period === 'days30') {
        return now - 30 * DAY_MS;
    }
    if (period === 'year') {
        return witaToUtc(`${witaToday(now).slice(0, 4)}-01-01`, '00:00');
    }
    return 0;
}

export function isBusiness(user) {
    return Boolean(user) && (user.role === 'umkm' || user.role === 'koperasi');
}

export function isMentor(user) {
    return Boolean(user) && user.role === 'mentor';
}

export function isStaff(user) {
    return Boolean(user) && (user.role === 'moderator' || user.role === 'admin');
}

// Whether the user has anything to do with mentoring (students do not).
export function usesMentoring(user) {
    return isBusiness(user) || isMentor(user) || isStaff(user);
}

// 'upcoming', 'ongoing', 'held' or 'cancelled'. A session counts as held
// once its start plus its duration is past, as the server counts it.
export function sessionPhase(session, now = Date.now()) {
    if (session.status === 'cancelled') {
        return 'cancelled';
    }
    const end = session.starts_ts + session.duration_min * 60000;
    if (now >= end) {
        return 'held';
    }
    return now >= session.starts_ts ? 'ongoing' : 'upcoming';
}

// A session may start at most 5 minutes in the past and 366 days ahead.
const PAST_SLACK_MS = 5 * 60 * 1000;
const AHEAD_MAX_MS = 366 * 24 * 60 * 60 * 1000;

// A session's start as typed (WITA date and time): {ts} in UTC ms, or
// {problem} (a notice) when it is not a time or out of range.
export function checkSessionTime(date, time, now = Date.now()) {
    const ts = witaToUtc(date, time);
    if (ts === null) {
        return { problem: notice('session.bad_time') };
    }
    if (ts < now - PAST_SLACK_MS) {
        return { problem: notice('session.in_past') };
    }
    if (ts > now + AHEAD_MAX_MS) {
        return { problem: notice('session.too_far') };
    }
    return { ts };
}

// An open action item whose due day (WITA) is before today (WITA).
export function actionOverdue(action, today) {
    return !action.done && Boolean(action.due) && action.due < today;
}

// Keeps the newer of two versions of a session, note or action: an event
// and a reply about the same change may arrive in either order.
function newer(held, next) {
    return !held || (next.updated_ts || 0) >= (held.updated_ts || 0) ? next : held;
}

const byId = (a, b) => a.id - b.id;
const newestFirst = (a, b) => b.created_ts - a.created_ts || b.id - a.id;

export class MentoringState {
    constructor() {
        this.reset();
    }

    reset() {
        this.requests = new Map();
        this.loaded = false;
        this.profile = null;
        this.mentors = new Map();
        this.autoAssign = null;
        this.figures = null;
        this.rooms = new Map();
    }

    // ---- requests ----------------------------------------------------------

    // Replaces the requests with a `mentoring_requests` reply.
    setRequests(list) {
        this.requests = new Map();
        for (const req of list || []) {
            this.applyRequest(req);
        }
        this.loaded = true;
    }

    // A request from a reply or a `mentoring_request` event.
    applyRequest(req) {
        if (!req || !Number.isInteger(req.id)) {
            return;
        }
        this.requests.set(req.id, req);
        if (req.room) {
            const room = this.rooms.get(req.room);
            if (room) {
                room.request = req;
            }
        }
    }

    // The business's own requests, newest first.
    ownRequests(userId) {
        return [...this.requests.values()].filter((r) => r.business && r.business.id === userId).sort(newestFirst);
    }

    // Requests offered to this mentor, oldest offer first.
    offeredTo(userId) {
        return [...this.requests.values()]
            .filter((r) => r.status === 'offered' && r.mentor && r.mentor.id === userId)
            .sort((a, b) => (a.assigned_ts || 0) - (b.assigned_ts || 0) || a.id - b.id);
    }

    // Active mentorships: this mentor's, or everyone's without a user.
    active(userId = null) {
        return [...this.requests.values()]
            .filter((r) => r.status === 'active' && (userId === null || (r.mentor && r.mentor.id === userId)))
            .sort((a, b) => (b.accepted_ts || 0) - (a.accepted_ts || 0) || b.id - a.id);
    }

    // The moderator's queue: waiting requests in their order, then those
    // offered and not accepted yet, oldest offer first. Staff are not sent
    // every move of the queue, so the positions held may be stale; they keep
    // their order, and the waiting requests are numbered again here.
    queue() {
        const all = [...this.requests.values()];
        const waiting = all
            .filter((r) => r.status === 'waiting')
            .sort((a, b) => (a.position || Infinity) - (b.position || Infinity) || a.created_ts - b.created_ts || a.id - b.id)
            .map((r, i) => (r.position === i + 1 ? r : { ...r, position: i + 1 }));
        const offered = all
            .filter((r) => r.status === 'offered')
            .sort((a, b) => (a.assigned_ts || 0) - (b.assigned_ts || 0) || a.id - b.id);
        return waiting.concat(offered);
    }

    // Closed and cancelled requests, newest first (for the mentor: theirs).
    finished(userId = null) {
        return [...this.requests.values()]
            .filter((r) => (r.status === 'closed' || r.status === 'cancelled')
                && (userId === null || (r.mentor && r.mentor.id === userId)))
            .sort(newestFirst);
    }

    requestForRoom(roomId) {
        const room = this.rooms.get(roomId);
        if (room && room.request) {
            return room.request;
        }
        for (const req of this.requests.values()) {
            if (req.room === roomId) {
                return req;
            }
        }
        return null;
    }

    // ---- mentors and settings ------------------------------------------

    setMentors(list) {
        this.mentors = new Map();
        for (const m of list || []) {
            this.applyMentor(m);
        }
    }

    // A mentor's profile from a reply or a `mentor` event; `meId` marks the
    // user's own profile.
    applyMentor(mentor, meId = null) {
        if (!mentor || !mentor.user) {
            return;
        }
        this.mentors.set(mentor.user.id, mentor);
        if (meId !== null && mentor.user.id === meId) {
            this.profile = mentor;
        }
    }

    // Mentors for a topic as a picker lists them: available first, then the
    // least loaded, then by name. `exclude` leaves one mentor out (the
    // current one, for a transfer).
    mentorsFor(topic, { exclude = null } = {}) {
        return [...this.mentors.values()]
            .filter((m) => (!topic || (m.topics || []).includes(topic)) && m.user.id !== exclude)
            .sort((a, b) => Number(b.available) - Number(a.available)
                || (a.load || 0) - (b.load || 0)
                || String(a.user.name).localeCompare(String(b.user.name)));
    }

    // The mentors a picker offers for a request of `topic`: those who have
    // the topic, then everyone else, each group as mentorsFor orders it.
    // Staff may offer a request to any mentor, and a mentor may pass one to
    // any colleague, so nobody is left out: the one who holds the request
    // now stays in the list, and the picker shows them as such.
    pickerGroups(topic) {
        const matching = this.mentorsFor(topic);
        const others = this.mentorsFor(null).filter((m) => !matching.includes(m));
        return { matching, others };
    }

    // ---- one mentoring room ---------------------------------------------

    // Takes in a `mentoring_room` reply.
    setRoom(roomId, reply) {
        const room = {
            request: reply.request || null,
            sessions: new Map(),
            notes: new Map(),
            actions: new Map(),
            call: null,
        };
        for (const s of reply.sessions || []) {
            room.sessions.set(s.id, s);
        }
        for (const n of reply.notes || []) {
            room.notes.set(n.id, n);
        }
        for (const a of reply.actions || []) {
            room.actions.set(a.id, a);
        }
        this.rooms.set(roomId, room);
        if (reply.request) {
            this.requests.set(reply.request.id, reply.request);
        }
        this.applyCall(reply.call);
    }

    room(roomId) {
        return this.rooms.get(roomId) || null;
    }

    // Sessions, notes and actions of rooms not opened yet are not kept: the
    // room's `mentoring_room` reply brings them all when it is opened.
    applySession(session) {
        const room = session && this.rooms.get(session.room);
        if (room) {
            room.sessions.set(session.id, newer(room.sessions.get(session.id), session));
        }
    }

    applyNote(note) {
        const room = note && this.rooms.get(note.room);
        if (room) {
            room.notes.set(note.id, newer(room.notes.get(note.id), note));
        }
    }

    applyAction(action) {
        const room = action && this.rooms.get(action.room);
        if (room) {
            room.actions.set(action.id, newer(room.actions.get(action.id), action));
        }
    }

    // The room's current call: ringing or active, null once ended.
    applyCall(call) {
        const room = call && this.rooms.get(call.room);
        if (!room) {
            return;
        }
        if (call.state === 'ended') {
            if (room.call && room.call.id === call.id) {
                room.call = null;
            }
        } else if (!room.call || room.call.id <= call.id) {
            room.call = call;
        }
    }

    // One session of a loaded room, or null.
    session(roomId, sessionId) {
        const room = this.rooms.get(roomId);
        return (room && room.sessions.get(sessionId)) || null;
    }

    // Sessions by start time, notes newest first, actions open first.
    sessionsOf(roomId) {
        const room = this.rooms.get(roomId);
        return room ? [...room.sessions.values()].sort((a, b) => a.starts_ts - b.starts_ts || a.id - b.id) : [];
    }

    notesOf(roomId) {
        const room = this.rooms.get(roomId);
        return room ? [...room.notes.values()].sort(newestFirst) : [];
    }

    actionsOf(roomId) {
        const room = this.rooms.get(roomId);
        if (!room) {
            return [];
        }
        return [...room.actions.values()].sort((a, b) => Number(a.done) - Number(b.done) || byId(a, b));
    }
}
