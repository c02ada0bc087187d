// Starting a conversation: find people with the `users` request, then open a
// DM with one of them, or name a group and pick its members.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorNotice, errorText, notice, noticeText, t } from '../i18n.js';
import { checkGroupTitle } from '../limits.js';
import { trimSpace } from '../text.js';
import { Avatar } from './Avatar.jsx';

const SEARCH_DELAY_MS = 250;

// Searches as the user types, waiting for a short pause between keys so a
// phone on slow data sends one request per word rather than per letter.
function useUserSearch(session, query) {
    const [result, setResult] = useState({ users: [], busy: true, error: null });
    useEffect(() => {
        let live = true;
        setResult((r) => ({ ...r, busy: true }));
        const timer = setTimeout(() => {
            session.writer.searchUsers(query.trim()).then(
                (users) => live && setResult({ users, busy: false, error: null }),
                (err) => live && setResult({ users: [], busy: false, error: err }),
            );
        }, SEARCH_DELAY_MS);
        return () => {
            live = false;
            clearTimeout(timer);
        };
    }, [query]);
    return result;
}

function UserRow({ user, selected, onPick }) {
    return (
        <li>
            <button
                type="button"
                class={`person${selected ? ' person--selected' : ''}`}
                aria-pressed={selected === undefined ? undefined : selected ? 'true' : 'false'}
                data-testid="user-result"
                data-username={user.username}
                onClick={() => onPick(user)}
            >
                <Avatar name={user.name} id={user.id} size="sm" />
                <span class="person__text">
                    <span class="person__name">{user.name}</span>
                    <span class="person__meta">
                        @{user.username} · {t(`role.${user.role}`)}
                    </span>
                </span>
                {selected && <span class="person__check">{t('newchat.selected')}</span>}
            </button>
        </li>
    );
}

export function NewChatDialog({ session, onOpen, onClose }) {
    const [tab, setTab] = useState('dm');
    const [query, setQuery] = useState('');
    const [title, setTitle] = useState('');
    const [picked, setPicked] = useState(new Map());
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const search = useUserSearch(session, query);
    const inputRef = useRef(null);
    const errorRef = useRef(null);

    // The error shows above the list, and on a phone the button that caused
    // it is at the bottom: bring the error into view.
    useEffect(() => {
        if (error && errorRef.current && errorRef.current.scrollIntoView) {
            errorRef.current.scrollIntoView({ block: 'nearest' });
        }
    }, [error]);

    useEffect(() => {
        if (inputRef.current) {
            inputRef.current.focus();
        }
        const onKey = (ev) => ev.key === 'Escape' && onClose();
        document.addEventListener('keydown', onKey);
        return () => document.removeEventListener('keydown', onKey);
    }, []);

    async function create(fields) {
        setBusy(true);
        setError(null);
        try {
            const roomId = await session.writer.createRoom(fields);
            onOpen(roomId);
            onClose();
        } catch (err) {
            setError(errorNotice(err));
            setBusy(false);
        }
    }

    function toggle(user) {
        const next = new Map(picked);
        if (next.has(user.id)) {
            next.delete(user.id);
        } else {
            next.set(user.id, user);
        }
        setPicked(next);
        setError(null);
    }

    function createGroup(ev) {
        ev.preventDefault();
        const name = trimSpace(title);
        const invalid = checkGroupTitle(name);
        if (invalid) {
            setError(invalid);
            return;
        }
        if (picked.size === 0) {
            setError(notice('newchat.need_members'));
            return;
        }
        create({ kind: 'group', title: name, members: [...picked.keys()] });
    }

    const isGroup = tab === 'group';
    return (
        <div class="overlay" data-testid="new-chat-dialog">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="new-chat-title">
                <div class="dialog__head">
                    <h2 id="new-chat-title" class="dialog__title">{t('newchat.title')}</h2>
                    <button type="button" class="btn btn--ghost" data-testid="new-chat-close" onClick={onClose}>
                        {t('newchat.close')}
                    </button>
                </div>
                <div class="tabs" role="tablist">
                    {['dm', 'group'].map((name) => (
                        <button
                            type="button"
                            role="tab"
                            key={name}
                            class="tabs__tab"
                            aria-selected={tab === name ? 'true' : 'false'}
                            data-testid={`new-chat-tab-${name}`}
                            onClick={() => {
                                setTab(name);
                                setError(null);
                            }}
                        >
                            {t(`newchat.tab_${name}`)}
                        </button>
                    ))}
                </div>
                <form class="dialog__body" onSubmit={isGroup ? createGroup : (ev) => ev.preventDefault()}>
                    {isGroup && (
                        <input
                            class="input"
                            value={title}
                            placeholder={t('newchat.group_title')}
                            aria-label={t('newchat.group_title')}
                            onInput={(ev) => {
                                setTitle(ev.currentTarget.value);
                                setError(null);
                            }}
                            data-testid="group-title"
                        />
                    )}
                    <input
                        ref={inputRef}
                        class="input"
                        type="search"
                        value={query}
                        placeholder={t('newchat.search')}
                        aria-label={t('newchat.search')}
                        autocapitalize="none"
                        onInput={(ev) => setQuery(ev.currentTarget.value)}
                        data-testid="user-search"
                    />
                    {error && (
                        <p class="form-error" role="alert" data-testid="new-chat-error" ref={errorRef}>
                            {noticeText(error)}
                        </p>
                    )}
                    {search.error && <p class="form-error">{errorText(search.error)}</p>}
                    {search.busy && search.users.length === 0 && <p class="dialog__note">{t('newchat.searching')}</p>}
                    {!search.busy && !search.error && search.users.length === 0 && (
                        <p class="dialog__note">{t('newchat.no_results')}</p>
                    )}
                    <ul class="people">
                        {search.users.map((user) => (
                            <UserRow
                                key={user.id}
                                user={user}
                                selected={isGroup ? picked.has(user.id) : undefined}
                                onPick={(u) => (isGroup ? toggle(u) : !busy && create({ kind: 'dm', members: [u.id] }))}
                            />
                        ))}
                    </ul>
                    {isGroup && (
                        <button type="submit" class="btn btn--primary btn--block" disabled={busy} data-testid="group-create">
                            {t('newchat.create_group', { count: picked.size + 1 })}
                        </button>
                    )}
                </form>
            </div>
        </div>
    );
}
