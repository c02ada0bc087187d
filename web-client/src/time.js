// Times shown to people, always in WITA (Asia/Makassar, UTC+8), whatever the
// device's own time zone; the server sends milliseconds since the epoch, UTC.

import { LOCALES } from './i18n.js';

export const TIME_ZONE = 'Asia/Makassar';
export const ZONE_LABEL = 'WITA';

const formatters = new Map();

function formatter(locale, options) {
    const key = locale + JSON.stringify(options);
    let f = formatters.get(key);
    if (!f) {
        f = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, ...options });
        formatters.set(key, f);
    }
    return f;
}

// "14.05 WITA" in Indonesian, "14:05 WITA" in English.
export function formatTime(ts, lang = 'id') {
    const f = formatter(LOCALES[lang] || LOCALES.id, {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
    });
    return `${f.format(new Date(ts))} ${ZONE_LABEL}`;
}

// The calendar day in WITA as "YYYY-MM-DD", to tell days apart.
export function dayKey(ts) {
    const parts = formatter('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' })
        .formatToParts(new Date(ts));
    const get = (type) => parts.find((p) => p.type === type).value;
    return `${get('year')}-${get('month')}-${get('day')}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

// 'today', 'yesterday' or null, relative to `now`, both in WITA.
export function relativeDay(ts, now = Date.now()) {
    const key = dayKey(ts);
    if (key === dayKey(now)) {
        return 'today';
    }
    if (key === dayKey(now - DAY_MS)) {
        return 'yesterday';
    }
    return null;
}

// A full date, for the separators between days: "Senin, 3 Maret 2025".
export function formatDate(ts, lang = 'id') {
    return formatter(LOCALES[lang] || LOCALES.id, {
        weekday: 'long',
        day: 'numeric',
        month: 'long',
        year: 'numeric',
    }).format(new Date(ts));
}

// A short date for the room list: "3 Mar".
export function formatShortDate(ts, lang = 'id') {
    return formatter(LOCALES[lang] || LOCALES.id, { day: 'numeric', month: 'short' })
        .format(new Date(ts));
}

// ---- WITA as typed into forms ------------------------------------------
//
// A date field gives "YYYY-MM-DD" and a time field "HH:MM" in the device's
// own terms; here both are read as WITA, whatever zone the device is in.
// WITA has no daylight saving, so the conversion is a fixed eight hours.

const WITA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;

const pad2 = (n) => String(n).padStart(2, '0');

// True when "YYYY-MM-DD" names a real calendar day.
export function isDateKey(date) {
    const m = DATE_RE.exec(String(date));
    if (!m) {
        return false;
    }
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const probe = new Date(Date.UTC(y, mo - 1, d));
    return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

// The UTC milliseconds of a WITA date and time ("2025-12-05", "10:00"), or
// null when either is not a real date or time.
export function witaToUtc(date, time) {
    const t = TIME_RE.exec(String(time));
    if (!isDateKey(date) || !t || Number(t[1]) > 23 || Number(t[2]) > 59) {
        return null;
    }
    const [y, mo, d] = String(date).split('-').map(Number);
    return Date.UTC(y, mo - 1, d, Number(t[1]), Number(t[2])) - WITA_OFFSET_MS;
}

// The WITA date and time of a UTC instant, as form fields want them.
export function utcToWita(ts) {
    const w = new Date(ts + WITA_OFFSET_MS);
    return {
        date: `${w.getUTCFullYear()}-${pad2(w.getUTCMonth() + 1)}-${pad2(w.getUTCDate())}`,
        time: `${pad2(w.getUTCHours())}:${pad2(w.getUTCMinutes())}`,
    };
}

// Today's date in WITA, "YYYY-MM-DD".
export function witaToday(now = Date.now()) {
    return utcToWita(now).date;
}

// A scheduled moment: "Kamis, 5 Des 10.00 WITA" ("Thursday 5 Dec 10:00 WITA"),
// with the year when it is not this year's.
export function formatWhen(ts, lang = 'id', now = Date.now()) {
    const options = { weekday: 'long', day: 'numeric', month: 'short' };
    if (utcToWita(ts).date.slice(0, 4) !== witaToday(now).slice(0, 4)) {
        options.year = 'numeric';
    }
    const day = formatter(LOCALES[lang] || LOCALES.id, options).format(new Date(ts));
    return `${day} ${formatTime(ts, lang)}`;
}

// A due date kept as "YYYY-MM-DD" (a WITA day), written out: "5 Des 2025".
export function formatDateKey(date, lang = 'id') {
    if (!isDateKey(date)) {
        return '';
    }
    const [y, mo, d] = date.split('-').map(Number);
    // Noon WITA keeps the instant inside that day.
    const ts = Date.UTC(y, mo - 1, d, 4, 0);
    return formatter(LOCALES[lang] || LOCALES.id, { day: 'numeric', month: 'short', year: 'numeric' })
        .format(new Date(ts));
}
