// Pieces the mentoring screens share: a request's card and status, the
// picker of mentors, and the small forms to decline or transfer a request.

import { useEffect, useState } from 'preact/hooks';
import { getLang, notice, noticeText, t } from '../i18n.js';
import { checkText } from '../limits.js';
import { REASON_MAX_BYTES } from '../mentoring.js';
import { preview, trimSpace } from '../text.js';
import { formatShortDate, formatTime } from '../time.js';
import { useAction } from './hooks.js';
import { topicLabel } from './names.js';

export { topicLabel };

const STATUSES = ['waiting', 'offered', 'active', 'closed', 'cancelled'];

export function StatusBadge({ status }) {
    const known = STATUSES.includes(status) ? status : 'waiting';
    return (
        <span class={`status status--${known}`} data-testid="request-status" data-status={status}>
            {t(`mstatus.${known}`)}
        </span>
    );
}

export function FormError({ error, testid = 'form-error' }) {
    return error ? (
        <p class="form-error" role="alert" data-testid={testid}>
            {noticeText(error)}
        </p>
    ) : null;
}

function when(ts) {
    const lang = getLang();
    return `${formatShortDate(ts, lang)} ${formatTime(ts, lang)}`;
}

// One request: topic, status, who, when, the description, and whatever
// actions the screen puts under it.
export function RequestCard({ req, showBusiness = false, showMentor = true, testid = 'request-item', children }) {
    return (
        <li class="mcard" data-testid={testid} data-request-id={req.id} data-status={req.status}>
            <div class="mcard__top">
                <strong class="mcard__topic">{topicLabel(req.topic)}</strong>
                <StatusBadge status={req.status} />
            </div>
            {showBusiness && req.business && (
                <span class="mcard__who" data-testid="request-business">
                    {req.business.name}
                </span>
            )}
            <p class="mcard__desc">{preview(req.description, 240)}</p>
            <div class="mcard__meta">
                <span>{t('mentoring.created', { when: when(req.created_ts) })}</span>
                {req.status === 'waiting' && Number.isInteger(req.position) && req.position > 0 && (
                    <span class="mcard__pos" data-testid="request-position" data-position={req.position}>
                        {t('mentoring.position', { position: req.position })}
                    </span>
                )}
                {showMentor && req.mentor && req.status !== 'waiting' && (
                    <span data-testid="request-mentor">{t('mentoring.mentor_is', { name: req.mentor.name })}</span>
                )}
                {req.status === 'closed' && req.rating > 0 && (
                    <span data-testid="request-rating">{t('mentoring.rated', { rating: req.rating })}</span>
                )}
            </div>
            {req.note && (req.status === 'waiting' || req.status === 'offered' || req.status === 'active') && (
                <p class="mcard__note">{t('mentoring.last_note', { note: preview(req.note, 200) })}</p>
            )}
            {children && <div class="mcard__actions">{children}</div>}
        </li>
    );
}

// A checkbox whose value lives on the server: it shows the user's choice at
// once, while the request is on its way, and falls back to the server's
// value (with the error under it) when the request fails.
export function Toggle({ checked, onChange, disabled = false, testid, label, wrapClass = 'switch' }) {
    const [want, setWant] = useState(null);
    const action = useAction();
    const shown = want === null ? Boolean(checked) : want;
    async function change(ev) {
        const value = ev.currentTarget.checked;
        setWant(value);
        await action.run(() => onChange(value));
        setWant(null);
    }
    return (
        <>
            <label class={wrapClass}>
                <input type="checkbox" checked={shown} disabled={disabled || action.busy} onChange={change} data-testid={testid} />
                {label}
            </label>
            <FormError error={action.error} />
        </>
    );
}

// A button that asks once more before it acts.
export function ConfirmButton({ label, question, yes, onConfirm, busy, testid }) {
    const [asking, setAsking] = useState(false);
    if (!asking) {
        return (
            <button type="button" class="btn btn--ghost btn--small" disabled={busy} data-testid={testid} onClick={() => setAsking(true)}>
                {label}
            </button>
        );
    }
    return (
        <span class="mconfirm">
            <span>{question}</span>
            <button
                type="button"
                class="btn btn--danger btn--small"
                disabled={busy}
                data-testid={`${testid}-yes`}
                onClick={() => {
                    setAsking(false);
                    onConfirm();
                }}
            >
                {yes}
            </button>
            <button type="button" class="btn btn--ghost btn--small" onClick={() => setAsking(false)}>
                {t('chat.cancel')}
            </button>
        </span>
    );
}

function MentorRow({ mentor, onPick, busy, current }) {
    const u = mentor.user;
    const online = mentor.online;
    return (
        <li>
            <button
                type="button"
                class={`person${current ? ' person--current' : ''}`}
                disabled={busy || Boolean(current)}
                data-testid="mentor-option"
                data-username={u.username}
                data-available={mentor.available ? 'true' : 'false'}
                data-current={current ? 'true' : 'false'}
                onClick={() => onPick(mentor)}
            >
                <span class={`dot ${online ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />
                <span class="person__text">
                    <span class="person__name">{u.name}</span>
                    {current && <span class="person__current">{current}</span>}
                    <span class="person__meta">
                        {mentor.available ? t('mentoring.available') : t('mentoring.unavailable')}
                        {' · '}
                        {t('mentoring.load', { count: mentor.load || 0 })}
                        {' · '}
                        {online ? t('presence.online') : t('presence.offline')}
                    </span>
                    <span class="person__meta">{(mentor.topics || []).map(topicLabel).join(', ')}</span>
                </span>
            </button>
        </li>
    );
}

// Mentors to choose from for a request: those of its topic first
// (available and least loaded on top), then, under their own heading, every
// other mentor. `current` is the mentor who holds the request now: listed,
// marked with `currentLabel`, and not to be picked again.
export function MentorPicker({ session, store, topic, current = null, currentLabel = '', onPick, busy }) {
    const state = store.mentoring;
    const [loadError, setLoadError] = useState(null);
    useEffect(() => {
        session.mentoring.loadMentors().catch((err) => setLoadError(err));
    }, []);
    const { matching, others } = state.pickerGroups(topic);
    const row = (m) => (
        <MentorRow key={m.user.id} mentor={m} onPick={onPick} busy={busy} current={m.user.id === current ? currentLabel : null} />
    );
    return (
        <div class="picker" data-testid="mentor-picker">
            {loadError && <p class="form-error">{t('mentoring.mentors_failed')}</p>}
            {matching.length === 0 ? (
                <p class="dialog__note" data-testid="mentor-none">{t('mentoring.no_mentors')}</p>
            ) : (
                <ul class="people" data-testid="mentor-matching">
                    {matching.map(row)}
                </ul>
            )}
            {others.length > 0 && (
                <div data-testid="mentor-others">
                    <p class="picker__heading">{t('mentoring.other_mentors')}</p>
                    <ul class="people">{others.map(row)}</ul>
                </div>
            )}
        </div>
    );
}

// A reason (decline) or a note (transfer): 1-500 bytes.
function ReasonField({ value, onInput, label, testid }) {
    return (
        <label class="field">
            <span class="field__label">{label}</span>
            <textarea class="input mform__text" rows={2} value={value} onInput={(ev) => onInput(ev.currentTarget.value)} data-testid={testid} />
        </label>
    );
}

export function DeclineForm({ session, req, onDone }) {
    const [reason, setReason] = useState('');
    const action = useAction();
    const edit = (value) => {
        setReason(value);
        action.setError(null);
    };
    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(reason);
        const problem = checkText(text, REASON_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const ok = await action.run(async () => {
            await session.mentoring.decline(req.id, text);
            return true;
        });
        if (ok) {
            onDone();
        }
    }
    return (
        <form class="mform" onSubmit={submit} data-testid="decline-form">
            <ReasonField value={reason} onInput={edit} label={t('mentoring.decline_reason')} testid="decline-reason" />
            <FormError error={action.error} />
            <div class="mform__row">
                <button type="submit" class="btn btn--danger btn--small" disabled={action.busy} data-testid="decline-submit">
                    {t('mentoring.decline')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={onDone}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}

export function TransferForm({ session, store, req, onDone }) {
    const [note, setNote] = useState('');
    const [target, setTarget] = useState(null);
    const action = useAction();
    // A message about what was missing goes once it is no longer so.
    const pick = (mentor) => {
        setTarget(mentor);
        action.setError(null);
    };
    const edit = (value) => {
        setNote(value);
        action.setError(null);
    };
    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(note);
        if (!target) {
            action.setError(notice('mentoring.pick_mentor'));
            return;
        }
        const problem = checkText(text, REASON_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const ok = await action.run(async () => {
            await session.mentoring.transfer(req.id, target.user.id, text);
            return true;
        });
        if (ok) {
            onDone();
        }
    }
    const current = req.mentor ? req.mentor.id : null;
    return (
        <form class="mform" onSubmit={submit} data-testid="transfer-form">
            {target ? (
                <p class="mform__picked" data-testid="transfer-target">
                    {t('mentoring.transfer_to', { name: target.user.name })}{' '}
                    <button type="button" class="btn btn--link btn--small" data-testid="transfer-change" onClick={() => pick(null)}>
                        {t('mentoring.change')}
                    </button>
                </p>
            ) : (
                <MentorPicker
                    session={session}
                    store={store}
                    topic={req.topic}
                    current={current}
                    currentLabel={t(req.status === 'offered' ? 'mentoring.current_offer' : 'mentoring.current_mentor')}
                    onPick={pick}
                />
            )}
            <ReasonField value={note} onInput={edit} label={t('mentoring.transfer_note')} testid="transfer-note" />
            <FormError error={action.error} />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary btn--small" disabled={action.busy} data-testid="transfer-submit">
                    {t('mentoring.transfer')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={onDone}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}
