import { describe, expect, it } from 'vitest';
import { dayKey, formatDate, formatDateKey, formatTime, formatWhen, isDateKey, relativeDay, utcToWita, witaToUtc, witaToday } from '../src/time.js';

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

describe('WITA form fields', () => {
    it('reads a typed date and time as WITA, whatever the device zone', () => {
        expect(witaToUtc('2025-12-05', '10:00')).toBe(Date.UTC(2025, 11, 5, 2, 0));
        // Early morning WITA is the previous day in UTC.
        expect(witaToUtc('2025-12-05', '07:30')).toBe(Date.UTC(2025, 11, 4, 23, 30));
        expect(witaToUtc('2025-12-31', '23:59')).toBe(Date.UTC(2025, 11, 31, 15, 59));
    });

    it('refuses what is not a date or a time', () => {
        expect(witaToUtc('2025-02-29', '10:00')).toBe(null);
        expect(witaToUtc('2024-02-29', '10:00')).toBe(Date.UTC(2024, 1, 29, 2, 0));
        expect(witaToUtc('2025-12-05', '24:00')).toBe(null);
        expect(witaToUtc('2025-12-05', '10:60')).toBe(null);
        expect(witaToUtc('5/12/2025', '10:00')).toBe(null);
        expect(witaToUtc('', '')).toBe(null);
        expect(isDateKey('2025-13-01')).toBe(false);
    });

    it('gives back the fields of a stored time, round trip', () => {
        const ts = Date.UTC(2025, 11, 4, 23, 30);
        expect(utcToWita(ts)).toEqual({ date: '2025-12-05', time: '07:30' });
        const { date, time } = utcToWita(ts);
        expect(witaToUtc(date, time)).toBe(ts);
        expect(witaToday(Date.UTC(2025, 11, 4, 16, 0))).toBe('2025-12-05');
    });

    it('writes a scheduled moment with its weekday, and the year when not this year', () => {
        const ts = Date.UTC(2024, 11, 5, 2, 0);
        expect(formatWhen(ts, 'id', Date.UTC(2024, 0, 1))).toMatch(/^Kamis,? 5 Des 10\.00 WITA$/);
        expect(formatWhen(ts, 'en', Date.UTC(2024, 0, 1))).toMatch(/^Thursday,? 5 Dec 10:00 WITA$/);
        expect(formatWhen(ts, 'id', Date.UTC(2025, 5, 1))).toMatch(/2024/);
        expect(formatDateKey('2025-12-05', 'id')).toBe('5 Des 2025');
        expect(formatDateKey('nope', 'id')).toBe('');
    });
});
