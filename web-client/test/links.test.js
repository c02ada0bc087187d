import { describe, expect, it } from 'vitest';
import { linkParts } from '../src/links.js';

const links = (text) => linkParts(text).filter((p) => typeof p !== 'string');

describe('links in messages', () => {
    it('turns http and https addresses into links and keeps the rest as text', () => {
        const text = 'Katalog: https://pusaka.example/katalog?id=7 dan http://toko.example.';
        const parts = linkParts(text);
        expect(parts.map((p) => (typeof p === 'string' ? p : p.text)).join('')).toBe(text);
        expect(links(text).map((p) => p.href)).toEqual(['https://pusaka.example/katalog?id=7', 'http://toko.example/']);
    });

    it('opens an address written without a scheme over https', () => {
        expect(links('lihat www.endeklestari.co.id ya').map((p) => p.href)).toEqual(['https://www.endeklestari.co.id/']);
    });

    it('never links javascript:, data:, file:, vbscript:, mailto: or protocol-relative addresses', () => {
        const hostile = [
            'javascript:alert(1)',
            'JaVaScRiPt:alert(document.cookie)',
            'data:text/html,<script>alert(1)</script>',
            'file:///etc/passwd',
            'vbscript:msgbox(1)',
            'mailto:ayu@example.com',
            '//evil.example/x',
            'ayu@example.com',
        ];
        for (const text of hostile) {
            expect(links(text), text).toEqual([]);
            expect(linkParts(text).join(''), text).toBe(text);
        }
    });

    it('leaves text without addresses as one piece, and empty text as none', () => {
        expect(linkParts('Om Swastiastu')).toEqual(['Om Swastiastu']);
        expect(linkParts('')).toEqual([]);
    });
});
