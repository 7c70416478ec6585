// The agent composer: @mention a teammate in a note (they are notified live and find it under
// Mentions), shift+T tags the customer's last message, and files attached to a reply (button, paste
// and drop) reach the other agent and the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, customerReplies, customerWrites, marker, me, screenshot, signIn } from './helpers.mjs';

let owner;
let sam;
const sessions = [];
before(async () => {
  owner = await me();
  sam = (await api('/admins')).admins.find((a) => a.email === 'sam@acme.example');
  assert.ok(sam, 'the demo has sam@acme.example');
});
after(async () => {
  for (const opened of sessions) await opened.close();
});

async function agent(email) {
  const opened = await signIn(email);
  sessions.push(opened);
  return opened;
}

async function openConversation(page, id) {
  await page.getByTestId('view-all').click();
  await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).click();
  await page.locator(`[data-testid="conversation"][data-id="${id}"]`).waitFor();
}

// A valid 1×1 PNG, so the thumbnail really decodes.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

test('a note mentioning a teammate notifies them live and lists the conversation under Mentions', async () => {
  const { id } = await customerWrites(marker('cannot log in'));
  const ada = await agent('owner@acme.example');
  const other = await agent('sam@acme.example');
  await openConversation(ada.page, id);
  const { page } = ada;

  await page.locator('body').press('n');
  const first = sam.name.split(' ')[0];
  await page.keyboard.type(`Could you check this @${first.slice(0, 2)}`);
  const popup = page.getByTestId('mention-popup');
  await popup.locator('[role="option"]', { hasText: sam.name }).waitFor();
  // Arrow keys move, Enter picks the highlighted teammate (not the send).
  await screenshot(page, 'mention');
  const options = await popup.locator('[role="option"]').allTextContents();
  const index = options.findIndex((o) => o.includes(sam.name));
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction((name) => document.querySelector('[data-testid="composer"]')?.value.endsWith(`@${name} `), sam.name);
  const text = marker('thanks');
  await page.keyboard.type(text);
  await page.keyboard.press('Control+Enter');
  await page.locator('[data-testid="timeline-note"]', { hasText: text }).waitFor();

  const stored = await api(`/conversations/${id}`);
  const note = stored.conversation_parts.conversation_parts.find((p) => p.part_type === 'note');
  assert.deepEqual(note.mentioned_admin_ids, [String(sam.id)]);
  assert.match(note.body, new RegExp(`@${sam.name}`));

  // Sam is told at once, the sidebar counts it as unseen, and the notification opens the
  // conversation in the Mentions view, which makes it seen.
  const unseen = async () => Number((await other.page.getByTestId('count-mentions').textContent()) || 0);
  const notice = other.page.locator(`[data-testid="mention-notification"][data-conversation-id="${id}"]`);
  await notice.waitFor();
  assert.match(await notice.textContent(), new RegExp(`${owner.name} mentioned you`));
  await screenshot(other.page, 'mention-notification');
  await other.page.waitForFunction(() => Number(document.querySelector('[data-testid="count-mentions"]')?.textContent || 0) > 0);
  const before = await unseen();
  await notice.getByTestId('mention-link').click();
  await other.page.locator(`[data-testid="conversation"][data-id="${id}"]`).waitFor();
  await other.page.locator('[data-testid="view-mentions"][aria-current="page"]').waitFor();
  await other.page.locator('[data-testid="timeline-note"] [data-testid="mention"]', { hasText: `@${sam.name}` }).waitFor();
  await other.page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).waitFor();
  await other.page.waitForFunction((n) => Number(document.querySelector('[data-testid="count-mentions"]')?.textContent || 0) === n, before - 1);
  // Ada, who was not mentioned, was not notified, and her Mentions view does not list it.
  assert.equal(await page.getByTestId('mention-notification').count(), 0);
  const mine = await api('/conversations/search', { method: 'POST', body: { query: { field: 'mentioned_admin_ids', operator: '=', value: Number(owner.id) } } });
  assert.ok(!mine.conversations.some((c) => c.id === id));
  assert.deepEqual(ada.errors, []);
  assert.deepEqual(other.errors, []);
});

test("shift+T tags the customer's last message, shown on that message", async () => {
  const { contact, id } = await customerWrites(marker('first message'));
  const last = marker('the real problem');
  const replied = await customerReplies(id, contact.id, last);
  const lastPart = replied.conversation_parts.conversation_parts.at(-1);
  const { page, errors } = await agent('owner@acme.example');
  await openConversation(page, id);
  await page.locator('[data-testid="timeline-message"]', { hasText: last }).waitFor();

  await page.locator('body').press('Shift+T');
  const tag = marker('bug');
  await page.getByTestId('tag-picker').locator('input').fill(tag);
  await page.keyboard.press('Enter');
  const message = page.locator(`[data-testid="timeline-message"][data-part-id="${lastPart.id}"]`);
  await message.getByTestId('part-tags').getByText(tag).waitFor();
  await screenshot(page, 'part-tag');

  const stored = await api(`/conversations/${id}`);
  const part = stored.conversation_parts.conversation_parts.find((p) => p.id === lastPart.id);
  assert.deepEqual(part.tags.map((t) => t.name), [tag]);
  assert.deepEqual(stored.tags.tags, [], 'the conversation itself is not tagged');
  assert.deepEqual(stored.source.tags, []);

  // The tag comes off the message from the timeline.
  await message.getByRole('button', { name: `Remove tag ${tag} from this message` }).click();
  await message.getByTestId('part-tags').waitFor({ state: 'detached' });
  assert.deepEqual((await api(`/conversations/${id}`)).conversation_parts.conversation_parts.find((p) => p.id === lastPart.id).tags, []);
  assert.deepEqual(errors, []);
});

test('files attached to a reply (button, paste and drop) upload with progress, can be removed, and reach the other agent', async () => {
  const { id } = await customerWrites(marker('send me the invoice'));
  const ada = await agent('owner@acme.example');
  const other = await agent('sam@acme.example');
  await openConversation(ada.page, id);
  await openConversation(other.page, id);
  const { page } = ada;

  await page.locator('body').press('r');
  await page.getByTestId('attach-input').setInputFiles([
    { name: 'invoice.txt', mimeType: 'text/plain', buffer: Buffer.from('Invoice 42: 10 EUR\n') },
    { name: 'wrong.txt', mimeType: 'text/plain', buffer: Buffer.from('not this one\n') },
  ]);
  // Paste an image into the composer.
  await page.getByTestId('composer').evaluate((area, bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'screenshot.png', { type: 'image/png' }));
    area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, [...PNG]);
  // Drop a file on the composer.
  await page.getByTestId('composer-form').evaluate((form) => {
    const data = new DataTransfer();
    data.items.add(new File(['id,total\n42,10\n'], 'totals.csv', { type: 'text/csv' }));
    form.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await page.locator('[data-testid="upload"].done').nth(3).waitFor();
  await page.locator('[data-testid="upload"]', { hasText: 'wrong.txt' }).getByRole('button', { name: 'Remove wrong.txt' }).click();
  assert.equal(await page.getByTestId('upload').count(), 3);
  await screenshot(page, 'attachments-tray');

  const text = marker('here you go');
  await page.getByTestId('composer').fill(text);
  await page.keyboard.press('Control+Enter');
  const sent = other.page.locator('[data-testid="timeline-message"]', { hasText: text });
  await sent.getByTestId('attachment-file').getByText('invoice.txt').waitFor();
  await sent.getByTestId('attachment-file').getByText('totals.csv').waitFor();
  const thumb = sent.getByTestId('attachment-image');
  await thumb.waitFor();
  await other.page.waitForFunction((el) => el.complete && el.naturalWidth === 1, await thumb.elementHandle());
  assert.equal(await page.getByTestId('upload').count(), 0, 'the tray is empty after sending');
  await screenshot(other.page, 'attachments');

  const stored = await api(`/conversations/${id}`);
  const reply = stored.conversation_parts.conversation_parts.find((p) => p.body?.includes(text));
  assert.deepEqual(reply.attachments.map((a) => [a.name, a.content_type]).sort(), [['invoice.txt', 'text/plain'], ['screenshot.png', 'image/png'], ['totals.csv', 'text/csv']]);
  assert.deepEqual(ada.errors, []);
  assert.deepEqual(other.errors, []);
});
