// System lines: messages of kind `system` that the server writes itself. In
// mentoring rooms their body is a small JSON object of numbers and fixed
// words ({"event": "session_scheduled", "starts_ts": ...}), which is turned
// here into a sentence in the reader's language. A line this client does not
// know, or cannot read, becomes a neutral sentence: raw JSON never shows.

import { getLang, t } from './i18n.js';
import { formatWhen } from './time.js';

// The object in a system line's body, or null when the body is not one.
export function parseSystemBody(body) {
    const text = String(body || '');
    if (!text.startsWith('{')) {
        return null;
    }
    try {
        const value = JSON.parse(text);
        return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
    } catch {
        return null;
    }
}

const isCount = (n) => Number.isInteger(n) && n >= 0;

// "12 menit", "45 detik", "1 jam 5 menit".
export function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) {
        return t('duration.seconds', { count: s });
    }
    const minutes = Math.round(s / 60);
    if (minutes < 60) {
        return t('duration.minutes', { count: minutes });
    }
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest
        ? t('duration.hours_minutes', { hours, minutes: rest })
        : t('duration.hours', { count: hours });
}

function callEnded(ev) {
    if (ev.reason === 'declined') {
        return t('system.call_declined');
    }
    if (ev.reason === 'missed') {
        return t('system.call_missed');
    }
    // A call never answered lasted 0 seconds: no duration to tell.
    if (isCount(ev.duration_s) && ev.duration_s > 0) {
        return t('system.call_ended_after', { duration: formatDuration(ev.duration_s) });
    }
    return t('system.call_ended');
}

function reminder(ev, when) {
    if (!isCount(ev.starts_ts) || !isCount(ev.minutes)) {
        return null;
    }
    // 0 minutes: the session has begun (the server rounds up).
    return ev.minutes === 0
        ? t('system.session_reminder_now', { when: when(ev.starts_ts) })
        : t('system.session_reminder', { count: ev.minutes, when: when(ev.starts_ts) });
}

// A cancelled session is told by its start when the room's session list
// has it (the line itself carries only the session's id).
function cancelled(ev, session, when) {
    const s = Number.isInteger(ev.session) ? session(ev.session) : null;
    return s && isCount(s.starts_ts)
        ? t('system.session_cancelled_when', { when: when(s.starts_ts) })
        : t('system.session_cancelled');
}

// The sentence for a mentoring event object; `name(userId)` names a user,
// `session(id)` finds one of the room's sessions (or null).
function eventLine(ev, { name, session, lang, now }) {
    const when = (ts) => (isCount(ts) ? formatWhen(ts, lang, now) : '');
    switch (ev.event) {
        case 'mentoring_started':
            return isCount(ev.mentor) ? t('system.mentoring_started', { mentor: name(ev.mentor) }) : null;
        case 'mentoring_transferred':
            return isCount(ev.from) && isCount(ev.to)
                ? t('system.mentoring_transferred', { from: name(ev.from), to: name(ev.to) })
                : null;
        case 'mentoring_closed':
            return isCount(ev.rating) ? t('system.mentoring_closed', { rating: ev.rating }) : t('system.mentoring_closed_plain');
        case 'session_scheduled':
            return isCount(ev.starts_ts) ? t('system.session_scheduled', { when: when(ev.starts_ts) }) : null;
        case 'session_rescheduled':
            return isCount(ev.starts_ts) ? t('system.session_rescheduled', { when: when(ev.starts_ts) }) : null;
        case 'session_cancelled':
            return cancelled(ev, session, when);
        case 'session_reminder':
            return reminder(ev, when);
        case 'call_started':
            return isCount(ev.by) ? t('system.call_started', { name: name(ev.by) }) : null;
        case 'call_ended':
            return callEnded(ev);
        default:
            return null;
    }
}

// The text of a system line. A plain-text body (from features that write
// sentences) shows as it is; a JSON body is translated, or replaced by the
// neutral line when its event is unknown or its fields are not as expected.
export function systemLine(
    body,
    { name = (id) => `#${id}`, session = () => null, lang = getLang(), now = Date.now() } = {},
) {
    const text = String(body || '');
    const ev = parseSystemBody(text);
    if (ev) {
        return eventLine(ev, { name, session, lang, now }) || t('system.unknown');
    }
    if (text.trimStart().startsWith('{') || text.trimStart().startsWith('[') || text.trim() === '') {
        return t('system.unknown');
    }
    return text;
}
