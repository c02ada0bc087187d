// Rooms: dm and group creation, the rooms list, membership rules, member
// events, and user search.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAll, connect, connectAs, login, newUser } from '../lib/client.mjs';
import { addUser, makeTempDir, startServer } from '../lib/server.mjs';
import { send, sleep, uid } from '../lib/util.mjs';

const MODERATOR = { username: 'mod.rooms', password: 'moderator-pw-1', name: 'Moderator Rooms', role: 'moderator' };

function isMemberEvent(room, userId, action) {
    return (e) => e.type === 'member' && e.room === room && uid(e.user) === userId && e.action === action;
}

// The user fields of an object that may carry more (peers, members).
function userPart(u) {
    return { id: u.id, username: u.username, name: u.name, role: u.role };
}

function assertRoom(room, { kind, title }) {
    assert.ok(Number.isInteger(room.id) && room.id > 0, `room id ${room.id}`);
    assert.equal(room.kind, kind);
    assert.equal(room.title, title);
    assert.equal(room.last_seq, 0);
    assert.equal(typeof room.epoch, 'string');
    assert.ok(room.epoch.length > 0);
}

describe('02 rooms', { timeout: 60000 }, () => {
    let server;
    let alice;
    let bob;
    let carol;
    let dave;
    let mod;
    const clients = [];

    async function extra(token) {
        const c = await connectAs(server.url, token);
        clients.push(c);
        return c;
    }

    before(async () => {
        const dataDir = makeTempDir();
        await addUser(dataDir, MODERATOR);
        server = await startServer({ dataDir });
        alice = await newUser(server.url, { prefix: 'alice', name: 'Alice Wonderland' });
        bob = await newUser(server.url, { prefix: 'bob', name: 'Bob Batik' });
        carol = await newUser(server.url, { prefix: 'carol', name: 'Carol Kopi', role: 'koperasi' });
        dave = await newUser(server.url, { prefix: 'dave', name: 'Dave Student', role: 'student' });
        const modClient = await connect(server.url);
        const m = await login(modClient, MODERATOR.username, MODERATOR.password);
        mod = { client: modClient, user: m.user, token: m.token };
        clients.push(alice.client, bob.client, carol.client, dave.client, mod.client);
    });

    after(async () => {
        await closeAll(clients);
        if (server) {
            await server.stop();
        }
    });

    describe('direct messages', () => {
        let dm;

        it('creates a dm with title "" and tells the other person', async () => {
            const reply = await alice.client.request('room_create', { kind: 'dm', members: [bob.user.id] });
            dm = reply.room;
            assertRoom(dm, { kind: 'dm', title: '' });
            await bob.client.nextEvent(isMemberEvent(dm.id, bob.user.id, 'added'));
        });

        it('returns the existing dm, asked either way round', async () => {
            const again = await alice.client.request('room_create', { kind: 'dm', members: [bob.user.id] });
            assert.equal(again.room.id, dm.id);
            const reverse = await bob.client.request('room_create', { kind: 'dm', members: [alice.user.id] });
            assert.equal(reverse.room.id, dm.id);
            assert.equal(reverse.room.kind, 'dm');
        });

        it('refuses a dm with two others or with nobody', async () => {
            for (const members of [[bob.user.id, carol.user.id], []]) {
                const err = await alice.client.requestError('room_create', { kind: 'dm', members });
                assert.equal(err.code, 'bad_request', JSON.stringify(members));
            }
        });

        it('refuses a dm with an unknown user', async () => {
            const err = await alice.client.requestError('room_create', { kind: 'dm', members: [987654] });
            assert.equal(err.code, 'not_found');
        });

        it('lists the dm with its peer for both people', async () => {
            const forAlice = (await alice.client.request('rooms')).rooms.find((r) => r.id === dm.id);
            assert.ok(forAlice, 'dm in alice rooms');
            assert.deepEqual(userPart(forAlice.peer), bob.user);
            assert.equal(forAlice.title, '');
            const forBob = (await bob.client.request('rooms')).rooms.find((r) => r.id === dm.id);
            assert.deepEqual(userPart(forBob.peer), alice.user);
            assert.equal(forBob.unread, 0);
            assert.equal(forBob.last_read, 0);
            assert.equal(forBob.last ?? null, null, 'no last message yet');
        });
    });

    describe('groups', () => {
        let group;

        it('creates a group with the creator and the members, telling each member', async () => {
            const reply = await alice.client.request('room_create', {
                kind: 'group', title: 'Koperasi Maju Bersama', members: [bob.user.id, carol.user.id],
            });
            group = reply.room;
            assertRoom(group, { kind: 'group', title: 'Koperasi Maju Bersama' });
            await bob.client.nextEvent(isMemberEvent(group.id, bob.user.id, 'added'));
            await carol.client.nextEvent(isMemberEvent(group.id, carol.user.id, 'added'));
            assert.equal(
                await alice.client.sawEvent(isMemberEvent(group.id, alice.user.id, 'added'), 200),
                false,
                'the creator gets no member event for the new room',
            );
        });

        it('join returns the room, the members with online and last_read, no messages', async () => {
            const reply = await alice.client.request('join', { room: group.id });
            assert.equal(reply.room.id, group.id);
            assert.equal(reply.room.title, 'Koperasi Maju Bersama');
            assert.deepEqual(reply.messages, []);
            assert.equal(reply.gap, false);
            assert.equal(reply.last_read, 0);
            const ids = reply.members.map((m) => m.id).sort((a, b) => a - b);
            assert.deepEqual(ids, [alice.user.id, bob.user.id, carol.user.id].sort((a, b) => a - b));
            for (const m of reply.members) {
                assert.equal(typeof m.online, 'boolean');
                assert.equal(m.last_read, 0);
                assert.equal(typeof m.username, 'string');
            }
            const me = reply.members.find((m) => m.id === alice.user.id);
            assert.equal(me.online, true);
            assert.equal(me.username, alice.user.username);
            assert.equal(me.role, 'umkm');
        });

        it('refuses bad group fields with bad_request', async () => {
            const bad = [
                { kind: 'group', members: [bob.user.id] },
                { kind: 'group', title: '', members: [bob.user.id] },
                { kind: 'group', title: 't'.repeat(101), members: [bob.user.id] },
                { kind: 'group', title: 'T', members: 'bob' },
                { kind: 'group', title: 'T', members: ['bob'] },
                { kind: 'banana', title: 'T', members: [bob.user.id] },
                { title: 'T', members: [bob.user.id] },
            ];
            const c = await extra(alice.token);
            for (const fields of bad) {
                const err = await c.requestError('room_create', fields);
                assert.equal(err.code, 'bad_request', JSON.stringify(fields).slice(0, 60));
            }
        });

        it('refuses more than 256 members with too_large', async () => {
            const members = Array.from({ length: 257 }, (_, i) => i + 1);
            const err = await alice.client.requestError('room_create', { kind: 'group', title: 'Besar', members });
            assert.equal(err.code, 'too_large');
        });

        it('ignores the creator and repeats in members', async () => {
            const reply = await alice.client.request('room_create', {
                kind: 'group', title: 'Ulang', members: [alice.user.id, bob.user.id, bob.user.id],
            });
            const joined = await alice.client.request('join', { room: reply.room.id });
            const ids = joined.members.map((m) => m.id).sort((a, b) => a - b);
            assert.deepEqual(ids, [alice.user.id, bob.user.id].sort((a, b) => a - b));
            await alice.client.request('leave', { room: reply.room.id });
        });

        it('accepts a title of exactly 100 bytes', async () => {
            const title = 'é'.repeat(50);
            const reply = await alice.client.request('room_create', { kind: 'group', title, members: [] });
            assert.equal(reply.room.title, title);
        });

        it('only members may join, send, read history or mark read', async () => {
            const e1 = await dave.client.requestError('join', { room: group.id });
            assert.equal(e1.code, 'forbidden');
            const e2 = await dave.client.requestError('send', { room: group.id, body: 'hi', client_id: 'd1' });
            assert.equal(e2.code, 'forbidden');
            const e3 = await dave.client.requestError('history', { room: group.id });
            assert.equal(e3.code, 'forbidden');
            const e4 = await dave.client.requestError('read', { room: group.id, seq: 1 });
            assert.equal(e4.code, 'forbidden');
            const e5 = await dave.client.requestError('typing', { room: group.id });
            assert.equal(e5.code, 'forbidden');
            const gone = await dave.client.requestError('join', { room: 99999 });
            assert.equal(gone.code, 'not_found');
            const h = await alice.client.request('history', { room: group.id });
            assert.deepEqual(h.messages, [], 'nothing was stored by the refused send');
        });

        it('lists rooms most recently active first, with unread, last_read and last', async () => {
            const dm = (await alice.client.request('room_create', { kind: 'dm', members: [bob.user.id] })).room;
            await send(alice.client, group.id, 'satu', 'g-1');
            await send(alice.client, group.id, 'dua', 'g-2');
            const third = await send(alice.client, group.id, 'tiga', 'g-3');
            let rooms = (await bob.client.request('rooms')).rooms;
            assert.equal(rooms[0].id, group.id, 'the group is the most recent');
            const g = rooms[0];
            assert.equal(g.kind, 'group');
            assert.equal(g.last_seq, 3);
            assert.equal(g.unread, 3);
            assert.equal(g.last_read, 0);
            assert.equal(g.last.seq, 3);
            assert.equal(g.last.body, 'tiga');
            assert.equal(g.last.from, alice.user.id);
            assert.equal(g.last.ts, third.ts);
            assert.equal(g.peer ?? null, null, 'a group has no peer');

            await bob.client.request('read', { room: group.id, seq: 2 });
            await send(alice.client, dm.id, 'halo bob', 'dm-1');
            rooms = (await bob.client.request('rooms')).rooms;
            assert.equal(rooms[0].id, dm.id, 'the dm is now the most recent');
            assert.equal(rooms[0].unread, 1);
            assert.equal(rooms[0].last.body, 'halo bob');
            const g2 = rooms.find((r) => r.id === group.id);
            assert.equal(g2.unread, 1);
            assert.equal(g2.last_read, 2);
            assert.equal(rooms[1].id, group.id, 'then the group');
        });

        it('member_add by the creator tells the added user and the joined members', async () => {
            await bob.client.request('join', { room: group.id });
            bob.client.drain();
            await alice.client.request('member_add', { room: group.id, user: dave.user.id });
            await dave.client.nextEvent(isMemberEvent(group.id, dave.user.id, 'added'));
            await bob.client.nextEvent(isMemberEvent(group.id, dave.user.id, 'added'));
            const rooms = (await dave.client.request('rooms')).rooms;
            assert.ok(rooms.some((r) => r.id === group.id));
            const joined = await dave.client.request('join', { room: group.id });
            assert.ok(joined.members.some((m) => m.id === dave.user.id));
        });

        it('member_add of a member is a conflict; a plain member may not add', async () => {
            const e1 = await alice.client.requestError('member_add', { room: group.id, user: bob.user.id });
            assert.equal(e1.code, 'conflict');
            const e2 = await bob.client.requestError('member_add', { room: group.id, user: mod.user.id });
            assert.equal(e2.code, 'forbidden');
            const e3 = await alice.client.requestError('member_add', { room: group.id, user: 987654 });
            assert.equal(e3.code, 'not_found');
            const e4 = await alice.client.requestError('member_remove', { room: group.id, user: mod.user.id });
            assert.equal(e4.code, 'conflict');
        });

        it('a moderator who did not create the group may add and remove members', async () => {
            const other = await newUser(server.url, { prefix: 'eve' });
            clients.push(other.client);
            await alice.client.request('member_add', { room: group.id, user: mod.user.id });
            await mod.client.request('member_add', { room: group.id, user: other.user.id });
            await other.client.nextEvent(isMemberEvent(group.id, other.user.id, 'added'));
            await mod.client.request('member_remove', { room: group.id, user: other.user.id });
            await other.client.nextEvent(isMemberEvent(group.id, other.user.id, 'removed'));
        });

        it('a moderator who is not a member of the group may still manage it', async () => {
            const outsider = await newUser(server.url, { prefix: 'olga' });
            clients.push(outsider.client);
            const own = (await bob.client.request('room_create', { kind: 'group', title: 'Tanpa moderator', members: [] })).room;
            await mod.client.request('member_add', { room: own.id, user: outsider.user.id });
            await outsider.client.nextEvent(isMemberEvent(own.id, outsider.user.id, 'added'));
            await mod.client.request('member_remove', { room: own.id, user: outsider.user.id });
            await outsider.client.nextEvent(isMemberEvent(own.id, outsider.user.id, 'removed'));
            const e = await alice.client.requestError('member_add', { room: own.id, user: outsider.user.id });
            assert.equal(e.code, 'forbidden', 'a plain user outside the group may not');
        });

        it('member_add and member_remove work on group rooms only', async () => {
            const dm = (await alice.client.request('room_create', { kind: 'dm', members: [bob.user.id] })).room;
            const e1 = await alice.client.requestError('member_add', { room: dm.id, user: carol.user.id });
            assert.equal(e1.code, 'forbidden');
            const e2 = await alice.client.requestError('member_remove', { room: dm.id, user: bob.user.id });
            assert.equal(e2.code, 'forbidden');
            const e3 = await bob.client.requestError('member_remove', { room: dm.id, user: bob.user.id });
            assert.equal(e3.code, 'forbidden');
        });

        it('a plain member may not remove others but may remove themselves', async () => {
            const e = await bob.client.requestError('member_remove', { room: group.id, user: carol.user.id });
            assert.equal(e.code, 'forbidden');
            await carol.client.request('member_remove', { room: group.id, user: carol.user.id });
            await bob.client.nextEvent(isMemberEvent(group.id, carol.user.id, 'removed'));
            await carol.client.nextEvent(isMemberEvent(group.id, carol.user.id, 'removed'));
            const rooms = (await carol.client.request('rooms')).rooms;
            assert.ok(!rooms.some((r) => r.id === group.id), 'the group left carol\'s list');
            assert.equal((await carol.client.requestError('join', { room: group.id })).code, 'forbidden');
        });

        it('a removed member stops receiving the room\'s events at once', async () => {
            const daveSecond = await extra(dave.token);
            await daveSecond.request('join', { room: group.id });
            dave.client.drain();
            daveSecond.drain();
            bob.client.drain();

            await alice.client.request('member_remove', { room: group.id, user: dave.user.id });
            await dave.client.nextEvent(isMemberEvent(group.id, dave.user.id, 'removed'));
            await daveSecond.nextEvent(isMemberEvent(group.id, dave.user.id, 'removed'));
            await bob.client.nextEvent(isMemberEvent(group.id, dave.user.id, 'removed'));

            const after = await send(alice.client, group.id, 'setelah dave keluar', 'after-remove');
            await alice.client.request('typing', { room: group.id });
            await bob.client.nextEvent((e) => e.type === 'message' && e.room === group.id && e.seq === after.seq);
            await bob.client.nextEvent((e) => e.type === 'typing' && e.room === group.id);
            await sleep(200);
            for (const c of [dave.client, daveSecond]) {
                const leaked = c.queue.filter((e) => e.room === group.id && e.type !== 'member');
                assert.deepEqual(leaked, [], 'no room events after removal');
            }
            assert.equal((await dave.client.requestError('send', {
                room: group.id, body: 'masih bisa?', client_id: 'd-after',
            })).code, 'forbidden');
            assert.equal((await dave.client.requestError('history', { room: group.id })).code, 'forbidden');
        });
    });

    describe('users search', () => {
        it('matches username or name, case-insensitively, including the caller', async () => {
            const byName = (await alice.client.request('users', { query: 'WONDERLAND' })).users;
            assert.deepEqual(byName, [alice.user]);
            const byUsername = (await alice.client.request('users', { query: bob.username.toUpperCase() })).users;
            assert.deepEqual(byUsername, [bob.user]);
            const none = (await alice.client.request('users', { query: 'zzz-nobody-zzz' })).users;
            assert.deepEqual(none, []);
        });

        it('honours limit and refuses limits outside 1-50', async () => {
            const some = (await alice.client.request('users', { query: '', limit: 2 })).users;
            assert.equal(some.length, 2);
            const all = (await alice.client.request('users', {})).users;
            assert.ok(all.length >= 5 && all.length <= 20, `default limit: ${all.length}`);
            for (const u of all) {
                assert.deepEqual(Object.keys(u).sort(), ['id', 'name', 'role', 'username']);
            }
            for (const fields of [{ limit: 0 }, { limit: 51 }, { query: 'q'.repeat(101) }]) {
                const err = await alice.client.requestError('users', fields);
                assert.equal(err.code, 'bad_request', JSON.stringify(fields));
            }
            const longest = (await alice.client.request('users', { query: 'q'.repeat(100) })).users;
            assert.deepEqual(longest, []);
        });
    });
});

describe('02 rooms: the demo data', { timeout: 30000 }, () => {
    let server;
    const clients = [];
    before(async () => {
        server = await startServer({ args: ['--demo'] });
    });
    after(async () => {
        await closeAll(...clients);
        await server?.stop();
    });

    // Unread counts of each room of a demo user, keyed by kind.
    async function unreadOf(username) {
        const c = await connect(server.wsUrl);
        clients.push(c);
        await login(c, username, 'kolab-demo');
        const { rooms } = await c.request('rooms');
        return Object.fromEntries(rooms.map((r) => [r.kind, { unread: r.unread }]));
    }

    it('counts nothing unread before a user\'s own last word, as a user typing in the room has read it', async () => {
        // Ayu wrote the last line of both rooms; Made the third line of five of
        // the dm and the first of four of the group.
        const ayu = await unreadOf('ayu');
        assert.equal(ayu.dm.unread, 0);
        assert.equal(ayu.group.unread, 0);
        const made = await unreadOf('made');
        assert.equal(made.dm.unread, 1);
        assert.equal(made.group.unread, 3);
    });
});
