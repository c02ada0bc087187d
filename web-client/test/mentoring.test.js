import { describe, expect, it } from 'vitest';
import { TABLES } from '../src/i18n.js';
import {
    FIGURE_PERIODS,
    MentoringState,
    TOPICS,
    actionOverdue,
    checkSessionTime,
    isBusiness,
    isStaff,
    periodSince,
    sessionPhase,
    usesMentoring,
} from '../src/mentoring.js';
import { witaToUtc } from '../src/time.js';

const AYU = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const WAYAN = { id: 4, username: 'wayan', name: 'Wayan', role: 'koperasi' };
const MADE = { id: 2, username: 'made', name: 'Made', role: 'mentor' };
const KOMANG = { id: 6, username: 'komang', name: 'Komang', role: 'mentor' };

const req = (id, extra = {}) => ({
    id,
    business: AYU,
    topic: 'digital_marketing',
    description: 'Penjualan online sepi',
    status: 'waiting',
    created_ts: 1000 * id,
    ...extra,
});

describe('roles', () => {
    it('tells businesses, mentors and staff apart', () => {
        expect(isBusiness(AYU) && isBusiness(WAYAN)).toBe(true);
        expect(isBusiness(MADE)).toBe(false);
        expect(isStaff({ role: 'moderator' }) && isStaff({ role: 'admin' })).toBe(true);
        expect(usesMentoring({ role: 'student' })).toBe(false);
        expect(usesMentoring(null)).toBe(false);
    });
});

describe('MentoringState requests', () => {
    it('keeps the queue in order: waiting by position, then offered by offer time', () => {
        const s = new MentoringState();
        s.setRequests([
            req(1, { status: 'offered', mentor: MADE, assigned_ts: 50 }),
            req(2, { position: 2 }),
            req(3, { position: 1, business: WAYAN }),
            req(4, { status: 'active', mentor: MADE, room: 40 }),
            req(5, { status: 'offered', mentor: KOMANG, assigned_ts: 20 }),
        ]);
        expect(s.queue().map((r) => r.id)).toEqual([3, 2, 5, 1]);
        expect(s.queue().map((r) => r.position)).toEqual([1, 2, undefined, undefined]);
        expect(s.active().map((r) => r.id)).toEqual([4]);
        expect(s.loaded).toBe(true);
    });

    it('moves a request between lists as its events come', () => {
        const s = new MentoringState();
        s.setRequests([req(7, { position: 1 })]);
        expect(s.offeredTo(MADE.id)).toEqual([]);
        s.applyRequest(req(7, { status: 'offered', mentor: MADE, assigned_ts: 5 }));
        expect(s.offeredTo(MADE.id).map((r) => r.id)).toEqual([7]);
        expect(s.queue().map((r) => r.status)).toEqual(['offered']);
        // Transferred to Komang: gone from Made's inbox, in Komang's.
        s.applyRequest(req(7, { status: 'offered', mentor: KOMANG, assigned_ts: 6 }));
        expect(s.offeredTo(MADE.id)).toEqual([]);
        expect(s.offeredTo(KOMANG.id).map((r) => r.id)).toEqual([7]);
        s.applyRequest(req(7, { status: 'active', mentor: KOMANG, room: 70 }));
        expect(s.queue()).toEqual([]);
        expect(s.active(KOMANG.id).map((r) => r.id)).toEqual([7]);
        expect(s.requestForRoom(70).id).toBe(7);
    });

    it('numbers the staff’s queue again when positions went stale', () => {
        const s = new MentoringState();
        s.setRequests([req(1, { position: 1 }), req(2, { position: 2 }), req(3, { position: 3 })]);
        s.applyRequest(req(1, { status: 'offered', mentor: MADE }));
        s.applyRequest(req(4, { position: 3, created_ts: 9000 }));
        expect(s.queue().filter((r) => r.status === 'waiting').map((r) => [r.id, r.position])).toEqual([[2, 1], [3, 2], [4, 3]]);
    });

    it('follows a waiting request’s place in the queue', () => {
        const s = new MentoringState();
        s.setRequests([req(1, { position: 3 })]);
        s.applyRequest(req(1, { position: 2 }));
        expect(s.ownRequests(AYU.id)[0].position).toBe(2);
    });

    it('lists a business’s own requests newest first, and no one else’s', () => {
        const s = new MentoringState();
        s.setRequests([req(1), req(2, { business: WAYAN }), req(3, { status: 'cancelled' })]);
        expect(s.ownRequests(AYU.id).map((r) => r.id)).toEqual([3, 1]);
    });

    it('ignores requests without an id', () => {
        const s = new MentoringState();
        s.applyRequest(null);
        s.applyRequest({ status: 'waiting' });
        expect(s.requests.size).toBe(0);
    });
});

describe('MentoringState mentors', () => {
    const mentor = (user, topics, available, load, online = true) => ({ user, topics, available, load, online });

    it('lists mentors for a topic: available first, then the least loaded', () => {
        const s = new MentoringState();
        const third = { id: 9, username: 'gede', name: 'Gede', role: 'mentor' };
        s.setMentors([
            mentor(MADE, ['digital_marketing'], true, 2),
            mentor(KOMANG, ['bookkeeping'], true, 0),
            mentor(third, ['digital_marketing'], false, 0),
            mentor({ ...AYU, id: 10, name: 'Ari' }, ['digital_marketing'], true, 1),
        ]);
        expect(s.mentorsFor('digital_marketing').map((m) => m.user.id)).toEqual([10, 2, 9]);
        expect(s.mentorsFor('digital_marketing', { exclude: 2 }).map((m) => m.user.id)).toEqual([10, 9]);
        expect(s.mentorsFor(null).length).toBe(4);
    });

    it('offers the topic’s mentors first, then every other mentor', () => {
        const s = new MentoringState();
        s.setMentors([
            mentor(MADE, ['digital_marketing', 'export'], true, 2),
            mentor(KOMANG, ['bookkeeping'], false, 1),
        ]);
        // A bookkeeping request offered to komang, its only mentor: komang
        // stays listed (the picker marks him), and made is there to choose.
        const groups = s.pickerGroups('bookkeeping');
        expect(groups.matching.map((m) => m.user.id)).toEqual([KOMANG.id]);
        expect(groups.others.map((m) => m.user.id)).toEqual([MADE.id]);
        expect(s.pickerGroups('haki')).toMatchObject({ matching: [], others: [{ user: MADE }, { user: KOMANG }] });
    });

    it('keeps the mentor’s own profile from events', () => {
        const s = new MentoringState();
        s.applyMentor(mentor(MADE, ['export'], false, 1), MADE.id);
        expect(s.profile.available).toBe(false);
        s.applyMentor(mentor(KOMANG, ['export'], true, 0), MADE.id);
        expect(s.profile.user.id).toBe(MADE.id);
    });
});

describe('MentoringState rooms', () => {
    const session = (id, extra = {}) => ({ id, room: 40, request: 4, starts_ts: 5000 + id, duration_min: 60, agenda: 'a', status: 'scheduled', created_ts: 1, updated_ts: 1, ...extra });

    it('takes in a mentoring_room reply and its events', () => {
        const s = new MentoringState();
        s.setRoom(40, {
            request: req(4, { status: 'active', mentor: MADE, room: 40 }),
            sessions: [session(2), session(1)],
            notes: [{ id: 1, room: 40, body: 'n1', created_ts: 1, updated_ts: 1 }],
            actions: [{ id: 1, room: 40, text: 'x', done: true, updated_ts: 1 }, { id: 2, room: 40, text: 'y', done: false, updated_ts: 1 }],
        });
        expect(s.sessionsOf(40).map((x) => x.id)).toEqual([1, 2]);
        expect(s.actionsOf(40).map((x) => x.id)).toEqual([2, 1]);
        s.applySession(session(1, { status: 'cancelled', updated_ts: 5 }));
        // An older copy arriving late does not undo the cancel.
        s.applySession(session(1, { updated_ts: 2 }));
        expect(s.sessionsOf(40)[0].status).toBe('cancelled');
        s.applyNote({ id: 2, room: 40, body: 'n2', created_ts: 9, updated_ts: 9 });
        expect(s.notesOf(40).map((n) => n.body)).toEqual(['n2', 'n1']);
        // Events of rooms never opened are not kept.
        s.applyNote({ id: 3, room: 99, body: 'x', created_ts: 1, updated_ts: 1 });
        expect(s.room(99)).toBe(null);
        // A request event reaches the room's copy too.
        s.applyRequest(req(4, { status: 'closed', mentor: MADE, room: 40, rating: 5 }));
        expect(s.requestForRoom(40).status).toBe('closed');
    });

    it('holds the room’s current call until it ends', () => {
        const s = new MentoringState();
        s.setRoom(40, { request: req(4, { room: 40 }), call: { id: 3, room: 40, state: 'ringing' } });
        expect(s.room(40).call.state).toBe('ringing');
        s.applyCall({ id: 3, room: 40, state: 'active' });
        expect(s.room(40).call.state).toBe('active');
        s.applyCall({ id: 2, room: 40, state: 'ended' });
        expect(s.room(40).call.id).toBe(3);
        s.applyCall({ id: 3, room: 40, state: 'ended' });
        expect(s.room(40).call).toBe(null);
    });
});

describe('sessions and actions', () => {
    const s = { starts_ts: 10 * 60000, duration_min: 30, status: 'scheduled' };

    it('tells upcoming, ongoing, held and cancelled sessions apart', () => {
        expect(sessionPhase(s, 0)).toBe('upcoming');
        expect(sessionPhase(s, 10 * 60000)).toBe('ongoing');
        expect(sessionPhase(s, 40 * 60000)).toBe('held');
        expect(sessionPhase({ ...s, status: 'cancelled' }, 0)).toBe('cancelled');
    });

    it('checks a session’s start as typed in WITA', () => {
        const now = Date.UTC(2025, 11, 4, 2, 0); // 10.00 WITA on 4 December
        expect(checkSessionTime('2025-12-05', '10:00', now)).toEqual({ ts: Date.UTC(2025, 11, 5, 2, 0) });
        expect(checkSessionTime('2025-12-04', '09:56', now).ts).toBe(witaToUtc('2025-12-04', '09:56'));
        expect(checkSessionTime('2025-12-04', '09:50', now).problem.key).toBe('session.in_past');
        expect(checkSessionTime('2027-01-01', '10:00', now).problem.key).toBe('session.too_far');
        expect(checkSessionTime('2025-02-30', '10:00', now).problem.key).toBe('session.bad_time');
        expect(checkSessionTime('2025-12-05', '', now).problem.key).toBe('session.bad_time');
    });

    it('marks open action items past their due day as overdue', () => {
        expect(actionOverdue({ done: false, due: '2025-12-03' }, '2025-12-04')).toBe(true);
        expect(actionOverdue({ done: false, due: '2025-12-04' }, '2025-12-04')).toBe(false);
        expect(actionOverdue({ done: true, due: '2025-12-01' }, '2025-12-04')).toBe(false);
        expect(actionOverdue({ done: false, due: '' }, '2025-12-04')).toBe(false);
    });
});

describe('the periods of the figures', () => {
    // Tuesday 14 October 2025, 01.30 WITA: still 13 October in UTC.
    const NOW = witaToUtc('2025-10-14', '01:30');

    it('begin at 0 for all time, 30 days back, and on 1 January in WITA', () => {
        expect(periodSince('all', NOW)).toBe(0);
        expect(periodSince('days30', NOW)).toBe(NOW - 30 * 24 * 3600 * 1000);
        expect(periodSince('year', NOW)).toBe(witaToUtc('2025-01-01', '00:00'));
        expect(periodSince('year', NOW)).toBe(Date.UTC(2024, 11, 31, 16, 0));
        // New Year's night in Bali is still the old year in UTC.
        expect(periodSince('year', witaToUtc('2026-01-01', '05:00'))).toBe(witaToUtc('2026-01-01', '00:00'));
    });
});

describe('mentoring translations', () => {
    it('names every topic and status, and the keys built from names, in both languages', () => {
        const keys = [
            ...TOPICS.map((x) => `topic.${x}`),
            ...['waiting', 'offered', 'active', 'closed', 'cancelled'].map((x) => `mstatus.${x}`),
            ...['upcoming', 'ongoing', 'held', 'cancelled'].map((x) => `session.phase_${x}`),
            ...['queue', 'active', 'figures'].map((x) => `agency.tab_${x}`),
            ...['ringing', 'connecting', 'connected'].map((x) => `call.state_${x}`),
            ...['hangup', 'declined', 'missed', 'transfer', 'closed', 'disconnected', 'failed', 'conflict', 'rate_limited', 'other'].map((x) => `call.end_${x}`),
            ...['staff', 'closed'].map((x) => `chat.readonly_${x}`),
            ...['chat', 'details'].map((x) => `chat.tab_${x}`),
            ...['rooms', 'mentoring'].map((x) => `nav.${x}`),
            ...FIGURE_PERIODS.map((x) => `figures.period_${x}`),
        ];
        for (const key of keys) {
            expect(TABLES.id, key).toHaveProperty([key]);
            expect(TABLES.en, key).toHaveProperty([key]);
        }
        expect(TABLES.id['topic.digital_marketing']).toBe('Pemasaran digital');
        expect(TABLES.en['topic.haki']).toBe('Intellectual property (HAKI)');
    });
});
