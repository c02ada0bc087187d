// An open room: its header, messages, who is typing, and the composer. A
// mentoring room adds its panel (a tab on phones, beside the chat on wide
// screens) and the call button, and has no composer where nobody may write
// (closed) or this user may only read (staff).

import { useEffect, useMemo, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { Avatar } from './Avatar.jsx';
import { CallElsewhere } from './CallView.jsx';
import { Composer } from './Composer.jsx';
import { useMentoringViews } from './lazy.js';
import { MessageList } from './MessageList.jsx';
import { TypingIndicator } from './TypingIndicator.jsx';
import { dmPeer, mentoringTitleParts, roomAvatarId, roomName } from './names.js';

// Why nobody (or not this user) may write in a room; null when they may.
function readOnlyReason(room, req) {
    if (room.viewOnly) {
        return 'staff';
    }
    if (req && req.status === 'closed') {
        return 'closed';
    }
    return null;
}

function Panel(props) {
    const views = useMentoringViews();
    return views ? (
        <views.MentoringPanel {...props} />
    ) : (
        <div class="mpanel" data-testid="mentoring-panel">
            <p class="dialog__note">{t('app.loading')}</p>
        </div>
    );
}

function CallButton({ session, store, room, req }) {
    const calls = session.calls;
    if (room.viewOnly || !req || req.status !== 'active') {
        return null;
    }
    const state = store.mentoring.room(room.id);
    const ongoing = calls.busy() || Boolean(state && state.call);
    return (
        <button
            type="button"
            class="btn btn--primary btn--small conv__call"
            disabled={ongoing || store.connState !== 'online'}
            title={ongoing ? t('call.ongoing') : t('call.start')}
            data-testid="call-button"
            onClick={() => calls.start(room.id)}
        >
            {t('call.start')}
        </button>
    );
}

function Subtitle({ store, room }) {
    if (room.kind === 'dm') {
        const peer = dmPeer(store, room);
        if (!peer) {
            return null;
        }
        // Unknown while the connection is down or not caught up yet: better
        // nothing than an "Online" that may no longer be true.
        const online = store.presenceOf(peer.id);
        if (online === undefined) {
            return null;
        }
        return (
            <span class="conv__sub" data-testid="conversation-presence" data-online={online ? 'true' : 'false'}>
                {online ? t('presence.online') : t('presence.offline')}
            </span>
        );
    }
    // A mentoring room always has its two: the line under the topic names
    // the other party instead (for staff, the mentor under the business).
    if (room.kind === 'mentoring') {
        const req = store.mentoring.requestForRoom(room.id);
        const parts = req && req.business ? mentoringTitleParts(store, req) : null;
        if (!parts || !parts.other) {
            return null;
        }
        return (
            <span class="conv__sub conv__party" data-testid="conversation-party">
                {parts.staff ? t('mentoring.mentor_is', { name: parts.other }) : parts.other}
            </span>
        );
    }
    const members = store.members.get(room.id);
    return members ? <span class="conv__sub">{t('chat.members', { count: members.size })}</span> : null;
}

export function Conversation({ store, session, room, onBack }) {
    const [replyTo, setReplyTo] = useState(null);
    const [editing, setEditing] = useState(null);
    const [tab, setTab] = useState('chat');
    const [loadError, setLoadError] = useState(false);
    const name = roomName(store, room);
    const peer = room.kind === 'dm' ? dmPeer(store, room) : null;
    const mentoring = room.kind === 'mentoring';
    const req = mentoring ? store.mentoring.requestForRoom(room.id) : null;
    const readOnly = mentoring ? readOnlyReason(room, req) : null;
    // A mentoring room's header puts its topic (for staff, the business) on
    // the first line and the other party on the second; the room list and
    // the section's label have both on one.
    const title = mentoring && req && req.business ? mentoringTitleParts(store, req).main : name;

    useEffect(() => {
        if (mentoring) {
            session.mentoring.loadRoom(room.id).catch(() => setLoadError(true));
        }
    }, [room.id]);

    // The same object for the life of the room, so the messages (memoized)
    // are not rendered again when a reply or an edit starts.
    const handlers = useMemo(() => ({
        onReply: (msg) => {
            setEditing(null);
            setReplyTo(msg);
        },
        onEdit: (msg) => {
            setReplyTo(null);
            setEditing(msg);
        },
        onDelete: (msg) => session.writer.remove(room.id, msg.seq).catch(() => {}),
        onJump: (seq) => {
            const el = document.getElementById(`msg-${room.id}-${seq}`);
            if (el) {
                el.scrollIntoView({ block: 'center', behavior: 'smooth' });
            }
        },
    }), [room.id]);

    const head = (
        <header class="conv__head">
            <button
                type="button"
                class="btn btn--ghost conv__back"
                title={t('chat.back')}
                data-testid="back-button"
                onClick={onBack}
            >
                <span aria-hidden="true">←</span>
                <span class="sr-only">{t('chat.back')}</span>
            </button>
            <Avatar
                name={name}
                id={roomAvatarId(store, room)}
                online={peer ? store.presenceOf(peer.id) : undefined}
                size="sm"
            />
            <div class="conv__titles">
                <h2 class="conv__title" data-testid="conversation-title">
                    {title}
                </h2>
                <Subtitle store={store} room={room} />
            </div>
            {mentoring && <CallButton session={session} store={store} room={room} req={req} />}
        </header>
    );
    const chat = (
        <>
            <MessageList store={store} session={session} room={room} items={store.conversation(room.id)} handlers={handlers} />
            {readOnly ? (
                <p class="conv__readonly" role="note" data-testid="readonly-note" data-reason={readOnly}>
                    {t(`chat.readonly_${readOnly}`)}
                </p>
            ) : (
                <>
                    <TypingIndicator store={store} roomId={room.id} />
                    <Composer
                        key={room.id}
                        store={store}
                        session={session}
                        roomId={room.id}
                        replyTo={replyTo}
                        editing={editing}
                        onDone={() => {
                            setReplyTo(null);
                            setEditing(null);
                        }}
                    />
                </>
            )}
        </>
    );

    if (!mentoring) {
        return (
            <section class="conv" aria-label={name} data-testid="conversation" data-room-id={room.id}>
                {head}
                {chat}
            </section>
        );
    }
    return (
        <section
            class={`conv conv--mentoring conv--tab-${tab}`}
            aria-label={name}
            data-testid="conversation"
            data-room-id={room.id}
        >
            {head}
            <CallElsewhere store={store} calls={session.calls} roomId={room.id} />
            <div class="tabs conv__tabs" role="tablist">
                {['chat', 'details'].map((which) => (
                    <button
                        type="button"
                        role="tab"
                        key={which}
                        class="tabs__tab"
                        aria-selected={tab === which ? 'true' : 'false'}
                        data-testid={`conv-tab-${which}`}
                        onClick={() => setTab(which)}
                    >
                        {t(`chat.tab_${which}`)}
                    </button>
                ))}
            </div>
            <div class="conv__body">
                <div class="conv__chat">{chat}</div>
                <Panel session={session} store={store} room={room} loadError={loadError} />
            </div>
        </section>
    );
}
