// The signed-in screen: the room list and the open conversation side by side
// on a wide screen, one at a time on a phone. Opening a room adds a browser
// history entry, so a phone's back gesture returns to the list, and a reload
// comes back to the same room.

import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { Conversation } from './Conversation.jsx';
import { NewChatDialog } from './NewChatDialog.jsx';
import { RoomList } from './RoomList.jsx';

function roomFromHistory() {
    const state = window.history.state;
    return state && Number.isInteger(state.kolabRoom) ? state.kolabRoom : null;
}

export function ChatView({ session, store }) {
    const [active, setActive] = useState(roomFromHistory);
    const [dialog, setDialog] = useState(false);

    useEffect(() => {
        if (active !== null) {
            session.reader.open(active);
        }
        const onPop = () => {
            const roomId = roomFromHistory();
            setActive(roomId);
            if (roomId === null) {
                session.reader.close();
            } else {
                session.reader.open(roomId);
            }
        };
        window.addEventListener('popstate', onPop);
        return () => {
            window.removeEventListener('popstate', onPop);
            session.reader.close();
        };
    }, []);

    function open(roomId) {
        if (roomId === active) {
            return;
        }
        if (active === null) {
            window.history.pushState({ kolabRoom: roomId }, '');
        } else {
            window.history.replaceState({ kolabRoom: roomId }, '');
        }
        setActive(roomId);
        session.reader.open(roomId);
    }

    function back() {
        if (roomFromHistory() !== null && window.history.length > 1) {
            window.history.back();
            return;
        }
        window.history.replaceState(null, '');
        setActive(null);
        session.reader.close();
    }

    // The room is known once the rooms reply is in; until then (or if the
    // user was removed from it) the list alone shows.
    const room = active !== null ? store.rooms.get(active) : null;
    return (
        <div class={`chat${room ? ' chat--open' : ''}`} data-testid="chat-view">
            <RoomList store={store} activeRoom={active} onOpen={open} onNew={() => setDialog(true)} />
            {room ? (
                <Conversation key={room.id} store={store} session={session} room={room} onBack={back} />
            ) : (
                <section class="conv conv--empty">
                    <p>{t('chat.select_room')}</p>
                </section>
            )}
            {dialog && <NewChatDialog session={session} onOpen={open} onClose={() => setDialog(false)} />}
        </div>
    );
}
