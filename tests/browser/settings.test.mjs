// The settings area at /app/settings and the invitation screen: an owner invites a teammate who
// accepts in another browser and is signed in; the owner changes their role and deactivates them,
// and the teammate's open app drops to the sign-in form at once. API tokens (shown once, revoked
// → 401), a team with a member, the messenger colour, a saved reply with a live preview, tags.
// RAPPORT_SCREENSHOTS=dir saves settings-*.png.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { api, BASE, marker, openBrowser } from './helpers.mjs';

const PASSWORD = 'rapport-demo';
const SHOTS = process.env.RAPPORT_SCREENSHOTS;
before(() => { if (SHOTS) mkdirSync(SHOTS, { recursive: true }); });

const opened = [];
after(async () => { for (const o of opened) await o.close(); });

async function browser() {
  const o = await openBrowser();
  opened.push(o);
  await o.page.setViewportSize({ width: 1440, height: 900 });
  return o;
}

/** Signs in at /app and waits for the inbox. */
async function signIn(email, password = PASSWORD) {
  const o = await browser();
  await o.page.goto(`${BASE}/app`);
  await o.page.getByTestId('login-email').fill(email);
  await o.page.getByTestId('login-password').fill(password);
  await o.page.getByTestId('login-submit').click();
  await o.page.getByTestId('inbox-list').waitFor();
  return o;
}

/** One owner session for the whole file (sign-ins are rate-limited per email); its page-error list is emptied for each test. */
let owner;
async function asOwner() {
  owner ??= await signIn('owner@acme.example');
  owner.errors.length = 0;
  return owner;
}

async function shot(page, name) {
  if (!SHOTS) return;
  await page.waitForTimeout(250);
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Opens a settings section through the section list. */
async function section(page, key) {
  await page.getByTestId(`settings-nav-${key}`).click();
  await page.getByTestId(`settings-${key}`).waitFor();
}

/** Calls the API with a given token (not the demo's); answers the status. */
async function statusWith(token, path) {
  const response = await fetch(`${BASE}/api${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  return response.status;
}

test('an owner invites a teammate, who accepts in another browser and is signed in; a role change, then deactivation drops their app to sign-in', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app`);
  await page.getByTestId('inbox-list').waitFor();
  // g then s opens the settings from the inbox; the sidebar link and the palette lead there too.
  await page.locator('body').press('g');
  await page.keyboard.press('s');
  await page.getByTestId('settings-teammates').waitFor();
  assert.match(page.url(), /\/app\/settings$/);
  await page.locator('[data-testid="teammate-row"][data-email="sam@acme.example"]').waitFor();

  // Inviting someone already on the team is refused inline, and no invitation appears.
  await page.getByTestId('invite-email').fill('sam@acme.example');
  await page.getByTestId('invite-name').fill('Sam again');
  await page.getByTestId('invite-submit').click();
  await page.getByTestId('invite-error').waitFor();
  assert.equal((await api('/admins/invites')).data.filter((i) => i.email === 'sam@acme.example').length, 0);

  const email = `${marker('robin')}@acme.example`;
  await page.getByTestId('invite-email').fill(email);
  await page.getByTestId('invite-name').fill('Robin Park');
  await page.getByTestId('invite-role').selectOption('agent');
  await page.getByTestId('invite-submit').click();
  await page.getByTestId('invite-created').waitFor();
  const link = await page.getByTestId('invite-link').inputValue();
  assert.match(link, new RegExp(`^${BASE}/app/invite/.+`));
  await page.locator(`[data-testid="invite-row"][data-email="${email}"]`).waitFor();
  await shot(page, 'settings-teammates');

  // A link that was never issued says so.
  const stranger = await browser();
  await stranger.page.goto(`${BASE}/app/invite/not-a-real-token`);
  await stranger.page.getByTestId('invite-invalid').waitFor();

  // The invitee opens the link in another browser: workspace and email, then name and password.
  const invitee = await browser();
  await invitee.page.goto(link);
  await invitee.page.getByTestId('invite-accept-form').waitFor();
  assert.equal(await invitee.page.getByTestId('invite-email').textContent(), email);
  await invitee.page.getByTestId('invite-accept-password').fill('short');
  await shot(invitee.page, 'settings-invite');
  // Too short a password: refused by the form itself (minlength); the server's rule is the same.
  assert.equal(await invitee.page.getByTestId('invite-accept-password').evaluate((el) => el.validity.valid), false);
  await invitee.page.getByTestId('invite-accept-password').fill('robin-password-1');
  await invitee.page.getByTestId('invite-accept').click();
  await invitee.page.getByTestId('inbox-list').waitFor();
  await invitee.page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
  assert.doesNotMatch(invitee.page.url(), /invite/);
  // The link worked once.
  const again = await browser();
  await again.page.goto(link);
  await again.page.getByTestId('invite-invalid').waitFor();

  // The owner sees the new teammate (pending invitation gone), changes their role.
  await page.reload();
  const row = page.locator(`[data-testid="teammate-row"][data-email="${email}"]`);
  await row.waitFor();
  assert.equal(await page.locator(`[data-testid="invite-row"][data-email="${email}"]`).count(), 0);
  const robin = (await api('/admins')).admins.find((a) => a.email === email);
  assert.equal(robin.name, 'Robin Park');
  await row.locator('[data-testid="teammate-role"]:enabled option[value="admin"]:enabled').waitFor({ state: 'attached' });
  await row.getByTestId('teammate-role').selectOption('admin');
  for (let i = 0; i < 100 && (await api(`/admins/${robin.id}`)).role !== 'admin'; i++) await page.waitForTimeout(100);
  // On failure, say what the page showed (a refused change shows its error under the row).
  const shown = await page.locator('[data-testid="settings-error"], .error').allTextContents();
  assert.equal((await api(`/admins/${robin.id}`)).role, 'admin', `the page showed: ${JSON.stringify(shown)}`);
  assert.equal(await row.getByTestId('teammate-role').inputValue(), 'admin');

  // Deactivate (after a confirmation): the invitee's open app ends at once, with a message.
  await row.getByTestId('teammate-deactivate').click();
  await page.getByTestId('confirm').waitFor();
  await shot(page, 'settings-deactivate');
  await page.getByTestId('confirm-ok').click();
  await row.locator('[data-testid="teammate-status"]', { hasText: 'Deactivated' }).waitFor();
  await invitee.page.getByTestId('login-notice').waitFor();
  await invitee.page.getByTestId('login-form').waitFor();
  assert.equal((await api(`/admins/${robin.id}`)).active, false);
  // Signing in again is refused.
  await invitee.page.getByTestId('login-email').fill(email);
  await invitee.page.getByTestId('login-password').fill('robin-password-1');
  await invitee.page.getByTestId('login-submit').click();
  await invitee.page.getByTestId('login-error').waitFor();
  // Reactivating asks first too; then they may sign in again.
  await row.getByTestId('teammate-reactivate').click();
  await page.getByTestId('confirm-ok').click();
  await row.locator('[data-testid="teammate-status"]', { hasText: 'Active' }).waitFor();
  assert.equal((await api(`/admins/${robin.id}`)).active, true);
  assert.deepEqual(errors, []);
});

test('a teammate deactivated while their connection was down is signed out when it comes back', async () => {
  const { page, context, errors } = await signIn('priya@acme.example');
  await page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
  const priya = (await api('/admins')).admins.find((a) => a.email === 'priya@acme.example');
  await context.setOffline(true);
  await page.locator('[data-testid="live-status"]', { hasText: 'offline' }).waitFor();
  await api(`/admins/${priya.id}/deactivate`, { method: 'POST' });
  try {
    await context.setOffline(false);
    // The socket's reconnect is refused; the app checks its session and returns to the form.
    await page.getByTestId('login-form').waitFor();
  } finally {
    await api(`/admins/${priya.id}/reactivate`, { method: 'POST' });
  }
  assert.deepEqual(errors, []);
});

test('viewers and agents see read-only settings where the API would refuse', async () => {
  const { page } = await signIn('hannah@acme.example');
  // The palette leads to the settings, g then i back to the inbox, the sidebar link there again.
  await page.keyboard.press('Control+k');
  await page.getByTestId('palette').locator('input').fill('settings');
  await page.keyboard.press('Enter');
  await page.getByTestId('settings-teammates').waitFor();
  await page.locator('body').press('g');
  await page.keyboard.press('i');
  await page.getByTestId('inbox-list').waitFor();
  await page.getByTestId('settings-link').click();
  await page.getByTestId('settings-teammates').waitFor();
  await page.getByTestId('read-only').waitFor();
  assert.equal(await page.getByTestId('invite-form').count(), 0);
  assert.equal(await page.getByTestId('teammate-role').first().isDisabled(), true);
  await section(page, 'saved-replies');
  await page.getByTestId('read-only').waitFor();
  assert.equal(await page.getByTestId('saved-reply-new').count(), 0);
  await section(page, 'messenger');
  assert.equal(await page.getByTestId('messenger-color').isDisabled(), true);
  assert.equal(await page.getByTestId('identity-reveal').count(), 0, 'no secret for a viewer');
  // An agent may write tags and saved replies but not manage tokens.
  const agent = await signIn('sam@acme.example');
  await agent.page.goto(`${BASE}/app/settings/tokens`);
  await agent.page.getByTestId('read-only').waitFor();
  assert.equal(await agent.page.getByTestId('token-create-form').count(), 0);
  await section(agent.page, 'tags');
  assert.equal(await agent.page.getByTestId('tag-create-form').count(), 1);
});

test('an API token is shown once, works, and answers 401 once revoked', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app/settings/tokens`);
  await page.getByTestId('settings-tokens').waitFor();
  const name = marker('CRM sync');
  await page.getByTestId('token-name').fill(name);
  await page.getByTestId('token-create').click();
  await page.getByTestId('token-created').waitFor();
  const secret = await page.getByTestId('token-secret').inputValue();
  assert.ok(secret.length > 20);
  assert.equal(await statusWith(secret, '/me'), 200);
  await shot(page, 'settings-tokens');
  // Shown once: after leaving and coming back, the list has the token but not its secret.
  await section(page, 'tags');
  await section(page, 'tokens');
  const row = page.locator(`[data-testid="token-row"][data-name="${name}"]`);
  await row.waitFor();
  assert.equal(await page.getByTestId('token-secret').count(), 0);
  assert.ok(!(await page.getByTestId('settings-tokens').textContent()).includes(secret));
  await row.getByTestId('token-revoke').click();
  await page.getByTestId('confirm-ok').click();
  await row.waitFor({ state: 'detached' });
  assert.equal(await statusWith(secret, '/me'), 401);
  assert.deepEqual(errors, []);
});

test('a team is created, gets a member and balanced assignment with a capacity limit', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app/settings/teams`);
  const name = marker('Escalations');
  await page.getByTestId('team-create-name').fill(name);
  await page.getByTestId('team-create').click();
  const card = page.locator(`[data-testid="team-card"][data-name="${name}"]`);
  await card.waitFor();
  const sam = (await api('/admins')).admins.find((a) => a.email === 'sam@acme.example');
  await card.getByTestId('team-add-member').selectOption(String(sam.id));
  await card.getByTestId('team-add').click();
  await card.locator('[data-testid="team-member"]', { hasText: sam.name }).waitFor();
  await card.getByTestId('team-method').selectOption('balanced');
  await card.getByTestId('team-limit').fill('5');
  await card.getByTestId('team-save').click();
  // Saved: the button reads "Save" again (not "Saving…") and is disabled, nothing being changed.
  await card.locator('[data-testid="team-save"]:disabled', { hasText: /^Save$/ }).waitFor();
  const team = (await api('/teams')).teams.find((t) => t.name === name);
  assert.deepEqual([team.admin_ids.map(String), team.assignment_method, team.assignment_limit], [[String(sam.id)], 'balanced', 5]);
  await card.scrollIntoViewIfNeeded();
  await shot(page, 'settings-teams');
  assert.deepEqual(errors, []);
});

test('the messenger colour and office hours are saved and served; invalid ones are refused inline and nothing changes', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app/settings/messenger`);
  await page.getByTestId('messenger-form').waitFor();
  await page.getByTestId('messenger-color').fill('#0b7285');
  await page.getByTestId('messenger-greeting').fill('Hi there! We usually answer within the hour.');
  await page.getByTestId('messenger-save').click();
  await page.getByTestId('messenger-saved').waitFor();
  let settings = await api('/messenger/settings');
  assert.equal(settings.color, '#0b7285');
  await page.getByTestId('messenger-color').fill('teal');
  await page.getByTestId('messenger-save').click();
  await page.getByTestId('messenger-error').waitFor();
  settings = await api('/messenger/settings');
  assert.equal(settings.color, '#0b7285');
  await page.getByTestId('messenger-color').fill('#0b7285');
  // The identity secret: masked until revealed, then the one the API has.
  await page.getByTestId('identity-reveal').click();
  assert.equal(await page.getByTestId('identity-secret').inputValue(), settings.identity_secret);
  await page.getByTestId('identity-reveal').click();
  await shot(page, 'settings-messenger');

  // Office hours: Mon–Fri 9–17 offered; Monday until 18:00, Friday closed.
  const before = settings.office_hours;
  await page.getByTestId('hours-custom').check();
  await page.getByTestId('hours-mon-to').fill('18:00');
  await page.getByTestId('hours-fri-open').uncheck();
  await page.getByTestId('hours-save').click();
  await page.getByTestId('hours-saved').waitFor();
  const nine = [[540, 1020]];
  assert.deepEqual((await api('/messenger/settings')).office_hours,
    { mon: [[540, 1080]], tue: nine, wed: nine, thu: nine, fri: [], sat: [], sun: [] });
  await page.getByTestId('office-hours').scrollIntoViewIfNeeded();
  await shot(page, 'settings-office-hours');
  // An interval that ends before it starts is refused inline; nothing changes.
  await page.getByTestId('hours-tue-from').fill('17:00');
  await page.getByTestId('hours-tue-to').fill('09:00');
  await page.getByTestId('hours-save').click();
  await page.getByTestId('hours-error').waitFor();
  assert.deepEqual((await api('/messenger/settings')).office_hours.tue, nine);
  await page.getByTestId('hours-always').check();
  await page.getByTestId('hours-save').click();
  await page.getByTestId('hours-saved').waitFor();
  assert.deepEqual((await api('/messenger/settings')).office_hours, {});
  if (Object.keys(before).length) await api('/messenger/settings', { method: 'PUT', body: { office_hours: before } });
  assert.deepEqual(errors, []);
});

test('a saved reply with a variable shows the server-rendered preview as it is written, and is saved', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app/settings/saved-replies`);
  await page.getByTestId('saved-reply-new').click();
  const name = marker('Refund sent');
  await page.getByTestId('saved-reply-name').fill(name);
  await page.getByTestId('saved-reply-body').fill('Hi {{contact.first_name | fallback: "there"}}, your refund is on its way. {{contact.shoe_size}}');
  await page.getByTestId('saved-reply-preview-error').waitFor();
  assert.match(await page.getByTestId('saved-reply-preview-error').textContent(), /shoe_size/);
  // Saving the broken body is refused inline; nothing is stored.
  await page.getByTestId('saved-reply-save').click();
  await page.getByTestId('saved-reply-error').waitFor();
  assert.equal((await api('/saved_replies')).data.filter((r) => r.name === name).length, 0);
  const body = 'Hi {{contact.first_name | fallback: "there"}}, your refund is on its way — {{admin.first_name}}';
  await page.getByTestId('saved-reply-body').fill(body);
  const preview = page.getByTestId('saved-reply-preview');
  await preview.filter({ hasText: 'your refund is on its way — Alex' }).waitFor();
  assert.doesNotMatch(await preview.textContent(), /\{\{/);
  await shot(page, 'settings-saved-replies');
  await page.getByTestId('saved-reply-save').click();
  await page.locator('[data-testid="saved-reply-item"]', { hasText: name }).waitFor();
  const stored = (await api('/saved_replies')).data.find((r) => r.name === name);
  assert.equal(stored.body, body);
  assert.deepEqual(errors, []);
});

test('tags are created and deleted from the settings', async () => {
  const { page, errors } = await asOwner();
  await page.goto(`${BASE}/app/settings/tags`);
  const name = marker('churn-risk');
  // By keyboard: Enter submits the form; the dialog opens on Cancel, Tab reaches Delete.
  await page.getByTestId('tag-create-name').fill(name);
  await page.keyboard.press('Enter');
  const row = page.locator(`[data-testid="tag-row"][data-name="${name}"]`);
  await row.waitFor();
  assert.ok((await api('/tags')).data.some((t) => t.name === name));
  await shot(page, 'settings-tags');
  await row.getByTestId('tag-delete').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('confirm').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('confirm').waitFor({ state: 'detached' });
  assert.ok((await api('/tags')).data.some((t) => t.name === name), 'Esc changed nothing');
  await row.getByTestId('tag-delete').press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await row.waitFor({ state: 'detached' });
  assert.ok(!(await api('/tags')).data.some((t) => t.name === name));
  assert.deepEqual(errors, []);
});
