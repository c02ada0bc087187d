// Mentoring: a request from opening to closing. Mentor profiles and the
// mentors list; the queue and its positions; assignment by a moderator, by
// name and to the least-loaded mentor; auto-assign; accept and the mentoring
// room with its readers (members, staff read-only, nobody else); decline;
// transfer cutting the old mentor off at once; sessions with their system
// lines and the reminder; notes and action items and who may change them;
// close with a rating; the figures; and bad input answered with errors on a
// connection that stays open.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connect, connectAs, login, newUser } from '../lib/client.mjs';
import { addUser, makeTempDir, startServer } from '../lib/server.mjs';
import { allHistory, send, sleep, waitFor } from '../lib/util.mjs';

const MENTOR1 = { username: 'mentor.one', password: 'mentor-pw-111', name: 'Made Satu', role: 'mentor' };
const MENTOR2 = { username: 'mentor.two', password: 'mentor-pw-222', name: 'Komang Dua', role: 'mentor' };
const MENTOR3 = { username: 'mentor.three', password: 'mentor-pw-333', name: 'Gede Tiga', role: 'mentor' };
const MOD = { username: 'mod.one', password: 'moderator-pw-1', name: 'Dinas Satu', role: 'moderator' };
const ADMIN = { username: 'admin.one', password: 'admin-pw-1234', name: 'Admin Satu', role: 'admin' };

const MINUTE = 60 * 1000;

const isRequest = (id, status) => (e) =>
    e.type === 'mentoring_request' && e.request.id === id && (!status || e.request.status === status);
const isMentor = (userId) => (e) => e.type === 'mentor' && e.mentor.user.id === userId;
const isMember = (room, user, action) => (e) =>
    e.type === 'member' && e.room === room && e.user === user && e.action === action;

// A system line of `room` whose JSON body has `event` (and `fields`, when given).
function isSystem(room, event, fields = {}) {
    return (e) => {
        if (e.type !== 'message' || e.room !== room || e.kind !== 'system' || e.from !== 0) {
            return false;
        }
        try {
            const body = JSON.parse(e.body);
            return body.event === event && Object.entries(fields).every(([k, v]) => body[k] === v);
        } catch {
            return false;
        }
    };
}

function systemBodies(messages, event) {
    return messages
        .filter((m) => m.kind === 'system')
        .map((m) => JSON.parse(m.body))
        .filter((b) => b.event === event);
}

async function expectError(client, type, fields, code) {
    const err = await client.requestError(type, fields);
    assert.equal(err.code, code, `${type} ${JSON.stringify(fields)}: ${err.message}`);
    return err;
}

describe('10 mentoring', { timeout: 240000 }, () => {
    let server;
    let m1;
    let m2;
    let m3;
    let mod;
    let admin;
    let biz1;
    let biz2;
    let biz3;
    let student;
    const clients = [];
    // The requests of the story, by letter.
    const req = {};
    let room;

    async function staffLogin(account) {
        const client = await connect(server.url);
        const { user, token } = await login(client, account.username, account.password);
        clients.push(client);
        return { client, user, token };
    }

    async function business(prefix, role = 'umkm') {
        const u = await newUser(server.url, { prefix, role, name: `Usaha ${prefix}` });
        clients.push(u.client);
        return u;
    }

    // Another connection of the same user: bad requests go on their own
    // connection, so that none of the story's connections reaches the limit.
    async function spare(who) {
        const c = await connectAs(server.url, who.token);
        clients.push(c);
        return c;
    }

    before(async () => {
        const dataDir = makeTempDir();
        for (const account of [MENTOR1, MENTOR2, MENTOR3, MOD, ADMIN]) {
            await addUser(dataDir, account);
        }
        server = await startServer({ dataDir });
        m1 = await staffLogin(MENTOR1);
        m2 = await staffLogin(MENTOR2);
        m3 = await staffLogin(MENTOR3);
        mod = await staffLogin(MOD);
        admin = await staffLogin(ADMIN);
        biz1 = await business('bisa');
        biz2 = await business('bisb', 'koperasi');
        biz3 = await business('bisc');
        student = await business('stud', 'student');
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    describe('mentor profiles', () => {
        it('a mentor sets topics and availability and staff hear of it', async () => {
            const reply = await m1.client.request('mentor_profile', {
                topics: ['bookkeeping', 'licensing'],
                available: true,
            });
            assert.deepEqual(reply.mentor.user, m1.user);
            assert.deepEqual(reply.mentor.topics, ['bookkeeping', 'licensing']);
            assert.equal(reply.mentor.available, true);
            assert.equal(reply.mentor.load, 0);
            assert.equal(reply.mentor.online, true);
            const ev = await mod.client.nextEvent(isMentor(m1.user.id));
            assert.deepEqual(ev.mentor, reply.mentor);
            await admin.client.nextEvent(isMentor(m1.user.id));
            await m1.client.nextEvent(isMentor(m1.user.id));

            await m2.client.request('mentor_profile', { topics: ['bookkeeping', 'export'], available: true });
            const r3 = await m3.client.request('mentor_profile', { topics: ['digital_marketing'] });
            assert.equal(r3.mentor.available, false, 'a new profile starts unavailable');
        });

        it('changes only the fields given', async () => {
            const reply = await m3.client.request('mentor_profile', { available: false });
            assert.deepEqual(reply.mentor.topics, ['digital_marketing']);
        });

        it('lists mentors by name, filtered by topic, for mentors and staff only', async () => {
            const all = (await mod.client.request('mentors')).mentors;
            assert.deepEqual(
                all.map((m) => m.user.name),
                ['Gede Tiga', 'Komang Dua', 'Made Satu'],
            );
            const bookkeeping = (await m3.client.request('mentors', { topic: 'bookkeeping' })).mentors;
            assert.deepEqual(bookkeeping.map((m) => m.user.id).sort(), [m1.user.id, m2.user.id].sort());
            await expectError(biz1.client, 'mentors', {}, 'forbidden');
            await expectError(biz1.client, 'mentor_profile', { available: true }, 'forbidden');
        });

        it('refuses unknown and repeated topics', async () => {
            const c = await spare(m1);
            await expectError(c, 'mentor_profile', { topics: ['bookkeeping', 'cooking'] }, 'bad_request');
            await expectError(c, 'mentor_profile', { topics: ['export', 'export'] }, 'bad_request');
            await expectError(c, 'mentor_profile', { topics: 'export' }, 'bad_request');
            await expectError(c, 'mentor_profile', { available: 'yes' }, 'bad_request');
            const still = (await c.request('mentor_profile', {})).mentor;
            assert.deepEqual(still.topics, ['bookkeeping', 'licensing']);
            await c.request('ping');
        });
    });

    describe('the queue', () => {
        it('a business opens requests that wait in order; staff hear of each', async () => {
            const a = await biz1.client.request('mentoring_open', {
                topic: 'bookkeeping',
                description: 'Kami ingin merapikan pembukuan toko.',
            });
            req.A = a.request.id;
            assert.equal(a.request.status, 'waiting');
            assert.equal(a.request.position, 1);
            assert.equal(a.request.topic, 'bookkeeping');
            assert.equal(a.request.description, 'Kami ingin merapikan pembukuan toko.');
            assert.deepEqual(a.request.business, biz1.user);
            assert.equal(a.request.mentor, undefined);
            assert.equal(a.request.room, undefined);
            assert.equal(a.request.assigned_ts, undefined);
            assert.ok(a.request.created_ts > 0);
            const ev = await mod.client.nextEvent(isRequest(req.A, 'waiting'));
            assert.deepEqual(ev.request, a.request);
            await admin.client.nextEvent(isRequest(req.A, 'waiting'));

            const b = await biz2.client.request('mentoring_open', { topic: 'licensing', description: 'Izin PIRT.' });
            req.B = b.request.id;
            assert.equal(b.request.position, 2);
            const c = await biz3.client.request('mentoring_open', { topic: 'haki', description: 'Merek dagang.' });
            req.C = c.request.id;
            assert.equal(c.request.position, 3);
        });

        it('each sees what it may: its own, offered to it, or all for staff', async () => {
            const own = (await biz1.client.request('mentoring_requests')).requests;
            assert.deepEqual(own.map((r) => r.id), [req.A]);
            const all = (await mod.client.request('mentoring_requests')).requests;
            assert.deepEqual(all.map((r) => r.id), [req.C, req.B, req.A], 'newest first');
            const waiting = (await mod.client.request('mentoring_requests', { status: 'waiting' })).requests;
            assert.equal(waiting.length, 3);
            assert.deepEqual((await mod.client.request('mentoring_requests', { status: 'active' })).requests, []);
            assert.deepEqual((await m1.client.request('mentoring_requests')).requests, []);
            assert.deepEqual((await student.client.request('mentoring_requests')).requests, []);
        });

        it('a moderator offers one to a named mentor; the queue moves up', async () => {
            biz2.client.drain();
            biz3.client.drain();
            const reply = await mod.client.request('mentoring_assign', { request: req.A, mentor: m2.user.id });
            assert.equal(reply.request.status, 'offered');
            assert.deepEqual(reply.request.mentor, m2.user);
            assert.equal(reply.request.position, undefined);
            assert.ok(reply.request.assigned_ts > 0);

            // The offered mentor, the business, and every member of staff.
            await m2.client.nextEvent(isRequest(req.A, 'offered'));
            await biz1.client.nextEvent(isRequest(req.A, 'offered'));
            await admin.client.nextEvent(isRequest(req.A, 'offered'));
            await mod.client.nextEvent((e) => isMentor(m2.user.id)(e) && e.mentor.load === 1);

            // The ones behind it moved up, and their businesses were told.
            const b = await biz2.client.nextEvent(isRequest(req.B, 'waiting'));
            assert.equal(b.request.position, 1);
            const c = await biz3.client.nextEvent(isRequest(req.C, 'waiting'));
            assert.equal(c.request.position, 2);
            const seen = (await m2.client.request('mentoring_requests')).requests;
            assert.deepEqual(seen.map((r) => r.id), [req.A]);
        });

        it('without a mentor, offers it to the least-loaded one for its topic', async () => {
            const reply = await mod.client.request('mentoring_assign', { request: req.B });
            assert.deepEqual(reply.request.mentor, m1.user, 'only m1 knows licensing');
            await m1.client.nextEvent(isRequest(req.B, 'offered'));
            const c = await biz3.client.nextEvent(isRequest(req.C, 'waiting'));
            assert.equal(c.request.position, 1);
        });

        it('answers not_found when no available mentor knows the topic', async () => {
            const err = await expectError(mod.client, 'mentoring_assign', { request: req.C }, 'not_found');
            assert.match(err.message, /no available mentor/);
            await expectError(mod.client, 'mentoring_assign', { request: req.C, mentor: biz1.user.id }, 'not_found');
            await expectError(mod.client, 'mentoring_assign', { request: 999999 }, 'not_found');
            await expectError(biz1.client, 'mentoring_assign', { request: req.C }, 'forbidden');
            await expectError(m1.client, 'mentoring_assign', { request: req.C }, 'forbidden');
        });

        it('breaks ties by the lowest user id, then prefers the lighter load', async () => {
            // m1 and m2 both carry one request now.
            const bizD = await business('bisd');
            const d = await bizD.client.request('mentoring_open', {
                topic: 'bookkeeping',
                description: 'Laporan bulanan.',
            });
            req.D = d.request.id;
            const toD = await mod.client.request('mentoring_assign', { request: req.D });
            assert.equal(toD.request.mentor.id, Math.min(m1.user.id, m2.user.id));

            const biz5 = await business('bise');
            const e = await biz5.client.request('mentoring_open', { topic: 'bookkeeping', description: 'Kas kecil.' });
            req.E = e.request.id;
            const toE = await mod.client.request('mentoring_assign', { request: req.E });
            assert.equal(toE.request.mentor.id, Math.max(m1.user.id, m2.user.id));

            // Withdrawn offers lighten the mentors again.
            mod.client.drain();
            const cancelled = await biz5.client.request('mentoring_cancel', { request: req.E });
            assert.equal(cancelled.request.status, 'cancelled');
            assert.deepEqual(cancelled.request.mentor, toE.request.mentor);
            await bizD.client.request('mentoring_cancel', { request: req.D });
            await mod.client.nextEvent((e) => isMentor(m1.user.id)(e) && e.mentor.load === 1);
            await mod.client.nextEvent((e) => isMentor(m2.user.id)(e) && e.mentor.load === 1);
        });
    });

    describe('accept and the mentoring room', () => {
        it('only the offered mentor accepts', async () => {
            await expectError(m1.client, 'mentoring_accept', { request: req.A }, 'forbidden');
            await expectError(biz1.client, 'mentoring_accept', { request: req.A }, 'forbidden');
        });

        it('accepting creates the room with the business and the mentor', async () => {
            biz1.client.drain();
            const reply = await m2.client.request('mentoring_accept', { request: req.A });
            assert.equal(reply.request.status, 'active');
            assert.ok(reply.request.accepted_ts > 0);
            room = reply.request.room;
            assert.ok(Number.isInteger(room) && room > 0);

            await biz1.client.nextEvent(isMember(room, biz1.user.id, 'added'));
            await m2.client.nextEvent(isMember(room, m2.user.id, 'added'));
            const ev = await biz1.client.nextEvent(isRequest(req.A, 'active'));
            assert.equal(ev.request.room, room);

            const rooms = (await biz1.client.request('rooms')).rooms;
            const r = rooms.find((x) => x.id === room);
            assert.equal(r.kind, 'mentoring');
            assert.equal(r.title, `Pembukuan: ${biz1.user.name}`);
            const joined = await m2.client.request('join', { room });
            assert.deepEqual(joined.members.map((m) => m.id).sort(), [biz1.user.id, m2.user.id].sort());
            await expectError(m2.client, 'mentoring_accept', { request: req.A }, 'conflict');
        });

        it('posts mentoring_started, and the two chat', async () => {
            await biz1.client.request('join', { room });
            const lines = await waitFor(async () => {
                const found = systemBodies(await allHistory(biz1.client, room), 'mentoring_started');
                return found.length > 0 && found;
            }, { what: 'the mentoring_started line' });
            assert.deepEqual(lines, [{ event: 'mentoring_started', request: req.A, mentor: m2.user.id }]);
            await send(biz1.client, room, 'Selamat pagi, Pak.', 'a-1');
            const ev = await m2.client.nextEvent((e) => e.type === 'message' && e.client_id === 'a-1');
            assert.equal(ev.from, biz1.user.id);
        });

        it('a moderator reads the room without belonging to it, and cannot write', async () => {
            const joined = await mod.client.request('join', { room });
            assert.equal(joined.last_read, 0);
            const history = await mod.client.request('history', { room });
            assert.ok(history.messages.some((m) => m.client_id === 'a-1'));
            const snapshot = await mod.client.request('mentoring_room', { room });
            assert.equal(snapshot.request.id, req.A);
            await expectError(mod.client, 'send', { room, body: 'halo', client_id: 'mod-1' }, 'forbidden');
            await expectError(mod.client, 'typing', { room }, 'forbidden');
            await expectError(mod.client, 'read', { room, seq: 1 }, 'forbidden');

            // It follows the conversation live.
            await send(m2.client, room, 'Selamat pagi, Bu.', 'a-2');
            await mod.client.nextEvent((e) => e.type === 'message' && e.client_id === 'a-2');
        });

        it('nobody else may read it: another business, another mentor, a student', async () => {
            for (const who of [biz2, m1, student]) {
                await expectError(who.client, 'join', { room }, 'forbidden');
                await expectError(who.client, 'history', { room }, 'forbidden');
                await expectError(who.client, 'mentoring_room', { room }, 'forbidden');
                await expectError(who.client, 'send', { room, body: 'x', client_id: 'x' }, 'forbidden');
            }
        });
    });

    describe('decline', () => {
        it('needs a reason', async () => {
            const c = await spare(m1);
            await expectError(c, 'mentoring_decline', { request: req.B }, 'bad_request');
            await expectError(c, 'mentoring_decline', { request: req.B, reason: ' \t ' }, 'bad_request');
            await expectError(c, 'mentoring_decline', { request: req.B, reason: 'x'.repeat(501) }, 'too_large');
            await expectError(m2.client, 'mentoring_decline', { request: req.B, reason: 'bukan saya' }, 'forbidden');
        });

        it('sends the request back to its old place in the queue', async () => {
            biz3.client.drain();
            const reply = await m1.client.request('mentoring_decline', {
                request: req.B,
                reason: 'Saya sedang penuh bulan ini.',
            });
            assert.equal(reply.request.status, 'waiting');
            assert.equal(reply.request.position, 1, 'B was queued before C');
            assert.equal(reply.request.mentor, undefined);
            assert.equal(reply.request.note, 'Saya sedang penuh bulan ini.');
            await biz2.client.nextEvent(isRequest(req.B, 'waiting'));
            await mod.client.nextEvent(isRequest(req.B, 'waiting'));
            const c = await biz3.client.nextEvent(isRequest(req.C, 'waiting'));
            assert.equal(c.request.position, 2);
        });

        it('never offers it to that mentor again on its own', async () => {
            await expectError(mod.client, 'mentoring_assign', { request: req.B }, 'not_found');
        });
    });

    describe('auto-assign', () => {
        it('is a setting of staff, off by default', async () => {
            await expectError(biz1.client, 'mentoring_settings', {}, 'forbidden');
            await expectError(m1.client, 'mentoring_settings', { auto_assign: true }, 'forbidden');
            assert.equal((await admin.client.request('mentoring_settings')).auto_assign, false);
            assert.equal((await mod.client.request('mentoring_settings', { auto_assign: true })).auto_assign, true);
            assert.equal((await admin.client.request('mentoring_settings', {})).auto_assign, true);
        });

        it('offers the waiting requests when a mentor becomes available for them', async () => {
            m3.client.drain();
            await m3.client.request('mentor_profile', {
                topics: ['digital_marketing', 'licensing', 'haki'],
                available: true,
            });
            const b = await m3.client.nextEvent(isRequest(req.B, 'offered'));
            assert.deepEqual(b.request.mentor, m3.user);
            await m3.client.nextEvent(isRequest(req.C, 'offered'));
            await biz2.client.nextEvent(isRequest(req.B, 'offered'));
            await biz3.client.nextEvent(isRequest(req.C, 'offered'));
            const mine = (await m3.client.request('mentoring_requests', { status: 'offered' })).requests;
            assert.deepEqual(mine.map((r) => r.id), [req.C, req.B]);
        });

        it('offers a new request at once', async () => {
            const biz6 = await business('bisf');
            const g = await biz6.client.request('mentoring_open', { topic: 'export', description: 'Ekspor ke Jepang.' });
            req.G = g.request.id;
            assert.equal(g.request.status, 'offered');
            assert.deepEqual(g.request.mentor, m2.user, 'm2 is the only export mentor');
            await m2.client.nextEvent(isRequest(req.G, 'offered'));
            await biz6.client.request('mentoring_cancel', { request: req.G });
        });

        it('after a decline, tries another mentor, or puts it back in the queue', async () => {
            const reply = await m3.client.request('mentoring_decline', { request: req.C, reason: 'Bukan bidang saya.' });
            assert.equal(reply.request.status, 'waiting', 'nobody else knows haki');
            assert.equal(reply.request.position, 1);
            assert.equal((await mod.client.request('mentoring_settings', { auto_assign: false })).auto_assign, false);
        });
    });

    describe('transfer', () => {
        it('moves an offered request to another mentor, telling the previous one', async () => {
            m3.client.drain();
            const reply = await mod.client.request('mentoring_transfer', {
                request: req.B,
                mentor: m1.user.id,
                note: 'Pak Made sudah longgar.',
            });
            assert.equal(reply.request.status, 'offered');
            assert.deepEqual(reply.request.mentor, m1.user);
            assert.equal(reply.request.note, 'Pak Made sudah longgar.');
            await m3.client.nextEvent(isRequest(req.B, 'offered'));
            await m1.client.nextEvent(isRequest(req.B, 'offered'));
        });

        it('is refused to others and checked', async () => {
            const c = await spare(m2);
            await expectError(biz1.client, 'mentoring_transfer', { request: req.A, mentor: m1.user.id, note: 'x' }, 'forbidden');
            await expectError(m3.client, 'mentoring_transfer', { request: req.A, mentor: m1.user.id, note: 'x' }, 'forbidden');
            await expectError(c, 'mentoring_transfer', { request: req.A, mentor: m1.user.id }, 'bad_request');
            await expectError(c, 'mentoring_transfer', { request: req.A, mentor: student.user.id, note: 'x' }, 'not_found');
            await expectError(c, 'mentoring_transfer', { request: req.A, mentor: m2.user.id, note: 'x' }, 'conflict');
            await expectError(c, 'mentoring_transfer', { request: req.C, mentor: m1.user.id, note: 'x' }, 'forbidden');
        });

        it('moves an active mentorship at once: the old mentor is cut off, the new one hears', async () => {
            await m1.client.request('ping');
            m2.client.drain();
            m1.client.drain();
            biz1.client.drain();
            const reply = await m2.client.request('mentoring_transfer', {
                request: req.A,
                mentor: m1.user.id,
                note: 'Pak Made lebih paham pajak UMKM.',
            });
            assert.equal(reply.request.status, 'active');
            assert.deepEqual(reply.request.mentor, m1.user);
            assert.equal(reply.request.room, room);

            await m2.client.nextEvent(isMember(room, m2.user.id, 'removed'));
            await m1.client.nextEvent(isMember(room, m1.user.id, 'added'));
            await biz1.client.nextEvent(isMember(room, m2.user.id, 'removed'));
            await biz1.client.nextEvent(isMember(room, m1.user.id, 'added'));
            await biz1.client.nextEvent(
                isSystem(room, 'mentoring_transferred', { request: req.A, from: m2.user.id, to: m1.user.id }),
            );
            await m2.client.nextEvent(isRequest(req.A, 'active'));

            // The old mentor's live subscription is gone; the new mentor joins.
            await expectError(m2.client, 'join', { room }, 'forbidden');
            await expectError(m2.client, 'history', { room }, 'forbidden');
            await expectError(m2.client, 'send', { room, body: 'masih di sini?', client_id: 'old-1' }, 'forbidden');
            await m1.client.request('join', { room });
            await send(biz1.client, room, 'Selamat datang, Pak Made.', 'a-3');
            await m1.client.nextEvent((e) => e.type === 'message' && e.client_id === 'a-3');
            await mod.client.nextEvent((e) => e.type === 'message' && e.client_id === 'a-3');
            assert.equal(
                await m2.client.sawEvent((e) => e.type === 'message' && e.room === room, 300),
                false,
                'the old mentor receives nothing more from the room',
            );
            const seen = (await m2.client.request('mentoring_requests')).requests.map((r) => r.id);
            assert.ok(!seen.includes(req.A), 'nor sees the request any more');
        });
    });

    describe('sessions', () => {
        let session;

        it('a member schedules one; the room hears and a system line is posted', async () => {
            biz1.client.drain();
            const starts = Date.now() + 2 * 60 * MINUTE;
            const reply = await m1.client.request('mentoring_session_add', {
                room,
                starts_ts: starts,
                duration_min: 60,
                agenda: 'Membahas buku kas.',
            });
            session = reply.session;
            assert.equal(session.room, room);
            assert.equal(session.request, req.A);
            assert.equal(session.starts_ts, starts);
            assert.equal(session.duration_min, 60);
            assert.equal(session.agenda, 'Membahas buku kas.');
            assert.equal(session.status, 'scheduled');
            assert.equal(session.created_by, m1.user.id);
            const ev = await biz1.client.nextEvent((e) => e.type === 'mentoring_session' && e.session.id === session.id);
            assert.deepEqual(ev.session, session);
            await biz1.client.nextEvent(isSystem(room, 'session_scheduled', { session: session.id, starts_ts: starts }));
        });

        it('checks its fields and who asks', async () => {
            const c = await spare(biz1);
            const base = { room, starts_ts: Date.now() + MINUTE * 30, duration_min: 30, agenda: 'x' };
            await expectError(c, 'mentoring_session_add', { ...base, duration_min: 10 }, 'bad_request');
            await expectError(c, 'mentoring_session_add', { ...base, duration_min: 481 }, 'bad_request');
            await expectError(c, 'mentoring_session_add', { ...base, starts_ts: Date.now() - 10 * MINUTE }, 'bad_request');
            await expectError(c, 'mentoring_session_add', { ...base, starts_ts: Date.now() + 367 * 24 * 60 * MINUTE }, 'bad_request');
            await expectError(c, 'mentoring_session_add', { ...base, agenda: '   ' }, 'bad_request');
            await expectError(c, 'mentoring_session_add', { ...base, agenda: 'x'.repeat(501) }, 'too_large');
            await expectError(mod.client, 'mentoring_session_add', base, 'forbidden');
            await expectError(m2.client, 'mentoring_session_add', base, 'forbidden');
            await expectError(biz2.client, 'mentoring_session_update', { session: session.id, agenda: 'y' }, 'forbidden');
            await expectError(c, 'mentoring_session_update', { session: 999999, agenda: 'y' }, 'not_found');
        });

        it('a member reschedules it', async () => {
            const starts = Date.now() + 3 * 60 * MINUTE;
            const reply = await biz1.client.request('mentoring_session_update', { session: session.id, starts_ts: starts });
            assert.equal(reply.session.starts_ts, starts);
            assert.equal(reply.session.agenda, 'Membahas buku kas.');
            await m1.client.nextEvent(isSystem(room, 'session_rescheduled', { session: session.id, starts_ts: starts }));
            const again = await m1.client.request('mentoring_session_update', {
                session: session.id,
                agenda: 'Buku kas dan stok.',
                duration_min: 90,
            });
            assert.equal(again.session.duration_min, 90);
            assert.equal(again.session.agenda, 'Buku kas dan stok.');
        });

        it('a member cancels it, once', async () => {
            const reply = await biz1.client.request('mentoring_session_cancel', { session: session.id });
            assert.equal(reply.session.status, 'cancelled');
            await m1.client.nextEvent(isSystem(room, 'session_cancelled', { session: session.id }));
            await expectError(biz1.client, 'mentoring_session_cancel', { session: session.id }, 'conflict');
            await expectError(m1.client, 'mentoring_session_update', { session: session.id, agenda: 'z' }, 'conflict');
            const snapshot = await biz1.client.request('mentoring_room', { room });
            assert.deepEqual(
                snapshot.sessions.map((s) => [s.id, s.status]),
                [[session.id, 'cancelled']],
            );
        });

        it('reminds the room once, shortly before the start', { timeout: 90000 }, async () => {
            const starts = Date.now() + MINUTE;
            const reply = await m1.client.request('mentoring_session_add', {
                room,
                starts_ts: starts,
                duration_min: 15,
                agenda: 'Sesi singkat.',
            });
            const id = reply.session.id;
            const ev = await biz1.client.nextEvent(isSystem(room, 'session_reminder', { session: id }), 30000);
            assert.deepEqual(JSON.parse(ev.body), { event: 'session_reminder', session: id, starts_ts: starts, minutes: 1 });
            assert.ok(Date.now() < starts, 'before the start');

            // The next scan (every 20 s) does not post it again.
            await sleep(22000);
            const reminders = systemBodies(await allHistory(m1.client, room), 'session_reminder');
            assert.equal(reminders.filter((b) => b.session === id).length, 1);
        });
    });

    describe('notes and action items', () => {
        let note;
        let action;

        it('the mentor writes notes; the business may not', async () => {
            await expectError(biz1.client, 'mentoring_note_add', { room, body: 'catatan' }, 'forbidden');
            await expectError(mod.client, 'mentoring_note_add', { room, body: 'catatan' }, 'forbidden');
            const reply = await m1.client.request('mentoring_note_add', { room, body: 'Stok belum dicatat harian.' });
            note = reply.note;
            assert.equal(note.author, m1.user.id);
            assert.equal(note.request, req.A);
            assert.equal(note.body, 'Stok belum dicatat harian.');
            const ev = await biz1.client.nextEvent((e) => e.type === 'mentoring_note' && e.note.id === note.id);
            assert.deepEqual(ev.note, note);
        });

        it('only the author edits a note', async () => {
            const reply = await m1.client.request('mentoring_note_edit', { note: note.id, body: 'Stok dicatat mingguan.' });
            assert.equal(reply.note.body, 'Stok dicatat mingguan.');
            assert.ok(reply.note.updated_ts >= note.updated_ts);
            await expectError(biz1.client, 'mentoring_note_edit', { note: note.id, body: 'x' }, 'forbidden');
            await expectError(m1.client, 'mentoring_note_edit', { note: 999999, body: 'x' }, 'not_found');
            const c = await spare(m1);
            await expectError(c, 'mentoring_note_edit', { note: note.id, body: '' }, 'bad_request');
            await expectError(c, 'mentoring_note_add', { room, body: 'x'.repeat(4001) }, 'too_large');
        });

        it('the mentor adds action items owned by the business or itself', async () => {
            const reply = await m1.client.request('mentoring_action_add', {
                room,
                text: 'Catat penjualan harian.',
                owner: biz1.user.id,
                due: '2027-02-28',
            });
            action = reply.action;
            assert.equal(action.owner, biz1.user.id);
            assert.equal(action.due, '2027-02-28');
            assert.equal(action.done, false);
            assert.equal(action.created_by, m1.user.id);
            await biz1.client.nextEvent((e) => e.type === 'mentoring_action' && e.action.id === action.id);
            const noDue = await m1.client.request('mentoring_action_add', { room, text: 'Kirim contoh.', owner: m1.user.id });
            assert.equal(noDue.action.due, '');

            await expectError(biz1.client, 'mentoring_action_add', { room, text: 'x', owner: biz1.user.id }, 'forbidden');
            const c = await spare(m1);
            await expectError(c, 'mentoring_action_add', { room, text: 'x', owner: biz2.user.id }, 'bad_request');
            await expectError(c, 'mentoring_action_add', { room, text: 'x', owner: biz1.user.id, due: '2027-02-30' }, 'bad_request');
            await expectError(c, 'mentoring_action_add', { room, text: 'x', owner: biz1.user.id, due: '28-02-2027' }, 'bad_request');
        });

        it('the owner ticks it done but cannot change its text; the mentor changes anything', async () => {
            const done = await biz1.client.request('mentoring_action_update', { action: action.id, done: true });
            assert.equal(done.action.done, true);
            assert.equal(done.action.text, 'Catat penjualan harian.');
            await m1.client.nextEvent((e) => e.type === 'mentoring_action' && e.action.id === action.id && e.action.done);
            await expectError(biz1.client, 'mentoring_action_update', { action: action.id, text: 'lain' }, 'forbidden');
            await expectError(biz1.client, 'mentoring_action_update', { action: action.id, due: '' }, 'forbidden');
            await expectError(mod.client, 'mentoring_action_update', { action: action.id, done: false }, 'forbidden');

            const changed = await m1.client.request('mentoring_action_update', {
                action: action.id,
                text: 'Catat penjualan dan stok harian.',
                owner: m1.user.id,
                due: '',
                done: false,
            });
            assert.equal(changed.action.text, 'Catat penjualan dan stok harian.');
            assert.equal(changed.action.owner, m1.user.id);
            assert.equal(changed.action.due, '');
            assert.equal(changed.action.done, false);
            // Now the business no longer owns it.
            await expectError(biz1.client, 'mentoring_action_update', { action: action.id, done: true }, 'forbidden');
        });

        it('mentoring_room gathers the request, sessions, notes and action items', async () => {
            const snapshot = await biz1.client.request('mentoring_room', { room });
            assert.equal(snapshot.request.id, req.A);
            assert.equal(snapshot.request.status, 'active');
            assert.equal(snapshot.sessions.length, 2);
            assert.deepEqual(snapshot.notes.map((n) => n.body), ['Stok dicatat mingguan.']);
            assert.equal(snapshot.actions.length, 2);
            assert.equal(snapshot.call, undefined);
        });
    });

    describe('close', () => {
        it('checks the rating and who closes', async () => {
            const c = await spare(biz1);
            await expectError(c, 'mentoring_close', { request: req.A, rating: 0 }, 'bad_request');
            await expectError(c, 'mentoring_close', { request: req.A, rating: 6 }, 'bad_request');
            await expectError(c, 'mentoring_close', { request: req.A }, 'bad_request');
            await expectError(c, 'mentoring_close', { request: req.A, rating: 4, comment: 'x'.repeat(1001) }, 'too_large');
            await expectError(biz2.client, 'mentoring_close', { request: req.A, rating: 4 }, 'forbidden');
            await expectError(m1.client, 'mentoring_close', { request: req.A, rating: 4 }, 'forbidden');
            await expectError(biz2.client, 'mentoring_close', { request: req.B, rating: 4 }, 'conflict');
        });

        it('the business closes with a rating and a comment; the room becomes read-only', async () => {
            const { session: coming } = await m1.client.request('mentoring_session_add', {
                room, starts_ts: Date.now() + 2 * 24 * 60 * MINUTE, duration_min: 60, agenda: 'Tidak jadi',
            });
            await biz1.client.request('join', { room });
            m1.client.drain();
            mod.client.drain();
            biz1.client.drain();
            const reply = await biz1.client.request('mentoring_close', {
                request: req.A,
                rating: 4,
                comment: 'Sangat membantu.',
            });
            assert.equal(reply.request.status, 'closed');
            assert.equal(reply.request.rating, 4);
            assert.equal(reply.request.comment, 'Sangat membantu.');
            assert.ok(reply.request.closed_ts > 0);
            await m1.client.nextEvent(isRequest(req.A, 'closed'));
            await mod.client.nextEvent(isRequest(req.A, 'closed'));
            await m1.client.nextEvent(isSystem(room, 'mentoring_closed', { request: req.A, rating: 4 }));
            const load = await mod.client.nextEvent(isMentor(m1.user.id));
            assert.equal(load.mentor.load, 1, 'B is still offered to m1');
            // A session still to come is cancelled with the mentorship.
            const gone = await biz1.client.nextEvent((e) => e.type === 'mentoring_session' && e.session.id === coming.id);
            assert.equal(gone.session.status, 'cancelled');
            const after = await mod.client.request('mentoring_room', { room });
            assert.equal(after.sessions.find((x) => x.id === coming.id).status, 'cancelled');
            assert.ok(after.sessions.filter((x) => x.starts_ts > Date.now()).every((x) => x.status === 'cancelled'));

            for (const who of [biz1, m1]) {
                const err = await expectError(who.client, 'send', { room, body: 'lagi', client_id: 'late' }, 'conflict');
                assert.match(err.message, /closed/);
                await expectError(who.client, 'typing', { room }, 'conflict');
            }
            const base = { room, starts_ts: Date.now() + 60 * MINUTE, duration_min: 30, agenda: 'x' };
            await expectError(m1.client, 'mentoring_session_add', base, 'conflict');
            await expectError(m1.client, 'mentoring_note_add', { room, body: 'x' }, 'conflict');
            await expectError(m1.client, 'mentoring_action_add', { room, text: 'x', owner: m1.user.id }, 'conflict');
            await expectError(biz1.client, 'mentoring_close', { request: req.A, rating: 5 }, 'conflict');

            // Still readable by its members and staff.
            for (const who of [biz1, m1, mod]) {
                await who.client.request('join', { room });
                await who.client.request('history', { room });
                await who.client.request('mentoring_room', { room });
            }
            // A member's read marker still moves, so the closing lines do not stay unread.
            const last = (await biz1.client.request('join', { room })).room.last_seq;
            const marked = await biz1.client.request('read', { room, seq: last });
            assert.equal(marked.seq, last);
            const closed = (await m1.client.request('mentoring_requests', { status: 'closed' })).requests;
            assert.deepEqual(closed.map((r) => r.id), [req.A]);
        });

        it('staff may still delete a message there', async () => {
            const history = await mod.client.request('history', { room });
            const line = history.messages.find((m) => m.client_id === 'a-1');
            await mod.client.request('delete', { room, seq: line.seq });
        });
    });

    describe('cancel', () => {
        it('only the business cancels, while waiting or offered', async () => {
            await expectError(biz1.client, 'mentoring_cancel', { request: req.C }, 'forbidden');
            const reply = await biz3.client.request('mentoring_cancel', { request: req.C });
            assert.equal(reply.request.status, 'cancelled');
            assert.equal(reply.request.position, undefined);
            await mod.client.nextEvent(isRequest(req.C, 'cancelled'));
            await expectError(biz3.client, 'mentoring_cancel', { request: req.C }, 'conflict');
            await expectError(biz1.client, 'mentoring_cancel', { request: req.A }, 'conflict');
        });
    });

    describe('figures', () => {
        it('a second rating, for an average that is not whole', async () => {
            const biz7 = await business('bisg');
            const f = await biz7.client.request('mentoring_open', { topic: 'bookkeeping', description: 'Neraca.' });
            req.F = f.request.id;
            await mod.client.request('mentoring_assign', { request: req.F, mentor: m2.user.id });
            await m2.client.request('mentoring_accept', { request: req.F });
            await biz7.client.request('mentoring_close', { request: req.F, rating: 5 });
        });

        it('counts requests, offers, ratings per topic and in total', async () => {
            const reply = await admin.client.request('mentoring_figures');
            const byTopic = Object.fromEntries(reply.topics.map((t) => [t.topic, t]));
            assert.deepEqual(Object.keys(byTopic).sort(), ['bookkeeping', 'export', 'haki', 'licensing']);

            // A, D, E, F; E was cancelled after its offer.
            const b = byTopic.bookkeeping;
            assert.equal(b.requests, 4);
            assert.equal(b.assigned, 4);
            assert.equal(b.ratings, 2);
            assert.equal(b.rating_avg, 4.5);
            assert.equal(b.sessions_held, 0);
            assert.ok(Number.isInteger(b.wait_avg_s) && b.wait_avg_s >= 0);
            assert.deepEqual(
                [byTopic.licensing.requests, byTopic.licensing.assigned, byTopic.licensing.ratings],
                [1, 1, 0],
            );
            assert.equal(byTopic.licensing.rating_avg, 0);
            assert.equal(byTopic.haki.assigned, 1, 'offered once by auto-assign, then declined');

            assert.equal(reply.total.topic, undefined);
            assert.equal(reply.total.requests, 7);
            assert.equal(reply.total.assigned, 7);
            assert.equal(reply.total.ratings, 2);
            assert.equal(reply.total.rating_avg, 4.5);
        });

        it('counts only requests since since_ts, and only for staff', async () => {
            const reply = await mod.client.request('mentoring_figures', { since_ts: Date.now() + 60 * MINUTE });
            assert.deepEqual(reply.topics, []);
            assert.equal(reply.total.requests, 0);
            assert.equal(reply.total.rating_avg, 0);
            await expectError(biz1.client, 'mentoring_figures', {}, 'forbidden');
            await expectError(m1.client, 'mentoring_figures', {}, 'forbidden');
        });
    });

    describe('bad input', () => {
        it('is answered with errors and the connection stays open', async () => {
            const c = await spare(biz3);
            await expectError(c, 'mentoring_open', { topic: 'cooking', description: 'x' }, 'bad_request');
            await expectError(c, 'mentoring_open', { topic: 'haki', description: ' \u200b ' }, 'bad_request');
            await expectError(c, 'mentoring_open', { topic: 'haki', description: 'x'.repeat(2001) }, 'too_large');
            await expectError(c, 'mentoring_open', { description: 'x' }, 'bad_request');
            await expectError(c, 'mentoring_open', { topic: 'haki' }, 'bad_request');
            await expectError(c, 'mentoring_open', { topic: 7, description: 'x' }, 'bad_request');
            await expectError(c, 'mentoring_open', { topic: 'haki\u0000', description: 'x' }, 'bad_request');
            await expectError(c, 'mentoring_requests', { status: 'sleeping' }, 'bad_request');
            await expectError(c, 'mentoring_cancel', { request: 'one' }, 'bad_request');
            assert.ok(c.isOpen);
            await c.request('ping');
            await expectError(c, 'mentoring_cancel', { request: 424242 }, 'not_found');
            await expectError(student.client, 'mentoring_open', { topic: 'haki', description: 'x' }, 'forbidden');
            await expectError(m1.client, 'mentoring_room', { room: 987654 }, 'not_found');
            const own = (await biz3.client.request('mentoring_requests')).requests;
            assert.deepEqual(own.map((r) => r.id), [req.C], 'nothing was opened');
        });
    });

    describe('one business and long lists', () => {
        it('has at most five requests waiting or offered at once', async () => {
            const b = await business('banyak');
            const open = [];
            for (let i = 0; i < 5; i++) {
                open.push((await b.client.request('mentoring_open', { topic: 'export', description: `ke-${i}` })).request.id);
            }
            const err = await expectError(b.client, 'mentoring_open', { topic: 'export', description: 'ke-5' }, 'conflict');
            assert.match(err.message, /5 requests are waiting/);
            await b.client.request('mentoring_cancel', { request: open[0] });
            open[0] = (await b.client.request('mentoring_open', { topic: 'export', description: 'lagi' })).request.id;
            for (const id of open) {
                await b.client.request('mentoring_cancel', { request: id });
            }
        });

        it('lists every open request before the newest finished ones', async () => {
            const old = await business('lama');
            const { request: waiting } = await old.client.request('mentoring_open', {
                topic: 'packaging', description: 'Menunggu lama sekali.',
            });
            // Far more finished requests than a list holds, all newer.
            const spam = await business('ramai');
            for (let i = 0; i < 230; i++) {
                const { request } = await spam.client.request('mentoring_open', { topic: 'other', description: `s${i}` });
                await spam.client.request('mentoring_cancel', { request: request.id });
            }
            const { requests } = await mod.client.request('mentoring_requests');
            const open = requests.filter((q) => ['waiting', 'offered', 'active'].includes(q.status));
            assert.ok(requests.slice(0, open.length).every((q) => open.includes(q)), 'open ones come first');
            const mine = requests.find((q) => q.id === waiting.id);
            assert.ok(mine, 'the old waiting request is listed');
            assert.equal(mine.position, open.filter((q) => q.status === 'waiting').length);
            assert.equal(requests.length - open.length, 200, 'the newest 200 finished ones');
            const ownList = (await spam.client.request('mentoring_requests')).requests;
            assert.equal(ownList.length, 200);
            // `mentor: 0` names nobody; it does not mean "pick one".
            await expectError(mod.client, 'mentoring_assign', { request: waiting.id, mentor: 0 }, 'not_found');
            await old.client.request('mentoring_cancel', { request: waiting.id });
        });
    });
});
