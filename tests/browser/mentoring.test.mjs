// Mentoring in real Chromium pages against a kolabd with its demo data: a
// business (ayu, on a phone) asks for help, the agency (dinas) assigns a
// mentor (made), the mentor accepts, they chat, the mentor schedules a
// session, and the two hold a video call (Chromium's fake camera and
// microphone) that must reach "connected" on both sides, then hang up. The
// agency reads the room without being able to write in it; the business
// closes the mentorship with a rating. The tests build on each other.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import {
    DESKTOP,
    PHONE,
    launchBrowser,
    loginViaUi,
    messageBodies,
    openUser,
    screenshot,
    sendMessage,
    unexpectedErrors,
} from './browser.mjs';

const TIMEOUT = { timeout: 120000 };
const PASSWORD = 'kolab-demo';
const AYU_NAME = 'Ni Luh Ayu Lestari (Endek Lestari)';
const MADE_NAME = 'I Made Wirawan (Mentor Pemasaran Digital)';
const DESCRIPTION = 'Penjualan kain endek kami di marketplace masih sepi. Kami ingin belajar foto produk dan iklan.';

// Tomorrow's date in WITA, as a date field takes it.
function witaTomorrow() {
    return new Date(Date.now() + (8 + 24) * 3600 * 1000).toISOString().slice(0, 10);
}

// Waits until the remote <video> shows a picture. Polled with evaluate:
// waitForFunction's polling would need eval, which the app's CSP refuses.
async function remoteVideoPlays(page, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const width = await page.evaluate(() => {
            const v = document.querySelector('[data-testid=call-remote-video]');
            return v && v.srcObject ? v.videoWidth : 0;
        });
        if (width > 0) {
            return;
        }
        if (Date.now() > deadline) {
            throw new Error('the remote video shows no picture');
        }
        await page.waitForTimeout(200);
    }
}

describe('mentoring in the web client', () => {
    let srv;
    let browser;
    let ayu;
    let made;
    let dinas;

    before(async () => {
        srv = await startServer({ args: ['--demo'] });
        browser = await launchBrowser({ fakeMedia: true });
        ayu = await openUser(browser, PHONE);
        made = await openUser(browser, DESKTOP);
        dinas = await openUser(browser, DESKTOP);
        await loginViaUi(ayu.page, srv.url, 'ayu', PASSWORD);
        await loginViaUi(made.page, srv.url, 'made', PASSWORD);
        await loginViaUi(dinas.page, srv.url, 'dinas', PASSWORD);
    });

    after(async () => {
        if (browser) {
            await browser.close();
        }
        if (srv) {
            await srv.stop();
        }
    });

    test('a business asks, the agency assigns, the mentor accepts', TIMEOUT, async () => {
        const a = ayu.page;
        const d = dinas.page;
        const m = made.page;

        // Ayu asks for help with digital marketing; wayan's demo request is
        // already waiting, so hers is second in the queue.
        await a.getByTestId('nav-mentoring').getByText('Pendampingan').click();
        await a.getByTestId('request-new').getByText('Minta pendampingan').click();

        // No topic is chosen for her: the form asks for one.
        assert.equal(await a.getByTestId('request-topic').inputValue(), '');
        assert.equal(await a.getByTestId('request-topic').locator('option:checked').innerText(), 'Pilih topik');
        await a.getByTestId('request-description').fill(DESCRIPTION);
        await a.getByTestId('request-submit').click();
        await a.getByTestId('request-error').getByText('Pilih topik permintaan Anda.').waitFor();
        await a.getByTestId('request-topic').selectOption('digital_marketing');
        assert.equal(await a.getByTestId('request-topic').locator('option:checked').innerText(), 'Pemasaran digital');
        assert.equal(await a.getByTestId('request-error').count(), 0);

        // The counter follows the text; over the limit it says so in
        // characters, and nothing is sent.
        assert.equal(await a.getByTestId('request-count').innerText(), `${DESCRIPTION.length} / 2000 karakter`);
        await a.getByTestId('request-description').fill('é'.repeat(1001));
        await a.locator('[data-testid=request-count][data-over=true]').getByText('2002 / 2000 karakter (huruf beraksen').waitFor();
        await a.getByTestId('request-submit').click();
        await a.getByTestId('request-error').getByText('paling banyak 2000 karakter', { exact: false }).waitFor();
        await screenshot(a, 'mentoring-request-too-long-phone');

        // What she typed survives a reload.
        await a.getByTestId('request-description').fill(DESCRIPTION);
        await a.reload();
        await a.getByTestId('request-form').waitFor();
        assert.equal(await a.getByTestId('request-topic').inputValue(), 'digital_marketing');
        assert.equal(await a.getByTestId('request-description').inputValue(), DESCRIPTION);
        await screenshot(a, 'mentoring-request-draft-phone');
        await a.getByTestId('request-submit').click();
        const mine = a.locator('[data-testid=request-item][data-status=waiting]');
        await mine.getByTestId('request-position').getByText('Antrean ke-2').waitFor();
        await screenshot(a, 'mentoring-business-waiting');
        // Sent: the draft is gone, a reload shows no form.
        await a.reload();
        await a.getByTestId('request-new').waitFor();
        assert.equal(await a.getByTestId('request-form').count(), 0);

        // The agency sees it in the live queue and assigns it to made.
        await d.getByTestId('nav-mentoring').click();
        const queued = d.getByTestId('queue-item').filter({ hasText: AYU_NAME });
        await queued.waitFor();
        await queued.getByTestId('queue-assign').click();
        const option = queued.locator('[data-testid=mentor-option][data-username=made]');
        await option.waitFor();
        await option.click();
        await d.locator(`[data-testid=queue-item][data-status=offered]`).filter({ hasText: AYU_NAME }).waitFor();
        await screenshot(d, 'mentoring-agency-queue');

        // Ayu's list follows live: offered to made.
        await a.locator('[data-testid=request-item][data-status=offered]').getByText('Menunggu jawaban').waitFor();

        // Made finds the offer in his inbox and accepts; the room opens.
        await m.getByTestId('nav-mentoring').click();
        const offer = m.getByTestId('offer-item').filter({ hasText: AYU_NAME });
        await offer.waitFor();
        await offer.getByTestId('offer-accept').click();
        // Each side's header names the topic and, under it, the other party.
        await m.getByTestId('conversation-title').getByText('Pemasaran digital').waitFor();
        assert.equal(await m.getByTestId('conversation-party').innerText(), AYU_NAME);
        await m.getByTestId('mentoring-summary').getByText(DESCRIPTION).waitFor();
        await m.getByTestId('system-line').getByText('Pendampingan dimulai bersama').waitFor();

        // Ayu's request is active; she opens the room from it.
        const active = a.locator('[data-testid=request-item][data-status=active]');
        await active.waitFor();
        await active.getByTestId('request-open-room').click();
        await a.getByTestId('conversation-title').getByText('Pemasaran digital').waitFor();
        assert.equal(await a.getByTestId('conversation-party').innerText(), MADE_NAME);
        await screenshot(a, 'mentoring-room-title-phone');
        // The room list agrees with the header.
        const roomId = await a.getByTestId('conversation').getAttribute('data-room-id');
        const item = a.locator(`[data-testid=room-item][data-room-id="${roomId}"]`);
        await a.getByTestId('back-button').click();
        await a.getByTestId('nav-rooms').click();
        assert.equal(await item.getByTestId('room-name').innerText(), `Pemasaran digital · ${MADE_NAME}`);
        await screenshot(a, 'mentoring-room-list-phone');
        await item.click();
        await a.getByTestId('conversation-title').waitFor();
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(made.errors), []);
        assert.deepEqual(unexpectedErrors(dinas.errors), []);
    });

    test('they chat, and the mentor schedules a session in WITA', TIMEOUT, async () => {
        const a = ayu.page;
        const m = made.page;

        await sendMessage(a, 'Om Swastiastu, Pak Made. Terima kasih sudah menerima.');
        await m.getByTestId('conversation').getByText('Terima kasih sudah menerima').waitFor();
        await sendMessage(m, 'Sama-sama, Bu Ayu. Kita jadwalkan sesi pertama, ya.');
        await a.getByTestId('conversation').getByText('Kita jadwalkan sesi pertama').waitFor();
        assert.deepEqual(await messageBodies(a), await messageBodies(m));
        // Two people in the room: "read", as in a dm, not "read by 1".
        await m.getByTestId('message-read').getByText('Dibaca', { exact: true }).waitFor();

        // On a wide screen the panel sits beside the chat.
        const date = witaTomorrow();
        await m.getByTestId('session-add').click();
        await m.getByTestId('session-date').fill(date);
        await m.getByTestId('session-time').fill('10:00');
        await m.getByTestId('session-duration').selectOption('60');
        await m.getByTestId('session-agenda').fill('Foto produk dan deskripsi toko');
        await m.getByTestId('session-save').click();
        const item = m.locator('[data-testid=session-item][data-phase=upcoming]');
        await item.waitFor();
        assert.match(await item.getByTestId('session-when').innerText(), /10\.00 WITA$/);

        // Both see the system line; the phone shows the session in its tab.
        const line = /^Sesi dijadwalkan \S+,? \d+ \S+ 10\.00 WITA$/;
        await a.getByTestId('system-line').filter({ hasText: 'Sesi dijadwalkan' }).waitFor();
        const lines = await a.getByTestId('system-line').allInnerTexts();
        assert.ok(lines.some((l) => line.test(l)), lines.join(' | '));
        await a.getByTestId('conv-tab-details').click();
        await a.locator('[data-testid=session-item][data-phase=upcoming]').getByText('Foto produk dan deskripsi toko').waitFor();
        await screenshot(a, 'mentoring-room-phone-panel');
        await a.getByTestId('conv-tab-chat').click();
        await screenshot(m, 'mentoring-room-desktop');
    });

    test('a video call between the two reaches connected, then ends', TIMEOUT, async () => {
        const a = ayu.page;
        const m = made.page;

        await m.getByTestId('call-button').getByText('Panggil').click();
        await m.locator('[data-testid=call-state][data-state=ringing]').waitFor();

        const banner = a.getByTestId('incoming-call');
        await banner.getByText('Panggilan masuk dari').waitFor();
        assert.equal(await banner.getByTestId('incoming-room').innerText(), 'Pemasaran digital');
        await banner.getByTestId('call-accept').click();

        // Connected means the peer connection says so, on both sides.
        await a.locator('[data-testid=call-state][data-state=connected]').waitFor({ timeout: 30000 });
        await m.locator('[data-testid=call-state][data-state=connected]').waitFor({ timeout: 30000 });
        assert.equal(await a.getByTestId('call-state').innerText(), 'Tersambung');

        // The fake camera's picture arrives on the other side.
        await remoteVideoPlays(a);
        await remoteVideoPlays(m);
        await screenshot(a, 'mentoring-call-phone');
        await screenshot(m, 'mentoring-call-desktop');

        // They talk for a moment (a call under a second is told without a
        // duration); then Made hangs up, and both see the end and its line.
        await m.waitForTimeout(1500);
        await m.getByTestId('call-hangup').click();
        await m.locator('[data-testid=call-state][data-state=ended]').waitFor();
        await a.locator('[data-testid=call-state][data-state=ended]').waitFor();
        await a.getByTestId('call-close').click();
        await m.getByTestId('call-close').click();
        for (const page of [a, m]) {
            await page.getByTestId('system-line').filter({ hasText: /^Panggilan berakhir \(\d+ (detik|menit)\)$/ }).waitFor();
        }
        await a.getByTestId('system-line').filter({ hasText: 'memulai panggilan' }).waitFor();
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(made.errors), []);
    });

    test('a call this tab takes no part in: a bar to end it, and the banner after a reload', TIMEOUT, async () => {
        const a = ayu.page;
        const m = made.page;
        // Made's second tab, in the same room.
        const roomId = await m.getByTestId('conversation').getAttribute('data-room-id');
        const roomItem = `[data-testid=room-item][data-room-id="${roomId}"]`;
        const m2 = await made.context.newPage();
        const m2errors = [];
        m2.on('console', (msg) => msg.type() === 'error' && m2errors.push(msg.text()));
        m2.on('pageerror', (err) => m2errors.push(`uncaught: ${err.message}`));
        await m2.goto(`${srv.url}/`);
        await m2.locator(roomItem).click();
        await m2.getByTestId('call-button').waitFor();

        // Made calls from his first tab; the second shows the call as a bar.
        await m.getByTestId('call-button').click();
        await m.locator('[data-testid=call-state][data-state=ringing]').waitFor();
        const ringing = m2.locator('[data-testid=call-elsewhere][data-state=ringing]');
        await ringing.getByText('Anda sedang memanggil, belum dijawab').waitFor();
        assert.equal(await ringing.getByTestId('call-elsewhere-end').innerText(), 'Batalkan panggilan');
        assert.equal(await m.getByTestId('call-elsewhere').count(), 0);
        await screenshot(m2, 'call-elsewhere-ringing-desktop');

        // Ayu loads the app afresh, on her room list: the call still rings.
        await a.getByTestId('incoming-call').waitFor();
        await a.evaluate(() => window.history.replaceState(null, ''));
        await a.reload();
        await a.getByTestId('chat-view').waitFor();
        await a.getByTestId('incoming-call').getByText('Panggilan masuk dari').waitFor();
        assert.equal(await a.getByTestId('conversation').count(), 0);

        // The second tab gives up the ringing call, for everyone.
        await ringing.getByTestId('call-elsewhere-end').click();
        await m.locator('[data-testid=call-state][data-state=ended]').waitFor();
        await a.getByTestId('incoming-call').waitFor({ state: 'detached' });
        await ringing.waitFor({ state: 'detached' });
        await m.getByTestId('call-close').click();

        // An answered call: the second tab may end it.
        await m.getByTestId('call-button').click();
        await a.getByTestId('incoming-call').getByTestId('call-accept').click();
        await m.locator('[data-testid=call-state][data-state=connected]').waitFor({ timeout: 30000 });
        const active = m2.locator('[data-testid=call-elsewhere][data-state=active]');
        await active.getByText('Panggilan sedang berlangsung').waitFor();
        assert.equal(await active.getByTestId('call-elsewhere-end').innerText(), 'Akhiri panggilan');
        await m2.setViewportSize(PHONE);
        await screenshot(m2, 'call-elsewhere-active-phone');
        await active.getByTestId('call-elsewhere-end').click();
        await m.locator('[data-testid=call-state][data-state=ended]').waitFor();
        await a.locator('[data-testid=call-state][data-state=ended]').waitFor();
        await active.waitFor({ state: 'detached' });
        await m.getByTestId('call-close').click();
        await a.getByTestId('call-close').click();
        await m2.close();

        await a.getByTestId('nav-rooms').click();
        await a.locator(roomItem).click();
        await a.getByTestId('conversation').waitFor();
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(made.errors), []);
        assert.deepEqual(unexpectedErrors(m2errors), []);
    });

    test('the agency reads the room but cannot write in it', TIMEOUT, async () => {
        const d = dinas.page;
        await d.getByTestId('agency-tab-active').click();
        const item = d.getByTestId('active-item').filter({ hasText: AYU_NAME });
        await item.getByTestId('active-view').click();
        await d.getByTestId('conversation').getByText('Terima kasih sudah menerima').waitFor();
        await d.locator('[data-testid=readonly-note][data-reason=staff]').waitFor();
        assert.equal(await d.getByTestId('conversation-title').innerText(), AYU_NAME);
        assert.equal(await d.getByTestId('conversation-party').innerText(), `Mentor: ${MADE_NAME}`);
        assert.equal(await d.getByTestId('composer').count(), 0);
        assert.equal(await d.getByTestId('call-button').count(), 0);
        await d.getByTestId('mentoring-panel').getByTestId('session-item').waitFor();
        await screenshot(d, 'mentoring-agency-reads');
        assert.deepEqual(unexpectedErrors(dinas.errors), []);
    });

    test('the business closes with a rating; the room becomes read-only', TIMEOUT, async () => {
        const a = ayu.page;
        const m = made.page;
        await a.getByTestId('conv-tab-details').click();
        await a.getByTestId('close-open').click();
        await a.getByTestId('close-rating-5').click();
        await a.getByTestId('close-comment').fill('Sangat membantu, terima kasih.');
        await a.getByTestId('close-submit').click();
        await a.locator('[data-testid=mentoring-panel][data-status=closed]').waitFor();
        await a.getByTestId('conv-tab-chat').click();
        await a.locator('[data-testid=readonly-note][data-reason=closed]').waitFor();
        await a.getByTestId('system-line').filter({ hasText: 'Pendampingan ditutup dengan penilaian 5/5' }).waitFor();
        await m.locator('[data-testid=readonly-note][data-reason=closed]').waitFor();
        assert.equal(await m.getByTestId('composer').count(), 0);
        assert.equal(await m.getByTestId('call-button').count(), 0);
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(made.errors), []);
    });

    test('the agency’s figures: numbers as the reader writes them, for a period', TIMEOUT, async () => {
        const d = dinas.page;
        await d.getByTestId('agency-tab-figures').click();
        const total = d.getByTestId('figures-total');
        await total.getByText('Semua topik').waitFor();
        assert.equal(await total.getByTestId('figure-rating').innerText(), '5,0 (1)');
        assert.equal(await d.getByTestId('figures-period').locator('option:checked').innerText(), 'Semua waktu');
        assert.equal(await d.getByTestId('figures-since').count(), 0);

        // The last 30 days: since_ts, told as a date; Ayu's request is in it.
        await d.getByTestId('figures-period').selectOption('days30');
        await d.locator('[data-testid=figures-list][data-period=days30]').waitFor();
        await d.getByTestId('figures-since').getByText('Permintaan yang diajukan sejak').waitFor();
        assert.equal(await total.getByTestId('figure-rating').innerText(), '5,0 (1)');
        await screenshot(d, 'mentoring-figures-desktop');

        await d.getByTestId('lang-en').click();
        await total.getByText('All topics').waitFor();
        assert.equal(await d.getByTestId('figures-period').locator('option:checked').innerText(), 'Last 30 days');
        assert.equal(await total.getByTestId('figure-rating').innerText(), '5.0 (1)');
        await d.setViewportSize(PHONE);
        await d.getByTestId('back-button').click();
        await total.waitFor();
        await screenshot(d, 'mentoring-figures-phone-english');
        await d.setViewportSize(DESKTOP);
        await d.getByTestId('lang-id').click();
        await d.getByTestId('figures-period').selectOption('year');
        await d.locator('[data-testid=figures-list][data-period=year]').waitFor();
        assert.deepEqual(unexpectedErrors(dinas.errors), []);
    });
});

// The other paths, on a fresh server: auto-assign, a decline with its reason,
// assigning by the picker, transfers (by the mentor and by the agency), notes,
// action items ticked off by the business, moving and cancelling a session,
// a declined call, a mentor becoming available under auto-assign, a request
// withdrawn, and the English interface.
describe('mentoring: the mentors’ and the agency’s desks', () => {
    let srv;
    let browser;
    const users = {};

    before(async () => {
        srv = await startServer({ args: ['--demo'] });
        browser = await launchBrowser({ fakeMedia: true });
        for (const [name, viewport] of [['dinas', DESKTOP], ['komang', DESKTOP], ['made', DESKTOP], ['wayan', PHONE], ['ayu', DESKTOP]]) {
            users[name] = await openUser(browser, viewport);
            await loginViaUi(users[name].page, srv.url, name, PASSWORD);
        }
    });

    after(async () => {
        if (browser) {
            await browser.close();
        }
        if (srv) {
            await srv.stop();
        }
    });

    test('auto-assign, a decline with its reason, the picker, a transfer by the mentor', TIMEOUT, async () => {
        const d = users.dinas.page;
        const k = users.komang.page;
        const m = users.made.page;

        // Wayan's demo request goes to komang, the one bookkeeping mentor.
        await d.getByTestId('nav-mentoring').click();
        const wayan = d.getByTestId('queue-item').filter({ hasText: 'Wayan' });
        await wayan.getByTestId('queue-auto').getByText('Otomatis').click();
        await d.locator('[data-testid=queue-item][data-status=offered]').filter({ hasText: 'Mentor: Komang' }).waitFor();

        // Offering it again: komang, its only bookkeeping mentor, is shown
        // as the one it is offered to; made is there under "Mentor lain".
        await wayan.getByTestId('queue-assign').getByText('Tugaskan ulang').click();
        const komangOption = wayan.locator('[data-testid=mentor-matching] [data-testid=mentor-option][data-username=komang]');
        await komangOption.getByText('Sedang ditawari permintaan ini').waitFor();
        assert.equal(await komangOption.isDisabled(), true);
        await wayan.getByTestId('mentor-others').getByText('Mentor lain').waitFor();
        const madeOption = wayan.locator('[data-testid=mentor-others] [data-testid=mentor-option][data-username=made]');
        assert.equal(await madeOption.isDisabled(), false);
        assert.equal(await wayan.getByTestId('mentor-none').count(), 0);
        await screenshot(d, 'mentoring-assign-picker-desktop');
        await wayan.getByTestId('picker-cancel').click();

        // Komang declines; a reason is required.
        await k.getByTestId('nav-mentoring').click();
        const offer = k.getByTestId('offer-item');
        await offer.getByTestId('offer-decline').click();
        await offer.getByTestId('decline-submit').click();
        await offer.getByTestId('form-error').getByText('Bagian ini wajib diisi.').waitFor();
        await offer.getByTestId('decline-reason').fill('Jadwal saya penuh minggu ini.');
        await offer.getByTestId('decline-submit').click();
        await offer.waitFor({ state: 'detached' });
        await d.locator('[data-testid=queue-item][data-status=waiting]').filter({ hasText: 'Jadwal saya penuh' }).waitFor();

        // Nobody else has the topic: automatic says so in words.
        await wayan.getByTestId('queue-auto').click();
        await wayan.getByTestId('queue-error').getByText('Tidak ada mentor yang tersedia untuk topik ini', { exact: false }).waitFor();

        // The agency may still name komang; komang passes it on to made.
        // Opening the picker is a new step: the old error goes.
        await wayan.getByTestId('queue-assign').click();
        await wayan.getByTestId('mentor-picker').waitFor();
        assert.equal(await wayan.getByTestId('queue-error').count(), 0);
        await wayan.locator('[data-testid=mentor-option][data-username=komang]').click();
        await offer.waitFor();
        await offer.getByTestId('offer-transfer').click();
        await offer.getByTestId('transfer-submit').click();
        await offer.getByTestId('form-error').getByText('Pilih mentor tujuan.').waitFor();
        await offer.locator('[data-testid=mentor-option][data-username=made]').click();
        // Once a mentor is picked, "pick a mentor" no longer stands there.
        await offer.getByTestId('transfer-target').waitFor();
        assert.equal(await offer.getByTestId('form-error').count(), 0);
        await screenshot(k, 'mentoring-transfer-picked-desktop');
        await offer.getByTestId('transfer-note').fill('Pak Made lebih paham pemasaran untuk koperasi ini.');
        await offer.getByTestId('transfer-submit').click();
        await offer.waitFor({ state: 'detached' });

        await m.getByTestId('nav-mentoring').click();
        const madeOffer = m.getByTestId('offer-item').filter({ hasText: 'Wayan' });
        await madeOffer.getByText('Pak Made lebih paham').waitFor();
        await madeOffer.getByTestId('offer-accept').click();
        await m.getByTestId('conversation-title').getByText('Pembukuan').waitFor();
        await m.getByTestId('conversation-party').getByText('Wayan Sudarma').waitFor();
        for (const name of ['dinas', 'komang', 'made']) {
            assert.deepEqual(unexpectedErrors(users[name].errors), [], name);
        }
    });

    test('notes, action items, and a session moved and cancelled', TIMEOUT, async () => {
        const m = users.made.page;
        const w = users.wayan.page;
        const tomorrow = witaTomorrow();

        await m.getByTestId('note-add').click();
        await m.getByTestId('note-input').fill('Mulai dengan spreadsheet sederhana.');
        await m.getByTestId('note-save').click();
        await m.getByTestId('note-body').getByText('spreadsheet sederhana').waitFor();
        await m.getByTestId('note-edit').click();
        await m.locator('[data-testid=note-item] [data-testid=note-input]').fill('Mulai dengan spreadsheet sederhana (Google Sheets).');
        await m.locator('[data-testid=note-item] [data-testid=note-save]').click();
        await m.getByTestId('note-body').getByText('Google Sheets').waitFor();

        await m.getByTestId('action-add').click();
        await m.getByTestId('action-text').fill('Catat transaksi seminggu di spreadsheet');
        await m.getByTestId('action-owner').selectOption({ label: 'Wayan Sudarma (Koperasi Sari Mertha)' });
        await m.getByTestId('action-due').fill(tomorrow);
        await m.getByTestId('action-save').click();
        await m.locator('[data-testid=action-item][data-done=false]').waitFor();
        await m.getByTestId('action-edit').click();
        await m.locator('[data-testid=action-item] [data-testid=action-text]').fill('Catat transaksi dua minggu di spreadsheet');
        await m.locator('[data-testid=action-item] [data-testid=action-save]').click();
        await m.getByTestId('action-item').getByText('dua minggu').waitFor();

        await m.getByTestId('session-add').click();
        const form = m.locator('[data-testid=sessions] > [data-testid=session-form]');
        await form.getByTestId('session-date').fill('2020-01-01');
        await form.getByTestId('session-time').fill('10:00');
        await form.getByTestId('session-agenda').fill('Pengenalan spreadsheet');
        await form.getByTestId('session-save').click();
        await form.getByTestId('session-error').getByText('Waktu itu sudah lewat.').waitFor();
        await form.getByTestId('session-date').fill(tomorrow);
        await form.getByTestId('session-time').fill('09:00');
        await form.getByTestId('session-save').click();
        await m.getByTestId('session-when').getByText('09.00 WITA').waitFor();
        await m.getByTestId('session-reschedule').click();
        await m.locator('[data-testid=session-item] [data-testid=session-time]').fill('13:30');
        await m.locator('[data-testid=session-item] [data-testid=session-save]').click();
        await m.getByTestId('session-when').getByText('13.30 WITA').waitFor();
        await m.getByTestId('system-line').filter({ hasText: /^Sesi dijadwal ulang ke .* 13\.30 WITA$/ }).waitFor();

        // Wayan, on a phone: reads the note, ticks his action item off,
        // cannot write notes or add action items; in English.
        await w.getByTestId('room-item').filter({ hasText: 'Pembukuan' }).click();
        await w.getByTestId('conv-tab-details').click();
        await w.getByTestId('note-body').getByText('Google Sheets').waitFor();
        await w.getByTestId('action-item').getByText('dua minggu').waitFor();
        assert.equal(await w.getByTestId('action-edit').count(), 0);
        await w.getByTestId('action-done').check();
        await m.locator('[data-testid=action-item][data-done=true]').waitFor();
        assert.equal(await w.getByTestId('note-add').count(), 0);
        assert.equal(await w.getByTestId('action-add').count(), 0);
        await w.getByTestId('lang-en').click();
        await w.getByTestId('mentoring-panel').getByText('Action items').waitFor();
        await w.getByTestId('session-when').getByText('13:30 WITA').waitFor();
        await w.getByTestId('session-cancel').getByText('Cancel session').click();
        await w.getByTestId('session-cancel-yes').click();
        await m.locator('[data-testid=session-item][data-phase=cancelled]').waitFor();
        await w.getByTestId('conv-tab-chat').click();
        // The line says which session: its start, from the room's sessions.
        await w.getByTestId('system-line').filter({ hasText: /^Session on .* 13:30 WITA cancelled$/ }).waitFor();
        await m.getByTestId('system-line').filter({ hasText: /^Sesi .* 13\.30 WITA dibatalkan$/ }).waitFor();
        await screenshot(w, 'mentoring-phone-english');
        await w.getByTestId('lang-id').click();

        // A session that begins now is reminded at the server's next look
        // (every 20 seconds), as starting now rather than "in 0 minutes".
        const wita = new Date(Date.now() + 8 * 3600 * 1000).toISOString();
        await m.getByTestId('session-add').click();
        await form.getByTestId('session-date').fill(wita.slice(0, 10));
        await form.getByTestId('session-time').fill(wita.slice(11, 16));
        await form.getByTestId('session-agenda').fill('Tanya jawab singkat');
        await form.getByTestId('session-save').click();
        await m.locator('[data-testid=session-item][data-phase=ongoing]').waitFor();
        await w.getByTestId('system-line').filter({ hasText: /^Sesi dimulai sekarang \(/ }).waitFor({ timeout: 40000 });
        assert.equal(await w.getByTestId('system-line').filter({ hasText: /0 menit/ }).count(), 0);
        assert.deepEqual(unexpectedErrors(users.made.errors), []);
        assert.deepEqual(unexpectedErrors(users.wayan.errors), []);
    });

    test('a declined call, and the agency transferring an active mentorship', TIMEOUT, async () => {
        const d = users.dinas.page;
        const k = users.komang.page;
        const m = users.made.page;
        const w = users.wayan.page;

        await sendMessage(m, 'Pak Wayan, besok saya kirim contoh spreadsheet.');
        await w.getByTestId('conversation').getByText('contoh spreadsheet').waitFor();
        await m.getByTestId('call-button').click();
        await w.getByTestId('incoming-call').waitFor();
        await w.getByTestId('call-decline').click();
        await m.locator('[data-testid=call-state][data-state=ended]').getByText('Panggilan ditolak').waitFor();
        await m.getByTestId('call-close').click();
        await m.getByTestId('system-line').filter({ hasText: 'Panggilan ditolak' }).waitFor();

        await d.getByTestId('agency-tab-active').click();
        const active = d.getByTestId('active-item').filter({ hasText: 'Wayan' });
        await active.getByTestId('active-transfer').click();
        await active.locator('[data-testid=mentor-option][data-username=komang]').click();
        await active.getByTestId('transfer-note').fill('Kembali ke Komang, jadwalnya sudah longgar.');
        await active.getByTestId('transfer-submit').click();
        await d.getByTestId('active-item').filter({ hasText: 'Mentor: Komang' }).waitFor();

        // Made is out of the room at once; komang is in, with the history.
        await m.getByTestId('conversation').waitFor({ state: 'detached' });
        await k.getByTestId('nav-rooms').click();
        await k.getByTestId('room-item').filter({ hasText: 'Pembukuan' }).click();
        await k.getByTestId('system-line').filter({ hasText: /^Pendampingan dialihkan dari I Made Wirawan .* ke Anda$/ }).waitFor();
        await k.getByTestId('note-body').getByText('Google Sheets').waitFor();
        // Made is no member any more and shares no other room with komang:
        // the room's people name him in his messages and notes.
        const madeLine = k.getByTestId('message').filter({ hasText: 'contoh spreadsheet' });
        assert.match(await madeLine.getByTestId('message-author').innerText(), /^I Made Wirawan/);
        assert.match(await k.getByTestId('note-item').first().innerText(), /^I Made Wirawan .*· /);
        for (const name of ['dinas', 'komang', 'made', 'wayan']) {
            assert.deepEqual(unexpectedErrors(users[name].errors), [], name);
        }
    });

    test('auto-assign offers a waiting request when a mentor becomes available; a request withdrawn', TIMEOUT, async () => {
        const a = users.ayu.page;
        const d = users.dinas.page;
        const m = users.made.page;

        await m.getByTestId('nav-mentoring').click();
        await m.getByTestId('mentor-available').uncheck();
        await d.getByTestId('agency-tab-queue').click();
        await d.getByTestId('auto-assign').check();
        await d.getByText('Penugasan otomatis menyala').waitFor();

        await a.getByTestId('nav-mentoring').click();
        await a.getByTestId('request-new').click();
        await a.getByTestId('request-topic').selectOption('export');
        await a.getByTestId('request-description').fill('Kami ingin mengekspor kain endek ke Jepang.');
        await a.getByTestId('request-submit').click();
        await a.locator('[data-testid=request-item][data-status=waiting]').waitFor();

        await m.getByTestId('mentor-available').check();
        await a.locator('[data-testid=request-item][data-status=offered]').waitFor();
        await m.getByTestId('offer-item').filter({ hasText: 'Jepang' }).waitFor();

        await a.getByTestId('request-cancel').click();
        await a.getByTestId('request-cancel-yes').click();
        await a.locator('[data-testid=request-item][data-status=cancelled]').waitFor();
        await m.getByTestId('offer-item').waitFor({ state: 'detached' });

        await d.getByTestId('agency-tab-figures').click();
        await d.getByTestId('figures-total').getByText('Semua topik').waitFor();
        await screenshot(d, 'mentoring-figures');
        for (const name of ['ayu', 'dinas', 'made']) {
            assert.deepEqual(unexpectedErrors(users[name].errors), [], name);
        }
    });
});
