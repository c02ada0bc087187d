// Small text helpers shared by views.

const encoder = new TextEncoder();

// Length in UTF-8 bytes, which is how the protocol's limits are counted.
export function byteLength(text) {
    return encoder.encode(text).length;
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
