// Which of a room's messages the list renders: the newest WINDOW_SIZE while
// the reader is at the bottom, so the cost of a render does not grow with the
// history held; older ones are added on demand, and the window keeps its
// first message while the reader is scrolled up, so nothing moves under them.

export const WINDOW_SIZE = 200;

// `firstKey` is the key of the first message rendered last time, `fromStart`
// whether that was the oldest held (then pages loaded above it are shown).
export function windowStart(keys, { atBottom, firstKey, fromStart, size = WINDOW_SIZE }) {
    const tail = Math.max(0, keys.length - size);
    if (atBottom || firstKey == null) {
        return tail;
    }
    if (fromStart) {
        return 0;
    }
    const i = keys.indexOf(firstKey);
    return i < 0 ? tail : Math.min(i, tail);
}

// The start after asking for older messages: another WINDOW_SIZE of those
// held, or null when all held are shown and the server must be asked.
export function olderStart(start, size = WINDOW_SIZE) {
    return start > 0 ? Math.max(0, start - size) : null;
}
