// Small hooks that connect the views to the store and the language choice.

import { useEffect, useReducer } from 'preact/hooks';
import { getLang, onLangChange } from '../i18n.js';

// Re-renders the calling component whenever the store changes.
export function useStore(store) {
    const [, bump] = useReducer((n) => n + 1, 0);
    useEffect(() => store.subscribe(bump), [store]);
    return store;
}

// Re-renders the calling component when the language changes.
export function useLang() {
    const [, bump] = useReducer((n) => n + 1, 0);
    useEffect(() => onLangChange(bump), []);
    return getLang();
}
