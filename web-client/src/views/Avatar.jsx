// A round badge with a person's or a group's initials, and for DM peers a
// dot telling whether they are online. `online` undefined means not known
// (for example while the connection is down): no dot at all then. `id`
// picks the colour: a user id for a person, a room id for a group.

import { t } from '../i18n.js';
import { colourIndex, initials } from '../text.js';

export function Avatar({ name, id, online, size = 'md' }) {
    return (
        <span class={`avatar avatar--${size} avatar--c${colourIndex(id)}`}>
            <span aria-hidden="true">{initials(name)}</span>
            {online !== undefined && (
                <span
                    class={`presence ${online ? 'presence--on' : 'presence--off'}`}
                    role="img"
                    aria-label={online ? t('presence.online') : t('presence.offline')}
                    title={online ? t('presence.online') : t('presence.offline')}
                    data-testid="presence-dot"
                    data-online={online ? 'true' : 'false'}
                />
            )}
        </span>
    );
}
