// The sign-in form after repeated wrong passwords: the server makes each
// further attempt wait, and the page says for how long, in the reader's
// language, rather than a bare "too many requests". The same for a
// mentoring form after too many writes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeAll, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { PHONE, launchBrowser, loginViaUi, openUser, screenshot, unexpectedErrors } from './browser.mjs';

describe('sign-in after failed attempts', () => {
    let srv;
    let browser;
    let user;

    before(async () => {
        srv = await startServer({ args: ['--login-failures', '2'] });
        user = await newUser(srv.url, { prefix: 'lupa' });
        browser = await launchBrowser();
    });

    after(async () => {
        await closeAll(user?.client);
        await browser?.close();
        await srv?.stop();
    });

    test('tells how long to wait, and lets the right password in after it', { timeout: 60000 }, async () => {
        const { page, errors } = await openUser(browser, PHONE);
        await page.goto(`${srv.url}/`);
        await page.getByTestId('login-form').waitFor();
        await page.getByTestId('auth-username').fill(user.username);
        const attempt = async (password) => {
            await page.getByTestId('auth-password').fill(password);
            await page.getByTestId('auth-submit').click();
            const alert = page.getByTestId('auth-error');
            await alert.waitFor();
            return alert.innerText();
        };
        for (const guess of ['salah-satu', 'salah-dua']) {
            assert.equal(await attempt(guess), 'Nama pengguna atau kata sandi salah.');
        }
        assert.match(await attempt('salah-tiga'), /^Terlalu banyak percobaan\. Coba lagi dalam [12] detik\.$/);

        await page.waitForTimeout(2100);
        await page.getByTestId('auth-password').fill(user.password);
        await page.getByTestId('auth-submit').click();
        await page.getByTestId('chat-view').waitFor();
        // The failed sign-ins answered 401 and 429, which the console reports.
        assert.deepEqual(unexpectedErrors(errors).filter((e) => !/status of 40[1]|status of 429/.test(e)), []);
    });
});

describe('a mentoring form after too many writes', () => {
    let srv;
    let browser;
    let user;

    before(async () => {
        srv = await startServer({ args: ['--msg-rate', '1', '--msg-burst', '1'] });
        user = await newUser(srv.url, { prefix: 'cepat' });
        browser = await launchBrowser();
    });

    after(async () => {
        await closeAll(user?.client);
        await browser?.close();
        await srv?.stop();
    });

    test('says so in words, with the wait, and sends once the wait is over', { timeout: 60000 }, async () => {
        const { page, errors } = await openUser(browser, PHONE);
        await loginViaUi(page, srv.url, user.username, user.password);
        await page.getByTestId('nav-mentoring').click();
        await page.getByTestId('request-new').click();
        await page.getByTestId('request-topic').selectOption('packaging');
        await page.getByTestId('request-description').fill('Kemasan keripik kami mudah rusak di perjalanan.');

        // The same user writes from another connection, faster than the
        // limit allows: writes are counted per user, not per connection.
        const spam = setInterval(() => {
            user.client.request('mentoring_cancel', { request: 999999 }).catch(() => {});
        }, 100);
        try {
            await page.waitForTimeout(300);
            await page.getByTestId('request-submit').click();
            const error = page.getByTestId('request-error');
            await error.getByText('Terlalu banyak permintaan dalam waktu singkat. Coba lagi dalam 1 detik.').waitFor();
            assert.doesNotMatch(await page.getByTestId('business-mentoring').innerText(), /rate_limited/);
            await screenshot(page, 'mentoring-rate-limited-phone');
        } finally {
            clearInterval(spam);
        }

        await page.waitForTimeout(1500);
        await page.getByTestId('request-submit').click();
        await page.locator('[data-testid=request-item][data-status=waiting]').waitFor();
        assert.deepEqual(unexpectedErrors(errors), []);
    });
});
