// The messenger as a visitor uses it on /demo, with a teammate answering through the REST API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  adminMessages, adminReply, api, findConversation, marker, me, openBrowser, openDemo, startConversation,
} from './helpers.mjs';

let admin;
before(async () => {
  admin = await me();
});

const sessions = [];
async function session() {
  const opened = await openBrowser();
  sessions.push(opened);
  return opened;
}
after(async () => {
  for (const opened of sessions) await opened.close();
});

test('a visitor writes from /demo, the conversation reaches the API, and an admin reply shows up live', async () => {
  const { page, errors } = await session();
  const boot = await openDemo(page);
  assert.equal(boot.status(), 200, 'the messenger booted');
  assert.equal(await page.evaluate(() => typeof window.Intercom), 'function');
  assert.equal(await page.evaluate(() => window.Intercom === window.Rapport), true);

  const text = marker('hello from the browser');
  const frame = await startConversation(page, text);
  const conversation = await findConversation(text);

  const reply = marker('admin answer');
  await adminReply(conversation.id, admin.id, `<p>${reply}</p>`);
  await adminMessages(frame, reply).waitFor();
  assert.equal(await adminMessages(frame, reply).count(), 1);
  assert.deepEqual(errors, [], 'no script error on the host page');
});

test('offline then online: replies sent meanwhile show up exactly once', async () => {
  const { page, context } = await session();
  await openDemo(page);
  const text = marker('before going offline');
  const frame = await startConversation(page, text);
  const conversation = await findConversation(text);

  await context.setOffline(true);
  await frame.getByTestId('rapport-offline').waitFor();
  const first = marker('first while offline');
  const second = marker('second while offline');
  await adminReply(conversation.id, admin.id, first);
  await adminReply(conversation.id, admin.id, second);
  await context.setOffline(false);

  await adminMessages(frame, first).waitFor();
  await adminMessages(frame, second).waitFor();
  // A reply after reconnecting arrives after any replayed duplicate would have: then count.
  const barrier = marker('after reconnecting');
  await adminReply(conversation.id, admin.id, barrier);
  await adminMessages(frame, barrier).waitFor();
  assert.equal(await adminMessages(frame, first).count(), 1);
  assert.equal(await adminMessages(frame, second).count(), 1);
  assert.equal(await frame.locator('[data-testid="rapport-message"][data-author="admin"]').count(), 3);
  await frame.getByTestId('rapport-offline').waitFor({ state: 'detached' });
});

test('a message written offline is sent once when the browser is back', async () => {
  const { page, context } = await session();
  await openDemo(page);
  const text = marker('opening line');
  const frame = await startConversation(page, text);
  const conversation = await findConversation(text);

  await context.setOffline(true);
  await frame.getByTestId('rapport-offline').waitFor();
  const offline = marker('written offline');
  await frame.getByTestId('rapport-composer').fill(offline);
  await frame.getByTestId('rapport-send').click();
  await frame.locator('[data-testid="rapport-message"][data-pending="true"]', { hasText: offline }).waitFor();
  await context.setOffline(false);
  await frame.locator('[data-testid="rapport-message"][data-author="user"]:not([data-pending])', { hasText: offline }).waitFor();

  const full = await api(`/conversations/${conversation.id}`);
  const copies = JSON.stringify(full).split(offline).length - 1;
  assert.equal(copies, 1, 'the retried send was stored once');
});

test('the launcher badge counts admin replies while the messenger is closed', async () => {
  const { page } = await session();
  await openDemo(page);
  await page.evaluate(() => {
    window.unreadSeen = [];
    window.Intercom('onUnreadCountChange', (count) => window.unreadSeen.push(count));
  });
  const text = marker('badge please');
  await startConversation(page, text);
  const conversation = await findConversation(text);
  await page.getByTestId('rapport-launcher').click(); // closes the messenger
  await page.locator('[data-testid="rapport-launcher"][data-open="false"]').waitFor();

  await adminReply(conversation.id, admin.id, marker('are you there'));
  const badge = page.getByTestId('rapport-unread-badge');
  await badge.waitFor();
  assert.equal(await badge.textContent(), '1');
  await page.waitForFunction(() => window.unreadSeen.includes(1));

  await page.getByTestId('rapport-launcher').click(); // opens it on the conversation: read
  await badge.waitFor({ state: 'hidden' });
});
