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
