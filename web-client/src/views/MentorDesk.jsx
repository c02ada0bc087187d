// A mentor's desk: whether they take new requests and on which topics, the
// requests offered to them (accept, decline with a reason, pass on to
// another mentor), and the mentorships they hold.

import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { TOPICS } from '../mentoring.js';
import { useAction } from './hooks.js';
import { DeclineForm, FormError, RequestCard, Toggle, TransferForm, topicLabel } from './MentoringParts.jsx';

function Profile({ session, store }) {
    const profile = store.mentoring.profile;
    if (!profile) {
        return <p class="dialog__note">{t('app.loading')}</p>;
    }
    const topics = profile.topics || [];
    // Topics are sent in the fixed order, whichever was ticked last.
    const withTopic = (name, on) => TOPICS.filter((x) => (x === name ? on : topics.includes(x)));
    return (
        <div class="mprofile" data-testid="mentor-profile">
            <Toggle
                checked={profile.available}
                onChange={(on) => session.mentoring.saveProfile({ available: on })}
                testid="mentor-available"
                label={<span>{profile.available ? t('mentoring.available_on') : t('mentoring.available_off')}</span>}
            />
            <p class="field__hint">{t('mentoring.load', { count: profile.load || 0 })}</p>
            <details class="mprofile__topics">
                <summary>{t('mentoring.my_topics', { count: topics.length })}</summary>
                <div class="chips">
                    {TOPICS.map((name) => (
                        <Toggle
                            key={name}
                            wrapClass="chip"
                            checked={topics.includes(name)}
                            onChange={(on) => session.mentoring.saveProfile({ topics: withTopic(name, on) })}
                            testid={`mentor-topic-${name}`}
                            label={<span>{topicLabel(name)}</span>}
                        />
                    ))}
                </div>
            </details>
        </div>
    );
}

function Offer({ session, store, req, onOpenRoom }) {
    const [form, setForm] = useState(null);
    const action = useAction();
    async function accept() {
        const room = await action.run(() => session.mentoring.accept(req.id));
        if (room) {
            onOpenRoom(room);
        }
    }
    return (
        <RequestCard req={req} showBusiness showMentor={false} testid="offer-item">
            {form === 'decline' && <DeclineForm session={session} req={req} onDone={() => setForm(null)} />}
            {form === 'transfer' && <TransferForm session={session} store={store} req={req} onDone={() => setForm(null)} />}
            {form === null && (
                <>
                    <button type="button" class="btn btn--primary btn--small" disabled={action.busy} data-testid="offer-accept" onClick={accept}>
                        {t('mentoring.accept')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" data-testid="offer-decline" onClick={() => setForm('decline')}>
                        {t('mentoring.decline')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" data-testid="offer-transfer" onClick={() => setForm('transfer')}>
                        {t('mentoring.transfer')}
                    </button>
                </>
            )}
            <FormError error={action.error} />
        </RequestCard>
    );
}

function Held({ session, store, req, onOpenRoom }) {
    const [transferring, setTransferring] = useState(false);
    return (
        <RequestCard req={req} showBusiness showMentor={false} testid="mentorship-item">
            {transferring ? (
                <TransferForm session={session} store={store} req={req} onDone={() => setTransferring(false)} />
            ) : (
                <>
                    <button type="button" class="btn btn--primary btn--small" data-testid="mentorship-open" onClick={() => onOpenRoom(req.room)}>
                        {t('mentoring.open_room')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" data-testid="mentorship-transfer" onClick={() => setTransferring(true)}>
                        {t('mentoring.transfer')}
                    </button>
                </>
            )}
        </RequestCard>
    );
}

export function MentorDesk({ session, store, onOpenRoom }) {
    const state = store.mentoring;
    const me = store.me.id;
    const offers = state.offeredTo(me);
    const held = state.active(me);
    const finished = state.finished(me).filter((r) => r.status === 'closed');
    return (
        <div class="msection" data-testid="mentor-desk">
            <Profile session={session} store={store} />
            <h3 class="msection__title">{t('mentoring.offers', { count: offers.length })}</h3>
            {offers.length === 0 && <p class="dialog__note">{t('mentoring.no_offers')}</p>}
            <ul class="mlist">
                {offers.map((req) => (
                    <Offer key={req.id} session={session} store={store} req={req} onOpenRoom={onOpenRoom} />
                ))}
            </ul>
            <h3 class="msection__title">{t('mentoring.held', { count: held.length })}</h3>
            {held.length === 0 && <p class="dialog__note">{t('mentoring.none_held')}</p>}
            <ul class="mlist">
                {held.map((req) => (
                    <Held key={req.id} session={session} store={store} req={req} onOpenRoom={onOpenRoom} />
                ))}
            </ul>
            {finished.length > 0 && (
                <details class="mfinished">
                    <summary>{t('mentoring.finished', { count: finished.length })}</summary>
                    <ul class="mlist">
                        {finished.map((req) => (
                            <RequestCard key={req.id} req={req} showBusiness showMentor={false}>
                                {req.room && (
                                    <button type="button" class="btn btn--ghost btn--small" onClick={() => onOpenRoom(req.room)}>
                                        {t('mentoring.read_room')}
                                    </button>
                                )}
                            </RequestCard>
                        ))}
                    </ul>
                </details>
            )}
        </div>
    );
}
