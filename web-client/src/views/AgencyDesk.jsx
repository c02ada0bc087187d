// The agency's desk (moderators and admins): the live queue with assigning
// to a chosen mentor or to the least-loaded one, the auto-assign setting,
// the mentorships under way (opened to read), and the figures.

import { useEffect, useState } from 'preact/hooks';
import { getLang, notice, t } from '../i18n.js';
import { FIGURE_PERIODS, TOPICS } from '../mentoring.js';
import { formatNumber } from '../numbers.js';
import { formatDuration } from '../systemline.js';
import { formatDateKey, utcToWita } from '../time.js';
import { useAction } from './hooks.js';
import { FormError, MentorPicker, RequestCard, Toggle, TransferForm, topicLabel } from './MentoringParts.jsx';

function QueueItem({ session, store, req }) {
    const [picking, setPickingState] = useState(false);
    const action = useAction();
    // Opening or closing the picker is a new step: the last one's error
    // ("nobody available") no longer applies.
    const setPicking = (on) => {
        setPickingState(on);
        action.setError(null);
    };
    async function assign(mentorId) {
        const done = await action.run(async () => {
            try {
                await session.mentoring.assign(req.id, mentorId);
            } catch (err) {
                // Without a mentor named, not_found means nobody could be picked.
                throw !mentorId && err.code === 'not_found' ? notice('mentoring.nobody_available') : err;
            }
            return true;
        });
        if (done) {
            setPicking(false);
        }
    }
    return (
        <RequestCard req={req} showBusiness testid="queue-item">
            {picking ? (
                <div class="mform">
                    <p class="field__label">{t('mentoring.pick_for', { topic: topicLabel(req.topic) })}</p>
                    <MentorPicker
                        session={session}
                        store={store}
                        topic={req.topic}
                        current={req.status === 'offered' && req.mentor ? req.mentor.id : null}
                        currentLabel={t('mentoring.current_offer')}
                        busy={action.busy}
                        onPick={(m) => assign(m.user.id)}
                    />
                    <button type="button" class="btn btn--ghost btn--small" data-testid="picker-cancel" onClick={() => setPicking(false)}>
                        {t('chat.cancel')}
                    </button>
                </div>
            ) : (
                <>
                    <button type="button" class="btn btn--primary btn--small" disabled={action.busy} data-testid="queue-assign" onClick={() => setPicking(true)}>
                        {req.status === 'offered' ? t('mentoring.reassign') : t('mentoring.assign')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" disabled={action.busy} data-testid="queue-auto" onClick={() => assign(null)}>
                        {t('mentoring.assign_auto')}
                    </button>
                </>
            )}
            <FormError error={action.error} testid="queue-error" />
        </RequestCard>
    );
}

function ActiveItem({ session, store, req, onViewRoom }) {
    const [transferring, setTransferring] = useState(false);
    const action = useAction();
    return (
        <RequestCard req={req} showBusiness testid="active-item">
            {transferring ? (
                <TransferForm session={session} store={store} req={req} onDone={() => setTransferring(false)} />
            ) : (
                <>
                    <button
                        type="button"
                        class="btn btn--ghost btn--small"
                        disabled={action.busy}
                        data-testid="active-view"
                        onClick={() => action.run(() => onViewRoom(req.room))}
                    >
                        {t('mentoring.read_room')}
                    </button>
                    <button type="button" class="btn btn--ghost btn--small" data-testid="active-transfer" onClick={() => setTransferring(true)}>
                        {t('mentoring.transfer')}
                    </button>
                </>
            )}
            <FormError error={action.error} />
        </RequestCard>
    );
}

function rating(avg, count) {
    return count ? t('figures.rating_value', { avg: formatNumber(avg, { digits: 1 }), count: formatNumber(count) }) : '–';
}

// One topic's figures (or the total) as a small card: a table six columns
// wide does not fit a phone. Numbers are written as the reader's language
// writes them ("4,0" in Indonesian).
function FigureCard({ label, row, testid }) {
    const cells = [
        ['figures.requests', formatNumber(row.requests)],
        ['figures.assigned', formatNumber(row.assigned)],
        ['figures.wait', row.assigned ? formatDuration(row.wait_avg_s || 0) : '–'],
        ['figures.sessions', formatNumber(row.sessions_held)],
        ['figures.rating', rating(row.rating_avg || 0, row.ratings || 0)],
    ];
    return (
        <li class="mcard" data-testid={testid}>
            <strong class="mcard__topic">{label}</strong>
            <dl class="facts facts--figures">
                {cells.map(([key, value]) => (
                    <Fragment key={key}>
                        <dt>{t(key)}</dt>
                        <dd data-testid={key.replace('figures.', 'figure-')}>{value}</dd>
                    </Fragment>
                ))}
            </dl>
        </li>
    );
}

function PeriodPicker({ period, since, busy, onChange }) {
    return (
        <label class="field">
            <span class="field__label">{t('figures.period')}</span>
            <select class="input" value={period} disabled={busy} onChange={(ev) => onChange(ev.currentTarget.value)} data-testid="figures-period">
                {FIGURE_PERIODS.map((name) => (
                    <option key={name} value={name}>
                        {t(`figures.period_${name}`)}
                    </option>
                ))}
            </select>
            {since > 0 && (
                <span class="field__hint" data-testid="figures-since">
                    {t('figures.since', { date: formatDateKey(utcToWita(since).date, getLang()) })}
                </span>
            )}
        </label>
    );
}

function Figures({ session, store }) {
    const action = useAction();
    const figures = store.mentoring.figures;
    // The period chosen last stays while the desk's tabs change.
    const [period, setPeriod] = useState(figures ? figures.period : 'all');
    const load = (which) => action.run(() => session.mentoring.loadFigures(which));
    useEffect(() => {
        load(period);
    }, []);
    const choose = (which) => {
        setPeriod(which);
        load(which);
    };
    const shown = figures && figures.period === period ? figures : null;
    const byTopic = new Map((shown ? shown.topics : []).map((row) => [row.topic, row]));
    return (
        <div class="msection" data-testid="figures">
            <div class="mform__row">
                <h3 class="msection__title">{t('figures.title')}</h3>
                <button type="button" class="btn btn--ghost btn--small" disabled={action.busy} data-testid="figures-refresh" onClick={() => load(period)}>
                    {t('figures.refresh')}
                </button>
            </div>
            <PeriodPicker period={period} since={shown ? shown.since : 0} busy={action.busy} onChange={choose} />
            <FormError error={action.error} />
            {shown && (
                <ul class="mlist" data-testid="figures-list" data-period={shown.period}>
                    {shown.total && <FigureCard label={t('figures.total')} row={shown.total} testid="figures-total" />}
                    {TOPICS.filter((name) => byTopic.has(name)).map((name) => (
                        <FigureCard key={name} label={topicLabel(name)} row={byTopic.get(name)} testid="figures-row" />
                    ))}
                </ul>
            )}
            {shown && byTopic.size === 0 && <p class="dialog__note">{t('figures.none')}</p>}
        </div>
    );
}

function AutoAssign({ session, store }) {
    const on = store.mentoring.autoAssign;
    return (
        <div class="mprofile">
            <Toggle
                checked={on}
                disabled={on === null}
                onChange={(value) => session.mentoring.setAutoAssign(value)}
                testid="auto-assign"
                label={<span>{on ? t('mentoring.auto_on') : t('mentoring.auto_off')}</span>}
            />
            <p class="field__hint">{t('mentoring.auto_hint')}</p>
        </div>
    );
}

const TABS = ['queue', 'active', 'figures'];

export function AgencyDesk({ session, store, onViewRoom }) {
    const [tab, setTab] = useState('queue');
    const state = store.mentoring;
    const queue = state.queue();
    const active = state.active();
    const counts = { queue: queue.length, active: active.length };
    return (
        <div class="msection msection--flush" data-testid="agency-desk">
            <div class="tabs" role="tablist">
                {TABS.map((name) => (
                    <button
                        type="button"
                        role="tab"
                        key={name}
                        class="tabs__tab"
                        aria-selected={tab === name ? 'true' : 'false'}
                        data-testid={`agency-tab-${name}`}
                        onClick={() => setTab(name)}
                    >
                        {t(`agency.tab_${name}`, { count: counts[name] })}
                    </button>
                ))}
            </div>
            {tab === 'queue' && (
                <div class="msection">
                    <AutoAssign session={session} store={store} />
                    {!state.loaded && <p class="dialog__note">{t('app.loading')}</p>}
                    {state.loaded && queue.length === 0 && <p class="dialog__note">{t('mentoring.queue_empty')}</p>}
                    <ul class="mlist" data-testid="queue">
                        {queue.map((req) => (
                            <QueueItem key={req.id} session={session} store={store} req={req} />
                        ))}
                    </ul>
                </div>
            )}
            {tab === 'active' && (
                <div class="msection">
                    {active.length === 0 && <p class="dialog__note">{t('mentoring.none_active')}</p>}
                    <ul class="mlist">
                        {active.map((req) => (
                            <ActiveItem key={req.id} session={session} store={store} req={req} onViewRoom={onViewRoom} />
                        ))}
                    </ul>
                </div>
            )}
            {tab === 'figures' && <Figures session={session} store={store} />}
        </div>
    );
}
