// Browsers see the close codes of PROTOCOL.md: the server closes with one
// close frame and does not echo the peer's answer (a second close frame
// makes Chromium report 1006, an abnormal closure, instead of the code).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { DESKTOP, launchBrowser, openUser } from './browser.mjs';

describe('close codes in the browser', { timeout: 60000 }, () => {
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

    test('a text frame closes with 1003 and a logout elsewhere with 4001', async () => {
        const { page } = await openUser(browser, DESKTOP);
        await page.goto(`${srv.url}/`);
        const codes = await page.evaluate(async () => {
            const open = () => new Promise((resolve) => {
                const ws = new WebSocket(`ws://${location.host}/ws`, 'kolab.v1');
                ws.binaryType = 'arraybuffer';
                ws.onopen = () => resolve(ws);
            });
            const closed = (ws) => new Promise((resolve) => {
                ws.onclose = (e) => resolve(e.code);
            });
            const text = await open();
            const textClosed = closed(text);
            text.send('teks');
            await fetch('/api/login', {
                method: 'POST',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: 'username=ayu&password=kolab-demo',
            });
            const session = await open();
            const sessionClosed = closed(session);
            await new Promise((r) => setTimeout(r, 300));
            await fetch('/api/logout', { method: 'POST' });
            return [await textClosed, await sessionClosed];
        });
        assert.deepEqual(codes, [1003, 4001]);
    });
});
