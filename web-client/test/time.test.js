import { describe, expect, it } from 'vitest';
import { dayKey, formatDate, formatTime, relativeDay } from '../src/time.js';

// 06:05 UTC is 14:05 in WITA (UTC+8).
const TS = Date.UTC(2025, 2, 3, 6, 5);

describe('time', () => {
    it('writes hours in WITA', () => {
        expect(formatTime(TS, 'id')).toBe('14.05 WITA');
        expect(formatTime(TS, 'en')).toBe('14:05 WITA');
    });

    it('uses the 24-hour clock around midnight', () => {
        expect(formatTime(Date.UTC(2025, 2, 3, 16, 0), 'id')).toBe('00.00 WITA');
    });

    it('splits days at midnight WITA, not UTC', () => {
        // 15:59 UTC is 23:59 WITA on the 3rd; 16:01 UTC is already the 4th.
        expect(dayKey(Date.UTC(2025, 2, 3, 15, 59))).toBe('2025-03-03');
        expect(dayKey(Date.UTC(2025, 2, 3, 16, 1))).toBe('2025-03-04');
    });

    it('names today and yesterday', () => {
        const now = Date.UTC(2025, 2, 4, 2, 0);
        expect(relativeDay(Date.UTC(2025, 2, 4, 0, 0), now)).toBe('today');
        expect(relativeDay(Date.UTC(2025, 2, 3, 1, 0), now)).toBe('yesterday');
        expect(relativeDay(Date.UTC(2025, 2, 1, 1, 0), now)).toBe(null);
    });

    // Punctuation differs between ICU versions, so only the words are checked.
    it('writes full dates in the chosen language', () => {
        expect(formatDate(TS, 'id')).toMatch(/^Senin,? 3 Maret 2025$/);
        expect(formatDate(TS, 'en')).toMatch(/^Monday,? 3 March 2025$/);
    });
});
