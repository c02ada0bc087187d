// An unsent draft belongs to the person who wrote it: after they sign out,
// whoever signs in next in the same tab does not see it in the composer.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { DESKTOP, launchBrowser, openUser, unexpectedErrors } from './browser.mjs';

async function signIn(page, username) {
    await page.getByTestId('auth-view').waitFor();
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-password').fill('kolab-demo');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('chat-view').waitFor();
}

async function openRoomNamed(page, name) {
    await page.getByTestId('room-item').filter({ hasText: name }).first().click();
    await page.getByTestId('composer-input').waitFor();
}

describe('drafts', { timeout: 90000 }, () => {
    let srv;
    let browser;

    before(async () => {
        srv = await startServer({ args: ['--demo'] });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    test('a draft does not survive a sign-out into the next account', async () => {
        const { page, errors } = await openUser(browser, DESKTOP);
        await page.goto(`${srv.url}/`);
        await signIn(page, 'ayu');
        await openRoomNamed(page, 'I Made Wirawan');
        await page.getByTestId('composer-input').fill('Draf rahasia Ayu');

        await page.getByTestId('logout-button').click();
        await signIn(page, 'made');
        await openRoomNamed(page, 'Ni Luh Ayu');
        assert.equal(await page.getByTestId('composer-input').inputValue(), '');
        assert.deepEqual(unexpectedErrors(errors), []);
    });

    test('an unsent mentoring request stays with its author, not the next account', async () => {
        const { page, errors } = await openUser(browser, DESKTOP);
        await page.goto(`${srv.url}/`);
        await signIn(page, 'ayu');
        await page.getByTestId('nav-mentoring').click();
        await page.getByTestId('request-new').click();
        await page.getByTestId('request-topic').selectOption('haki');
        await page.getByTestId('request-description').fill('Draf permintaan Ayu tentang merek');

        await page.getByTestId('logout-button').click();
        await signIn(page, 'wayan');
        await page.getByTestId('nav-mentoring').click();
        await page.getByTestId('request-new').click();
        assert.equal(await page.getByTestId('request-description').inputValue(), '');
        assert.equal(await page.getByTestId('request-topic').inputValue(), '');

        // Ayu finds hers again when she is back.
        await page.getByTestId('request-form-cancel').click();
        await page.getByTestId('logout-button').click();
        await signIn(page, 'ayu');
        await page.getByTestId('nav-mentoring').click();
        assert.equal(await page.getByTestId('request-description').inputValue(), 'Draf permintaan Ayu tentang merek');
        assert.equal(await page.getByTestId('request-topic').inputValue(), 'haki');
        assert.deepEqual(unexpectedErrors(errors), []);
    });
});
