// "X sedang mengetik..." under the messages. Typing events carry no end, so
// the line re-checks once a second and disappears when the time is up.

import { useEffect, useReducer } from 'preact/hooks';
import { t } from '../i18n.js';
import { userName } from './names.js';

export function TypingIndicator({ store, roomId }) {
    const [, tick] = useReducer((n) => n + 1, 0);
    const typing = store.typingIn(roomId);
    const someone = typing.length > 0;

    useEffect(() => {
        if (!someone) {
            return undefined;
        }
        const timer = setInterval(tick, 1000);
        return () => clearInterval(timer);
    }, [someone]);

    let text = '';
    if (typing.length === 1) {
        text = t('chat.typing.one', { name: userName(store, typing[0]) });
    } else if (typing.length === 2) {
        text = t('chat.typing.two', { a: userName(store, typing[0]), b: userName(store, typing[1]) });
    } else if (typing.length > 2) {
        text = t('chat.typing.many');
    }
    return (
        <div class="typing" aria-live="polite" data-testid="typing-indicator">
            {text}
        </div>
    );
}
