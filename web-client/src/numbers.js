// Numbers shown to people, written the way the reader's language writes
// them: "4,0" and "1.250" in Indonesian, "4.0" and "1,250" in English.

import { LOCALES, getLang } from './i18n.js';

const formatters = new Map();

function formatter(locale, digits) {
    const key = `${locale}:${digits}`;
    let f = formatters.get(key);
    if (!f) {
        f = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
        formatters.set(key, f);
    }
    return f;
}

// `n` with exactly `digits` decimals (none by default).
export function formatNumber(n, { digits = 0, lang = getLang() } = {}) {
    return formatter(LOCALES[lang] || LOCALES.id, digits).format(Number(n) || 0);
}
