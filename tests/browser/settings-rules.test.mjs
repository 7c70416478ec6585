// The routing settings against a real server: assignment rules edited in the draft through the
// structured form (a server refusal shown at the condition), conflicts reported, a sample and a
// past conversation simulated with their traces, the impact preview, publish with its
// confirmation, versions and the audit log, restoring an older version; SLA policies created and
// edited, a team given its own hours; webhook subscriptions delivering to a receiver this test
// runs (run.sh starts the server with --allow-private-webhooks), with the delivery log, pause and
// resume and a refused URL; read-only screens for an agent and a viewer.
// RAPPORT_SCREENSHOTS=dir saves settings-rules*.png, settings-sla.png and settings-webhooks.png.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { api, BASE, customerWrites, marker, openBrowser, PASSWORD, screenshot, WAIT_MS } from './helpers.mjs';

const opened = [];
let admin;
let liveBefore = null;
before(async () => {
  liveBefore = (await api('/assignment_rules')).live_version;
});
after(async () => {
  for (const o of opened) await o.close();
  // Leave routing as this file found it: an empty rule set live (when this file published).
  if ((await api('/assignment_rules')).live_version !== liveBefore) {
    await api('/assignment_rules', { method: 'PUT', body: { rules: [] } });
    await api('/assignment_rules/publish', { method: 'POST' });
  }
});

async function signIn(email) {
  const o = await openBrowser();
  opened.push(o);
  await o.page.setViewportSize({ width: 1440, height: 960 });
  await o.page.goto(`${BASE}/app`);
  await o.page.getByTestId('login-email').fill(email);
  await o.page.getByTestId('login-password').fill(PASSWORD);
  await o.page.getByTestId('login-submit').click();
  await o.page.getByTestId('inbox-list').waitFor();
  return o;
}
/** An admin (Jordan; not the owner, whose sign-ins the other files spend: they are limited per email). */
async function asAdmin() {
  admin ??= await signIn('jordan@acme.example');
  admin.errors.length = 0;
  return admin;
}

/** Waits until `check()` is truthy (polling the API), bounded by WAIT_MS. */
async function eventually(check, what) {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** Sets the last condition of the open rule's root group. */
async function lastCondition(page, field, op, value) {
  const cond = page.getByTestId('rule-editor').getByTestId('cond-test').last();
  await cond.getByTestId('cond-field').selectOption(field);
  await cond.getByTestId('cond-op').selectOption(op);
  if (value !== undefined) await cond.getByTestId('cond-value').fill(value);
  return cond;
}

const teamId = async (name) => (await api('/teams')).teams.find((t) => t.name === name).id;

test('SLA policies are created and edited, and a team gets its own office hours', async () => {
  const { page, errors } = await asAdmin();
  await page.goto(`${BASE}/app/settings/sla`);
  await page.getByTestId('settings-sla').waitFor();
  const name = marker('VIP 5 min');
  const form = page.getByTestId('sla-create-form');
  await form.getByTestId('sla-name').fill(name);
  // No target at all is refused by the server, shown at the form, and nothing is created.
  await form.getByTestId('sla-save').click();
  await form.getByTestId('sla-error').waitFor();
  assert.equal((await api('/sla_policies')).data.filter((p) => p.name === name).length, 0);
  await form.getByTestId('sla-first_response_seconds').fill('5');
  await form.getByTestId('sla-time_to_close_seconds').fill('2');
  await form.getByTestId('sla-time_to_close_seconds-unit').selectOption('86400');
  await form.getByTestId('sla-save').click();
  const card = page.locator(`[data-testid="sla-policy"][data-name="${name}"]`);
  await card.waitFor();
  let policy = (await api('/sla_policies')).data.find((p) => p.name === name);
  assert.equal(policy.first_response_seconds, 300);
  assert.equal(policy.time_to_close_seconds, 2 * 86400);
  assert.equal(policy.next_response_seconds, null);
  assert.equal(policy.business_hours, true);
  // Edit: a next-response target, calendar time, at risk at 30 %.
  await card.getByTestId('sla-next_response_seconds').fill('1');
  await card.getByTestId('sla-next_response_seconds-unit').selectOption('3600');
  await card.getByTestId('sla-business').uncheck();
  await card.getByTestId('sla-at-risk').fill('30');
  await card.getByTestId('sla-save').click();
  await card.getByTestId('sla-saved').waitFor();
  policy = (await api(`/sla_policies/${policy.id}`));
  assert.equal(policy.next_response_seconds, 3600);
  assert.equal(policy.business_hours, false);
  assert.equal(policy.at_risk_percent, 30);
  // A second policy of the same name is refused (409) at the form, and nothing is created.
  await form.getByTestId('sla-name').fill(name);
  await form.getByTestId('sla-first_response_seconds').fill('10');
  await form.getByTestId('sla-save').click();
  await form.getByTestId('sla-error').waitFor();
  assert.equal((await api('/sla_policies')).data.filter((p) => p.name === name).length, 1);

  // The VIP team gets its own hours in New York, Monday only, with a holiday.
  const vip = page.locator('[data-testid="team-hours"][data-name="VIP"]');
  await vip.getByTestId('team-hours-own').check();
  await vip.getByTestId('team-hours-timezone').fill('America/New_York');
  for (const day of ['tue', 'wed', 'thu', 'fri']) await vip.getByTestId(`team-hours-${day}-open`).uncheck();
  await vip.getByTestId('team-hours-holiday').fill('2030-12-25');
  await vip.getByRole('button', { name: 'Add', exact: true }).click();
  await vip.getByTestId('team-hours-save').click();
  await vip.getByTestId('team-hours-saved').waitFor();
  const hours = await api(`/teams/${await teamId('VIP')}/office_hours`);
  assert.equal(hours.inherited, false);
  assert.equal(hours.timezone, 'America/New_York');
  assert.deepEqual(Object.entries(hours.office_hours).filter(([, open]) => open.length).map(([day]) => day), ['mon']);
  assert.deepEqual(hours.holidays, ['2030-12-25']);
  await screenshot(page, 'settings-sla');
  // Back to the workspace's hours.
  await vip.getByTestId('team-hours-inherit').check();
  await vip.getByTestId('team-hours-save').click();
  await vip.getByTestId('team-hours-saved').waitFor();
  assert.equal((await api(`/teams/${await teamId('VIP')}/office_hours`)).inherited, true);
  assert.deepEqual(errors, []);
});

test('assignment rules: edit the draft, see conflicts, simulate, preview the impact, publish, read versions and audit, restore', async () => {
  const { page, errors } = await asAdmin();
  const m = marker('r').toLowerCase();
  const policy = (await api('/sla_policies', { method: 'POST', body: { name: marker('Rules SLA'), first_response_seconds: 600 } }));
  await api('/assignment_rules', { method: 'PUT', body: { rules: [] } });
  // A past conversation the new rule will route differently from the live rules.
  const refund = await customerWrites(`I want a refund-${m} please`);

  await page.goto(`${BASE}/app/settings/rules`);
  await page.getByTestId('settings-rules').waitFor();
  await page.getByTestId('rule-add').click();
  await page.getByTestId('rule-name').fill('Refunds to Billing');
  await page.getByTestId('rule-id').fill(`refunds-${m}`);
  await page.getByTestId('cond-add').click();
  // An invalid regex is refused by the server; the message shows at that condition, nothing saved.
  const cond = await lastCondition(page, 'conversation.text', 'regex', 'refund-(');
  await page.getByTestId('rule-add-action').selectOption('assign_team');
  await page.getByTestId('action-team').selectOption({ label: 'Billing' });
  await page.getByTestId('rules-save').click();
  await cond.getByTestId('rule-error').waitFor();
  assert.match(await page.getByTestId('rules-save-error').textContent(), /rules\[0\]\.conditions\.all\[0\]/);
  assert.deepEqual((await api('/assignment_rules')).rules, []);
  await lastCondition(page, 'conversation.text', 'contains', `refund-${m}`);
  await page.getByTestId('rules-save').click();
  await page.getByTestId('rules-unsaved').waitFor({ state: 'detached' });
  let draft = await api('/assignment_rules');
  assert.deepEqual(draft.rules.map((r) => r.id), [`refunds-${m}`]);
  assert.deepEqual(draft.rules[0].conditions, { all: [{ field: 'conversation.text', op: 'contains', value: `refund-${m}` }] });
  assert.deepEqual(draft.rules[0].actions, [{ type: 'assign_team', team_id: Number(await teamId('Billing')) }]);

  // Impact preview: the refund conversation goes to Billing under the draft, nowhere live.
  await page.getByTestId('rules-tab-impact').click();
  await page.getByTestId('impact-count').fill('20');
  await page.getByTestId('impact-run').click();
  await page.getByTestId('impact-summary').waitFor();
  assert.match(await page.getByTestId('impact-summary').textContent(), /^[1-9]\d* of \d+ conversations/);
  await page.locator('[data-testid="impact-example"]', { hasText: `#${refund.id}` }).waitFor();
  assert.match(await page.locator('[data-testid="impact-example"]', { hasText: `#${refund.id}` }).textContent(), /Billing/);
  // The same over a time range (local time, as the browser shows it): the last hour holds it.
  const local = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000); return d.toISOString().slice(0, 16); };
  await page.getByTestId('impact-by-range').check();
  await page.getByTestId('impact-from').fill(local(Date.now() - 3_600_000));
  await page.getByTestId('impact-to').fill(local(Date.now() + 3_600_000));
  const ranged = page.waitForResponse((r) => r.url().endsWith('/assignment_rules/impact'));
  await page.getByTestId('impact-run').click();
  assert.ok('created_after' in JSON.parse((await ranged).request().postData()));
  await page.locator('[data-testid="impact-example"]', { hasText: `#${refund.id}` }).waitFor();
  await page.getByTestId('impact-by-latest').check();

  // Publish (version A).
  await page.getByTestId('rules-publish').click();
  await page.getByTestId('confirm').waitFor();
  assert.match(await page.getByTestId('publish-summary').textContent(), /No conflicts/);
  assert.match(await page.getByTestId('publish-impact').textContent(), /would have been routed differently/);
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('rules-published').waitFor();
  const versionA = (await api('/assignment_rules')).live_version;
  assert.equal(await page.getByTestId('rules-live-version').textContent(), String(versionA));

  // Two more rules: VIP plan → VIP team with the SLA; a copy that also asks for users and sends
  // them to Support, which the VIP rule (stop processing) always catches first.
  await page.getByTestId('rules-tab-rules').click();
  await page.getByTestId('rule-add').click();
  await page.getByTestId('rule-name').fill('VIP plan');
  await page.getByTestId('rule-id').fill(`vip-${m}`);
  await page.getByTestId('cond-add').click();
  await lastCondition(page, 'company.plan', 'eq', `enterprise-${m}`);
  await page.getByTestId('rule-add-action').selectOption('assign_team');
  await page.getByTestId('action-team').selectOption({ label: 'VIP' });
  await page.getByTestId('rule-add-action').selectOption('apply_sla');
  await page.getByTestId('action-sla').selectOption({ label: policy.name });
  await page.locator(`[data-testid="rule-item"][data-id="vip-${m}"]`).getByTestId('rule-duplicate').click();
  await page.getByTestId('rule-name').fill('VIP users to Support');
  await page.getByTestId('cond-add').click();
  await lastCondition(page, 'contact.role', 'eq', 'user');
  await page.getByTestId('action-team').selectOption({ label: 'Support' });
  await page.getByTestId('rules-save').click();
  await page.getByTestId('rules-unsaved').waitFor({ state: 'detached' });
  await page.locator('[data-testid="rules-conflict"][data-kind="shadowed"]').waitFor();
  assert.match(await page.getByTestId('rules-conflict-count').textContent(), /^[1-9]\d* conflicts?/);
  draft = await api('/assignment_rules');
  assert.deepEqual(draft.rules.map((r) => r.id), [`refunds-${m}`, `vip-${m}`, `vip-${m}-copy`]);
  await screenshot(page, 'settings-rules');

  // Simulate a sample: the VIP rule matches, the refund rule says which condition failed, the copy is never reached.
  await page.getByTestId('rules-tab-simulate').click();
  await page.getByTestId('sim-text').fill('Hello, our dashboard is down');
  await page.getByTestId('sim-plan').fill(`enterprise-${m}`);
  await page.getByTestId('sim-run').click();
  await page.getByTestId('sim-trace').waitFor();
  const step = (id) => page.locator(`[data-testid="sim-step"][data-rule="${id}"]`);
  assert.equal(await step(`refunds-${m}`).getAttribute('data-outcome'), 'not_matched');
  assert.match(await step(`refunds-${m}`).textContent(), /conditions\.all\[0\].*conversation\.text/);
  assert.equal(await step(`vip-${m}`).getAttribute('data-outcome'), 'matched');
  assert.match(await step(`vip-${m}`).textContent(), new RegExp(`Apply SLA policy: ${policy.name}`));
  assert.equal(await step(`vip-${m}-copy`).getAttribute('data-outcome'), 'not_reached');
  assert.match(await page.getByTestId('sim-assignee').textContent(), /VIP/);
  await page.getByTestId('sim-trace').scrollIntoViewIfNeeded();
  await screenshot(page, 'settings-rules-simulate');
  // A past conversation: the refund one goes to Billing.
  await page.getByTestId('sim-mode-conversation').check();
  await page.getByTestId('sim-conversation').fill(refund.id);
  await page.getByTestId('sim-run').click();
  await page.locator(`[data-testid="sim-step"][data-rule="refunds-${m}"][data-outcome="matched"]`).waitFor();
  assert.match(await page.getByTestId('sim-assignee').textContent(), /Billing/);
  // An unknown conversation is refused clearly.
  await page.getByTestId('sim-conversation').fill('999999999');
  await page.getByTestId('sim-run').click();
  await page.getByTestId('sim-error').waitFor();

  // Publish (version B): the confirmation counts the conflicts.
  await page.getByTestId('rules-publish').click();
  await page.getByTestId('confirm').waitFor();
  assert.match(await page.getByTestId('publish-summary').textContent(), /[1-9]\d* conflicts? found/);
  await page.getByTestId('confirm-ok').click();
  await page.locator('[data-testid="rules-published"]', { hasText: `Version ${versionA + 1} is live` }).waitFor();
  const versionB = (await api('/assignment_rules')).live_version;
  assert.equal(versionB, versionA + 1);

  // Versions: B live, A below; the audit log has the publish and the draft change with its diff.
  await page.getByTestId('rules-tab-versions').click();
  const rowB = page.locator(`[data-testid="rule-version"][data-version="${versionB}"]`);
  await rowB.waitFor();
  assert.match(await rowB.textContent(), /live/);
  await page.getByTestId('rules-tab-audit').click();
  const first = page.getByTestId('rule-audit-entry').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-action'), 'published');
  assert.match(await first.textContent(), new RegExp(`version ${versionB}`));
  const saved = page.locator('[data-testid="rule-audit-entry"][data-action="draft_updated"]').first();
  assert.match(await saved.getByTestId('rule-audit-diff').textContent(), new RegExp(`added vip-${m}, vip-${m}-copy`));
  await screenshot(page, 'settings-rules-audit');

  // Restore version A into the draft: only the refund rule again; publishing would make it live.
  await page.getByTestId('rules-tab-versions').click();
  await page.locator(`[data-testid="rule-version"][data-version="${versionA}"]`).getByTestId('rule-version-restore').click();
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('rule-list').waitFor();
  assert.equal(await page.getByTestId('rule-item').count(), 1);
  draft = await api('/assignment_rules');
  assert.deepEqual(draft.rules.map((r) => r.id), [`refunds-${m}`]);
  assert.equal(draft.live_version, versionB);
  await page.getByTestId('rules-tab-audit').click();
  await page.locator('[data-testid="rule-audit-entry"][data-action="restored"]').first().waitFor();
  assert.match(await page.getByTestId('rule-audit-entry').first().textContent(), /Restored/);

  // The JSON view: a list the form cannot show is refused there; a valid edit comes back to the form.
  await page.getByTestId('rules-tab-rules').click();
  await page.getByTestId('rules-json-view').check();
  const json = await page.getByTestId('rules-json').inputValue();
  await page.getByTestId('rules-json').fill('[{"id": "x"}]');
  await page.getByTestId('rules-json-apply').click();
  assert.match(await page.getByTestId('rules-json-error').textContent(), /rules\[0\]: id and name are required/);
  await page.getByTestId('rules-json').fill(json.replace('Refunds to Billing', 'Refunds (from JSON)'));
  await page.getByTestId('rules-json-apply').click();
  assert.equal(await page.getByTestId('rule-name').inputValue(), 'Refunds (from JSON)');
  await page.getByTestId('rules-unsaved').waitFor();
  await page.getByTestId('rules-discard').click();
  assert.equal(await page.getByTestId('rule-name').inputValue(), 'Refunds to Billing');
  // Order: a new rule moved up by its button, then dragged back below; discarded.
  const order = async () => page.getByTestId('rule-item').evaluateAll((items) => items.map((li) => li.dataset.id));
  await page.getByTestId('rule-add').click();
  await page.getByTestId('rule-id').fill(`late-${m}`);
  await page.locator(`[data-testid="rule-item"][data-id="late-${m}"]`).getByTestId('rule-up').click();
  assert.deepEqual(await order(), [`late-${m}`, `refunds-${m}`]);
  await page.locator(`[data-testid="rule-item"][data-id="late-${m}"]`).dragTo(page.locator(`[data-testid="rule-item"][data-id="refunds-${m}"]`));
  assert.deepEqual(await order(), [`refunds-${m}`, `late-${m}`]);
  await page.getByTestId('rules-discard').click();
  assert.deepEqual(await order(), [`refunds-${m}`]);
  assert.deepEqual(errors, []);
});

test('webhooks: a refused URL, a subscription delivering to a local receiver with its log, pause and resume', async () => {
  const { page, errors } = await asAdmin();
  const received = [];
  let failing = false;
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(failing ? 500 : 200).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  try {
    await page.goto(`${BASE}/app/settings/webhooks`);
    await page.getByTestId('settings-webhooks').waitFor();
    // Credentials in the URL are refused; the reason shows, nothing is created.
    await page.getByTestId('webhook-url').fill('http://user:secret@127.0.0.1:9/hook');
    await page.getByTestId('webhook-create').click();
    await page.getByTestId('webhook-refused').waitFor();
    assert.match(await page.getByTestId('webhook-refused').textContent(), /Refused: .*url/i);
    assert.equal((await api('/webhooks')).data.filter((w) => w.url.includes('user:secret')).length, 0);

    await page.getByTestId('webhook-url').fill(url);
    await page.getByTestId('webhook-create').click();
    await page.getByTestId('webhook-created').waitFor();
    const secret = await page.getByTestId('webhook-secret').inputValue();
    assert.ok(secret.length >= 8);
    const card = page.locator(`[data-testid="webhook"][data-url="${url}"]`);
    await card.waitFor();
    assert.equal(await card.getByTestId('webhook-state').textContent(), 'Active');

    // A customer writes: the receiver gets the signed notification, and the log shows it.
    const text = marker('hook');
    const written = await customerWrites(text);
    const hit = await eventually(() => received.find((r) => r.raw.toString().includes(text)), 'the delivery');
    const body = JSON.parse(hit.raw.toString());
    assert.equal(body.type, 'notification_event');
    assert.equal(body.topic, 'conversation.user.created');
    assert.equal(String(body.data.item.id), written.id);
    assert.equal(hit.headers['x-hub-signature'], `sha1=${createHmac('sha1', secret).update(hit.raw).digest('hex')}`);
    await card.getByTestId('webhook-log-toggle').click();
    await card.locator('[data-testid="webhook-delivery"][data-ok="true"]').first().waitFor();
    assert.match(await card.getByTestId('webhook-delivery-status').first().textContent(), /200/);
    assert.match(await card.getByTestId('webhook-log').textContent(), /conversation\.user\.created/);

    // Paused: nothing is sent; resumed: the event written meanwhile arrives.
    await card.getByTestId('webhook-pause').click();
    await card.locator('[data-testid="webhook-state"]', { hasText: 'Paused' }).waitFor();
    const during = marker('paused');
    await customerWrites(during);
    await card.getByTestId('webhook-resume').click();
    await card.locator('[data-testid="webhook-state"]', { hasText: 'Active' }).waitFor();
    await eventually(() => received.find((r) => r.raw.toString().includes(during)), 'the delivery after resuming');

    // A failing receiver: the attempt is logged with its status code.
    failing = true;
    const refused = marker('failing');
    await customerWrites(refused);
    await eventually(() => received.find((r) => r.raw.toString().includes(refused)), 'the failing attempt');
    await eventually(async () => {
      await card.getByTestId('webhook-log-refresh').click();
      return (await card.locator('[data-testid="webhook-delivery"][data-ok="false"]').count()) > 0;
    }, 'the failure in the log');
    assert.match(await card.locator('[data-testid="webhook-delivery"][data-ok="false"]').first().textContent(), /500/);
    failing = false;
    await card.getByTestId('webhook-log').scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-webhooks');

    await card.getByTestId('webhook-delete').click();
    await page.getByTestId('confirm-ok').click();
    await card.waitFor({ state: 'detached' });
    assert.equal((await api('/webhooks')).data.filter((w) => w.url === url).length, 0);
    assert.deepEqual(errors, []);
  } finally {
    receiver.close();
  }
});

test('agents and viewers see the routing, SLA and webhook settings read-only', async () => {
  const agent = await signIn('priya@acme.example');
  const { page } = agent;
  await page.goto(`${BASE}/app/settings/rules`);
  await page.getByTestId('settings-rules').getByTestId('read-only').waitFor();
  await page.getByTestId('rule-list').waitFor();
  assert.equal(await page.getByTestId('rule-add').count(), 0);
  assert.equal(await page.getByTestId('rules-save').count(), 0);
  assert.equal(await page.getByTestId('rules-publish').count(), 0);
  if (await page.getByTestId('rule-editor').count()) assert.equal(await page.getByTestId('rule-name').isDisabled(), true);
  // Reading and simulating are open to everyone.
  await page.getByTestId('rules-tab-simulate').click();
  await page.getByTestId('sim-plan').fill('free');
  await page.getByTestId('sim-run').click();
  await page.getByTestId('sim-trace').waitFor();
  await page.getByTestId('rules-tab-versions').click();
  await page.getByTestId('rule-versions').waitFor();
  assert.equal(await page.getByTestId('rule-version-restore').count(), 0);
  await page.getByTestId('settings-nav-sla').click();
  await page.getByTestId('settings-sla').getByTestId('read-only').waitFor();
  assert.equal(await page.getByTestId('sla-create-form').count(), 0);
  if (await page.getByTestId('sla-policy').count()) assert.equal(await page.getByTestId('sla-policy').first().getByTestId('sla-name').isDisabled(), true);
  await page.getByTestId('settings-nav-webhooks').click();
  await page.getByTestId('settings-webhooks').getByTestId('read-only').waitFor();
  assert.equal(await page.getByTestId('webhook-create-form').count(), 0);

  const viewer = await signIn('hannah@acme.example');
  await viewer.page.goto(`${BASE}/app/settings/rules`);
  await viewer.page.getByTestId('settings-rules').getByTestId('read-only').waitFor();
  assert.equal(await viewer.page.getByTestId('rules-save').count(), 0);
  assert.deepEqual(agent.errors, []);
  assert.deepEqual(viewer.errors, []);
});

test('a rule can send a saved reply, picked by name', async () => {
  const { page, errors } = await asAdmin();
  const m = marker('s').toLowerCase();
  const reply = await api('/saved_replies', { method: 'POST', body: { name: `Refund policy ${m}`, body: 'Hi {{contact.first_name | fallback: "there"}}, refunds take 5 days.' } });
  await api('/assignment_rules', { method: 'PUT', body: { rules: [] } });
  await page.goto(`${BASE}/app/settings/rules`);
  await page.getByTestId('settings-rules').waitFor();
  await page.getByTestId('rule-add').click();
  await page.getByTestId('rule-name').fill('Refund answer');
  await page.getByTestId('rule-id').fill(`answer-${m}`);
  await page.getByTestId('rule-add-action').selectOption('send_saved_reply');
  await page.getByTestId('action-saved-reply').selectOption({ label: `Refund policy ${m}` });
  await page.getByTestId('rules-save').click();
  await page.getByTestId('rules-unsaved').waitFor({ state: 'detached' });
  const draft = await api('/assignment_rules');
  assert.deepEqual(draft.rules[0].actions, [{ type: 'send_saved_reply', saved_reply_id: Number(reply.id) }]);
  await api('/assignment_rules', { method: 'PUT', body: { rules: [] } });
  assert.deepEqual(errors, []);
});
