import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/store.js';
import { colourIndex } from '../src/text.js';
import { roomAvatarId } from '../src/views/names.js';

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
