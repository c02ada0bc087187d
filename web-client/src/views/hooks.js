// Small hooks that connect the views to the store and the language choice.

import { useEffect, useReducer } from 'preact/hooks';
import { getLang, onLangChange } from '../i18n.js';

// Re-renders the calling component whenever the store changes. Effects run
// after the first paint, and the server's hello can arrive before that: the
// extra render on subscribing catches any change made in between.
export function useStore(store) {
    const [, bump] = useReducer((n) => n + 1, 0);
    useEffect(() => {
        const unsubscribe = store.subscribe(bump);
        bump();
        return unsubscribe;
    }, [store]);
    return store;
}

// Re-renders the calling component when the language changes.
export function useLang() {
    const [, bump] = useReducer((n) => n + 1, 0);
    useEffect(() => onLangChange(bump), []);
    return getLang();
}
