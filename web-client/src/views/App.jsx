// The whole page: header, connection banner, then either the sign-in screen
// or the chat.

import { useEffect } from 'preact/hooks';
import { t } from '../i18n.js';
import { AuthView } from './AuthView.jsx';
import { ChatView } from './ChatView.jsx';
import { ConnectionBanner } from './ConnectionBanner.jsx';
import { Header } from './Header.jsx';
import { useLang, useStore } from './hooks.js';

export function App({ session, store }) {
    useStore(store);
    const lang = useLang();

    useEffect(() => {
        document.documentElement.lang = lang;
    }, [lang]);

    // The tab's title counts unread messages, so a user in another tab sees
    // that something arrived.
    let unread = 0;
    for (const room of store.rooms.values()) {
        unread += room.unread || 0;
    }
    const title = unread > 0 ? `(${unread}) ${t('app.name')}` : t('app.name');
    useEffect(() => {
        document.title = title;
    }, [title]);

    let body;
    if (store.auth === 'user') {
        body = <ChatView session={session} store={store} />;
    } else if (store.auth === 'anon') {
        body = <AuthView session={session} />;
    } else {
        body = (
            <p class="splash" data-testid="splash">
                {t('app.loading')}
            </p>
        );
    }

    return (
        <div class="app" data-auth={store.auth}>
            <Header session={session} store={store} />
            <ConnectionBanner state={store.connState} />
            <main class="app__main">{body}</main>
        </div>
    );
}
