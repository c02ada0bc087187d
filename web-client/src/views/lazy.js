// The mentoring screens are loaded apart from the rest of the app: students
// never need them, and everyone else gets the chat on screen first. The
// chunk is fetched in the background once a user who uses mentoring signs
// in, so it is usually there before it is opened; a failed fetch (offline)
// is tried again the next time it is wanted.

import { useEffect, useReducer } from 'preact/hooks';

let views = null;
let loading = null;

export function loadMentoringViews() {
    if (!loading) {
        loading = import('./mentoringviews.js').then(
            (mod) => {
                views = mod;
                return mod;
            },
            (err) => {
                loading = null;
                throw err;
            },
        );
    }
    return loading;
}

// The mentoring views' module, or null while it loads (the caller shows a
// placeholder and is rendered again once it is in).
export function useMentoringViews() {
    const [, bump] = useReducer((n) => n + 1, 0);
    useEffect(() => {
        if (views) {
            return undefined;
        }
        let live = true;
        const retry = () => loadMentoringViews().then(() => live && bump(), () => live && setTimeout(retry, 5000));
        retry();
        return () => {
            live = false;
        };
    }, []);
    return views;
}
