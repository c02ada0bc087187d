// Web addresses in what people write, found by linkify-it. Only http and
// https addresses become links: a `javascript:`, `data:` or `file:` address
// stays plain text, whatever it looks like. An address written without its
// scheme ("www.example.com") is opened over https.

import LinkifyIt from 'linkify-it';

const SAFE_SCHEMES = new Set(['http:', 'https:']);

// No mailto:, ftp: or protocol-relative "//host" links; no bare e-mail
// addresses; and "1.2.3.4" alone is not a link.
const linkify = new LinkifyIt({ 'ftp:': null, 'mailto:': null, '//': null }, { fuzzyEmail: false, fuzzyIP: false });

function safeUrl(match) {
    const raw = match.schema === '' ? `https://${match.raw}` : match.url;
    try {
        const url = new URL(raw);
        return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
    } catch {
        return null;
    }
}

// Splits `text` into pieces in order: strings, and {text, href} for each
// address that may be opened. Joined, the pieces' text is `text` again.
export function linkParts(text) {
    const matches = (text && linkify.match(text)) || [];
    const parts = [];
    let at = 0;
    for (const m of matches) {
        const href = safeUrl(m);
        if (!href) {
            continue;
        }
        if (m.index > at) {
            parts.push(text.slice(at, m.index));
        }
        parts.push({ text: text.slice(m.index, m.lastIndex), href });
        at = m.lastIndex;
    }
    if (at < text.length) {
        parts.push(text.slice(at));
    }
    return parts;
}
