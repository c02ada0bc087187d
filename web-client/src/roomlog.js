// The messages of one room that this page knows, kept in seq order.
//
// Messages arrive from four places that overlap: the join replay, live
// events, history pages and send acknowledgements. The log is keyed by seq,
// so the same message arriving twice is stored once, and an edit or delete
// is applied wherever the message came from. `synced` is the highest seq
// that arrived through the ordered stream (join, live, history): resuming
// with `since = synced` then misses nothing. A send's ack does not move it,
// because messages before the acked one may still be on their way.

export class RoomLog {
    constructor() {
        this.bySeq = new Map();
        this.seqs = [];
        this.clientIds = new Set();
        this.synced = 0;
        // Whether older messages than the first one held may exist, and
        // whether a history page has been loaded at all.
        this.more = true;
        this.loaded = false;
    }

    get size() {
        return this.seqs.length;
    }

    get oldestSeq() {
        return this.seqs.length ? this.seqs[0] : 0;
    }

    get newestSeq() {
        return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
    }

    get(seq) {
        return this.bySeq.get(seq);
    }

    list() {
        return this.seqs.map((seq) => this.bySeq.get(seq));
    }

    hasClientId(clientId) {
        return this.clientIds.has(clientId);
    }

    // Adds or refreshes one message. `ordered` is false for a send ack.
    // Returns true when the seq was not known before.
    put(msg, { ordered = true } = {}) {
        const seq = msg.seq;
        if (!Number.isInteger(seq) || seq < 1) {
            return false;
        }
        if (ordered && seq > this.synced) {
            this.synced = seq;
        }
        if (msg.client_id) {
            this.clientIds.add(msg.client_id);
        }
        const old = this.bySeq.get(seq);
        if (old) {
            this.bySeq.set(seq, merge(old, msg));
            return false;
        }
        this.bySeq.set(seq, { ...msg });
        this.insertSeq(seq);
        return true;
    }

    insertSeq(seq) {
        const seqs = this.seqs;
        // Almost every message is the newest, so check the end first.
        if (seqs.length === 0 || seqs[seqs.length - 1] < seq) {
            seqs.push(seq);
            return;
        }
        let lo = 0;
        let hi = seqs.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (seqs[mid] < seq) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        seqs.splice(lo, 0, seq);
    }

    // Applies an edit event; returns false when the message is not held.
    edit({ seq, body, edited_ts }) {
        const old = this.bySeq.get(seq);
        if (!old) {
            return false;
        }
        this.bySeq.set(seq, merge(old, { ...old, body, edited_ts }));
        return true;
    }

    // Applies a delete event; returns false when the message is not held.
    remove({ seq }) {
        const old = this.bySeq.get(seq);
        if (!old) {
            return false;
        }
        this.bySeq.set(seq, { ...old, body: '', deleted: true });
        return true;
    }

    // Forgets every message, for a resume that reported a gap.
    clear() {
        this.bySeq.clear();
        this.seqs = [];
        this.clientIds.clear();
        this.synced = 0;
        this.more = true;
        this.loaded = false;
    }
}

// Two copies of one message: a deletion never comes undone, and of two
// bodies the one with the later edit wins, so a stale copy (a history page
// fetched just before an edit) cannot roll the edit back.
function merge(old, incoming) {
    if (old.deleted) {
        return { ...incoming, ...old };
    }
    if (incoming.deleted) {
        return { ...old, ...incoming, body: '' };
    }
    if ((old.edited_ts || 0) > (incoming.edited_ts || 0)) {
        return { ...incoming, body: old.body, edited_ts: old.edited_ts };
    }
    return { ...old, ...incoming };
}
