// The scrolling list of a room's messages. It stays pinned to the newest
// message while the user is at the bottom, keeps the reader's place when an
// older page is added above, and asks for that page when the reader scrolls
// to the top.

import { useCallback, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { getLang, t } from '../i18n.js';
import { dayKey, formatDate, relativeDay } from '../time.js';
import { MessageItem, messageKey } from './MessageItem.jsx';
import { olderStart, windowStart } from './msgwindow.js';
import { userName } from './names.js';
import { systemText } from './systemtext.js';

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 60;

function dayLabel(ts) {
    const day = relativeDay(ts);
    if (day) {
        return t(`day.${day}`);
    }
    return formatDate(ts, getLang());
}

// The newest of my messages that others have read, and how many read it.
function readMark(store, roomId, items) {
    const others = store.othersRead(roomId);
    // With one other member, as in a dm or a mentoring room, a count says
    // nothing "read" does not.
    const alone = others.length === 1;
    const furthest = others.reduce((max, m) => Math.max(max, m.last_read || 0), 0);
    if (furthest === 0) {
        return null;
    }
    for (let i = items.length - 1; i >= 0; i -= 1) {
        const msg = items[i];
        if (!msg.pending && store.isMe(msg.from) && msg.seq <= furthest) {
            const readers = others.filter((m) => (m.last_read || 0) >= msg.seq).length;
            return { seq: msg.seq, readers, alone };
        }
    }
    return null;
}

export function MessageList({ store, session, room, items, handlers }) {
    const ref = useRef(null);
    const state = useRef({ atBottom: true, height: 0, top: 0, count: 0, room: null, firstKey: null, fromStart: false, reveal: null });
    const [openKey, setOpenKey] = useState(null);
    const [, rerender] = useReducer((n) => n + 1, 0);
    const log = store.logs.get(room.id);
    const lang = getLang();
    const s0 = state.current;

    // Only a window of the newest messages is rendered (see msgwindow.js).
    const keys = items.map(messageKey);
    const start = windowStart(keys, {
        atBottom: s0.room !== room.id || s0.atBottom,
        firstKey: s0.room === room.id ? s0.reveal ?? s0.firstKey : null,
        fromStart: s0.reveal == null && s0.fromStart,
    });
    const shown = start > 0 ? items.slice(start) : items;
    const firstKey = keys[start] === undefined ? null : keys[start];

    // After each render: first view of a room or a reader at the bottom
    // goes to the newest message; older messages added above keep the
    // message the reader was looking at in place.
    useLayoutEffect(() => {
        const el = ref.current;
        const s = state.current;
        if (!el) {
            return;
        }
        const prevFirst = s.firstKey;
        const prepended = prevFirst !== null && firstKey !== prevFirst && keys.indexOf(prevFirst) > start;
        if (s.room !== room.id) {
            el.scrollTop = el.scrollHeight;
            s.atBottom = true;
        } else if (prepended) {
            el.scrollTop = el.scrollHeight - (s.height - s.top);
        } else if (s.atBottom || items.length > s.count) {
            const last = items[items.length - 1];
            if (s.atBottom || (last && store.isMe(last.from))) {
                el.scrollTop = el.scrollHeight;
            }
        }
        if (s.jumpTo) {
            const target = document.getElementById(`msg-${room.id}-${s.jumpTo}`);
            s.jumpTo = null;
            if (target) {
                target.scrollIntoView({ block: 'center' });
            }
        }
        Object.assign(s, {
            room: room.id,
            count: items.length,
            height: el.scrollHeight,
            top: el.scrollTop,
            firstKey,
            fromStart: start === 0,
            reveal: null,
        });
    });

    // Older messages: those held but not rendered first, then the server's.
    function showOlder() {
        const s = state.current;
        const next = olderStart(start);
        if (next !== null) {
            // Kept apart from firstKey, which the layout effect compares
            // with to keep the reader's place.
            s.atBottom = false;
            s.reveal = keys[next];
            rerender();
            return;
        }
        if (log && log.loaded && log.more) {
            session.reader.loadOlder(room.id).catch(() => {});
        }
    }

    // The element comes from the event, not the ref: a scroll event queued
    // just before the list goes away (signing out with a room open) arrives
    // after the ref has been cleared.
    function onScroll(ev) {
        const el = ev.currentTarget;
        const s = state.current;
        if (!el || !el.isConnected) {
            return;
        }
        const wasAtBottom = s.atBottom;
        s.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
        s.height = el.scrollHeight;
        s.top = el.scrollTop;
        if (el.scrollTop < NEAR_TOP_PX) {
            showOlder();
        } else if (s.atBottom && !wasAtBottom && start > 0 && items.length - start > 400) {
            // Back at the bottom after reading far back: drop the window
            // down to the newest messages again.
            rerender();
        }
    }

    // A quoted message outside the window is brought into it first.
    const latest = useRef(null);
    latest.current = { keys };
    const listHandlers = useMemo(
        () => ({
            ...handlers,
            onJump: (seq) => {
                const el = document.getElementById(`msg-${room.id}-${seq}`);
                if (el) {
                    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
                    return;
                }
                const key = `s-${seq}`;
                if (latest.current.keys.includes(key)) {
                    const s = state.current;
                    s.atBottom = false;
                    s.reveal = key;
                    s.jumpTo = seq;
                    rerender();
                }
            },
        }),
        [handlers, room.id],
    );

    const onToggle = useCallback((k) => setOpenKey((prev) => (k === prev ? null : k)), []);

    const loading = session.reader.isLoading(room.id);
    const mark = readMark(store, room.id, items);
    const readText = mark && (mark.alone ? t('chat.read') : t('chat.read_by', { count: mark.readers }));
    let prevDay = null;
    let prevFrom = start > 0 && items[start - 1].kind !== 'system' ? items[start - 1].from : null;
    if (start > 0) {
        prevDay = dayKey(items[start - 1].ts);
    }
    const rows = [];
    for (const msg of shown) {
        const day = dayKey(msg.ts);
        if (day !== prevDay) {
            rows.push(
                <div class="day" key={`d-${day}`} role="separator">
                    <span>{dayLabel(msg.ts)}</span>
                </div>,
            );
            prevFrom = null;
        }
        const key = messageKey(msg);
        const quoted = msg.reply_to && log ? log.get(msg.reply_to) || null : null;
        rows.push(
            <MessageItem
                key={key}
                store={store}
                session={session}
                msg={msg}
                systemText={msg.kind === 'system' ? systemText(store, msg) : null}
                mine={store.isMe(msg.from)}
                author={userName(store, msg.from)}
                quoted={quoted}
                quotedAuthor={quoted ? userName(store, quoted.from) : null}
                lang={lang}
                showAuthor={room.kind !== 'dm' && msg.from !== prevFrom}
                readLabel={mark && msg.seq === mark.seq && !msg.pending ? readText : null}
                open={openKey === key}
                onToggle={onToggle}
                handlers={listHandlers}
            />,
        );
        prevDay = day;
        prevFrom = msg.kind === 'system' ? null : msg.from;
    }

    const olderExists = start > 0 || (log && log.loaded && log.more);
    return (
        <div class="messages" ref={ref} onScroll={onScroll} data-testid="message-list">
            {olderExists && (
                <button
                    type="button"
                    class="btn btn--ghost btn--small messages__older"
                    data-testid="load-older"
                    disabled={loading}
                    onClick={showOlder}
                >
                    {loading ? t('chat.loading') : t('chat.load_older')}
                </button>
            )}
            {log && log.loaded && !olderExists && items.length > 0 && (
                <p class="messages__start">{t('chat.beginning')}</p>
            )}
            {(!log || !log.loaded) && items.length === 0 && <p class="messages__note">{t('chat.loading')}</p>}
            {log && log.loaded && items.length === 0 && <p class="messages__note">{t('chat.empty')}</p>}
            {rows}
        </div>
    );
}
