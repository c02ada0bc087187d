// The list of conversations: name, last message, its time, unread count.

import { getLang, t } from '../i18n.js';
import { preview } from '../text.js';
import { formatShortDate, formatTime, relativeDay } from '../time.js';
import { Avatar } from './Avatar.jsx';
import { dmPeer, roomAvatarId, roomName, userName } from './names.js';
import { systemText } from './systemtext.js';

function lastLine(store, room) {
    const last = room.last;
    if (!last) {
        return t('rooms.no_messages');
    }
    if (last.deleted) {
        return t('rooms.deleted');
    }
    if (last.kind === 'system') {
        return preview(systemText(store, last));
    }
    const text = preview(last.body);
    if (store.isMe(last.from)) {
        return t('rooms.you', { text });
    }
    if (room.kind !== 'dm' && last.kind !== 'system') {
        return `${userName(store, last.from)}: ${text}`;
    }
    return text;
}

function lastTime(ts) {
    const lang = getLang();
    const day = relativeDay(ts);
    if (day === 'today') {
        return formatTime(ts, lang);
    }
    if (day === 'yesterday') {
        return t('day.yesterday');
    }
    return formatShortDate(ts, lang);
}

function RoomItem({ store, room, active, onOpen }) {
    const name = roomName(store, room);
    const peer = room.kind === 'dm' ? dmPeer(store, room) : null;
    const unread = room.unread || 0;
    return (
        <li>
            <button
                type="button"
                class={`room${active ? ' room--active' : ''}${unread ? ' room--unread' : ''}`}
                aria-current={active ? 'true' : undefined}
                data-testid="room-item"
                data-room-id={room.id}
                onClick={() => onOpen(room.id)}
            >
                <Avatar name={name} id={roomAvatarId(store, room)} online={peer ? store.presenceOf(peer.id) : undefined} />
                <span class="room__main">
                    <span class="room__top">
                        <span class="room__name" data-testid="room-name">
                            {name}
                        </span>
                        {room.last && (
                            <time class="room__time" data-testid="room-time">
                                {lastTime(room.last.ts)}
                            </time>
                        )}
                    </span>
                    <span class="room__bottom">
                        <span class="room__preview" data-testid="room-preview">
                            {lastLine(store, room)}
                        </span>
                        {unread > 0 && (
                            <span
                                class="badge"
                                title={t('rooms.unread', { count: unread })}
                                data-testid="room-unread"
                            >
                                {unread > 99 ? '99+' : unread}
                            </span>
                        )}
                    </span>
                </span>
            </button>
        </li>
    );
}

export function RoomList({ store, activeRoom, onOpen, onNew }) {
    const rooms = store.roomList();
    return (
        <nav class="rooms" aria-label={t('rooms.title')} data-testid="room-list">
            <div class="rooms__head">
                <h2 class="rooms__title">{t('rooms.title')}</h2>
                <button type="button" class="btn btn--primary btn--small" data-testid="new-chat-button" onClick={onNew}>
                    {t('rooms.new')}
                </button>
            </div>
            {rooms.length === 0 ? (
                <p class="rooms__empty" data-testid="rooms-empty">
                    {t('rooms.empty')}
                </p>
            ) : (
                <ul class="rooms__list">
                    {rooms.map((room) => (
                        <RoomItem
                            key={room.id}
                            store={store}
                            room={room}
                            active={room.id === activeRoom}
                            onOpen={onOpen}
                        />
                    ))}
                </ul>
            )}
        </nav>
    );
}
