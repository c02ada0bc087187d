// Translations. Every string a user sees comes from t(): Bahasa Indonesia by
// default, English when chosen; the choice is kept in localStorage.

import en from './lang/en.js';
import id from './lang/id.js';

export const TABLES = { id, en };
export const LANGS = ['id', 'en'];
export const DEFAULT_LANG = 'id';

const STORAGE_KEY = 'kolab.lang';

// Hours and dates are written the way each language's readers expect.
export const LOCALES = { id: 'id-ID', en: 'en-GB' };

let storage = null;
let current = DEFAULT_LANG;
const listeners = new Set();

// Reads the saved choice; call once at start-up with localStorage.
export function initLang(store) {
    storage = store;
    try {
        const saved = store && store.getItem(STORAGE_KEY);
        current = LANGS.includes(saved) ? saved : DEFAULT_LANG;
    } catch {
        current = DEFAULT_LANG;
    }
    return current;
}

export function getLang() {
    return current;
}

export function setLang(lang) {
    if (!LANGS.includes(lang) || lang === current) {
        return;
    }
    current = lang;
    try {
        if (storage) {
            storage.setItem(STORAGE_KEY, lang);
        }
    } catch {
        // The choice then lasts for this page only.
    }
    for (const fn of listeners) {
        fn(lang);
    }
}

export function onLangChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}

// The text for `key` in the current language, with {name} placeholders
// filled from `params`. A key missing from English falls back to Indonesian,
// and a key missing from both shows itself, so a slip is visible, not blank.
// A `count` of 1 uses the key's `.one` form where the language has one
// ("1 member"); other counts, and languages without plurals, the key itself.
export function t(key, params) {
    const one = params && params.count === 1 ? TABLES[current][`${key}.one`] : undefined;
    const text = one ?? TABLES[current][key] ?? TABLES[DEFAULT_LANG][key] ?? key;
    if (!params) {
        return text;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
        params[name] === undefined ? whole : String(params[name]),
    );
}

// The key of the message for a protocol error code (or a RequestError
// carrying one); an unknown code gets the generic message.
export function errorKey(codeOrError) {
    const code = typeof codeOrError === 'string' ? codeOrError : codeOrError && codeOrError.code;
    const key = `error.${code}`;
    return key in TABLES[DEFAULT_LANG] ? key : 'error.unknown';
}

// The message for a protocol error code (or a RequestError carrying one).
export function errorText(codeOrError) {
    return t(errorKey(codeOrError));
}

// A message to show later (a form error, a warning), kept as plain data: a
// key and its parameters. Views hold these in state and translate them with
// noticeText() when rendering, so the text follows a change of language.
// (Neither text, which would not follow, nor a function, which a state
// setter would take for an updater and call.)
export function notice(key, params) {
    return params ? { key, params } : { key };
}

// The notice for a protocol error code or a RequestError. Too many writes
// (`rate_limited`) say how long to wait when the server said (`retry_ms`).
export function errorNotice(codeOrError) {
    const key = errorKey(codeOrError);
    const wait = codeOrError && typeof codeOrError === 'object' ? Number(codeOrError.retryMs) : 0;
    if (key === 'error.rate_limited' && wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        return seconds < 120
            ? notice('error.rate_limited_seconds', { count: seconds })
            : notice('error.rate_limited_minutes', { count: Math.ceil(seconds / 60) });
    }
    return notice(key);
}

export function noticeText(n) {
    return n ? t(n.key, n.params) : '';
}
