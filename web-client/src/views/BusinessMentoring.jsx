// A business's mentoring: ask for help on a topic, follow the request
// through the queue (its place moves live), withdraw it while it waits, and
// open the mentoring room once a mentor has accepted.

import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { checkText } from '../limits.js';
import { DESCRIPTION_MAX_BYTES, TOPICS } from '../mentoring.js';
import { trimSpace } from '../text.js';
import { useAction } from './hooks.js';
import { ConfirmButton, FormError, RequestCard, topicLabel } from './MentoringParts.jsx';

function AskForm({ session, onDone }) {
    const [topic, setTopic] = useState(TOPICS[0]);
    const [description, setDescription] = useState('');
    const action = useAction();

    async function submit(ev) {
        ev.preventDefault();
        const text = trimSpace(description);
        const problem = checkText(text, DESCRIPTION_MAX_BYTES);
        if (problem) {
            action.setError(problem);
            return;
        }
        const req = await action.run(() => session.mentoring.open(topic, text));
        if (req) {
            onDone();
        }
    }

    return (
        <form class="mform mform--card" onSubmit={submit} data-testid="request-form">
            <h3 class="msection__title">{t('mentoring.ask_title')}</h3>
            <label class="field">
                <span class="field__label">{t('mentoring.topic')}</span>
                <select class="input" value={topic} onChange={(ev) => setTopic(ev.currentTarget.value)} data-testid="request-topic">
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
                        action.setError(null);
                    }}
                    data-testid="request-description"
                />
            </label>
            <FormError error={action.error} testid="request-error" />
            <div class="mform__row">
                <button type="submit" class="btn btn--primary" disabled={action.busy} data-testid="request-submit">
                    {t('mentoring.ask_submit')}
                </button>
                <button type="button" class="btn btn--ghost" onClick={onDone}>
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
    const [asking, setAsking] = useState(false);
    const state = store.mentoring;
    const mine = state.ownRequests(store.me.id);
    return (
        <div class="msection" data-testid="business-mentoring">
            <p class="msection__intro">{t('mentoring.business_intro')}</p>
            {asking ? (
                <AskForm session={session} onDone={() => setAsking(false)} />
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
