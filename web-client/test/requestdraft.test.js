import { describe, expect, it } from 'vitest';
import { clearDraft, loadDraft, saveDraft } from '../src/requestdraft.js';
import { memoryStorage } from './storage.js';

describe('the draft of a mentoring request', () => {
    it('is kept per user until cleared', () => {
        const storage = memoryStorage();
        saveDraft(storage, 1, { topic: 'export', description: 'Kain endek ke Jepang' });
        expect(loadDraft(storage, 1)).toEqual({ topic: 'export', description: 'Kain endek ke Jepang' });
        // Another account on the same device sees nothing of it.
        expect(loadDraft(storage, 4)).toBe(null);
        clearDraft(storage, 1);
        expect(loadDraft(storage, 1)).toBe(null);
    });

    it('keeps a description without a topic, and drops an empty form', () => {
        const storage = memoryStorage();
        saveDraft(storage, 1, { topic: '', description: 'Belum pilih topik' });
        expect(loadDraft(storage, 1)).toEqual({ topic: '', description: 'Belum pilih topik' });
        saveDraft(storage, 1, { topic: '', description: '' });
        expect(storage.map.size).toBe(0);
    });

    it('survives what it cannot read, and storage that refuses', () => {
        const storage = memoryStorage();
        storage.setItem('kolab.request_draft.1', '{not json');
        expect(loadDraft(storage, 1)).toBe(null);
        storage.setItem('kolab.request_draft.1', JSON.stringify({ topic: 'astrology', description: 7 }));
        expect(loadDraft(storage, 1)).toBe(null);
        const refusing = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('full'); }, removeItem() { throw new Error('denied'); } };
        expect(() => saveDraft(refusing, 1, { topic: 'haki', description: 'x' })).not.toThrow();
        expect(loadDraft(refusing, 1)).toBe(null);
        expect(() => clearDraft(refusing, 1)).not.toThrow();
    });
});
