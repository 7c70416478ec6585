// Workspace switch: a teammate in two workspaces signs in to one, switches to the other from the
// sidebar (asked for the password again, for that workspace), sees only that workspace's
// conversations, live, and switches back. The second workspace and the teammate are made with the
// CLI against the server's own database, as an operator would.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { api, APP_ID, BASE, marker, openBrowser, PASSWORD } from './helpers.mjs';

const BIN = process.env.RAPPORT_BIN;
const DATABASE_URL = process.env.RAPPORT_TEST_DATABASE_URL;

/** Runs the rapport CLI on the test server's database; returns its last output line. */
function rapport(...args) {
  const out = execFileSync(BIN, [...args, '--database-url', DATABASE_URL], { encoding: 'utf8' });
  return out.trim().split('\n').pop().trim();
}

/** Calls the REST API of another workspace with its own token. */
async function apiAs(token, path, body) {
  const response = await fetch(`${BASE}/api${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** A conversation from a new user of the workspace the token belongs to. */
async function conversationIn(token, text) {
  const contact = await apiAs(token, '/contacts', { role: 'user', email: `${marker('w')}@customer.example`, name: 'Wren Customer' });
  const created = await apiAs(token, '/conversations', { from: { type: 'user', id: contact.id }, body: `<p>${text}</p>` });
  return String(created.conversation_id ?? created.id);
}

const sessions = [];
after(async () => {
  for (const opened of sessions) await opened.close();
});

test('a teammate in two workspaces switches between them and sees each one\'s own inbox, live', async () => {
  assert.ok(BIN && DATABASE_URL, 'run through tests/browser/run.sh (RAPPORT_BIN, RAPPORT_TEST_DATABASE_URL)');
  const email = `${marker('switcher')}@acme.example`;
  const secondName = `Second shop ${marker('ws')}`;
  const second = rapport('workspace', 'create', '--name', secondName);
  rapport('admin', 'create', '--workspace', APP_ID, '--email', email, '--name', 'Sol Switcher', '--password', PASSWORD, '--role', 'admin');
  rapport('admin', 'create', '--workspace', second, '--email', email, '--name', 'Sol Switcher', '--password', PASSWORD, '--role', 'admin');
  const secondToken = rapport('token', 'create', '--workspace', second, '--admin', email);

  const firstText = marker('first workspace question');
  const firstId = String((await api('/conversations', { method: 'POST', body: {
    from: { type: 'user', id: (await api('/contacts', { method: 'POST', body: { role: 'user', email: `${marker('f')}@customer.example` } })).id },
    body: `<p>${firstText}</p>`,
  } })).conversation_id);
  const secondText = marker('second workspace question');
  const secondId = await conversationIn(secondToken, secondText);

  const opened = await openBrowser();
  sessions.push(opened);
  const { page, errors } = opened;
  await page.setViewportSize({ width: 1440, height: 860 });
  await page.goto(`${BASE}/app`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('inbox-list').waitFor();

  // Signed in to the first workspace: its conversation is listed, the other workspace's is not.
  const switcher = page.getByTestId('workspace-switch');
  assert.equal(await switcher.inputValue(), APP_ID);
  assert.equal(await switcher.locator('option').count(), 2);
  await page.getByTestId('view-all').click();
  const row = (id) => page.locator(`[data-testid="conversation-item"][data-id="${id}"]`);
  await row(firstId).waitFor();

  // Switch: the sign-in form asks for the password of the chosen workspace, email kept.
  await switcher.selectOption(second);
  await page.getByTestId('login-form').getByText(secondName).waitFor();
  assert.equal(await page.getByTestId('login-email').inputValue(), email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('inbox-list').waitFor();
  await page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
  assert.equal(await page.getByTestId('workspace-switch').inputValue(), second);
  await page.getByTestId('view-all').click();
  await row(secondId).waitFor();
  assert.equal(await row(firstId).count(), 0, 'the first workspace\'s conversation must not show in the second');
  const items = await page.getByTestId('conversation-item').count();
  assert.equal(items, 1, 'the second workspace holds exactly one conversation');

  // Live in the second workspace: its new conversation arrives; one in the first does not.
  const liveSecond = await conversationIn(secondToken, marker('arrives live'));
  const liveFirst = (await api('/conversations', { method: 'POST', body: {
    from: { type: 'user', id: (await api('/contacts', { method: 'POST', body: { role: 'user', email: `${marker('g')}@customer.example` } })).id },
    body: '<p>not for the second workspace</p>',
  } })).conversation_id;
  await row(liveSecond).waitFor();
  assert.equal(await row(String(liveFirst)).count(), 0);
  // The app's own API calls are scoped to the session's workspace.
  const counts = await page.evaluate(async () => (await fetch('/api/inbox/counts?state=open', { credentials: 'same-origin' })).json());
  assert.equal(counts.all, 2);

  // And back to the first workspace.
  await page.getByTestId('workspace-switch').selectOption(APP_ID);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('inbox-list').waitFor();
  assert.equal(await page.getByTestId('workspace-switch').inputValue(), APP_ID);
  await page.getByTestId('view-all').click();
  await row(firstId).waitFor();
  assert.equal(await row(secondId).count(), 0);
  assert.deepEqual(errors, []);
});
