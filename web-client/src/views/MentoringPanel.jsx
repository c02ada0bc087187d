// The mentoring room's panel, beside its chat (a tab on phones): what was
// asked, the scheduled sessions (entered and shown in WITA), the mentor's
// notes, the action items, and closing with a rating.

import { useState } from 'preact/hooks';
import { getLang, notice, t } from '../i18n.js';
import { checkText } from '../limits.js';
import {
    ACTION_MAX_BYTES,
    AGENDA_MAX_BYTES,
    COMMENT_MAX_BYTES,
    NOTE_MAX_BYTES,
    actionOverdue,
    checkSessionTime,
    sessionPhase,
} from '../mentoring.js';
import { trimSpace } from '../text.js';
import { formatDateKey, formatShortDate, formatTime, formatWhen, utcToWita, witaToday } from '../time.js';
import { useAction } from './hooks.js';
import { ConfirmButton, FormError, StatusBadge, Toggle, topicLabel } from './MentoringParts.jsx';
import { userName } from './names.js';

const DURATIONS = [15, 30, 45, 60, 90, 120, 180, 240, 480];
function Summary({ req }) {
    return (
        <section class="pane" data-testid="mentoring-summary">
            <div class="mcard__top">
                <strong>{topicLabel(req.topic)}</strong>
                <StatusBadge status={req.status} />
            </div>
            <p class="mcard__desc mcard__desc--full">{req.description}</p>
            <dl class="facts">
                <dt>{t('mentoring.business')}</dt>
                <dd>{req.business ? req.business.name : ''}</dd>
                <dt>{t('role.mentor')}</dt>
                <dd>{req.mentor ? req.mentor.name : '–'}</dd>
                {req.status === 'closed' && (
                    <>
                        <dt>{t('mentoring.rating')}</dt>
                        <dd data-testid="summary-rating">
                            {t('mentoring.rated', { rating: req.rating })}
                            {req.comment ? ` · “${req.comment}”` : ''}
                        </dd>
                    </>
                )}
            </dl>
        </section>
    );
}

// Scheduling a new session, or moving one (`item` given).
function SessionForm({ client, roomId, item, onDone }) {
    const start = item ? utcToWita(item.starts_ts) : { date: witaToday(), time: '' };
    const [date, setDate] = useState(start.date);
    const [time, setTime] = useState(start.time);
    const [duration, setDuration] = useState(item ? item.duration_min : 60);
    const [agenda, setAgenda] = useState(item ? item.agenda : '');
    const action = useAction();

    async function submit(ev) {
        ev.preventDefault();
        const when = checkSessionTime(date, time);
        const text = trimSpace(agenda);
        const problem = when.problem || checkText(text, AGENDA_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const minutes = Number(duration);
        const ok = await action.run(async () => {
            if (item) {
                const fields = {};
                if (when.ts !== item.starts_ts) {
                    fields.starts_ts = when.ts;
                }
                if (minutes !== item.duration_min) {
                    fields.duration_min = minutes;
                }
                if (text !== item.agenda) {
                    fields.agenda = text;
                }
                if (Object.keys(fields).length) {
                    await client.mentoring.updateSession(item.id, fields);
                }
            } else {
                await client.mentoring.addSession(roomId, when.ts, minutes, text);
            }
            return true;
        });
        if (ok) {
            onDone();
        }
    }

    const durations = DURATIONS.includes(Number(duration)) ? DURATIONS : [...DURATIONS, Number(duration)].sort((a, b) => a - b);
    return (
        <form class="mform" onSubmit={submit} noValidate data-testid="session-form">
            <div class="mform__row mform__row--fields">
                <label class="field">
                    <span class="field__label">{t('session.date')}</span>
                    <input class="input" type="date" value={date} min={witaToday()} onInput={(ev) => setDate(ev.currentTarget.value)} data-testid="session-date" />
                </label>
                <label class="field">
                    <span class="field__label">{t('session.time')}</span>
                    <input class="input" type="time" value={time} onInput={(ev) => setTime(ev.currentTarget.value)} data-testid="session-time" />
                </label>
                <label class="field">
                    <span class="field__label">{t('session.duration')}</span>
                    <select class="input" value={duration} onChange={(ev) => setDuration(Number(ev.currentTarget.value))} data-testid="session-duration">
                        {durations.map((m) => (
                            <option key={m} value={m}>
                                {t('session.minutes', { count: m })}
                            </option>
                        ))}
                    </select>
                </label>
            </div>
            <p class="field__hint">{t('session.wita_hint')}</p>
            <label class="field">
                <span class="field__label">{t('session.agenda')}</span>
                <textarea class="input mform__text" rows={2} value={agenda} onInput={(ev) => setAgenda(ev.currentTarget.value)} data-testid="session-agenda" />
            </label>
            <FormError error={action.error} testid="session-error" />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary btn--small" disabled={action.busy} data-testid="session-save">
                    {item ? t('session.reschedule_save') : t('session.add_save')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={onDone}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}

function SessionItem({ client, s, writable, now }) {
    const [moving, setMoving] = useState(false);
    const action = useAction();
    const phase = sessionPhase(s, now);
    const lang = getLang();
    return (
        <li class={`mitem mitem--${phase}`} data-testid="session-item" data-phase={phase} data-session-id={s.id}>
            <div class="mitem__head">
                <strong data-testid="session-when">{formatWhen(s.starts_ts, lang, now)}</strong>
                <span class={`status status--${phase}`}>{t(`session.phase_${phase}`)}</span>
            </div>
            <span class="mitem__meta">{t('session.minutes', { count: s.duration_min })}</span>
            <p class="mitem__text">{s.agenda}</p>
            {writable && phase === 'upcoming' && !moving && (
                <div class="mcard__actions">
                    <button type="button" class="btn btn--ghost btn--small" data-testid="session-reschedule" onClick={() => setMoving(true)}>
                        {t('session.reschedule')}
                    </button>
                    <ConfirmButton
                        label={t('session.cancel')}
                        question={t('session.cancel_confirm')}
                        yes={t('session.cancel_yes')}
                        busy={action.busy}
                        testid="session-cancel"
                        onConfirm={() => action.run(() => client.mentoring.cancelSession(s.id))}
                    />
                </div>
            )}
            {moving && <SessionForm client={client} roomId={s.room} item={s} onDone={() => setMoving(false)} />}
            <FormError error={action.error} />
        </li>
    );
}

function Sessions({ client, store, roomId, writable }) {
    const [adding, setAdding] = useState(false);
    const now = Date.now();
    const sessions = store.mentoring.sessionsOf(roomId);
    return (
        <section class="pane" data-testid="sessions">
            <div class="mform__row">
                <h3 class="msection__title">{t('session.title')}</h3>
                {writable && !adding && (
                    <button type="button" class="btn btn--ghost btn--small" data-testid="session-add" onClick={() => setAdding(true)}>
                        {t('session.add')}
                    </button>
                )}
            </div>
            {adding && <SessionForm client={client} roomId={roomId} onDone={() => setAdding(false)} />}
            {sessions.length === 0 && <p class="dialog__note">{t('session.none')}</p>}
            <ul class="mlist">
                {sessions.map((s) => (
                    <SessionItem key={s.id} client={client} s={s} writable={writable} now={now} />
                ))}
            </ul>
        </section>
    );
}

function NoteForm({ client, roomId, note, onDone }) {
    const [body, setBody] = useState(note ? note.body : '');
    const action = useAction();
    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(body);
        const problem = checkText(text, NOTE_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const ok = await action.run(async () => {
            if (note) {
                await client.mentoring.editNote(note.id, text);
            } else {
                await client.mentoring.addNote(roomId, text);
            }
            return true;
        });
        if (ok) {
            setBody('');
            onDone();
        }
    }
    return (
        <form class="mform" onSubmit={submit} data-testid="note-form">
            <textarea
                class="input mform__text"
                rows={3}
                value={body}
                placeholder={t('note.placeholder')}
                aria-label={t('note.placeholder')}
                onInput={(ev) => setBody(ev.currentTarget.value)}
                data-testid="note-input"
            />
            <FormError error={action.error} />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary btn--small" disabled={action.busy} data-testid="note-save">
                    {t('chat.save')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={onDone}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}

function NoteItem({ client, store, note, canEdit }) {
    const [editing, setEditing] = useState(false);
    const lang = getLang();
    return (
        <li class="mitem" data-testid="note-item" data-note-id={note.id}>
            <span class="mitem__meta">
                {userName(store, note.author)} · {formatShortDate(note.updated_ts, lang)} {formatTime(note.updated_ts, lang)}
                {note.updated_ts > note.created_ts ? ` · ${t('chat.edited')}` : ''}
            </span>
            {editing ? (
                <NoteForm client={client} note={note} onDone={() => setEditing(false)} />
            ) : (
                <p class="mitem__text" data-testid="note-body">{note.body}</p>
            )}
            {canEdit && !editing && (
                <button type="button" class="btn btn--link btn--small" data-testid="note-edit" onClick={() => setEditing(true)}>
                    {t('chat.edit')}
                </button>
            )}
        </li>
    );
}

function Notes({ client, store, roomId, req, writable }) {
    const [adding, setAdding] = useState(false);
    const notes = store.mentoring.notesOf(roomId);
    const mentorHere = req.mentor && store.isMe(req.mentor.id);
    return (
        <section class="pane" data-testid="notes">
            <div class="mform__row">
                <h3 class="msection__title">{t('note.title')}</h3>
                {writable && mentorHere && !adding && (
                    <button type="button" class="btn btn--ghost btn--small" data-testid="note-add" onClick={() => setAdding(true)}>
                        {t('note.add')}
                    </button>
                )}
            </div>
            {adding && <NoteForm client={client} roomId={roomId} onDone={() => setAdding(false)} />}
            {notes.length === 0 && <p class="dialog__note">{t('note.none')}</p>}
            <ul class="mlist">
                {notes.map((n) => (
                    <NoteItem key={n.id} client={client} store={store} note={n} canEdit={writable && store.isMe(n.author)} />
                ))}
            </ul>
        </section>
    );
}

// Adding an action item, or changing one (`item` given): the mentor's.
function ActionForm({ client, store, roomId, req, item, onDone }) {
    const [text, setText] = useState(item ? item.text : '');
    const [owner, setOwner] = useState(item ? item.owner : req.business ? req.business.id : 0);
    const [due, setDue] = useState(item ? item.due : '');
    const action = useAction();
    async function submit(ev) {
        ev.preventDefault();
        const body = trimSpace(text);
        const problem = checkText(body, ACTION_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const ok = await action.run(async () => {
            if (!item) {
                await client.mentoring.addAction(roomId, body, Number(owner), due);
                return true;
            }
            const fields = {};
            if (body !== item.text) {
                fields.text = body;
            }
            if (Number(owner) !== item.owner) {
                fields.owner = Number(owner);
            }
            if (due !== item.due) {
                fields.due = due;
            }
            if (Object.keys(fields).length) {
                await client.mentoring.updateAction(item.id, fields);
            }
            return true;
        });
        if (ok) {
            onDone();
        }
    }
    const people = [req.business, req.mentor].filter(Boolean);
    return (
        <form class="mform" onSubmit={submit} noValidate data-testid="action-form">
            <label class="field">
                <span class="field__label">{t('action.text')}</span>
                <input class="input" value={text} onInput={(ev) => setText(ev.currentTarget.value)} data-testid="action-text" />
            </label>
            <div class="mform__row mform__row--fields">
                <label class="field">
                    <span class="field__label">{t('action.owner')}</span>
                    <select class="input" value={owner} onChange={(ev) => setOwner(Number(ev.currentTarget.value))} data-testid="action-owner">
                        {people.map((u) => (
                            <option key={u.id} value={u.id}>
                                {store.isMe(u.id) ? t('chat.you') : u.name}
                            </option>
                        ))}
                    </select>
                </label>
                <label class="field">
                    <span class="field__label">{t('action.due')}</span>
                    <input class="input" type="date" value={due} min={witaToday()} onInput={(ev) => setDue(ev.currentTarget.value)} data-testid="action-due" />
                </label>
            </div>
            <FormError error={action.error} />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary btn--small" disabled={action.busy} data-testid="action-save">
                    {item ? t('chat.save') : t('action.add_save')}
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={onDone}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}

function ActionItem({ client, store, req, a, canTick, canEdit, today }) {
    const [editing, setEditing] = useState(false);
    const overdue = actionOverdue(a, today);
    const lang = getLang();
    if (editing) {
        return (
            <li class="mitem" data-testid="action-item" data-action-id={a.id} data-done={a.done ? 'true' : 'false'}>
                <ActionForm client={client} store={store} roomId={a.room} req={req} item={a} onDone={() => setEditing(false)} />
            </li>
        );
    }
    return (
        <li class={`mitem${a.done ? ' mitem--done' : ''}`} data-testid="action-item" data-action-id={a.id} data-done={a.done ? 'true' : 'false'}>
            <Toggle
                wrapClass="mcheck"
                checked={a.done}
                disabled={!canTick}
                onChange={(done) => client.mentoring.updateAction(a.id, { done })}
                testid="action-done"
                label={<span class="mitem__text">{a.text}</span>}
            />
            <span class="mitem__meta">
                {userName(store, a.owner)}
                {a.due ? ` · ${t('action.due_on', { date: formatDateKey(a.due, lang) })}` : ''}
                {overdue ? ` · ${t('action.overdue')}` : ''}
            </span>
            {canEdit && (
                <button type="button" class="btn btn--link btn--small mitem__edit" data-testid="action-edit" onClick={() => setEditing(true)}>
                    {t('chat.edit')}
                </button>
            )}
        </li>
    );
}

function Actions({ client, store, roomId, req, writable }) {
    const [adding, setAdding] = useState(false);
    const actions = store.mentoring.actionsOf(roomId);
    const mentorHere = req.mentor && store.isMe(req.mentor.id);
    const today = witaToday();
    return (
        <section class="pane" data-testid="actions">
            <div class="mform__row">
                <h3 class="msection__title">{t('action.title')}</h3>
                {writable && mentorHere && !adding && (
                    <button type="button" class="btn btn--ghost btn--small" data-testid="action-add" onClick={() => setAdding(true)}>
                        {t('action.add')}
                    </button>
                )}
            </div>
            {adding && <ActionForm client={client} store={store} roomId={roomId} req={req} onDone={() => setAdding(false)} />}
            {actions.length === 0 && <p class="dialog__note">{t('action.none')}</p>}
            <ul class="mlist">
                {actions.map((a) => (
                    <ActionItem
                        key={a.id}
                        client={client}
                        store={store}
                        req={req}
                        a={a}
                        today={today}
                        canTick={writable && (mentorHere || store.isMe(a.owner))}
                        canEdit={writable && mentorHere}
                    />
                ))}
            </ul>
        </section>
    );
}

function CloseForm({ client, req }) {
    const [open, setOpen] = useState(false);
    const [rating, setRating] = useState(0);
    const [comment, setComment] = useState('');
    const action = useAction();
    if (!open) {
        return (
            <section class="pane">
                <button type="button" class="btn btn--ghost btn--block" data-testid="close-open" onClick={() => setOpen(true)}>
                    {t('close.start')}
                </button>
            </section>
        );
    }
    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(comment);
        const problem = rating < 1 ? notice('close.need_rating') : checkText(text, COMMENT_MAX_BYTES, { required: false });
        if (problem) {
            action.setError(problem);
            return;
        }
        await action.run(() => client.mentoring.close(req.id, rating, text));
    }
    return (
        <section class="pane">
            <form class="mform" onSubmit={submit} data-testid="close-form">
                <h3 class="msection__title">{t('close.title')}</h3>
                <p class="field__hint">{t('close.hint')}</p>
                <div class="stars" role="radiogroup" aria-label={t('mentoring.rating')}>
                    {[1, 2, 3, 4, 5].map((n) => (
                        <button
                            type="button"
                            key={n}
                            role="radio"
                            aria-checked={rating === n ? 'true' : 'false'}
                            aria-label={t('close.stars', { count: n })}
                            class={`star${n <= rating ? ' star--on' : ''}`}
                            data-testid={`close-rating-${n}`}
                            onClick={() => setRating(n)}
                        >
                            ★
                        </button>
                    ))}
                </div>
                <label class="field">
                    <span class="field__label">{t('close.comment')}</span>
                    <textarea class="input mform__text" rows={3} value={comment} onInput={(ev) => setComment(ev.currentTarget.value)} data-testid="close-comment" />
                </label>
                <FormError error={action.error} />
                <div class="mform__row">
                    <button type="submit" class="btn btn--primary btn--small" disabled={action.busy} data-testid="close-submit">
                        {t('close.submit')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" onClick={() => setOpen(false)}>
                        {t('chat.cancel')}
                    </button>
                </div>
            </form>
        </section>
    );
}

export function MentoringPanel({ session, store, room, loadError }) {
    const req = store.mentoring.requestForRoom(room.id);
    const loaded = store.mentoring.room(room.id) !== null;
    if (!req || !loaded) {
        return (
            <div class="mpanel" data-testid="mentoring-panel">
                <p class="dialog__note">{loadError ? t('mentoring.room_failed') : t('app.loading')}</p>
            </div>
        );
    }
    const member = !room.viewOnly;
    const writable = member && req.status === 'active';
    const businessHere = req.business && store.isMe(req.business.id);
    return (
        <div class="mpanel" data-testid="mentoring-panel" data-status={req.status}>
            <Summary req={req} />
            <Sessions client={session} store={store} roomId={room.id} writable={writable} />
            <Actions client={session} store={store} roomId={room.id} req={req} writable={writable} />
            <Notes client={session} store={store} roomId={room.id} req={req} writable={writable} />
            {writable && businessHere && <CloseForm client={session} req={req} />}
        </div>
    );
}
