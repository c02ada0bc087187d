// The connection's state in words. Connected is a quiet line; connecting and
// offline stand out, so a user on weak data knows why nothing moves and that
// what they write will still be sent.

import { t } from '../i18n.js';

const TEXT = {
    connecting: 'conn.connecting',
    online: 'conn.online',
    offline: 'conn.offline',
};

export function ConnectionBanner({ state }) {
    return (
        <div
            class={`banner banner--${state}`}
            role="status"
            aria-live="polite"
            data-testid="conn-banner"
            data-state={state}
        >
            <span class="banner__dot" aria-hidden="true" />
            {t(TEXT[state] || TEXT.connecting)}
        </div>
    );
}
