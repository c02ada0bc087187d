// Start-up: one store, one connection, one session, and the views on top.

import { render } from 'preact';
import { Connection, pageSocketUrl } from './connection.js';
import { initLang } from './i18n.js';
import { Session } from './session.js';
import { ChatStore } from './store.js';
import { App } from './views/App.jsx';

function safeStorage() {
    try {
        const probe = '__kolab_probe__';
        window.localStorage.setItem(probe, '1');
        window.localStorage.removeItem(probe);
        return window.localStorage;
    } catch {
        // Private modes may refuse storage; a map keeps this page working,
        // without surviving a reload.
        const map = new Map();
        return {
            getItem: (k) => (map.has(k) ? map.get(k) : null),
            setItem: (k, v) => map.set(k, String(v)),
            removeItem: (k) => map.delete(k),
        };
    }
}

const storage = safeStorage();
initLang(storage);

const store = new ChatStore();
const connection = new Connection({ url: pageSocketUrl(window.location) });
const session = new Session({ connection, store, storage, doc: document });

render(<App session={session} store={store} />, document.getElementById('app'));

session.start();
session.watchPage(window);
