// Shared by the browser tests: the server run.sh started, its REST API, and a Chromium per test.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = process.env.RAPPORT_URL ?? 'http://127.0.0.1:8080';
export const TOKEN = process.env.RAPPORT_TOKEN ?? '';
export const APP_ID = process.env.RAPPORT_APP_ID ?? '';
const SECRET = process.env.RAPPORT_IDENTITY_SECRET ?? '';
const CHROMIUM = process.env.RAPPORT_CHROMIUM ?? '/usr/bin/chromium';

/** How long one wait for the page may take before the test fails (a bound, not an assertion). */
export const WAIT_MS = 20_000;

/** Calls the REST API with the demo's token; throws with the body on a non-2xx. */
export async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(`${BASE}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The admin the demo token acts as. */
export async function me() {
  return api('/me');
}

/** Replies as an admin in a conversation. */
export async function adminReply(conversationId, adminId, body) {
  return api(`/conversations/${conversationId}/reply`, {
    method: 'POST',
    body: { message_type: 'comment', type: 'admin', admin_id: adminId, body },
  });
}

/** Polls the conversation list until one mentions `marker` (the visitor's unique text). */
export async function findConversation(marker) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const list = await api('/conversations?per_page=50');
    const found = (list.conversations ?? []).find((c) => JSON.stringify(c).includes(marker));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no conversation mentions ${marker}`);
}

/** hex HMAC-SHA256 of the workspace's identity secret over the user_id, as a customer's server computes it. */
export function userHash(userId) {
  return createHmac('sha256', SECRET).update(userId).digest('hex');
}

/** A unique marker to recognise this test's messages. */
export function marker(label) {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** Starts Chromium with a fresh context; `close()` ends both. */
export async function openBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  return { browser, context, page, errors, close: () => browser.close() };
}

/** The messenger iframe of the page. */
export function messengerFrame(page) {
  return page.frameLocator('iframe[data-testid="rapport-frame"]');
}

/** Opens /demo (with `query`) and waits until the messenger has booted. */
export async function openDemo(page, query = '') {
  const booted = page.waitForResponse((r) => r.url().endsWith('/messenger/boot'));
  await page.goto(`${BASE}/demo${query}`);
  const response = await booted;
  return response;
}

/** Clicks the launcher, opens a new conversation and sends `text`; resolves when it is acknowledged. */
export async function startConversation(page, text) {
  await page.getByTestId('rapport-launcher').click();
  const frame = messengerFrame(page);
  await frame.getByTestId('rapport-new-conversation').click();
  await frame.getByTestId('rapport-composer').fill(text);
  await frame.getByTestId('rapport-send').click();
  await frame.locator('[data-testid="rapport-message"][data-author="user"]:not([data-pending])', { hasText: text }).waitFor();
  return frame;
}

/** The admin bubbles in the messenger that contain `text`. */
export function adminMessages(frame, text) {
  return frame.locator('[data-testid="rapport-message"][data-author="admin"]', { hasText: text });
}

/** The demo teammates' password. */
export const PASSWORD = 'rapport-demo';

/** A fresh browser signed in to the agent app as `email`, on a laptop-sized screen, its socket live. */
export async function signIn(email) {
  const opened = await openBrowser();
  await opened.page.setViewportSize({ width: 1440, height: 860 });
  await opened.page.goto(`${BASE}/app`);
  await opened.page.getByTestId('login-email').fill(email);
  await opened.page.getByTestId('login-password').fill(PASSWORD);
  await opened.page.getByTestId('login-submit').click();
  await opened.page.getByTestId('inbox-list').waitFor();
  await opened.page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
  return opened;
}

/** A new conversation from a new contact, through the REST API (as the messenger would store it). */
export async function customerWrites(text) {
  const contact = await api('/contacts', { method: 'POST', body: { role: 'user', email: `${marker('c')}@customer.example`, name: 'Casey Customer' } });
  const created = await api('/conversations', { method: 'POST', body: { from: { type: 'user', id: contact.id }, body: `<p>${text}</p>` } });
  return { contact, id: String(created.conversation_id ?? created.id) };
}

/** The contact replies in their conversation; answers the conversation. */
export async function customerReplies(conversationId, contactId, text) {
  return api(`/conversations/${conversationId}/reply`, { method: 'POST', body: { message_type: 'comment', type: 'user', intercom_user_id: contactId, body: `<p>${text}</p>` } });
}

/** Saves a screenshot of the page as `$RAPPORT_SCREENSHOTS/name.png` when that is set. */
export async function screenshot(page, name) {
  const dir = process.env.RAPPORT_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png` });
}
