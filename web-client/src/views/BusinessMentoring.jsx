// A business's mentoring: ask for help on a topic, follow the request
// through the queue (its place moves live), withdraw it while it waits, and
// open the mentoring room once a mentor has accepted.

import { useState } from 'preact/hooks';
import { notice, t } from '../i18n.js';
import { lengthCount } from '../limits.js';
import { DESCRIPTION_MAX_BYTES, TOPICS } from '../mentoring.js';
import { clearDraft, loadDraft, saveDraft } from '../requestdraft.js';
import { isBlank, trimSpace } from '../text.js';
import { useAction } from './hooks.js';
import { ConfirmButton, FormError, RequestCard, topicLabel } from './MentoringParts.jsx';

// What keeps the request from being sent, as a notice, or null.
function requestProblem(topic, text) {
    if (!TOPICS.includes(topic)) {
        return notice('mentoring.need_topic');
    }
    if (isBlank(text)) {
        return notice('form.required');
    }
    if (lengthCount(text, DESCRIPTION_MAX_BYTES).over) {
        return notice('mentoring.description_too_long', { max: DESCRIPTION_MAX_BYTES });
    }
    return null;
}

function LengthCounter({ text }) {
    const c = lengthCount(text, DESCRIPTION_MAX_BYTES);
    return (
        <span
            class={`field__count${c.over ? ' field__count--over' : ''}`}
            aria-live="polite"
            data-testid="request-count"
            data-over={c.over ? 'true' : 'false'}
        >
            {t(c.wide ? 'mentoring.description_count_wide' : 'mentoring.description_count', { count: c.count, max: c.max })}
        </span>
    );
}

// The form starts without a topic (one must be chosen) and keeps what is
// typed as a draft of this user's until it is sent or cancelled.
function AskForm({ session, store, onDone }) {
    const userId = store.me.id;
    const [draft] = useState(() => loadDraft(session.storage, userId) || { topic: '', description: '' });
    const [topic, setTopic] = useState(draft.topic);
    const [description, setDescription] = useState(draft.description);
    const action = useAction();

    function change(next) {
        saveDraft(session.storage, userId, { topic, description, ...next });
        action.setError(null);
    }

    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(description);
        const problem = requestProblem(topic, text);
        if (problem) {
            action.setError(problem);
            return;
        }
        const req = await action.run(() => session.mentoring.open(topic, text));
        if (req) {
            clearDraft(session.storage, userId);
            onDone();
        }
    }

    function cancel() {
        clearDraft(session.storage, userId);
        onDone();
    }

    return (
        <form class="mform mform--card" onSubmit={submit} noValidate data-testid="request-form">
            <h3 class="msection__title">{t('mentoring.ask_title')}</h3>
            <label class="field">
                <span class="field__label">{t('mentoring.topic')}</span>
                <select
                    class="input"
                    value={topic}
                    onChange={(ev) => {
                        setTopic(ev.currentTarget.value);
                        change({ topic: ev.currentTarget.value });
                    }}
                    data-testid="request-topic"
                >
                    <option value="" disabled>
                        {t('mentoring.topic_pick')}
                    </option>
                    {TOPICS.map((name) => (
                        <option key={name} value={name}>
                            {topicLabel(name)}
                        </option>
                    ))}
                </select>
            </label>
            <label class="field">
                <span class="field__label">{t('mentoring.description')}</span>
                <textarea
                    class="input mform__text"
                    rows={4}
                    value={description}
                    placeholder={t('mentoring.description_hint')}
                    onInput={(ev) => {
                        setDescription(ev.currentTarget.value);
                        change({ description: ev.currentTarget.value });
                    }}
                    data-testid="request-description"
                />
                <LengthCounter text={description} />
            </label>
            <FormError error={action.error} testid="request-error" />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary" disabled={action.busy} data-testid="request-submit">
                    {t('mentoring.ask_submit')}
                </button>
                <button type="button" class="btn btn--ghost" data-testid="request-form-cancel" onClick={cancel}>
                    {t('chat.cancel')}
                </button>
            </div>
        </form>
    );
}

function OwnRequest({ session, req, onOpenRoom }) {
    const action = useAction();
    const canCancel = req.status === 'waiting' || req.status === 'offered';
    return (
        <RequestCard req={req}>
            {req.status === 'offered' && req.mentor && (
                <span class="mcard__hint">{t('mentoring.awaiting_mentor', { name: req.mentor.name })}</span>
            )}
            {req.status === 'active' && req.room && (
                <button type="button" class="btn btn--primary btn--small" data-testid="request-open-room" onClick={() => onOpenRoom(req.room)}>
                    {t('mentoring.open_room')}
                </button>
            )}
            {req.status === 'closed' && req.room && (
                <button type="button" class="btn btn--ghost btn--small" data-testid="request-open-room" onClick={() => onOpenRoom(req.room)}>
                    {t('mentoring.read_room')}
                </button>
            )}
            {canCancel && (
                <ConfirmButton
                    label={t('mentoring.cancel')}
                    question={t('mentoring.cancel_confirm')}
                    yes={t('mentoring.cancel_yes')}
                    busy={action.busy}
                    testid="request-cancel"
                    onConfirm={() => action.run(() => session.mentoring.cancel(req.id))}
                />
            )}
            <FormError error={action.error} />
        </RequestCard>
    );
}

export function BusinessMentoring({ session, store, onOpenRoom }) {
    // A draft left by a reload opens the form again, with it.
    const [asking, setAsking] = useState(() => loadDraft(session.storage, store.me.id) !== null);
    const state = store.mentoring;
    const mine = state.ownRequests(store.me.id);
    return (
        <div class="msection" data-testid="business-mentoring">
            <p class="msection__intro">{t('mentoring.business_intro')}</p>
            {asking ? (
                <AskForm session={session} store={store} onDone={() => setAsking(false)} />
            ) : (
                <button type="button" class="btn btn--primary btn--block" data-testid="request-new" onClick={() => setAsking(true)}>
                    {t('mentoring.ask')}
                </button>
            )}
            <h3 class="msection__title">{t('mentoring.my_requests')}</h3>
            {!state.loaded && <p class="dialog__note">{t('app.loading')}</p>}
            {state.loaded && mine.length === 0 && <p class="dialog__note">{t('mentoring.no_requests')}</p>}
            <ul class="mlist">
                {mine.map((req) => (
                    <OwnRequest key={req.id} session={session} req={req} onOpenRoom={onOpenRoom} />
                ))}
            </ul>
        </div>
    );
}
