// The message box. Enter sends, Shift+Enter starts a new line; a reply or
// an edit in progress shows above it with a way to cancel.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { errorNotice, notice, noticeText, t } from '../i18n.js';
import { BODY_COUNT_FROM_BYTES, BODY_MAX_BYTES, bodyToSend } from '../limits.js';
import { byteLength, isBlank, preview } from '../text.js';
import { userName } from './names.js';

const MAX_HEIGHT_PX = 160;

// Unsent drafts per user and room, so switching rooms does not lose what
// was typed, and whoever signs in next on this tab never sees them.
const drafts = new Map();

function draftKey(store, roomId) {
    return `${store.me ? store.me.id : 0}:${roomId}`;
}

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
    const [text, setText] = useState(() => drafts.get(draftKey(store, roomId)) || '');
    const [error, setError] = useState(null);
    const ref = useRef(null);

    // Starting an edit puts the message's text in the box; leaving it
    // brings the draft back. A layout effect does it in the same turn as the
    // render, before the user (or a fast test) can type over it.
    useLayoutEffect(() => {
        setText(editing ? editing.body : drafts.get(draftKey(store, roomId)) || '');
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
            drafts.set(draftKey(store, roomId), value);
            if (!isBlank(value)) {
                session.writer.typing(roomId);
            }
        }
    }

    // What would be sent, and its size: the user learns that it is too long
    // while typing, not after pressing Enter.
    const body = bodyToSend(text);
    const bytes = byteLength(body);
    const tooLong = bytes > BODY_MAX_BYTES;
    const shown = tooLong ? notice('chat.too_long', { max: BODY_MAX_BYTES }) : error;
    const errorId = `composer-error-${roomId}`;

    async function submit() {
        // Only white space counts as nothing to send; an over-long message
        // stays in the box with the warning already shown.
        if (!body || tooLong) {
            return;
        }
        if (editing) {
            try {
                await session.writer.edit(roomId, editing.seq, body);
                onDone();
            } catch (err) {
                setError(errorNotice(err));
            }
            return;
        }
        session.writer.send(roomId, body, replyTo ? replyTo.seq : undefined);
        drafts.delete(draftKey(store, roomId));
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
            {shown && (
                <p class="form-error composer__error" role="alert" id={errorId} data-testid="composer-error">
                    {noticeText(shown)}
                </p>
            )}
            {bytes >= BODY_COUNT_FROM_BYTES && (
                <span class={`composer__count${tooLong ? ' composer__count--over' : ''}`} data-testid="composer-count">
                    {t('chat.byte_count', { bytes, max: BODY_MAX_BYTES })}
                </span>
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
                    aria-invalid={tooLong ? 'true' : undefined}
                    aria-describedby={shown ? errorId : undefined}
                    data-testid="composer-input"
                />
                <button type="submit" class="btn btn--primary composer__send" data-testid="composer-send">
                    {editing ? t('chat.save') : t('chat.send')}
                </button>
            </div>
        </form>
    );
}
