import { describe, expect, it } from 'vitest';
import { olderStart, windowStart, WINDOW_SIZE } from '../src/views/msgwindow.js';

const keys = (n) => Array.from({ length: n }, (_, i) => `s-${i + 1}`);

describe('message window', () => {
    it('renders only the newest messages at the bottom, whatever the history', () => {
        expect(windowStart(keys(50), { atBottom: true })).toBe(0);
        expect(windowStart(keys(2000), { atBottom: true })).toBe(2000 - WINDOW_SIZE);
        expect(keys(20000).length - windowStart(keys(20000), { atBottom: true })).toBe(WINDOW_SIZE);
    });

    it('keeps its first message while the reader is scrolled up', () => {
        const k = keys(1000);
        expect(windowStart(k.concat(['s-1001', 's-1002']), { atBottom: false, firstKey: 's-500' })).toBe(499);
        // Never fewer than a window's worth.
        expect(windowStart(k, { atBottom: false, firstKey: 's-990' })).toBe(1000 - WINDOW_SIZE);
        // Gone (a reload of the room): back to the newest.
        expect(windowStart(k, { atBottom: false, firstKey: 'c-x' })).toBe(1000 - WINDOW_SIZE);
    });

    it('shows a page loaded above when the oldest held was shown', () => {
        expect(windowStart(keys(300), { atBottom: false, firstKey: 's-51', fromStart: true })).toBe(0);
    });

    it('reveals held older messages before asking the server', () => {
        expect(olderStart(500)).toBe(300);
        expect(olderStart(150)).toBe(0);
        expect(olderStart(0)).toBe(null);
    });
});
