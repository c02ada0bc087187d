import { afterEach, describe, expect, it } from 'vitest';
import { setLang, t } from '../src/i18n.js';
import {
    BODY_MAX_BYTES,
    LABEL_MAX_BYTES,
    bodyToSend,
    bodyTooLong,
    checkDisplayName,
    checkGroupTitle,
    labelProblem,
    lengthCount,
} from '../src/limits.js';
import { hasVisibleText, isBlank, trimSpace, trimSpaceEnd } from '../src/text.js';

afterEach(() => setLang('id'));

// Every character with the Unicode White_Space property.
const ALL_WHITE_SPACE =
    '\t\n\u000b\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

describe('white space', () => {
    it('counts every Unicode white space character as blank', () => {
        expect(isBlank('')).toBe(true);
        expect(isBlank('\u00a0\u3000')).toBe(true);
        expect(isBlank(ALL_WHITE_SPACE)).toBe(true);
        // U+0085 (next line) is white space though String#trim keeps it.
        expect(isBlank('\u0085')).toBe(true);
        expect(isBlank(' a ')).toBe(false);
        // A zero-width space is not white space to Unicode (nor the server).
        expect(isBlank('\u200b')).toBe(false);
    });

    it('trims Unicode white space, and only that', () => {
        expect(trimSpace('\u3000 Grup Endek\u00a0\u0085')).toBe('Grup Endek');
        expect(trimSpace('\ufeffx')).toBe('\ufeffx');
        expect(trimSpaceEnd('  kode\u3000\n')).toBe('  kode');
    });

    it('knows text that shows from text that does not', () => {
        expect(hasVisibleText('Ayu')).toBe(true);
        expect(hasVisibleText('漢')).toBe(true);
        expect(hasVisibleText('\u200b\u200d\ufeff \u00a0')).toBe(false);
        expect(hasVisibleText('')).toBe(false);
    });
});

describe('message bodies', () => {
    it('treats a body of only white space as nothing to send', () => {
        expect(bodyToSend('\u00a0\u3000')).toBe('');
        expect(bodyToSend('\u0085')).toBe('');
        expect(bodyToSend(ALL_WHITE_SPACE)).toBe('');
    });

    it('keeps leading indentation and drops trailing white space', () => {
        expect(bodyToSend('  halo\u3000\n')).toBe('  halo');
    });

    it('counts the limit in UTF-8 bytes, not characters', () => {
        expect(BODY_MAX_BYTES).toBe(4000);
        expect(bodyTooLong('a'.repeat(4000))).toBe(false);
        expect(bodyTooLong('a'.repeat(4001))).toBe(true);
        // 2,100 characters, 4,200 bytes.
        expect(bodyTooLong('é'.repeat(2100))).toBe(true);
        expect(bodyTooLong('é'.repeat(2000))).toBe(false);
        expect(bodyTooLong('漢'.repeat(1334))).toBe(true);
    });
});

describe('names and group titles', () => {
    it('counts 100 UTF-8 bytes, not 100 characters', () => {
        expect(LABEL_MAX_BYTES).toBe(100);
        expect(labelProblem('é'.repeat(50))).toBe(null);
        // 51 characters: far below 100 characters, but 102 bytes.
        expect(labelProblem('é'.repeat(51))).toBe('too_long');
        expect(labelProblem('a'.repeat(100))).toBe(null);
        expect(labelProblem('a'.repeat(101))).toBe('too_long');
    });

    it('needs something visible', () => {
        expect(labelProblem('')).toBe('empty');
        expect(labelProblem('\u00a0\u3000')).toBe('empty');
        expect(labelProblem('\u200b')).toBe('empty');
        expect(labelProblem('Ayu')).toBe(null);
    });

    it('says a long name is too long, in bytes, in both languages', () => {
        const name = 'é'.repeat(51);
        const problem = checkDisplayName(name);
        expect(problem).toEqual({ key: 'auth.name_too_long', params: { bytes: 102, max: 100 } });
        expect(t(problem.key, problem.params)).toMatch(/terlalu panjang/);
        expect(t(problem.key, problem.params)).toMatch(/102 byte/);
        expect(t(problem.key, problem.params)).not.toMatch(/karakter/);
        setLang('en');
        expect(t(problem.key, problem.params)).toMatch(/too long/);
        expect(t(problem.key, problem.params)).toMatch(/102 bytes/);
        expect(t(problem.key, problem.params)).not.toMatch(/characters/);
        expect(checkDisplayName(' ')).toEqual({ key: 'auth.name_required' });
        expect(checkDisplayName('Ayu Lestari')).toBe(null);
    });

    it('checks group titles the same way', () => {
        expect(checkGroupTitle('\u3000')).toEqual({ key: 'newchat.need_title' });
        expect(checkGroupTitle('é'.repeat(51))).toEqual({
            key: 'newchat.title_too_long',
            params: { bytes: 102, max: 100 },
        });
        expect(checkGroupTitle('Paguyuban Endek Denpasar')).toBe(null);
    });
});

describe('password and search limits', () => {
    afterEach(() => setLang('id'));

    it('tells a too long password from a too short one, in both languages', async () => {
        const { checkPassword } = await import('../src/limits.js');
        expect(checkPassword('abcdefgh')).toBe(null);
        expect(checkPassword('a'.repeat(256))).toBe(null);
        expect(checkPassword('abc').key).toBe('auth.invalid_password');
        const long = checkPassword('a'.repeat(257));
        expect(long.key).toBe('auth.password_too_long');
        setLang('id');
        expect(t(long.key, long.params)).toContain('terlalu panjang');
        expect(t(long.key, long.params)).not.toContain('minimal');
        setLang('en');
        expect(t(long.key, long.params)).toContain('too long');
        // Counted in bytes: 129 two-byte letters are 258 bytes.
        expect(checkPassword('é'.repeat(129)).key).toBe('auth.password_too_long');
    });

    it('clamps text to a number of UTF-8 bytes without cutting a character', async () => {
        const { clampBytes } = await import('../src/limits.js');
        expect(clampBytes('abc', 100)).toBe('abc');
        expect(clampBytes('a'.repeat(150), 100)).toBe('a'.repeat(100));
        expect(clampBytes('漢'.repeat(40), 100)).toBe('漢'.repeat(33));
        expect(clampBytes('x' + '😀'.repeat(30), 100)).toBe('x' + '😀'.repeat(24));
    });
});

describe('a length counter in characters over a limit in bytes', () => {
    it('counts plain letters one each, and says when accents count more', () => {
        expect(lengthCount('Kain endek', 2000)).toEqual({ count: 10, max: 2000, over: false, wide: false });
        // "é" is two bytes, "🙏" four: the counter runs ahead of the letters.
        expect(lengthCount('Kafé 🙏', 2000)).toMatchObject({ count: 10, wide: true });
        expect(lengthCount('a'.repeat(2000), 2000).over).toBe(false);
        expect(lengthCount(`${'a'.repeat(1999)}é`, 2000).over).toBe(true);
    });

    it('words the description limit in characters, with the accents noted', () => {
        const text = t('mentoring.description_too_long', { max: 2000 });
        expect(text).toContain('2000 karakter');
        expect(text).toContain('beraksen');
        setLang('en');
        expect(t('mentoring.description_too_long', { max: 2000 })).toContain('2000 characters');
    });
});
