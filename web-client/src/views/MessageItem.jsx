// One message in the conversation: its bubble, who wrote it, when, whether it
// was edited, deleted, is still unsent or was read, and its actions.

import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import { errorText, getLang, t } from '../i18n.js';
import { linkParts } from '../links.js';
import { preview } from '../text.js';
import { formatTime } from '../time.js';
import { userName } from './names.js';

export function messageKey(msg) {
    return msg.pending ? `c-${msg.client_id}` : `s-${msg.seq}`;
}

function ReplyQuote({ store, msg, onJump }) {
    const log = store.logs.get(msg.room);
    const original = log && log.get(msg.reply_to);
    let text = t('chat.original_missing');
    let author = null;
    if (original) {
        author = userName(store, original.from);
        text = original.deleted ? t('chat.deleted') : preview(original.body, 120);
    }
    return (
        <button
            type="button"
            class="quote"
            data-testid="reply-quote"
            onClick={(ev) => {
                ev.stopPropagation();
                onJump(msg.reply_to);
            }}
        >
            {author && <span class="quote__author">{author}</span>}
            <span class="quote__text">{text}</span>
        </button>
    );
}

// A message's text with its http(s) addresses as links that open in a new
// tab, without telling the site where the reader came from. A tap on a link
// opens it rather than the message's menu.
function LinkedText({ text }) {
    return linkParts(text).map((part, i) =>
        typeof part === 'string' ? (
            part
        ) : (
            <a
                key={i}
                class="msg__link"
                href={part.href}
                target="_blank"
                rel="noopener noreferrer nofollow"
                data-testid="message-link"
                onClick={(ev) => ev.stopPropagation()}
            >
                {part.text}
            </a>
        ),
    );
}

function Actions({ msg, mine, onReply, onEdit, onDelete, onClose }) {
    const [confirming, setConfirming] = useState(false);
    if (confirming) {
        return (
            <div class="msg__actions" data-testid="delete-confirm">
                <span class="msg__confirm">{t('chat.delete_confirm')}</span>
                <button type="button" class="btn btn--danger btn--small" data-testid="delete-yes" onClick={() => { onDelete(msg); onClose(); }}>
                    {t('chat.delete_yes')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={() => setConfirming(false)}>
                    {t('chat.cancel')}
                </button>
            </div>
        );
    }
    return (
        <div class="msg__actions" role="group" aria-label={t('chat.actions')} data-testid="message-actions">
            <button type="button" class="btn btn--ghost btn--small" data-testid="reply-button" onClick={() => { onReply(msg); onClose(); }}>
                {t('chat.reply')}
            </button>
            {mine && (
                <button type="button" class="btn btn--ghost btn--small" data-testid="edit-button" onClick={() => { onEdit(msg); onClose(); }}>
                    {t('chat.edit')}
                </button>
            )}
            {mine && (
                <button type="button" class="btn btn--ghost btn--small" data-testid="delete-button" onClick={() => setConfirming(true)}>
                    {t('chat.delete')}
                </button>
            )}
        </div>
    );
}

function Unsent({ msg, session }) {
    if (!msg.failed) {
        return (
            <span class="msg__pending" data-testid="message-pending">
                {t('chat.pending')}
            </span>
        );
    }
    return (
        <div class="msg__failed" data-testid="message-failed">
            <span>{t('chat.failed', { reason: errorText(msg.failed) })}</span>
            <button type="button" class="btn btn--link btn--small" onClick={() => session.writer.retryUnsent(msg.client_id)}>
                {t('chat.retry')}
            </button>
            <button type="button" class="btn btn--link btn--small" onClick={() => session.writer.discardUnsent(msg.client_id)}>
                {t('chat.discard')}
            </button>
        </div>
    );
}

// The list passes everything a message shows besides the store itself
// (author names, a system line's sentence, the quoted message, the
// language), so an unchanged message is not rendered again when the store
// or the composer changes, and one whose names became known is.
const PROPS = ['msg', 'systemText', 'showAuthor', 'readLabel', 'open', 'onToggle', 'handlers', 'author', 'quoted', 'quotedAuthor', 'lang', 'mine', 'session', 'store'];

export function sameMessageProps(a, b) {
    return PROPS.every((k) => a[k] === b[k]);
}

export const MessageItem = memo(MessageItemView, sameMessageProps);

function MessageItemView({ store, session, msg, systemText: text, showAuthor, readLabel, open, onToggle, handlers }) {
    const mine = store.isMe(msg.from);
    if (msg.kind === 'system') {
        return (
            <div class="msg msg--system" data-testid="message" data-kind="system" data-seq={msg.seq}>
                <p class="msg__body" data-testid="system-line">{text}</p>
            </div>
        );
    }
    const canAct = !msg.pending && !msg.deleted;
    const toggle = () => canAct && onToggle(messageKey(msg));
    return (
        <div
            id={msg.seq ? `msg-${msg.room}-${msg.seq}` : undefined}
            class={`msg ${mine ? 'msg--mine' : 'msg--theirs'}${msg.pending ? ' msg--pending' : ''}`}
            data-testid="message"
            data-seq={msg.seq}
            data-client-id={msg.client_id}
            data-pending={msg.pending ? 'true' : 'false'}
            data-mine={mine ? 'true' : 'false'}
        >
            {showAuthor && !mine && (
                <div class="msg__author" data-testid="message-author">
                    {userName(store, msg.from)}
                </div>
            )}
            <div
                class="msg__bubble"
                role={canAct ? 'button' : undefined}
                tabIndex={canAct ? 0 : undefined}
                aria-expanded={canAct ? (open ? 'true' : 'false') : undefined}
                onClick={toggle}
                onKeyDown={(ev) => {
                    if (ev.key === 'Enter' || ev.key === ' ') {
                        ev.preventDefault();
                        toggle();
                    }
                }}
            >
                {msg.reply_to && !msg.deleted && <ReplyQuote store={store} msg={msg} onJump={handlers.onJump} />}
                {msg.deleted ? (
                    <p class="msg__body msg__body--deleted" data-testid="message-deleted">
                        {t('chat.deleted')}
                    </p>
                ) : (
                    <p class="msg__body" data-testid="message-body">
                        <LinkedText text={msg.body} />
                    </p>
                )}
                <span class="msg__meta">
                    {msg.edited_ts && !msg.deleted && (
                        <span class="msg__edited" data-testid="message-edited">
                            {t('chat.edited')}
                        </span>
                    )}
                    <time class="msg__time" data-testid="message-time">
                        {formatTime(msg.ts, getLang())}
                    </time>
                </span>
            </div>
            {msg.pending && <Unsent msg={msg} session={session} />}
            {readLabel && (
                <div class="msg__read" data-testid="message-read">
                    {readLabel}
                </div>
            )}
            {open && canAct && <Actions msg={msg} mine={mine} onClose={() => onToggle(null)} {...handlers} />}
        </div>
    );
}
