import { describe, expect, it } from 'vitest';
import { RoomLog } from '../src/roomlog.js';

const msg = (seq, extra = {}) => ({ room: 1, seq, from: 2, ts: seq * 1000, kind: 'text', body: `m${seq}`, ...extra });

describe('RoomLog', () => {
    it('keeps messages in seq order whatever order they arrive in', () => {
        const log = new RoomLog();
        for (const seq of [5, 1, 3, 4, 2, 9]) {
            log.put(msg(seq));
        }
        expect(log.list().map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 9]);
        expect(log.oldestSeq).toBe(1);
        expect(log.newestSeq).toBe(9);
    });

    it('stores a message that arrives twice once', () => {
        const log = new RoomLog();
        expect(log.put(msg(1))).toBe(true);
        expect(log.put(msg(2))).toBe(true);
        expect(log.put(msg(1))).toBe(false);
        expect(log.size).toBe(2);
    });

    it('ignores messages without a valid seq', () => {
        const log = new RoomLog();
        expect(log.put({ room: 1, body: 'x' })).toBe(false);
        expect(log.put(msg(0))).toBe(false);
        expect(log.size).toBe(0);
    });

    it('moves synced only for the ordered stream, not for send acks', () => {
        const log = new RoomLog();
        log.put(msg(3));
        log.put(msg(8, { client_id: 'abc' }), { ordered: false });
        expect(log.synced).toBe(3);
        expect(log.hasClientId('abc')).toBe(true);
        log.put(msg(8, { client_id: 'abc' }));
        expect(log.synced).toBe(8);
        expect(log.size).toBe(2);
    });

    it('applies edits and deletes', () => {
        const log = new RoomLog();
        log.put(msg(1));
        log.put(msg(2));
        expect(log.edit({ seq: 1, body: 'baru', edited_ts: 5000 })).toBe(true);
        expect(log.remove({ seq: 2 })).toBe(true);
        expect(log.get(1)).toMatchObject({ body: 'baru', edited_ts: 5000 });
        expect(log.get(2)).toMatchObject({ body: '', deleted: true, seq: 2 });
        expect(log.edit({ seq: 9, body: 'x', edited_ts: 1 })).toBe(false);
    });

    it('does not let a stale copy undo an edit or a deletion', () => {
        const log = new RoomLog();
        log.put(msg(1));
        log.put(msg(2));
        log.edit({ seq: 1, body: 'baru', edited_ts: 5000 });
        log.remove({ seq: 2 });
        log.put(msg(1));
        log.put(msg(2));
        expect(log.get(1).body).toBe('baru');
        expect(log.get(2)).toMatchObject({ body: '', deleted: true });
        // A newer copy (from history after a later edit) does replace it.
        log.put(msg(1, { body: 'lebih baru', edited_ts: 6000 }));
        expect(log.get(1).body).toBe('lebih baru');
    });

    it('forgets everything on clear', () => {
        const log = new RoomLog();
        log.put(msg(1, { client_id: 'a' }));
        log.loaded = true;
        log.clear();
        expect(log.size).toBe(0);
        expect(log.synced).toBe(0);
        expect(log.loaded).toBe(false);
        expect(log.hasClientId('a')).toBe(false);
    });
});
