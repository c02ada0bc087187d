import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/i18n.js';
import { formatNumber } from '../src/numbers.js';

afterEach(() => setLang('id'));

describe('numbers', () => {
    it('are written in the reader’s language', () => {
        expect(formatNumber(4, { digits: 1 })).toBe('4,0');
        expect(formatNumber(4.25, { digits: 1, lang: 'id' })).toMatch(/^4,[23]$/);
        expect(formatNumber(1250)).toBe('1.250');
        setLang('en');
        expect(formatNumber(4, { digits: 1 })).toBe('4.0');
        expect(formatNumber(1250)).toBe('1,250');
    });

    it('show nothing odd for what is not a number', () => {
        expect(formatNumber(undefined)).toBe('0');
        expect(formatNumber(Number.NaN, { digits: 1 })).toBe('0,0');
    });
});
