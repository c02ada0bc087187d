// Hostile text in a real Chromium page: a user whose display name, group
// title and messages are XSS payloads writes to a victim, who reads them. No
// payload may become markup or run (the page's Content-Security-Policy would
// stop inline scripts anyway, so the test also checks that no element was
// made from the text), every payload must show as the literal text, and only
// http(s) addresses may be links.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeAll, newUser } from '../lib/client.mjs';
import { startServer } from '../lib/server.mjs';
import { DESKTOP, launchBrowser, loginViaUi, openUser, screenshot, unexpectedErrors } from './browser.mjs';

const MARK = 'window.__kolabXss=1';
const PAYLOADS = [
    `<script>${MARK}</script>`,
    `<img src=x onerror="${MARK}">`,
    `"><svg onload=${MARK}>`,
    `<a href="javascript:${MARK}">klik di sini</a>`,
    `javascript:${MARK}`,
    `[hadiah](javascript:${MARK})`,
    `data:text/html,<script>${MARK}</script>`,
    `<iframe srcdoc="<script>parent.${MARK}</script>"></iframe>`,
    `{{constructor.constructor('${MARK}')()}}`,
];
const GOOD_LINK = 'https://pusaka.example/katalog?produk=endek&warna=biru';

describe('hostile text in the web client', () => {
    let srv;
    let browser;
    let victim;
    let attacker;
    let page;
    let errors;
    const clients = [];

    before(async () => {
        srv = await startServer();
        attacker = await newUser(srv.url, { prefix: 'evil', name: `<img src=x onerror="${MARK}">Dinas` });
        victim = await newUser(srv.url, { prefix: 'korban', name: 'Ni Luh Korban' });
        clients.push(attacker.client, victim.client);

        const { room: dm } = await attacker.client.request('room_create', { kind: 'dm', members: [victim.user.id] });
        const { room: group } = await attacker.client.request('room_create', {
            kind: 'group',
            title: `<svg onload=${MARK}>Grup</svg>`,
            members: [victim.user.id],
        });
        let n = 0;
        for (const body of [...PAYLOADS, `Lihat ${GOOD_LINK} ya`]) {
            await attacker.client.request('send', { room: dm.id, body, client_id: `x${n++}` });
        }
        await attacker.client.request('send', { room: group.id, body: PAYLOADS[0], client_id: `x${n++}` });

        browser = await launchBrowser();
        ({ page, errors } = await openUser(browser, DESKTOP));
        await loginViaUi(page, srv.url, victim.username, victim.password);
    });

    after(async () => {
        await closeAll(clients);
        await browser?.close();
        await srv?.stop();
    });

    // Elements the payloads would have made, anywhere in the page.
    const injected = () =>
        page.evaluate(() => ({
            ran: window.__kolabXss === 1,
            img: document.querySelectorAll('img[src="x"]').length,
            svg: [...document.querySelectorAll('svg')].filter((s) => s.getAttribute('onload')).length,
            iframe: document.querySelectorAll('iframe').length,
            scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
            badLinks: [...document.querySelectorAll('a[href]')]
                .map((a) => a.getAttribute('href'))
                .filter((h) => !/^(https?:\/\/|#|\/)/.test(h)),
        }));

    test('the payloads stay text in the room list, the conversation and the names', { timeout: 60000 }, async () => {
        // The room list shows the hostile name and title as text.
        const names = page.getByTestId('room-list').getByTestId('room-name');
        const dmItem = names.filter({ hasText: attacker.user.name });
        const groupItem = names.filter({ hasText: '<svg onload=' });
        await dmItem.waitFor();
        await groupItem.waitFor();
        assert.equal(await dmItem.innerText(), attacker.user.name);
        await screenshot(page, 'xss-room-list');

        await dmItem.click();
        const conv = page.getByTestId('conversation');
        await conv.getByText('klik di sini', { exact: false }).waitFor();
        const bodies = await conv.getByTestId('message-body').allInnerTexts();
        for (const p of PAYLOADS) {
            assert.ok(bodies.includes(p), `shown literally: ${p}`);
        }
        await screenshot(page, 'xss-conversation');

        // The one real address is a link that opens apart from this page.
        const links = conv.getByTestId('message-link');
        assert.equal(await links.count(), 1);
        assert.equal(await links.first().getAttribute('href'), GOOD_LINK);
        assert.equal(await links.first().getAttribute('target'), '_blank');
        assert.match(await links.first().getAttribute('rel'), /noopener/);

        await groupItem.click();
        await page.getByTestId('conversation-title').getByText('<svg onload=', { exact: false }).waitFor();
        await conv.getByText('<script>', { exact: false }).waitFor();

        assert.deepEqual(await injected(), { ran: false, img: 0, svg: 0, iframe: 0, scripts: 0, badLinks: [] });
        assert.deepEqual(unexpectedErrors(errors), []);
    });

    test('a payload arriving live is text too', { timeout: 30000 }, async () => {
        const { rooms } = await attacker.client.request('rooms');
        const group = rooms.find((r) => r.kind === 'group');
        const live = `<img src=x onerror="${MARK}"> baru`;
        await attacker.client.request('send', { room: group.id, body: live, client_id: 'live1' });
        await page.getByTestId('conversation').getByText(live).waitFor();
        assert.deepEqual(await injected(), { ran: false, img: 0, svg: 0, iframe: 0, scripts: 0, badLinks: [] });
    });
});
