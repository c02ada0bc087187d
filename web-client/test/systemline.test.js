import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/i18n.js';
import { formatDuration, parseSystemBody, systemLine } from '../src/systemline.js';

// Thursday 5 December 2024, 10.00 WITA (02.00 UTC).
const TS = Date.UTC(2024, 11, 5, 2, 0);
const NOW = Date.UTC(2024, 11, 1, 0, 0);
const names = { 2: 'I Made Wirawan', 6: 'Komang Ari' };
const opts = (lang) => ({ name: (id) => names[id] || `#${id}`, lang, now: NOW });
const line = (ev, lang = 'id') => systemLine(JSON.stringify(ev), opts(lang));

afterEach(() => setLang('id'));

describe('system lines', () => {
    it('writes a scheduled session in WITA', () => {
        expect(line({ event: 'session_scheduled', session: 1, starts_ts: TS })).toMatch(/^Sesi dijadwalkan Kamis,? 5 Des 10\.00 WITA$/);
        setLang('en');
        expect(line({ event: 'session_scheduled', session: 1, starts_ts: TS }, 'en')).toMatch(/^Session scheduled for Thursday,? 5 Dec 10:00 WITA$/);
    });

    it('says how long a call lasted', () => {
        expect(line({ event: 'call_ended', call: 1, reason: 'hangup', duration_s: 720 })).toBe('Panggilan berakhir (12 menit)');
        expect(line({ event: 'call_ended', call: 1, reason: 'hangup', duration_s: 45 })).toBe('Panggilan berakhir (45 detik)');
        expect(line({ event: 'call_ended', call: 1, reason: 'missed', duration_s: 0 })).toBe('Panggilan tidak terjawab');
        expect(line({ event: 'call_ended', call: 1, reason: 'declined' })).toBe('Panggilan ditolak');
        expect(line({ event: 'call_ended', call: 1, reason: 'closed' })).toBe('Panggilan berakhir');
        expect(line({ event: 'call_ended', call: 1, reason: 'hangup', duration_s: 0 })).toBe('Panggilan berakhir');
        setLang('en');
        expect(line({ event: 'call_ended', call: 1, reason: 'hangup', duration_s: 60 }, 'en')).toBe('Call ended (1 minute)');
    });

    it('names the people of a mentoring event', () => {
        expect(line({ event: 'mentoring_started', request: 1, mentor: 2 })).toBe('Pendampingan dimulai bersama I Made Wirawan');
        expect(line({ event: 'mentoring_transferred', request: 1, from: 2, to: 6 })).toBe('Pendampingan dialihkan dari I Made Wirawan ke Komang Ari');
        expect(line({ event: 'mentoring_closed', request: 1, rating: 5 })).toBe('Pendampingan ditutup dengan penilaian 5/5');
        expect(line({ event: 'call_started', call: 3, by: 2 })).toBe('I Made Wirawan memulai panggilan');
        expect(line({ event: 'session_cancelled', session: 1 })).toBe('Sesi dibatalkan');
        expect(line({ event: 'session_reminder', session: 1, starts_ts: TS, minutes: 15 })).toMatch(/^Sesi dimulai 15 menit lagi \(Kamis,? 5 Des 10\.00 WITA\)$/);
        expect(line({ event: 'session_rescheduled', session: 1, starts_ts: TS })).toMatch(/^Sesi dijadwal ulang ke Kamis/);
    });

    it('words a reminder for now, for one minute and for several', () => {
        const reminder = (minutes) => ({ event: 'session_reminder', session: 1, starts_ts: TS, minutes });
        expect(line(reminder(0))).toMatch(/^Sesi dimulai sekarang \(Kamis,? 5 Des 10\.00 WITA\)$/);
        expect(line(reminder(1))).toMatch(/^Sesi dimulai 1 menit lagi \(/);
        setLang('en');
        expect(line(reminder(0), 'en')).toMatch(/^Session starting now \(Thursday,? 5 Dec 10:00 WITA\)$/);
        expect(line(reminder(1), 'en')).toMatch(/^Session starts in 1 minute \(/);
        expect(line(reminder(15), 'en')).toMatch(/^Session starts in 15 minutes \(/);
    });

    it('says which session was cancelled when the room knows it', () => {
        const sessions = { 1: { id: 1, starts_ts: TS, status: 'cancelled' } };
        const withSessions = (lang) => ({ ...opts(lang), session: (id) => sessions[id] || null });
        const cancelled = (id) => JSON.stringify({ event: 'session_cancelled', session: id });
        expect(systemLine(cancelled(1), withSessions('id'))).toMatch(/^Sesi Kamis,? 5 Des 10\.00 WITA dibatalkan$/);
        expect(systemLine(cancelled(2), withSessions('id'))).toBe('Sesi dibatalkan');
        setLang('en');
        expect(systemLine(cancelled(1), withSessions('en'))).toMatch(/^Session on Thursday,? 5 Dec 10:00 WITA cancelled$/);
    });

    it('never shows raw JSON: unknown and malformed lines are neutral', () => {
        const neutral = 'Ada pembaruan di ruang ini';
        expect(line({ event: 'class_started', class: 1 })).toBe(neutral);
        expect(line({ event: 'session_scheduled', session: 1 })).toBe(neutral);
        expect(line({ event: 'mentoring_started', mentor: 'x' })).toBe(neutral);
        expect(systemLine('{"event": "session_', opts('id'))).toBe(neutral);
        expect(systemLine('[1,2]', opts('id'))).toBe(neutral);
        expect(systemLine('', opts('id'))).toBe(neutral);
        expect(systemLine('null', opts('id'))).toBe('null');
    });

    it('shows a plain sentence from other features as it is', () => {
        expect(systemLine('Ayu bergabung', opts('id'))).toBe('Ayu bergabung');
        expect(parseSystemBody('Ayu bergabung')).toBe(null);
        expect(parseSystemBody('{"event":"x"}')).toEqual({ event: 'x' });
    });

    it('writes durations in words', () => {
        expect(formatDuration(0)).toBe('0 detik');
        expect(formatDuration(89)).toBe('1 menit');
        expect(formatDuration(3600)).toBe('1 jam');
        expect(formatDuration(5400)).toBe('1 jam 30 menit');
    });
});
