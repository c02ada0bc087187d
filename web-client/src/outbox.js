// Messages the user wrote that the server has not acknowledged yet.
//
// Each entry gets its client_id once, when it is written, and keeps it until
// the server answers `ok`. Because the server stores a repeated send with the
// same client_id only once, resending after any drop (or after a reload: the
// entries live in localStorage, one list per user) can neither lose a message
// nor show it twice. Entries are sent one at a time in the order written, so
// a burst typed while offline arrives in that order.

const KEY_PREFIX = 'kolab.outbox.';

// Errors after which resending the same message cannot succeed; the entry is
// kept, marked failed, until the user discards it.
const PERMANENT = new Set(['bad_request', 'forbidden', 'not_found', 'too_large', 'conflict']);

const RATE_LIMIT_DEFAULT_MS = 1000;

function newClientId() {
    if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') {
        return globalThis.crypto.randomUUID();
    }
    // Older browsers on plain http lack randomUUID; 128 random bits will do.
    const bytes = new Uint8Array(16);
    globalThis.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Outbox {
    // `storage` is localStorage or anything with getItem/setItem/removeItem.
    constructor(storage, userId, { makeId = newClientId, wait = sleep, now = Date.now } = {}) {
        this.storage = storage;
        this.key = KEY_PREFIX + userId;
        this.makeId = makeId;
        this.wait = wait;
        this.now = now;
        this.entries = this.load();
        this.flushing = null;
        this.again = false;
        this.listeners = [];
    }

    load() {
        try {
            const list = JSON.parse(this.storage.getItem(this.key) || '[]');
            return Array.isArray(list) ? list.filter((e) => e && e.client_id && e.room) : [];
        } catch {
            return [];
        }
    }

    save() {
        try {
            if (this.entries.length === 0) {
                this.storage.removeItem(this.key);
            } else {
                this.storage.setItem(this.key, JSON.stringify(this.entries));
            }
        } catch {
            // A full or disabled storage keeps the entries in memory only:
            // they are still sent, they just do not survive a reload.
        }
        for (const fn of this.listeners) {
            fn(this.list());
        }
    }

    onChange(fn) {
        this.listeners.push(fn);
    }

    list() {
        return this.entries.map((e) => ({ ...e }));
    }

    // Records a new message and returns its entry (with its client_id).
    add({ room, body, reply_to }) {
        const entry = { client_id: this.makeId(), room, body, created: this.now() };
        if (reply_to) {
            entry.reply_to = reply_to;
        }
        this.entries.push(entry);
        this.save();
        return { ...entry };
    }

    remove(clientId) {
        const before = this.entries.length;
        this.entries = this.entries.filter((e) => e.client_id !== clientId);
        if (this.entries.length !== before) {
            this.save();
        }
    }

    // Clears the failed mark so the next flush tries the entry again.
    retry(clientId) {
        const entry = this.entries.find((e) => e.client_id === clientId);
        if (entry && entry.failed) {
            delete entry.failed;
            this.save();
        }
    }

    markFailed(clientId, code) {
        const entry = this.entries.find((e) => e.client_id === clientId);
        if (entry) {
            entry.failed = code;
            this.save();
        }
    }

    // Sends every entry not marked failed, one at a time, in order.
    // `send(entry)` resolves with the ok reply or rejects with a RequestError;
    // `onAck(entry, reply)` runs before the entry is removed. A transient
    // failure (the link dropped) ends the run and leaves the entries for the
    // next flush, which sends them with the same client_id. Only one run goes
    // at a time, so no entry is ever sent twice at once; a flush asked for
    // during a run makes that run go round once more.
    flush(send, onAck = () => {}) {
        if (this.flushing) {
            this.again = true;
            return this.flushing;
        }
        this.flushing = this.run(send, onAck).finally(() => {
            this.flushing = null;
        });
        return this.flushing;
    }

    async run(send, onAck) {
        do {
            this.again = false;
            await this.sendAll(send, onAck);
        } while (this.again);
    }

    async sendAll(send, onAck) {
        for (;;) {
            const entry = this.entries.find((e) => !e.failed);
            if (!entry) {
                return;
            }
            try {
                const reply = await send({ ...entry });
                onAck({ ...entry }, reply);
                this.remove(entry.client_id);
            } catch (err) {
                const code = (err && err.code) || 'internal';
                if (PERMANENT.has(code)) {
                    this.markFailed(entry.client_id, code);
                } else if (code === 'rate_limited') {
                    await this.wait(err.retryMs || RATE_LIMIT_DEFAULT_MS);
                } else {
                    return;
                }
            }
        }
    }
}
