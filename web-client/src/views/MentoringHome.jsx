// The mentoring pane (Pendampingan), beside the room list: what each role
// does with mentoring.

import { t } from '../i18n.js';
import { isBusiness, isMentor, isStaff } from '../mentoring.js';
import { AgencyDesk } from './AgencyDesk.jsx';
import { BusinessMentoring } from './BusinessMentoring.jsx';
import { MentorDesk } from './MentorDesk.jsx';

export function MentoringHome({ session, store, onOpenRoom, onViewRoom }) {
    const me = store.me;
    let body = null;
    if (isBusiness(me)) {
        body = <BusinessMentoring session={session} store={store} onOpenRoom={onOpenRoom} />;
    } else if (isMentor(me)) {
        body = <MentorDesk session={session} store={store} onOpenRoom={onOpenRoom} />;
    } else if (isStaff(me)) {
        body = <AgencyDesk session={session} store={store} onViewRoom={onViewRoom} />;
    }
    return (
        <section class="mhome" aria-label={t('nav.mentoring')} data-testid="mentoring-home">
            {body}
        </section>
    );
}
