// A long conversation stays cheap: only a window of the newest messages is
// rendered, however many arrive, and older ones held are shown on demand.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeAll, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { DESKTOP, launchBrowser, openUser, screenshot, unexpectedErrors } from './browser.mjs';

describe('long history', { timeout: 120000 }, () => {
    let srv;
    let browser;
    let a;
    let b;

    before(async () => {
        srv = await startServer();
        browser = await launchBrowser();
        a = await newUser(srv.url, { prefix: 'ana', name: 'Ana Burst' });
        b = await newUser(srv.url, { prefix: 'bay', name: 'Bayu Reader' });
    });

    after(async () => {
        await closeAll(a?.client, b?.client);
        await browser?.close();
        await srv?.stop();
    });

    test('a burst of 400 messages renders a window of the newest, older ones on demand', async () => {
        const { room } = await a.client.request('room_create', { kind: 'dm', members: [b.user.id] });
        let firstSeq0 = 0;
        for (let i = 1; i <= 20; i += 1) {
            const sent = await a.client.request('send', { room: room.id, body: `awal ${i}`, client_id: `early-${i}` });
            firstSeq0 = firstSeq0 || sent.seq;
        }
        const user = await openUser(browser, DESKTOP);
        const page = user.page;
        await page.goto(`${srv.url}/`);
        await page.getByTestId('auth-view').waitFor();
        await page.getByTestId('auth-username').fill(b.username);
        await page.getByTestId('auth-password').fill(b.password);
        await page.getByTestId('auth-submit').click();
        await page.getByTestId('room-item').first().click();
        const list = page.getByTestId('message-list');
        await list.getByText('awal 20', { exact: true }).waitFor();

        const sends = [];
        for (let i = 1; i <= 400; i += 1) {
            sends.push(a.client.request('send', { room: room.id, body: `burst ${i}`, client_id: `burst-${i}` }));
        }
        await Promise.all(sends);
        await list.getByText('burst 400', { exact: true }).waitFor();
        const shown = await list.getByTestId('message').count();
        assert.ok(shown <= 200, `${shown} messages rendered`);
        assert.ok(shown >= 150, `${shown} messages rendered`);
        await screenshot(page, 'long-history-bottom');

        // Older messages held are brought back when the reader scrolls up.
        const firstSeq = await list.getByTestId('message').first().getAttribute('data-seq');
        // Scrolling to the top shows them (the button does the same).
        await list.evaluate((el) => {
            el.scrollTop = 0;
        });
        await list.getByText('burst 150', { exact: true }).waitFor();
        assert.ok((await list.getByTestId('message').count()) > shown);
        // The message that was first is still where the reader was looking.
        const inView = await list.evaluate((el, seq) => {
            const msg = el.querySelector(`[data-testid=message][data-seq="${seq}"]`);
            const r = msg.getBoundingClientRect();
            const box = el.getBoundingClientRect();
            return r.bottom > box.top && r.top < box.bottom;
        }, firstSeq);
        assert.ok(inView, `message ${firstSeq} scrolled out of view`);

        // A reply quoting a message outside the window jumps to it.
        assert.equal(await list.getByText('awal 1', { exact: true }).count(), 0);
        await a.client.request('send', { room: room.id, body: 'balasan lama', client_id: 'reply-1', reply_to: firstSeq0 });
        const reply = list.getByTestId('message').filter({ hasText: 'balasan lama' });
        await reply.waitFor();
        await reply.getByTestId('reply-quote').click();
        const original = list.getByTestId('message-body').getByText('awal 1', { exact: true });
        await original.waitFor();
        const shownOriginal = await original.evaluate((el) => {
            const r = el.getBoundingClientRect();
            const box = el.closest('[data-testid=message-list]').getBoundingClientRect();
            return r.bottom > box.top && r.top < box.bottom;
        });
        assert.ok(shownOriginal, 'the quoted message is not in view');
        assert.deepEqual(unexpectedErrors(user.errors), []);
    });
});
