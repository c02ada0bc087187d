import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TABLES, errorNotice, errorText, getLang, initLang, notice, noticeText, setLang, t } from '../src/i18n.js';
import { memoryStorage } from './storage.js';

const ERROR_CODES = [
    'bad_request',
    'unauthenticated',
    'forbidden',
    'not_found',
    'conflict',
    'too_large',
    'rate_limited',
    'unavailable',
    'internal',
];


// Every t('...') and notice('...') key written literally in the sources.
function keysUsedInSources() {
    const keys = new Set();
    const walk = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(path);
            } else if (/\.(js|jsx)$/.test(entry.name)) {
                for (const m of readFileSync(path, 'utf8').matchAll(/\b(?:t|notice)\('([a-z_.]+)'/g)) {
                    keys.add(m[1]);
                }
            }
        }
    };
    walk(fileURLToPath(new URL('../src', import.meta.url)));
    return keys;
}

afterEach(() => setLang('id'));

describe('i18n', () => {
    it('has every key in both languages, none empty', () => {
        const id = Object.keys(TABLES.id).sort();
        const en = Object.keys(TABLES.en).sort();
        expect(en).toEqual(id);
        for (const lang of ['id', 'en']) {
            for (const [key, text] of Object.entries(TABLES[lang])) {
                expect(text.trim(), `${lang} ${key}`).not.toBe('');
            }
        }
    });

    it('uses the same placeholders in both languages', () => {
        const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        for (const key of Object.keys(TABLES.id)) {
            expect(names(TABLES.en[key]), key).toEqual(names(TABLES.id[key]));
        }
    });

    it('defines every key the sources use', () => {
        for (const key of keysUsedInSources()) {
            expect(TABLES.id, key).toHaveProperty([key]);
        }
    });

    it('defines the keys the views build from names', () => {
        const built = [
            ...['umkm', 'koperasi', 'mentor', 'student', 'moderator', 'admin'].map((r) => `role.${r}`),
            ...['connecting', 'online', 'offline'].map((s) => `conn.${s}`),
            ...['today', 'yesterday'].map((d) => `day.${d}`),
            ...['id', 'en'].map((l) => `lang.${l}`),
            'newchat.tab_dm',
            'newchat.tab_group',
        ];
        for (const key of built) {
            expect(TABLES.id, key).toHaveProperty([key]);
        }
    });

    it('translates every protocol error code', () => {
        for (const code of ERROR_CODES) {
            expect(TABLES.id).toHaveProperty([`error.${code}`]);
        }
        expect(errorText('forbidden')).toBe(TABLES.id['error.forbidden']);
        expect(errorText({ code: 'rate_limited' })).toBe(TABLES.id['error.rate_limited']);
        expect(errorText('no_such_code')).toBe(TABLES.id['error.unknown']);
    });

    it('says how long to wait after too many writes, when the server said', () => {
        initLang(memoryStorage());
        const limited = (retryMs) => Object.assign(new Error('rate_limited'), { code: 'rate_limited', retryMs });
        expect(noticeText(errorNotice(limited(200)))).toBe('Terlalu banyak permintaan dalam waktu singkat. Coba lagi dalam 1 detik.');
        expect(noticeText(errorNotice(limited(30000)))).toContain('30 detik');
        expect(noticeText(errorNotice(limited(600000)))).toContain('10 menit');
        // Without a wait, the plain sentence; never the code itself.
        expect(noticeText(errorNotice(limited(undefined)))).toBe(TABLES.id['error.rate_limited']);
        expect(noticeText(errorNotice('rate_limited'))).toBe(TABLES.id['error.rate_limited']);
        setLang('en');
        expect(noticeText(errorNotice(limited(900)))).toBe('Too many requests in a short time. Try again in 1 second.');
        expect(noticeText(errorNotice(limited(5000)))).toBe('Too many requests in a short time. Try again in 5 seconds.');
    });

    it('defaults to Indonesian and keeps the choice', () => {
        const storage = memoryStorage();
        expect(initLang(storage)).toBe('id');
        expect(t('conn.online')).toBe('Terhubung');
        setLang('en');
        expect(t('conn.online')).toBe('Connected');
        expect(storage.map.get('kolab.lang')).toBe('en');
        expect(initLang(memoryStorage({ 'kolab.lang': 'en' }))).toBe('en');
        expect(initLang(memoryStorage({ 'kolab.lang': 'fr' }))).toBe('id');
        expect(getLang()).toBe('id');
    });

    it('fills placeholders', () => {
        initLang(memoryStorage());
        expect(t('chat.typing.one', { name: 'Budi' })).toBe('Budi sedang mengetik...');
        expect(t('conn.offline')).toBe('Offline — pesan akan dikirim saat tersambung');
    });

    it('keeps a notice as data and translates it when shown, in the current language', () => {
        initLang(memoryStorage());
        const need = notice('newchat.need_members');
        const long = notice('newchat.title_too_long', { bytes: 102, max: 100 });
        const failed = errorNotice({ code: 'forbidden' });
        // Plain data: a state setter given one stores it, never calls it.
        for (const n of [need, long, failed]) {
            expect(typeof n).toBe('object');
        }
        expect(noticeText(need)).toBe('Pilih minimal satu anggota.');
        expect(noticeText(long)).toContain('102 byte');
        expect(noticeText(failed)).toBe(TABLES.id['error.forbidden']);
        expect(noticeText(errorNotice('no_such_code'))).toBe(TABLES.id['error.unknown']);
        setLang('en');
        expect(noticeText(need)).toBe('Pick at least one member.');
        expect(noticeText(long)).toContain('102 bytes');
        expect(noticeText(failed)).toBe(TABLES.en['error.forbidden']);
        expect(noticeText(null)).toBe('');
    });

    it('words no byte limit in characters', () => {
        for (const lang of ['id', 'en']) {
            for (const [key, text] of Object.entries(TABLES[lang])) {
                expect(text, `${lang} ${key}`).not.toMatch(/100 (karakter|characters)/);
            }
        }
    });
});

describe('plurals', () => {
    afterEach(() => setLang('id'));

    it('says "1 member" in English, and the count elsewhere', () => {
        setLang('en');
        expect(t('newchat.create_group', { count: 1 })).toBe('Create group (1 member)');
        expect(t('newchat.create_group', { count: 3 })).toBe('Create group (3 members)');
        expect(t('chat.members', { count: 1 })).toBe('1 member');
        setLang('id');
        expect(t('newchat.create_group', { count: 1 })).toBe('Buat grup (1 anggota)');
    });
});
