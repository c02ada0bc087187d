import { describe, expect, it } from 'vitest';
import { RequestError } from '../src/connection.js';
import { Outbox } from '../src/outbox.js';
import { memoryStorage } from './storage.js';

function counterIds() {
    let n = 0;
    return () => `cid-${++n}`;
}

const noWait = () => Promise.resolve();

describe('Outbox', () => {
    it('keeps entries per user across instances (a reload)', () => {
        const storage = memoryStorage();
        const a = new Outbox(storage, 7, { makeId: counterIds() });
        a.add({ room: 1, body: 'halo' });
        a.add({ room: 2, body: 'apa kabar', reply_to: 4 });

        const again = new Outbox(storage, 7);
        expect(again.list().map((e) => [e.client_id, e.room, e.body, e.reply_to])).toEqual([
            ['cid-1', 1, 'halo', undefined],
            ['cid-2', 2, 'apa kabar', 4],
        ]);
        expect(new Outbox(storage, 8).list()).toEqual([]);
    });

    it('removes an entry once the server acknowledges it', async () => {
        const storage = memoryStorage();
        const box = new Outbox(storage, 1, { makeId: counterIds() });
        box.add({ room: 1, body: 'satu' });
        const acked = [];
        await box.flush(async () => ({ seq: 5, ts: 1 }), (entry, reply) => acked.push([entry.client_id, reply.seq]));
        expect(acked).toEqual([['cid-1', 5]]);
        expect(box.list()).toEqual([]);
        expect(storage.map.size).toBe(0);
    });

    it('resends after a drop with the same client_id', async () => {
        const storage = memoryStorage();
        const box = new Outbox(storage, 1, { makeId: counterIds(), wait: noWait });
        box.add({ room: 1, body: 'satu' });
        box.add({ room: 1, body: 'dua' });

        const sent = [];
        await box.flush(async (entry) => {
            sent.push(entry.client_id);
            throw new RequestError('unavailable');
        });
        expect(sent).toEqual(['cid-1']);
        expect(box.list()).toHaveLength(2);

        // After a reload the same entries go out with their original ids.
        const reloaded = new Outbox(storage, 1, { makeId: counterIds(), wait: noWait });
        await reloaded.flush(async (entry) => {
            sent.push(entry.client_id);
            return { seq: sent.length, ts: 0 };
        });
        expect(sent).toEqual(['cid-1', 'cid-1', 'cid-2']);
        expect(reloaded.list()).toEqual([]);
    });

    it('never sends an entry twice when flushes overlap', async () => {
        const box = new Outbox(memoryStorage(), 1, { makeId: counterIds() });
        box.add({ room: 1, body: 'a' });
        box.add({ room: 1, body: 'b' });
        const sent = [];
        const send = async (entry) => {
            sent.push(entry.client_id);
            await new Promise((r) => setTimeout(r, 5));
            return { seq: sent.length, ts: 0 };
        };
        const first = box.flush(send);
        box.add({ room: 1, body: 'c' });
        const second = box.flush(send);
        await Promise.all([first, second]);
        expect(sent).toEqual(['cid-1', 'cid-2', 'cid-3']);
        expect(box.list()).toEqual([]);
    });

    it('marks an entry the server refuses for good as failed and goes on', async () => {
        const box = new Outbox(memoryStorage(), 1, { makeId: counterIds() });
        box.add({ room: 1, body: 'x' });
        box.add({ room: 2, body: 'y' });
        const sent = [];
        await box.flush(async (entry) => {
            sent.push(entry.client_id);
            if (entry.room === 1) {
                throw new RequestError('forbidden');
            }
            return { seq: 1, ts: 0 };
        });
        expect(sent).toEqual(['cid-1', 'cid-2']);
        expect(box.list()).toMatchObject([{ client_id: 'cid-1', failed: 'forbidden' }]);

        // A retry clears the mark and sends it again, same id.
        box.retry('cid-1');
        await box.flush(async (entry) => {
            sent.push(entry.client_id);
            return { seq: 2, ts: 0 };
        });
        expect(sent).toEqual(['cid-1', 'cid-2', 'cid-1']);
        expect(box.list()).toEqual([]);
    });

    it('waits and retries when rate limited', async () => {
        const waits = [];
        const box = new Outbox(memoryStorage(), 1, {
            makeId: counterIds(),
            wait: (ms) => {
                waits.push(ms);
                return Promise.resolve();
            },
        });
        box.add({ room: 1, body: 'x' });
        let calls = 0;
        await box.flush(async () => {
            calls += 1;
            if (calls === 1) {
                throw new RequestError('rate_limited', 'slow down', { retry_ms: 1200 });
            }
            return { seq: 1, ts: 0 };
        });
        expect(waits).toEqual([1200]);
        expect(calls).toBe(2);
        expect(box.list()).toEqual([]);
    });

    it('survives storage that holds garbage', () => {
        const storage = memoryStorage();
        storage.setItem('kolab.outbox.1', '{not json');
        expect(new Outbox(storage, 1).list()).toEqual([]);
    });
});
