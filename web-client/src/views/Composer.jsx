// The message box. Enter sends, Shift+Enter starts a new line; a reply or
// an edit in progress shows above it with a way to cancel.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { errorText, t } from '../i18n.js';
import { byteLength, preview } from '../text.js';
import { userName } from './names.js';

const MAX_BODY_BYTES = 4000;
const MAX_HEIGHT_PX = 160;

// Unsent drafts per room, so switching rooms does not lose what was typed.
const drafts = new Map();

function grow(el) {
    // Setting the height from script is allowed by the CSP; only style
    // attributes in HTML are not.
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
}

function Context({ store, replyTo, editing, onCancel }) {
    if (!replyTo && !editing) {
        return null;
    }
    const title = editing
        ? t('chat.editing')
        : t('chat.replying_to', { name: userName(store, replyTo.from) });
    const text = preview((editing || replyTo).body, 100);
    return (
        <div class="composer__context" data-testid={editing ? 'edit-preview' : 'reply-preview'}>
            <span class="composer__context-text">
                <strong>{title}</strong>
                <span>{text}</span>
            </span>
            <button type="button" class="btn btn--ghost btn--small" data-testid="composer-cancel" onClick={onCancel}>
                {t('chat.cancel')}
            </button>
        </div>
    );
}

export function Composer({ store, session, roomId, replyTo, editing, onDone }) {
    const [text, setText] = useState(() => drafts.get(roomId) || '');
    const [error, setError] = useState(null);
    const ref = useRef(null);

    // Starting an edit puts the message's text in the box; leaving it
    // brings the draft back. A layout effect does it in the same turn as the
    // render, before the user (or a fast test) can type over it.
    useLayoutEffect(() => {
        setText(editing ? editing.body : drafts.get(roomId) || '');
        setError(null);
        if (ref.current && (editing || replyTo)) {
            ref.current.focus();
        }
    }, [editing, replyTo, roomId]);

    useEffect(() => {
        if (ref.current) {
            grow(ref.current);
        }
    }, [text]);

    function onInput(ev) {
        const value = ev.currentTarget.value;
        setText(value);
        setError(null);
        if (!editing) {
            drafts.set(roomId, value);
            if (value.trim()) {
                session.writer.typing(roomId);
            }
        }
    }

    async function submit() {
        const body = text.trim() === '' ? '' : text.replace(/\s+$/, '');
        if (!body) {
            return;
        }
        if (byteLength(body) > MAX_BODY_BYTES) {
            setError(() => t('chat.too_long'));
            return;
        }
        if (editing) {
            try {
                await session.writer.edit(roomId, editing.seq, body);
                onDone();
            } catch (err) {
                setError(() => errorText(err));
            }
            return;
        }
        session.writer.send(roomId, body, replyTo ? replyTo.seq : undefined);
        drafts.delete(roomId);
        setText('');
        onDone();
    }

    function onKeyDown(ev) {
        // While an input method is composing (for example a phone keyboard's
        // suggestion), Enter confirms the word rather than sending.
        if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
            ev.preventDefault();
            submit();
        } else if (ev.key === 'Escape' && (editing || replyTo)) {
            onDone();
        }
    }

    return (
        <form
            class="composer"
            data-testid="composer"
            onSubmit={(ev) => {
                ev.preventDefault();
                submit();
            }}
        >
            <Context store={store} replyTo={replyTo} editing={editing} onCancel={onDone} />
            {error && (
                <p class="form-error composer__error" role="alert" data-testid="composer-error">
                    {error()}
                </p>
            )}
            <div class="composer__row">
                <textarea
                    ref={ref}
                    class="composer__input"
                    rows={1}
                    value={text}
                    placeholder={t('chat.placeholder')}
                    aria-label={t('chat.placeholder')}
                    title={t('chat.hint')}
                    enterkeyhint="send"
                    onInput={onInput}
                    onKeyDown={onKeyDown}
                    data-testid="composer-input"
                />
                <button type="submit" class="btn btn--primary composer__send" data-testid="composer-send">
                    {editing ? t('chat.save') : t('chat.send')}
                </button>
            </div>
        </form>
    );
}
