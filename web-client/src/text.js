// Small text helpers shared by views.

const encoder = new TextEncoder();

// Length in UTF-8 bytes, which is how the protocol's limits are counted.
export function byteLength(text) {
    return encoder.encode(text).length;
}

// White space as Unicode defines it (the White_Space property): the same set
// the server means by "only white space". JavaScript's trim() and \s differ
// from it at the edges (they take U+FEFF, miss U+0085), so they are not used
// for checks that must agree with the server.
const EDGE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;
const TRAILING_SPACE = /\p{White_Space}+$/u;
const NOT_SPACE = /[^\p{White_Space}]/u;
// Something that shows: neither white space nor a character that is drawn
// as nothing (zero-width space and joiners, soft hyphen, variation
// selectors, byte order mark...).
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;

// `text` without white space at either end.
export function trimSpace(text) {
    return String(text).replace(EDGE_SPACE, '');
}

// `text` without white space at its end.
export function trimSpaceEnd(text) {
    return String(text).replace(TRAILING_SPACE, '');
}

// True when `text` is empty or only white space.
export function isBlank(text) {
    return !NOT_SPACE.test(String(text));
}

// True when `text` has at least one character that shows on screen.
export function hasVisibleText(text) {
    return VISIBLE.test(String(text));
}

// Two letters for an avatar: the first letters of the first two words.
export function initials(name) {
    const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const letters = words.slice(0, 2).map((w) => Array.from(w)[0].toUpperCase());
    return letters.join('') || '?';
}

// A one-line preview of a message body.
export function preview(body, max = 80) {
    const line = String(body || '').replace(/\s+/g, ' ').trim();
    const chars = Array.from(line);
    return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

// A small, stable number from an id, to pick one of a few avatar colours.
export function colourIndex(id, count = 6) {
    return Math.abs(Number(id) || 0) % count;
}
