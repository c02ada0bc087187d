// An open room: its header, messages, who is typing, and the composer.

import { useMemo, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { Avatar } from './Avatar.jsx';
import { Composer } from './Composer.jsx';
import { MessageList } from './MessageList.jsx';
import { TypingIndicator } from './TypingIndicator.jsx';
import { dmPeer, roomAvatarId, roomName } from './names.js';

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
    const members = store.members.get(room.id);
    return members ? <span class="conv__sub">{t('chat.members', { count: members.size })}</span> : null;
}

export function Conversation({ store, session, room, onBack }) {
    const [replyTo, setReplyTo] = useState(null);
    const [editing, setEditing] = useState(null);
    const name = roomName(store, room);
    const peer = room.kind === 'dm' ? dmPeer(store, room) : null;

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

    return (
        <section class="conv" aria-label={name} data-testid="conversation" data-room-id={room.id}>
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
                        {name}
                    </h2>
                    <Subtitle store={store} room={room} />
                </div>
            </header>
            <MessageList store={store} session={session} room={room} items={store.conversation(room.id)} handlers={handlers} />
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
        </section>
    );
}
