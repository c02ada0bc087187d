import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/store.js';

const ME = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const PEER = { id: 2, username: 'budi', name: 'Budi', role: 'student' };

function storeWithRoom() {
    const store = new ChatStore();
    store.setConnState('online');
    store.setMe(ME);
    store.setRooms([{ id: 10, kind: 'dm', title: '', last_seq: 0, epoch: 'e1', unread: 0, last_read: 0, peer: PEER }]);
    return store;
}

const msg = (seq, from = 2, extra = {}) => ({ room: 10, seq, from, ts: 1000 * seq, kind: 'text', body: `m${seq}`, client_id: `c${seq}`, ...extra });

describe('ChatStore', () => {
    it('orders and de-duplicates a room by seq across sources', () => {
        const store = storeWithRoom();
        store.addMessage(msg(3), { live: true });
        store.addHistory(10, [msg(1), msg(2), msg(3)], false, { newest: true });
        store.addMessage(msg(3), { live: true });
        store.addMessage(msg(4), { live: true });
        expect(store.conversation(10).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
        expect(store.rooms.get(10).last.seq).toBe(4);
    });

    it('applies edit and delete events, also to the room preview', () => {
        const store = storeWithRoom();
        store.addMessage(msg(1), { live: true });
        store.addMessage(msg(2), { live: true });
        store.applyEdit({ room: 10, seq: 1, body: 'diubah', edited_ts: 9 });
        store.applyDelete({ room: 10, seq: 2 });
        const [first, second] = store.conversation(10);
        expect(first).toMatchObject({ body: 'diubah', edited_ts: 9 });
        expect(second).toMatchObject({ body: '', deleted: true });
        expect(store.rooms.get(10).last).toMatchObject({ seq: 2, deleted: true });
    });

    it('counts live messages from others as unread and recounts on read', () => {
        const store = storeWithRoom();
        store.addMessage(msg(1), { live: true });
        store.addMessage(msg(2, ME.id), { live: true });
        store.addMessage(msg(3), { live: true });
        expect(store.rooms.get(10).unread).toBe(2);
        store.markReadLocal(10, 1);
        expect(store.rooms.get(10).unread).toBe(1);
        store.applyRead({ room: 10, user: ME.id, seq: 3 });
        expect(store.rooms.get(10).unread).toBe(0);
    });

    it('does not count a join replay twice: the rooms reply already did', () => {
        const store = storeWithRoom();
        store.setRooms([{ ...store.rooms.get(10), unread: 2 }]);
        store.applyJoin(10, { members: [], messages: [msg(1), msg(2)], gap: false });
        expect(store.rooms.get(10).unread).toBe(2);
    });

    it('shows unsent messages after the held ones until the echo arrives', () => {
        const store = storeWithRoom();
        store.addMessage(msg(1), { live: true });
        store.setPending([{ client_id: 'x1', room: 10, body: 'halo', created: 5 }]);
        expect(store.conversation(10).map((m) => [m.seq, m.pending === true])).toEqual([
            [1, false],
            [undefined, true],
        ]);
        store.addAcked({ client_id: 'x1', room: 10, body: 'halo' }, { seq: 2, ts: 6 });
        expect(store.conversation(10).map((m) => m.seq)).toEqual([1, 2]);
        expect(store.logs.get(10).synced).toBe(1);
    });

    it('tracks members, presence, read markers and typing from join and events', () => {
        const store = storeWithRoom();
        store.applyJoin(10, {
            room: { id: 10, kind: 'dm', title: '', last_seq: 0, epoch: 'e1' },
            members: [
                { ...ME, online: true, last_read: 0 },
                { ...PEER, online: false, last_read: 0 },
            ],
            messages: [],
            gap: false,
            last_read: 0,
        });
        expect(store.isOnline(2)).toBe(false);
        store.setPresence(2, true);
        expect(store.isOnline(2)).toBe(true);
        store.applyRead({ room: 10, user: 2, seq: 4 });
        expect(store.othersRead(10)).toMatchObject([{ id: 2, last_read: 4 }]);
        store.setTyping(10, 2, 1000);
        expect(store.typingIn(10, 2000)).toEqual([2]);
        expect(store.typingIn(10, 7000)).toEqual([]);
    });

    it('knows presence only while connected, and takes it afresh from the next join', () => {
        const store = storeWithRoom();
        const join = (peerOnline) =>
            store.applyJoin(10, {
                members: [
                    { ...ME, online: true, last_read: 0 },
                    { ...PEER, online: peerOnline, last_read: 0 },
                ],
                messages: [],
                gap: false,
                last_read: 0,
            });
        join(true);
        expect(store.presenceOf(2)).toBe(true);
        expect(store.isOnline(2)).toBe(true);

        // The link drops: nothing is known, not even the last answer.
        store.setConnState('offline');
        expect(store.presenceOf(2)).toBeUndefined();
        expect(store.isOnline(2)).toBe(false);

        // Back online, but not caught up yet: still unknown, not the old "online".
        store.setConnState('online');
        expect(store.presenceOf(2)).toBeUndefined();

        // The join reply of the new connection says.
        join(false);
        expect(store.presenceOf(2)).toBe(false);
        store.setPresence(2, true);
        expect(store.presenceOf(2)).toBe(true);

        // A reconnect in progress (restart) is not connected either.
        store.setConnState('connecting');
        expect(store.presenceOf(2)).toBeUndefined();
    });

    it('forgets the previous user on a different login', () => {
        const store = storeWithRoom();
        store.addMessage(msg(1), { live: true });
        store.setMe({ ...PEER });
        expect(store.rooms.size).toBe(0);
        expect(store.logs.size).toBe(0);
    });

    it('notifies listeners once per burst', async () => {
        const store = storeWithRoom();
        let calls = 0;
        store.subscribe(() => {
            calls += 1;
        });
        for (let seq = 1; seq <= 20; seq += 1) {
            store.addMessage(msg(seq), { live: true });
        }
        await Promise.resolve();
        expect(calls).toBe(1);
    });
});

describe('ChatStore history pages', () => {
    it('trusts a newest page about older messages when it reaches back past what was held', () => {
        const store = storeWithRoom();
        store.addMessage(msg(3), { live: true });
        store.addHistory(10, [msg(1), msg(2), msg(3)], false, { newest: true });
        expect(store.logs.get(10).more).toBe(false);
    });

    it('keeps older pages loadable when a newest page stops short of them', () => {
        const store = storeWithRoom();
        store.addHistory(10, [msg(5), msg(6)], true, { newest: true });
        store.addHistory(10, [msg(3), msg(4)], true);
        store.addHistory(10, [msg(6), msg(7)], true, { newest: true });
        expect(store.logs.get(10).more).toBe(true);
        expect(store.logs.get(10).oldestSeq).toBe(3);
    });

    it('knows an empty room has nothing older', () => {
        const store = storeWithRoom();
        store.addHistory(10, [], false, { newest: true });
        expect(store.logs.get(10).more).toBe(false);
        expect(store.logs.get(10).loaded).toBe(true);
    });
});
