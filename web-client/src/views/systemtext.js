// A system line's sentence as this page can tell it: people named from
// everything the store knows (a former mentor included), sessions from the
// room's session list once it is loaded, in the reader's language.

import { getLang } from '../i18n.js';
import { systemLine } from '../systemline.js';
import { anyUserName } from './names.js';

export function systemText(store, msg) {
    return systemLine(msg.body, {
        name: (id) => anyUserName(store, id),
        session: (id) => store.mentoring.session(msg.room, id),
        lang: getLang(),
    });
}
