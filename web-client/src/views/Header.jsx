// The top bar: the product's name, the language switch, and who is signed in.

import { useEffect, useState } from 'preact/hooks';
import { errorNotice, noticeText, t } from '../i18n.js';
import { LanguageSwitch } from './LanguageSwitch.jsx';

export function Header({ session, store }) {
    const me = store.me;
    const [error, setError] = useState(null);

    // The notice goes away by itself after a few seconds.
    useEffect(() => {
        if (!error) {
            return undefined;
        }
        const timer = setTimeout(() => setError(null), 6000);
        return () => clearTimeout(timer);
    }, [error]);

    function logout() {
        setError(null);
        session.logout().catch((err) => setError(errorNotice(err)));
    }

    return (
        <header class="header">
            <div class="header__brand">
                <span class="header__logo" aria-hidden="true">K</span>
                <span class="header__titles">
                    <span class="header__name">{t('app.name')}</span>
                    <span class="header__org">{t('app.org')}</span>
                </span>
            </div>
            <div class="header__tools">
                <LanguageSwitch />
                {me && (
                    <div class="header__user">
                        <span
                            class="header__me"
                            title={t('header.signed_in_as', { name: me.name })}
                            data-testid="me-name"
                        >
                            {me.name}
                        </span>
                        <button
                            type="button"
                            class="btn btn--ghost"
                            data-testid="logout-button"
                            onClick={logout}
                        >
                            {t('header.logout')}
                        </button>
                    </div>
                )}
            </div>
            {error && me && (
                <p class="toast" role="alert" data-testid="header-error">
                    {noticeText(error)}
                </p>
            )}
        </header>
    );
}
