// The agent inbox at /app: sign in, two agents triaging live, keyboard actions, a saved reply, a
// customer message arriving live, search. Set RAPPORT_SCREENSHOTS=dir to save screenshots of the main screens.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { api, BASE, customerReplies, customerWrites, marker, me, openBrowser, PASSWORD, signIn } from './helpers.mjs';

const SHOTS = process.env.RAPPORT_SCREENSHOTS;
let owner;
before(async () => {
  owner = await me();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

const sessions = [];
async function agent(email) {
  const opened = await signIn(email);
  sessions.push(opened);
  return opened;
}
after(async () => {
  for (const opened of sessions) await opened.close();
});

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

test('signing in shows the inbox with live counts; a wrong password is refused; signing out returns to the form', async () => {
  const { page, errors } = await openBrowser();
  sessions.push({ close: () => page.context().browser().close() });
  await page.setViewportSize({ width: 1440, height: 860 });
  await page.goto(`${BASE}/`);
  assert.match(page.url(), /\/app/);
  await shot(page, 'sign-in');
  await page.getByTestId('login-email').fill('owner@acme.example');
  await page.getByTestId('login-password').fill('wrong password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('conversation-item').first().waitFor();
  const counts = await api('/inbox/counts?state=open');
  await page.locator('[data-testid="count-all"]', { hasText: String(counts.all) }).waitFor();
  // A reload keeps the session (cookie) and the CSRF token.
  await page.reload();
  await page.getByTestId('view-all').click();
  await page.getByTestId('conversation-item').nth(3).click();
  await page.getByTestId('context-panel').getByTestId('contact-name').waitFor();
  await page.waitForTimeout(300);
  await shot(page, 'inbox');
  // A browser that lost the CSRF token is refused (nothing changes) and asked to sign in again.
  const before = await api(`/conversations/${await page.getByTestId('conversation').getAttribute('data-id')}`);
  await page.evaluate(() => localStorage.removeItem('rapport.csrf'));
  await page.getByTestId('close').click();
  await page.getByTestId('login-form').waitFor();
  assert.equal((await api(`/conversations/${before.id}`)).state, before.state);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('conversation').waitFor();
  await page.getByTestId('sign-out').click();
  await page.getByTestId('login-form').waitFor();
  assert.deepEqual(errors, []);
});

test('two agents triage the same conversation and see each other live; shortcuts reply, note, assign, tag, priority, snooze, close', async () => {
  const text = marker('my invoice is wrong');
  const { contact, id } = await customerWrites(text);
  const ada = await agent('owner@acme.example');
  const sam = await agent('sam@acme.example');
  for (const { page } of [ada, sam]) {
    await page.getByTestId('view-all').click();
    await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).click();
    await page.getByTestId('conversation').waitFor();
  }
  const { page } = ada;
  await page.getByTestId('context-panel').locator('[data-testid="contact-name"]', { hasText: 'Casey Customer' }).waitFor();

  // Sam starts typing a reply: Ada sees the collision warning.
  await sam.page.getByTestId('composer').pressSequentially('On it');
  await page.getByTestId('collision').waitFor();

  // a: assign to me; Sam sees the assignee change without a refresh.
  await page.locator('body').press('a');
  await page.getByTestId('assign-picker').waitFor();
  await page.keyboard.press('Enter');
  await sam.page.locator('[data-testid="assign"]', { hasText: owner.name }).waitFor();

  // r + ctrl+enter: a reply; n: a note, styled apart. Sam sees both.
  const answer = marker('sorry about that');
  await page.locator('body').press('r');
  await page.keyboard.type(answer);
  await page.keyboard.press('Control+Enter');
  await sam.page.locator('[data-testid="timeline-message"]', { hasText: answer }).waitFor();
  const note = marker('refund approved');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.locator('body').press('n');
  await page.keyboard.type(note);
  await page.keyboard.press('Control+Enter');
  await sam.page.locator('[data-testid="timeline-note"]', { hasText: note }).waitFor();

  // t: tag (created on the fly).
  const tag = marker('billing');
  await page.getByTestId('composer').press('Escape');
  await page.locator('body').press('t');
  await page.getByTestId('tag-picker').locator('input').fill(tag);
  await page.keyboard.press('Enter');
  await sam.page.getByTestId('conversation-tags').getByText(tag).waitFor();

  // p: priority; Sam sees the toggle pressed.
  await page.locator('body').press('p');
  await sam.page.locator('[data-testid="priority"][aria-pressed="true"]').waitFor();

  // z: snooze; shift+c reopens nothing yet — close from snoozed.
  await page.locator('body').press('z');
  await page.getByTestId('snooze-picker').waitFor();
  await page.keyboard.press('Enter');
  await sam.page.locator(`[data-testid="conversation"][data-state="snoozed"]`).waitFor();
  await page.locator('body').press('Shift+C');
  await sam.page.locator(`[data-testid="conversation"][data-state="closed"]`).waitFor();
  await shot(sam.page, 'conversation');

  const stored = await api(`/conversations/${id}`);
  assert.equal(stored.state, 'closed');
  assert.equal(stored.priority, 'priority');
  assert.equal(String(stored.admin_assignee_id), String(owner.id));
  assert.ok(stored.tags.tags.some((t) => t.name === tag));
  const bodies = stored.conversation_parts.conversation_parts.map((p) => `${p.part_type}:${p.body}`).join('\n');
  assert.match(bodies, new RegExp(`comment:.*${answer}`));
  assert.match(bodies, new RegExp(`note:.*${note}`));
  assert.ok(contact.id);
  assert.deepEqual(ada.errors, []);
  assert.deepEqual(sam.errors, []);
});

test('a saved reply with variables is rendered for the conversation, then sent', async () => {
  const name = marker('Refund steps');
  await api('/saved_replies', {
    method: 'POST',
    body: { name, body: 'Hi {{contact.first_name | fallback: "there"}}, {{admin.first_name}} here: your refund is on its way.' },
  });
  const { id } = await customerWrites(marker('where is my refund'));
  const { page, errors } = await agent('owner@acme.example');
  await page.getByTestId('view-all').click();
  await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).click();
  await page.getByTestId('conversation').waitFor();

  await page.locator('body').press('r');
  await page.keyboard.press('Control+/');
  await page.getByTestId('saved-reply-picker').locator('input').fill(name);
  await page.keyboard.press('Enter');
  const expected = `Hi Casey, ${owner.name.split(' ')[0]} here: your refund is on its way.`;
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="composer"]')?.value === text,
    expected,
  );
  await page.keyboard.press('Control+Enter');
  await page.locator('[data-testid="timeline-message"]', { hasText: expected }).waitFor();
  const stored = await api(`/conversations/${id}`);
  const bodies = stored.conversation_parts.conversation_parts.map((p) => p.body).join('\n');
  assert.ok(bodies.includes(expected), bodies);
  assert.deepEqual(errors, []);
});

test('a customer message arrives live while the agent is on another view, and in the open conversation', async () => {
  const { page, errors } = await agent('priya@acme.example');
  await page.getByTestId('view-mine').click();
  const before = Number(await page.getByTestId('count-unassigned').textContent());
  const text = marker('is anyone there');
  const { contact, id } = await customerWrites(text);
  await page.locator('[data-testid="count-unassigned"]', { hasText: String(before + 1) }).waitFor();
  await page.getByTestId('view-unassigned').click();
  await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).click();
  await page.getByTestId('inbox-list').waitFor();
  const more = marker('hello again');
  await customerReplies(id, contact.id, more);
  await page.locator('[data-testid="timeline-message"]', { hasText: more }).waitFor();
  assert.deepEqual(errors, []);
});

test('search finds a conversation by message text and a contact by email; the palette and the shortcut sheet open', async () => {
  const { page, errors } = await agent('mei@acme.example');
  const text = marker('zebracorn');
  const { id } = await customerWrites(`my ${text} broke`);
  await page.locator('body').press('/');
  await page.getByTestId('search').locator('input').fill(text);
  await page.getByTestId('search').getByRole('option').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid="conversation"][data-id="${id}"]`).waitFor();

  await page.locator('body').press('?');
  await page.getByTestId('shortcut-sheet').waitFor();
  await shot(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+k');
  await page.getByTestId('palette').waitFor();
  await page.keyboard.type('Go to All');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="view-all"][aria-current="page"]').waitFor();
  assert.deepEqual(errors, []);
});

test('after a dropped connection the app resyncs from its last seq: what happened meanwhile shows up once', async () => {
  const { page, context, errors } = await agent('lukas@acme.example');
  const { contact, id } = await customerWrites(marker('before the drop'));
  await page.getByTestId('view-all').click();
  await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).click();
  await page.getByTestId('conversation').waitFor();
  await context.setOffline(true);
  await page.locator('[data-testid="live-status"]', { hasText: 'offline' }).waitFor();
  const meanwhile = marker('written while you were offline');
  await customerReplies(id, contact.id, meanwhile);
  await context.setOffline(false);
  await page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
  await page.locator('[data-testid="timeline-message"]', { hasText: meanwhile }).waitFor();
  assert.equal(await page.locator('[data-testid="timeline-message"]', { hasText: meanwhile }).count(), 1);
  assert.deepEqual(errors, []);
});

test('bulk: ctrl+click and x select several conversations, then assign and close them at once', async () => {
  const { page, errors } = await agent('jordan@acme.example');
  const first = await customerWrites(marker('bulk one'));
  const second = await customerWrites(marker('bulk two'));
  await page.getByTestId('view-all').click();
  const row = (id) => page.locator(`[data-testid="conversation-item"][data-id="${id}"]`);
  await row(second.id).waitFor();
  await row(first.id).waitFor();
  await row(first.id).click({ modifiers: ['Control'] });
  await row(second.id).click({ modifiers: ['Control'] });
  await page.locator('[data-testid="bulk-bar"]', { hasText: '2 selected' }).waitFor();
  await page.getByTestId('bulk-assign').click();
  await page.getByTestId('assign-picker').waitFor();
  await page.keyboard.press('Enter');
  await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  const jordan = (await api('/admins')).admins.find((a) => a.email === 'jordan@acme.example');
  for (const { id } of [first, second]) {
    assert.equal(String((await api(`/conversations/${id}`)).admin_assignee_id), String(jordan.id));
  }
  // x toggles the active row (by id: a row moved by a live update keeps it) into the selection; Close closes both.
  for (const { id } of [first, second]) await row(id).getByText('Jordan Rivera').waitFor();
  await row(first.id).click();
  await page.locator(`[data-testid="conversation"][data-id="${first.id}"]`).waitFor();
  await page.locator('body').press('x');
  await page.locator('[data-testid="bulk-bar"]', { hasText: '1 selected' }).waitFor();
  await row(second.id).click({ modifiers: ['Control'] });
  await page.locator('[data-testid="bulk-bar"]', { hasText: '2 selected' }).waitFor();
  await page.getByTestId('bulk-close').click();
  await row(first.id).waitFor({ state: 'detached' });
  for (const { id } of [first, second]) assert.equal((await api(`/conversations/${id}`)).state, 'closed');
  assert.deepEqual(errors, []);
});

test('bulk: rows reordered live under a selection keep it; the bulk action hits exactly the selected conversations', async () => {
  const { page, errors } = await agent('jordan@acme.example');
  const a = await customerWrites(marker('reorder a'));
  const b = await customerWrites(marker('reorder b'));
  const c = await customerWrites(marker('reorder c'));
  await page.getByTestId('view-all').click();
  const row = (id) => page.locator(`[data-testid="conversation-item"][data-id="${id}"]`);
  const firstRow = () => page.locator('[data-testid="conversation-item"]').first();
  await firstRow().and(row(c.id)).waitFor();
  await row(a.id).click({ modifiers: ['Control'] });
  await row(b.id).click({ modifiers: ['Control'] });
  await page.locator('[data-testid="bulk-bar"]', { hasText: '2 selected' }).waitFor();
  // The keyboard cursor is on c.
  await row(c.id).click();
  await page.locator(`[data-testid="conversation"][data-id="${c.id}"]`).waitFor();

  // The customer writes again in a (it moves to the top), then a new conversation d arrives above it.
  // Times are in seconds, ties ordered by id: the reply must come a second after c was created to
  // sort above it.
  const { created_at: cCreated } = await api(`/conversations/${c.id}`);
  while (Math.floor(Date.now() / 1000) <= cCreated) await new Promise((resolve) => setTimeout(resolve, 50));
  await customerReplies(a.id, a.contact.id, marker('me again'));
  await firstRow().and(row(a.id)).waitFor();
  const d = await customerWrites(marker('reorder d'));
  await firstRow().and(row(d.id)).waitFor();
  const selected = await page.locator('[data-testid="conversation-item"].selected').evaluateAll((rows) => rows.map((r) => r.dataset.id).sort());
  assert.deepEqual(selected, [a.id, b.id].sort());
  // x acts on the row the cursor was on (c), wherever it moved: on, then off again.
  await page.locator('body').press('x');
  await page.locator('[data-testid="bulk-bar"]', { hasText: '3 selected' }).waitFor();
  assert.ok(await row(c.id).evaluate((r) => r.classList.contains('selected')));
  await page.locator('body').press('x');
  await page.locator('[data-testid="bulk-bar"]', { hasText: '2 selected' }).waitFor();

  await page.getByTestId('bulk-close').click();
  await row(a.id).waitFor({ state: 'detached' });
  await row(b.id).waitFor({ state: 'detached' });
  await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  const states = {};
  for (const { id } of [a, b, c, d]) states[id] = (await api(`/conversations/${id}`)).state;
  assert.deepEqual(states, { [a.id]: 'closed', [b.id]: 'closed', [c.id]: 'open', [d.id]: 'open' });
  assert.ok(await row(c.id).isVisible());
  assert.ok(await row(d.id).isVisible());
  assert.deepEqual(errors, []);
});

test('a long list: only the rows in view are in the DOM; a live arrival keeps the loaded pages and what is on screen', async () => {
  const { page, errors } = await agent('mei@acme.example');
  await page.getByTestId('view-all').click();
  const list = page.getByTestId('inbox-list');
  await page.getByTestId('conversation-item').first().waitFor();
  const open = (await api('/inbox/counts?state=open')).all;
  const rows = () => list.evaluate((el) => Math.round(el.firstElementChild.getBoundingClientRect().height / 72));
  // Scroll to the end until every open conversation is loaded (pages of 50 load near the bottom).
  while ((await rows()) < open) {
    const before = await rows();
    await list.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForFunction((n) => document.querySelector('[data-testid="inbox-list"]').firstElementChild.getBoundingClientRect().height / 72 > n, before);
  }
  assert.ok(open > 150, `the demo has ${open} open conversations`);
  assert.ok(await page.getByTestId('conversation-item').count() < 40);
  // Somewhere in the middle: remember the row at the top of the view.
  const top = await list.evaluate((el) => { el.scrollTop = 120 * 72; return el.scrollTop; });
  const topId = () => list.evaluate((el) => [...el.querySelectorAll('[data-testid="conversation-item"]')].find((r) => Math.abs(r.offsetTop - el.scrollTop) < 1)?.dataset.id);
  await page.waitForFunction((y) => [...document.querySelectorAll('[data-testid="conversation-item"]')].some((r) => r.offsetTop === y), top);
  const reading = await topId();
  const { id } = await customerWrites(marker('arrives on top'));
  await page.waitForFunction((n) => document.querySelector('[data-testid="inbox-list"]').firstElementChild.getBoundingClientRect().height / 72 === n, open + 1);
  assert.equal(await list.evaluate((el) => el.scrollTop), top + 72);
  assert.equal(await topId(), reading);
  await list.evaluate((el) => { el.scrollTop = 0; });
  await page.locator('[data-testid="conversation-item"]').first().and(page.locator(`[data-id="${id}"]`)).waitFor();
  assert.deepEqual(errors, []);
});

test('SLA views: a conversation whose first response is overdue shows up live in Breached, with its count', async () => {
  const { page, errors } = await agent('lukas@acme.example');
  await page.getByTestId('view-breached').click();
  const policy = await api('/sla_policies', {
    method: 'POST', body: { name: marker('one second'), first_response_seconds: 1, business_hours: false, at_risk_percent: 0 },
  });
  const { id } = await customerWrites(marker('nobody answered me'));
  await api(`/conversations/${id}/sla`, { method: 'POST', body: { sla_policy_id: policy.id } });
  // `serve` sweeps due SLAs every few seconds; the breach is an event the app hears.
  await page.locator(`[data-testid="conversation-item"][data-id="${id}"]`).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="count-breached"]')?.textContent) >= 1);
  const conversation = await api(`/conversations/${id}`);
  assert.equal(conversation.sla_applied.sla_status, 'missed');
  assert.equal(conversation.sla_state.state, 'breached');
  assert.deepEqual(errors, []);
});
