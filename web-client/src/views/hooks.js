// Small hooks that connect the views to the store and the language choice.

import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { errorNotice, getLang, onLangChange } from '../i18n.js';

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

// Runs one request at a time for a form or a button: `busy` while it runs,
// `error` (a notice) when it failed. `run(fn)` resolves with fn's result,
// or undefined after a failure.
export function useAction() {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const live = useRef(true);
    useEffect(() => () => {
        live.current = false;
    }, []);
    async function run(fn) {
        setBusy(true);
        setError(null);
        try {
            return await fn();
        } catch (err) {
            if (live.current) {
                setError(err && err.key ? err : errorNotice(err));
            }
            return undefined;
        } finally {
            if (live.current) {
                setBusy(false);
            }
        }
    }
    return { busy, error, setError, run };
}
