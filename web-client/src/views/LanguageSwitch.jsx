// Two buttons, one per language; the current one is pressed.

import { LANGS, getLang, setLang, t } from '../i18n.js';

const SHORT = { id: 'ID', en: 'EN' };

export function LanguageSwitch() {
    const current = getLang();
    return (
        <div class="lang" role="group" aria-label={t('lang.label')} data-testid="lang-switch">
            {LANGS.map((lang) => (
                <button
                    type="button"
                    key={lang}
                    class="lang__btn"
                    aria-pressed={lang === current ? 'true' : 'false'}
                    title={t(`lang.${lang}`)}
                    data-testid={`lang-${lang}`}
                    onClick={() => setLang(lang)}
                >
                    {SHORT[lang]}
                </button>
            ))}
        </div>
    );
}
