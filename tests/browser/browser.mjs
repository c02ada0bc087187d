// Shared helpers for the browser tests: Debian's Chromium driven by
// playwright-core, pages that record their own errors, and the few steps
// every test repeats (registering through the UI, sending a message).

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from '../lib/server.mjs';

export const CHROMIUM_ARGS = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 640 };

const ARTIFACTS = path.join(repoRoot, 'tests', 'browser', 'artifacts');

// Chromium's own camera and microphone stand-ins (a test pattern and a
// beep), granted without asking: for the tests that make calls.
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launchBrowser({ fakeMedia = false } = {}) {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        args: fakeMedia ? [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS] : CHROMIUM_ARGS,
    });
}

// A fresh browser profile (its own cookies and localStorage) with one page.
// Console errors and uncaught exceptions are collected in `errors`, so a
// test can assert that the app ran clean, CSP violations included.
export async function openUser(browser, viewport) {
    const context = await browser.newContext({ viewport, locale: 'id-ID' });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => {
        if (msg.type() === 'error') {
            errors.push(msg.text());
        }
    });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    return { context, page, errors };
}

// Errors the browser reports for expected reasons: a socket refused while the
// test has the server stopped on purpose.
export function unexpectedErrors(errors) {
    return errors.filter(
        (e) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e),
    );
}

// Saves a screenshot under tests/browser/artifacts (kept out of git), for a
// person to look at after a run or a failure.
export async function screenshot(page, name) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

// Registers through the sign-up form and waits for the chat screen.
export async function registerViaUi(page, baseUrl, { username, name, password, role = 'umkm' }) {
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('auth-view').waitFor();
    await page.getByTestId('auth-switch').click();
    await page.getByTestId('register-form').waitFor();
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-name').fill(name);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId(`auth-role-${role}`).check();
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('chat-view').waitFor();
}

// Signs in through the form (for example as a demo user) and waits for the
// chat screen.
export async function loginViaUi(page, baseUrl, username, password) {
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('login-form').waitFor();
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('chat-view').waitFor();
}

// Types a message in the open conversation and presses Enter.
export async function sendMessage(page, text) {
    const input = page.getByTestId('composer-input');
    await input.fill(text);
    await input.press('Enter');
}

// The bodies of the messages shown in the open conversation.
export function messageBodies(page) {
    return page.getByTestId('conversation').getByTestId('message-body').allInnerTexts();
}
