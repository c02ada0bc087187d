// The protocol's limits on what a user types, checked before anything is
// sent, so that a mistake is explained at once and in the user's language
// rather than coming back as a bare `bad_request`. Lengths are counted in
// UTF-8 bytes, as the protocol counts them: "é" is two bytes, "漢" three.

import { notice } from './i18n.js';
import { byteLength, hasVisibleText, isBlank, trimSpaceEnd } from './text.js';

// A display name and a group title: 1-100 bytes.
export const LABEL_MAX_BYTES = 100;
// A password: 8-256 bytes.
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 256;
// A people search: at most 100 bytes.
export const SEARCH_MAX_BYTES = 100;
// A message body: 1-4000 bytes, not only white space.
export const BODY_MAX_BYTES = 4000;
// From this size on the composer shows how many bytes the message has.
export const BODY_COUNT_FROM_BYTES = 3600;

// What is wrong with a person's name or a group's title (trimmed with
// trimSpace, as it is sent):
// null when nothing, else 'empty' (nothing visible in it) or 'too_long'.
export function labelProblem(label) {
    if (!hasVisibleText(label)) {
        return 'empty';
    }
    return byteLength(label) > LABEL_MAX_BYTES ? 'too_long' : null;
}

// The notice for a display name that cannot be used, or null.
export function checkDisplayName(name) {
    const problem = labelProblem(name);
    if (problem === 'empty') {
        return notice('auth.name_required');
    }
    if (problem === 'too_long') {
        return notice('auth.name_too_long', { bytes: byteLength(name), max: LABEL_MAX_BYTES });
    }
    return null;
}

// The notice for a group title that cannot be used, or null.
export function checkGroupTitle(title) {
    const problem = labelProblem(title);
    if (problem === 'empty') {
        return notice('newchat.need_title');
    }
    if (problem === 'too_long') {
        return notice('newchat.title_too_long', { bytes: byteLength(title), max: LABEL_MAX_BYTES });
    }
    return null;
}

// The body to send for what is in the composer: white space at the end is
// dropped (at the start it may be indentation), and a text that is only
// white space, however exotic (U+00A0, U+3000, U+0085...), gives '' and is
// treated as an empty message.
export function bodyToSend(text) {
    return isBlank(text) ? '' : trimSpaceEnd(text);
}

// True when a body is over the limit, in UTF-8 bytes.
export function bodyTooLong(body) {
    return byteLength(body) > BODY_MAX_BYTES;
}

// The notice for a password that cannot be used, or null.
export function checkPassword(password) {
    const bytes = byteLength(password);
    if (bytes < PASSWORD_MIN_BYTES) {
        return notice('auth.invalid_password');
    }
    if (bytes > PASSWORD_MAX_BYTES) {
        return notice('auth.password_too_long', { bytes, max: PASSWORD_MAX_BYTES });
    }
    return null;
}

// The start of `text` that fits in `max` UTF-8 bytes, never cutting a
// character (nor a surrogate pair) in two.
export function clampBytes(text, max) {
    if (byteLength(text) <= max) {
        return text;
    }
    let bytes = 0;
    let out = '';
    for (const ch of text) {
        const n = byteLength(ch);
        if (bytes + n > max) {
            break;
        }
        bytes += n;
        out += ch;
    }
    return out;
}

// What is wrong with a free text of at most `max` bytes (a description, a
// reason, an agenda), as a notice, or null. Blank counts as missing when
// the text is required, and is fine (sent as nothing) when it is not.
export function checkText(text, max, { required = true } = {}) {
    if (required && isBlank(text)) {
        return notice('form.required');
    }
    const bytes = byteLength(text);
    if (bytes > max) {
        return notice('form.too_long', { bytes, max });
    }
    return null;
}

// A live counter for a text whose limit the protocol counts in bytes but
// people read in characters. For plain letters the two are the same; an
// accented letter, an emoji or a non-Latin character takes two to four
// bytes, so it counts as more than one, and `wide` says that the text has
// such characters (the counter then says why it runs ahead).
export function lengthCount(text, max) {
    const value = String(text);
    const count = byteLength(value);
    return { count, max, over: count > max, wide: count > Array.from(value).length };
}
