import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/i18n.js';
import { ChatStore } from '../src/store.js';
import { colourIndex } from '../src/text.js';
import { roomAvatarId, roomName } from '../src/views/names.js';

const ME = { id: 1, username: 'ayu', name: 'Ayu', role: 'umkm' };
const PEER = { id: 2, username: 'budi', name: 'Budi', role: 'student' };

describe('avatar colours', () => {
    it('colour a person by their user id, in the room list as in the people picker', () => {
        const store = new ChatStore();
        store.setMe(ME);
        // A room id whose colour differs from the person's.
        store.setRooms([{ id: 9, kind: 'dm', title: '', last_seq: 0, epoch: 'e', peer: PEER }]);
        const room = store.rooms.get(9);
        expect(colourIndex(9)).not.toBe(colourIndex(PEER.id));
        // The people picker colours a person by user.id.
        expect(roomAvatarId(store, room)).toBe(PEER.id);
    });

    it('colour a DM by its member list when the rooms reply named no peer', () => {
        const store = new ChatStore();
        store.setMe(ME);
        store.setRooms([{ id: 9, kind: 'dm', title: '', last_seq: 0, epoch: 'e' }]);
        store.applyJoin(9, { members: [{ ...ME, last_read: 0 }, { ...PEER, last_read: 0 }], messages: [] });
        expect(roomAvatarId(store, store.rooms.get(9))).toBe(PEER.id);
    });

    it('colour a group by its room id', () => {
        const store = new ChatStore();
        store.setMe(ME);
        store.setRooms([{ id: 12, kind: 'group', title: 'Grup Endek', last_seq: 0, epoch: 'e' }]);
        expect(roomAvatarId(store, store.rooms.get(12))).toBe(12);
    });
});

describe('mentoring room names', () => {
    const AYU = { id: 1, username: 'ayu', name: 'Ni Luh Ayu Lestari', role: 'umkm' };
    const MADE = { id: 2, username: 'made', name: 'I Made Wirawan', role: 'mentor' };
    const DINAS = { id: 5, username: 'dinas', name: 'Komang Dewi', role: 'moderator' };
    const REQ = { id: 11, business: AYU, mentor: MADE, topic: 'digital_marketing', status: 'active', room: 40, created_ts: 1 };
    const ROOM = { id: 40, kind: 'mentoring', title: 'Pemasaran digital: Ni Luh Ayu Lestari', last_seq: 0, epoch: 'e' };

    function seen(me) {
        const store = new ChatStore();
        store.setMe(me);
        store.setRooms([ROOM]);
        store.mentoring.setRequests([REQ]);
        return roomName(store, store.rooms.get(40));
    }

    afterEach(() => setLang('id'));

    it('name the topic and the other party, never the reader', () => {
        expect(seen(AYU)).toBe('Pemasaran digital · I Made Wirawan');
        expect(seen(MADE)).toBe('Pemasaran digital · Ni Luh Ayu Lestari');
        setLang('en');
        expect(seen(AYU)).toBe('Digital marketing · I Made Wirawan');
    });

    it('name the business and the mentor for staff', () => {
        expect(seen(DINAS)).toBe('Ni Luh Ayu Lestari · I Made Wirawan');
    });

    it('keep the server title until the request is known', () => {
        const store = new ChatStore();
        store.setMe(AYU);
        store.setRooms([ROOM]);
        expect(roomName(store, store.rooms.get(40))).toBe('Pemasaran digital: Ni Luh Ayu Lestari');
    });
});
