// The signed-in screen: the room list (or the mentoring pane) and the open
// conversation side by side on a wide screen, one at a time on a phone.
// Opening a room adds a browser history entry, so a phone's back gesture
// returns to the list, and a reload comes back to the same room. The call
// and its incoming banner float above everything.

import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { usesMentoring } from '../mentoring.js';
import { CallPanel, IncomingCall } from './CallView.jsx';
import { Conversation } from './Conversation.jsx';
import { loadMentoringViews, useMentoringViews } from './lazy.js';
import { NewChatDialog } from './NewChatDialog.jsx';
import { RoomList } from './RoomList.jsx';

const PANE_KEY = 'kolab.pane';

function savedPane() {
    try {
        return window.sessionStorage.getItem(PANE_KEY) === 'mentoring' ? 'mentoring' : 'rooms';
    } catch {
        return 'rooms';
    }
}

function MentoringPane(props) {
    const views = useMentoringViews();
    return views ? <views.MentoringHome {...props} /> : <p class="dialog__note msection">{t('app.loading')}</p>;
}

function SideTabs({ pane, onPick, store }) {
    const waiting = store.mentoring.offeredTo(store.me.id).length;
    return (
        <div class="tabs side__tabs" role="tablist">
            {['rooms', 'mentoring'].map((name) => (
                <button
                    type="button"
                    role="tab"
                    key={name}
                    class="tabs__tab"
                    aria-selected={pane === name ? 'true' : 'false'}
                    data-testid={`nav-${name}`}
                    onClick={() => onPick(name)}
                >
                    {t(`nav.${name}`)}
                    {name === 'mentoring' && waiting > 0 && <span class="badge tabs__badge">{waiting}</span>}
                </button>
            ))}
        </div>
    );
}

function roomFromHistory() {
    const state = window.history.state;
    return state && Number.isInteger(state.kolabRoom) ? state.kolabRoom : null;
}

export function ChatView({ session, store }) {
    const [active, setActive] = useState(roomFromHistory);
    const [dialog, setDialog] = useState(false);
    const [pane, setPane] = useState(savedPane);
    const withMentoring = usesMentoring(store.me);

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

    function pickPane(name) {
        setPane(name);
        try {
            window.sessionStorage.setItem(PANE_KEY, name);
        } catch {
            // The choice then lasts until the page is reloaded.
        }
    }

    // Staff open a mentoring room to read it without being a member.
    async function view(roomId) {
        await session.viewRoom(roomId);
        open(roomId);
    }

    useEffect(() => {
        if (withMentoring) {
            loadMentoringViews().catch(() => {});
        }
    }, [withMentoring]);

    // Unloading the page ends this tab's call for the other side at once.
    useEffect(() => {
        const onHide = () => session.calls.unload();
        window.addEventListener('pagehide', onHide);
        return () => window.removeEventListener('pagehide', onHide);
    }, []);

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
    const showMentoring = withMentoring && pane === 'mentoring';
    return (
        <div class={`chat${room ? ' chat--open' : ''}`} data-testid="chat-view">
            <div class={`side${showMentoring ? ' side--wide' : ''}`}>
                {withMentoring && <SideTabs pane={pane} onPick={pickPane} store={store} />}
                {showMentoring ? (
                    <MentoringPane session={session} store={store} onOpenRoom={open} onViewRoom={view} />
                ) : (
                    <RoomList store={store} activeRoom={active} onOpen={open} onNew={() => setDialog(true)} />
                )}
            </div>
            {room ? (
                <Conversation key={room.id} store={store} session={session} room={room} onBack={back} />
            ) : (
                <section class="conv conv--empty">
                    <p>{t('chat.select_room')}</p>
                </section>
            )}
            {dialog && <NewChatDialog session={session} onOpen={open} onClose={() => setDialog(false)} />}
            <IncomingCall store={store} calls={session.calls} />
            <CallPanel store={store} calls={session.calls} />
        </div>
    );
}
