// What the client tells the user when something cannot be done, and what it
// claims to know: errors in the new-conversation dialog and the composer that
// show (and follow a change of language), limits counted in UTF-8 bytes,
// messages of only white space, avatar colours that match from screen to
// screen, presence while the server is down, and signing out with a room
// open. The tests build on each other in order.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import {
    DESKTOP,
    PHONE,
    launchBrowser,
    messageBodies,
    openUser,
    registerViaUi,
    screenshot,
    sendMessage,
    unexpectedErrors,
} from './browser.mjs';

const TIMEOUT = { timeout: 90000 };
const suffix = String(process.pid);
const CITRA = { username: `citra${suffix}`, name: 'Citra Dewanti', password: 'rahasia-citra-1', role: 'koperasi' };
const DEWI = { username: `dewi${suffix}`, name: 'Dewi Kartika', password: 'rahasia-dewi-1', role: 'umkm' };
const GROUP = 'Paguyuban Endek Denpasar';

// 51 characters, 102 bytes of UTF-8: over the 100-byte limit of names and
// titles while far below 100 characters.
const LONG_LABEL = 'é'.repeat(51);

// The colour class of an avatar (avatar--c0 ... avatar--c5).
async function avatarColour(locator) {
    const cls = await locator.locator('.avatar').first().getAttribute('class');
    const m = /\bavatar--c\d+\b/.exec(cls);
    assert.ok(m, `no colour class in "${cls}"`);
    return m[0];
}

describe('web client feedback', () => {
    let srv;
    let browser;
    let citra;
    let dewi;

    before(async () => {
        srv = await startServer();
        browser = await launchBrowser();
        citra = await openUser(browser, DESKTOP);
        dewi = await openUser(browser, PHONE);
    });

    after(async () => {
        if (browser) {
            await browser.close();
        }
        if (srv) {
            await srv.stop();
        }
    });

    const noErrors = () => {
        assert.deepEqual(unexpectedErrors(citra.errors), []);
        assert.deepEqual(unexpectedErrors(dewi.errors), []);
    };

    test('a name over 100 bytes is refused as too long, counted in bytes', TIMEOUT, async () => {
        const a = citra.page;
        await a.goto(`${srv.url}/`);
        await a.getByTestId('auth-switch').click();
        await a.getByTestId('auth-username').fill(CITRA.username);
        await a.getByTestId('auth-name').fill(LONG_LABEL);
        await a.getByTestId('auth-password').fill(CITRA.password);
        await a.getByTestId('auth-submit').click();
        const error = a.getByTestId('auth-error');
        await error.getByText('Nama terlalu panjang: 102 byte, paling banyak 100 byte').waitFor();
        assert.doesNotMatch(await error.innerText(), /karakter/);

        await a.getByTestId('lang-en').click();
        await error.getByText('The name is too long: 102 bytes, at most 100').waitFor();
        await a.getByTestId('lang-id').click();

        // Only white space is no name either.
        await a.getByTestId('auth-name').fill('\u00a0\u3000');
        await a.getByTestId('auth-submit').click();
        await error.getByText('Isi nama lengkap Anda.').waitFor();

        await registerViaUi(a, srv.url, CITRA);
        await registerViaUi(dewi.page, srv.url, DEWI);
        noErrors();
    });

    test('a person has the same avatar colour in the people picker, the room list and the header', TIMEOUT, async () => {
        const a = citra.page;
        await a.getByTestId('new-chat-button').click();
        await a.getByTestId('user-search').fill(DEWI.username);
        const result = a.locator(`[data-testid=user-result][data-username="${DEWI.username}"]`);
        const inPicker = await avatarColour(result);
        await result.click();
        await a.getByTestId('conversation-title').getByText(DEWI.name).waitFor();

        const item = a.getByTestId('room-item').filter({ hasText: DEWI.name });
        assert.equal(await avatarColour(item), inPicker);
        assert.equal(await avatarColour(a.getByTestId('conversation').locator('.conv__head')), inPicker);
        noErrors();
    });

    test('the group dialog shows its errors and still creates the group afterwards', TIMEOUT, async () => {
        const a = citra.page;
        await a.getByTestId('new-chat-button').click();
        await a.getByTestId('new-chat-tab-group').click();
        const error = a.getByTestId('new-chat-error');
        const create = a.getByTestId('group-create');

        // No title, no members.
        await create.click();
        await error.getByText('Isi nama grup.').waitFor();

        // A title of only white space is no title.
        await a.getByTestId('group-title').fill('\u00a0\u3000 ');
        await create.click();
        await error.getByText('Isi nama grup.').waitFor();

        // A title of 51 characters is 102 bytes: too long.
        await a.getByTestId('group-title').fill(LONG_LABEL);
        await create.click();
        await error.getByText('Nama grup terlalu panjang: 102 byte, paling banyak 100 byte').waitFor();

        // A good title without members.
        await a.getByTestId('group-title').fill(GROUP);
        await create.click();
        await error.getByText('Pilih minimal satu anggota.').waitFor();
        await screenshot(a, 'group-dialog-error');

        // The dialog still responds: pick Dewi and create the group.
        await a.getByTestId('user-search').fill(DEWI.username);
        await a.locator(`[data-testid=user-result][data-username="${DEWI.username}"]`).click();
        await create.getByText('Buat grup (2 anggota)').waitFor();
        await create.click();
        await a.getByTestId('new-chat-dialog').waitFor({ state: 'detached' });
        await a.getByTestId('conversation-title').getByText(GROUP).waitFor();
        await dewi.page.getByTestId('room-item').filter({ hasText: GROUP }).waitFor();
        noErrors();
    });

    test('on a phone the group dialog brings its error into view', TIMEOUT, async () => {
        const b = dewi.page;
        // A phone with the keyboard up: little height, so the dialog scrolls
        // even with a short list of people.
        await b.setViewportSize({ width: 360, height: 220 });
        await b.getByTestId('new-chat-button').click();
        await b.getByTestId('new-chat-tab-group').click();
        await b.getByTestId('user-result').first().waitFor();
        const create = b.getByTestId('group-create');
        // The button at the bottom, the error above the list of people.
        await create.scrollIntoViewIfNeeded();
        await create.click();
        const error = b.getByTestId('new-chat-error');
        await error.getByText('Isi nama grup.').waitFor();
        // Polled from here: waitForFunction evaluates a string, which the CSP forbids.
        const inView = () =>
            b.evaluate(() => {
                // Inside the dialog's scrolling body, not under its header.
                const el = document.querySelector('[data-testid=new-chat-error]');
                if (!el) {
                    return false;
                }
                const r = el.getBoundingClientRect();
                const box = el.closest('.dialog__body').getBoundingClientRect();
                return r.top >= box.top - 1 && r.bottom <= Math.min(box.bottom, window.innerHeight) + 1;
            });
        let visible = false;
        for (let i = 0; i < 20 && !visible; i += 1) {
            visible = await inView();
            if (!visible) {
                await b.waitForTimeout(100);
            }
        }
        assert.ok(visible, 'the error is not in view');
        await screenshot(b, 'group-dialog-error-phone');
        await b.getByTestId('new-chat-close').click();
        await b.getByTestId('new-chat-dialog').waitFor({ state: 'detached' });
        await b.setViewportSize(PHONE);
        noErrors();
    });

    test('the composer warns of a message over 4000 bytes before it is sent, and sends no white space', TIMEOUT, async () => {
        const a = citra.page;
        const input = a.getByTestId('composer-input');
        const error = a.getByTestId('composer-error');

        // 2,100 characters are 4,200 bytes: the warning shows while typing.
        await input.fill('é'.repeat(2100));
        await error.getByText('Pesan terlalu panjang untuk dikirim (paling banyak 4000 byte)').waitFor();
        await a.getByTestId('composer-count').getByText('4200 / 4000 byte').waitFor();
        assert.equal(await input.getAttribute('aria-invalid'), 'true');

        // Enter sends nothing and the warning stays.
        await input.press('Enter');
        await a.waitForTimeout(300);
        await error.getByText('Pesan terlalu panjang').waitFor();
        assert.equal(await input.inputValue(), 'é'.repeat(2100));

        // The warning follows the language.
        await a.getByTestId('lang-en').click();
        await error.getByText('The message is too long to send (at most 4000 bytes)').waitFor();
        await a.getByTestId('composer-count').getByText('4200 / 4000 bytes').waitFor();
        await a.getByTestId('lang-id').click();
        await error.getByText('Pesan terlalu panjang').waitFor();
        await screenshot(a, 'composer-too-long');

        // Cut to 2,000 characters (4,000 bytes): the warning goes.
        await input.fill('é'.repeat(2000));
        await error.waitFor({ state: 'detached' });

        // Only white space, however exotic, is an empty message.
        for (const blank of ['\u00a0\u3000', '\u0085', ' \u2028\u3000 ']) {
            await input.fill(blank);
            await input.press('Enter');
        }
        await a.waitForTimeout(500);
        assert.equal(await a.locator('[data-testid=message][data-pending=true]').count(), 0);
        assert.deepEqual(await messageBodies(a), []);

        await sendMessage(a, 'Halo semua, selamat datang di paguyuban.');
        await dewi.page.getByTestId('room-item').filter({ hasText: GROUP }).click();
        await dewi.page.getByTestId('conversation').getByText('selamat datang di paguyuban').waitFor();
        assert.deepEqual(await messageBodies(a), ['Halo semua, selamat datang di paguyuban.']);
        noErrors();
    });

    test('presence is not claimed while the server is down, and comes back after', TIMEOUT, async () => {
        const a = citra.page;
        await a.getByTestId('room-item').filter({ hasText: DEWI.name }).click();
        const presence = a.getByTestId('conversation-presence');
        await a.locator('[data-testid=conversation-presence][data-online=true]').getByText('Online').waitFor();
        await a.locator('[data-testid=presence-dot][data-online=true]').first().waitFor();

        await srv.stop();
        await a.locator('[data-testid=conn-banner][data-state=offline]').waitFor();
        await presence.waitFor({ state: 'detached' });
        assert.equal(await a.getByTestId('presence-dot').count(), 0);
        assert.equal(await a.getByText('Online', { exact: true }).count(), 0);
        await screenshot(a, 'presence-offline');

        await srv.restart();
        await a.locator('[data-testid=conn-banner][data-state=online]').waitFor({ timeout: 30000 });
        await a
            .locator('[data-testid=conversation-presence][data-online=true]')
            .getByText('Online')
            .waitFor({ timeout: 30000 });
        noErrors();
    });

    test('signing out with a conversation open leaves no error behind', TIMEOUT, async () => {
        for (const user of [citra, dewi]) {
            const page = user.page;
            // On the phone the group is still open, and the list hidden.
            if (!(await page.getByTestId('conversation-title').getByText(GROUP).isVisible())) {
                await page.getByTestId('room-item').filter({ hasText: GROUP }).click();
            }
            await page.getByTestId('conversation').getByText('selamat datang di paguyuban').waitFor();
            // A scroll event the browser queued just before the list went away
            // still reaches the removed element; play that race every time
            // rather than hope for it.
            await page.evaluate(() => {
                const list = document.querySelector('[data-testid=message-list]');
                const watcher = new MutationObserver(() => {
                    if (!list.isConnected) {
                        watcher.disconnect();
                        list.dispatchEvent(new Event('scroll'));
                    }
                });
                watcher.observe(document.body, { childList: true, subtree: true });
            });
            await page.getByTestId('logout-button').click();
            await page.getByTestId('auth-view').waitFor();
            await page.waitForTimeout(300);
        }
        noErrors();
    });
});
