// The web client in a real Chromium against a real kolabd: two people
// register, open a DM and chat in the Indonesian interface; a reload resumes
// the conversation; and a message written while the server is down arrives
// exactly once after it comes back. The tests build on each other in order.

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
const AYU = { username: `ayu${suffix}`, name: 'Ayu Lestari', password: 'rahasia-ayu-1', role: 'umkm' };
const BUDI = { username: `budi${suffix}`, name: 'Budi Santoso', password: 'rahasia-budi-1', role: 'student' };

describe('web client', () => {
    let srv;
    let browser;
    let ayu;
    let budi;

    before(async () => {
        srv = await startServer();
        browser = await launchBrowser();
        ayu = await openUser(browser, DESKTOP);
        budi = await openUser(browser, PHONE);
    });

    after(async () => {
        if (browser) {
            await browser.close();
        }
        if (srv) {
            await srv.stop();
        }
    });

    test('two people register, open a DM and chat in Indonesian', TIMEOUT, async () => {
        const a = ayu.page;
        const b = budi.page;

        await a.goto(`${srv.url}/`);
        await a.getByTestId('auth-view').waitFor();
        await a.getByText('Belum punya akun? Daftar').waitFor();
        await a.locator('[data-testid=conn-banner][data-state=online]').getByText('Terhubung').waitFor();

        await registerViaUi(a, srv.url, AYU);
        await registerViaUi(b, srv.url, BUDI);
        assert.equal(await a.getByTestId('me-name').innerText(), AYU.name);

        // Ayu finds Budi and starts a DM.
        await a.getByTestId('new-chat-button').getByText('Percakapan baru').click();
        await a.getByTestId('user-search').fill(BUDI.username);
        await a.locator(`[data-testid=user-result][data-username="${BUDI.username}"]`).click();
        await a.getByTestId('conversation-title').getByText(BUDI.name).waitFor();

        await sendMessage(a, 'Selamat pagi, Mas Budi. Apakah bisa magang di toko kami?');

        // Budi learns of the new room, sees the preview and an unread badge.
        const room = b.getByTestId('room-item').filter({ hasText: AYU.name });
        await room.getByTestId('room-preview').getByText('Apakah bisa magang').waitFor();
        assert.equal(await room.getByTestId('room-unread').innerText(), '1');
        await room.click();
        await b.getByTestId('conversation').getByText('Apakah bisa magang').waitFor();
        await b.getByTestId('room-list').waitFor({ state: 'hidden' });

        // Ayu sees that Budi is typing, then his answer, and that he read hers.
        await b.getByTestId('composer-input').fill('Bisa');
        await a.getByTestId('typing-indicator').getByText(`${BUDI.name} sedang mengetik...`).waitFor();
        await sendMessage(b, 'Selamat pagi, Bu Ayu. Bisa, mulai bulan depan.');
        await a.getByTestId('conversation').getByText('mulai bulan depan').waitFor();
        await a.getByTestId('message-read').getByText('Dibaca').waitFor();

        // Times are shown in WITA.
        const time = await a.getByTestId('message-time').first().innerText();
        assert.match(time, /^\d\d\.\d\d WITA$/);

        assert.deepEqual(await messageBodies(a), [
            'Selamat pagi, Mas Budi. Apakah bisa magang di toko kami?',
            'Selamat pagi, Bu Ayu. Bisa, mulai bulan depan.',
        ]);
        assert.deepEqual(await messageBodies(b), await messageBodies(a));

        await screenshot(a, 'dm-desktop');
        await screenshot(b, 'dm-phone');
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(budi.errors), []);
    });

    test('a reload resumes the conversation, still signed in', TIMEOUT, async () => {
        const a = ayu.page;
        await a.reload();
        await a.getByTestId('chat-view').waitFor();
        assert.equal(await a.getByTestId('me-name').innerText(), AYU.name);

        // The open room comes back with its messages after the reload.
        await a.getByTestId('conversation-title').getByText(BUDI.name).waitFor();
        await a.getByTestId('conversation').getByText('mulai bulan depan').waitFor();
        assert.deepEqual(await messageBodies(a), [
            'Selamat pagi, Mas Budi. Apakah bisa magang di toko kami?',
            'Selamat pagi, Bu Ayu. Bisa, mulai bulan depan.',
        ]);

        // And the phone, reloaded, has the room in its list.
        const b = budi.page;
        await b.reload();
        await b.getByTestId('chat-view').waitFor();
        await b.getByTestId('conversation').getByText('Apakah bisa magang').waitFor();
    });

    test('a message written while the server is down arrives exactly once', TIMEOUT, async () => {
        const a = ayu.page;
        const b = budi.page;
        const text = 'Pesan ini ditulis ketika koneksi terputus.';

        // Stopping the server closes every socket, the way a dead mobile link
        // does; setOffline alone leaves an open WebSocket untouched.
        await srv.stop();
        await a.locator('[data-testid=conn-banner][data-state=offline]')
            .getByText('Offline — pesan akan dikirim saat tersambung')
            .waitFor();

        await sendMessage(a, text);
        const pending = a.locator('[data-testid=message][data-pending=true]');
        await pending.getByText(text).waitFor();
        await pending.getByTestId('message-pending').getByText('Menunggu dikirim').waitFor();
        await screenshot(a, 'offline-pending');

        // The same port and data directory: the session cookie stays valid,
        // and the client resumes by itself with its backoff.
        await srv.restart();
        await a.locator('[data-testid=conn-banner][data-state=online]').waitFor({ timeout: 30000 });
        await a.locator('[data-testid=message][data-pending=true]').waitFor({ state: 'detached' });
        await b.getByTestId('conversation').getByTestId('message-body').getByText(text).waitFor({ timeout: 30000 });

        // Give a duplicate time to show up if one were coming.
        await b.waitForTimeout(1500);
        const count = (bodies) => bodies.filter((body) => body === text).length;
        assert.equal(count(await messageBodies(a)), 1);
        assert.equal(count(await messageBodies(b)), 1);

        // The server agrees: a fresh load shows it once too.
        await b.reload();
        await b.getByTestId('conversation').getByText(text).waitFor();
        assert.equal(count(await messageBodies(b)), 1);
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
        assert.deepEqual(unexpectedErrors(budi.errors), []);
    });

    test('the phone losing its network shows offline at once, and what was written then arrives', TIMEOUT, async () => {
        const a = ayu.page;
        const b = budi.page;
        const text = 'Sinyal hilang sebentar di jalan Gatot Subroto.';
        await a.locator('[data-testid=conn-banner][data-state=online]').waitFor({ timeout: 30000 });

        // The socket still looks open; the browser's offline event is what
        // tells the client, well before a ping would go unanswered (35 s).
        await a.context().setOffline(true);
        await a.locator('[data-testid=conn-banner][data-state=offline]').waitFor({ timeout: 5000 });
        await sendMessage(a, text);
        await a.locator('[data-testid=message][data-pending=true]').getByText(text).waitFor();

        await a.context().setOffline(false);
        await a.locator('[data-testid=conn-banner][data-state=online]').waitFor({ timeout: 30000 });
        await b.getByTestId('conversation').getByTestId('message-body').getByText(text).waitFor({ timeout: 30000 });
        await b.waitForTimeout(1000);
        assert.equal((await messageBodies(b)).filter((body) => body === text).length, 1);
        assert.deepEqual(unexpectedErrors(ayu.errors), []);
    });

    test('replies, edits and deletions show on both sides', TIMEOUT, async () => {
        const a = ayu.page;
        const b = budi.page;
        // The bubble whose own body holds `text` (a reply's quote may too).
        const bubble = (page, text) =>
            page
                .getByTestId('conversation')
                .getByTestId('message')
                .filter({ has: page.locator('[data-testid=message-body]', { hasText: text }) })
                .locator('.msg__bubble');

        // Budi answers one of Ayu's messages by reply.
        await bubble(b, 'Apakah bisa magang').click();
        await b.getByTestId('reply-button').getByText('Balas').click();
        await b.getByTestId('reply-preview').getByText(`Membalas ${AYU.name}`).waitFor();
        await sendMessage(b, 'Berapa jam per hari, Bu?');
        const reply = a.getByTestId('message').filter({ hasText: 'Berapa jam per hari' });
        await reply.getByTestId('reply-quote').getByText('Apakah bisa magang').waitFor();

        // Ayu edits her first message; both see the new text, marked edited.
        await bubble(a, 'Apakah bisa magang').click();
        await a.getByTestId('edit-button').getByText('Ubah').click();
        await a.getByTestId('edit-preview').waitFor();
        await sendMessage(a, 'Selamat pagi, Mas Budi. Apakah bisa magang di toko kain kami?');
        const edited = b.getByTestId('message').filter({ hasText: 'toko kain kami' });
        await edited.getByTestId('message-edited').getByText('diubah').waitFor();

        // Ayu deletes the message she wrote while offline.
        await bubble(a, 'ditulis ketika koneksi terputus').click();
        await a.getByTestId('delete-button').getByText('Hapus').click();
        await a.getByTestId('delete-yes').click();
        await b.getByTestId('message-deleted').getByText('Pesan ini telah dihapus').waitFor();
        const bodies = await messageBodies(b);
        assert.equal(bodies.some((body) => body.includes('ditulis ketika koneksi terputus')), false);
        await screenshot(b, 'edit-delete-phone');
    });

    test('the interface switches to English and keeps the choice', TIMEOUT, async () => {
        const a = ayu.page;
        await a.getByTestId('lang-en').click();
        await a.getByTestId('conn-banner').getByText('Connected').waitFor();
        await a.getByTestId('new-chat-button').getByText('New chat').waitFor();
        assert.equal(await a.getByTestId('composer-input').getAttribute('placeholder'), 'Write a message…');
        await a.reload();
        await a.getByTestId('conn-banner').getByText('Connected').waitFor();
        await a.getByTestId('lang-id').click();
        await a.getByTestId('conn-banner').getByText('Terhubung').waitFor();
    });
});
