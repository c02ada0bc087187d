// The mentoring request a business is writing, kept in localStorage per
// user while it is unsent, so that a reload (a phone that drops the page
// to free memory, a tap on the wrong link) does not lose a long
// description. Cleared once the request is sent or the form is cancelled;
// keyed by user id, so whoever signs in next on the device never sees it.

import { TOPICS } from './mentoring.js';

const KEY_PREFIX = 'kolab.request_draft.';

function key(userId) {
    return KEY_PREFIX + userId;
}

// {topic, description} as saved, or null when there is none. A topic this
// client does not know comes back as '' (to be chosen again).
export function loadDraft(storage, userId) {
    try {
        const value = JSON.parse(storage.getItem(key(userId)) || 'null');
        if (!value || typeof value !== 'object') {
            return null;
        }
        const topic = TOPICS.includes(value.topic) ? value.topic : '';
        const description = typeof value.description === 'string' ? value.description : '';
        return topic || description ? { topic, description } : null;
    } catch {
        return null;
    }
}

// Saves what is in the form; an empty form removes the draft.
export function saveDraft(storage, userId, { topic, description }) {
    try {
        if (!topic && !description) {
            storage.removeItem(key(userId));
        } else {
            storage.setItem(key(userId), JSON.stringify({ topic, description }));
        }
    } catch {
        // Storage full or refused: the draft then lasts as long as the page.
    }
}

export function clearDraft(storage, userId) {
    try {
        storage.removeItem(key(userId));
    } catch {
        // Nothing was kept.
    }
}
