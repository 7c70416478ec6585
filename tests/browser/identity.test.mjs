// Identity verification: /demo?user_id=&user_hash= boots an identified user; a forged hash is
// refused; a workspace that enforces verification refuses a user without a hash; with it off, an
// unsigned claim is a lead marked with the claim (shown to the team), and settings warn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, api, findConversation, marker, messengerFrame, openBrowser, openDemo, screenshot, signIn, startConversation, userHash } from './helpers.mjs';

test('a valid user_hash boots the user', async () => {
  const { page, close } = await openBrowser();
  try {
    const userId = marker('user');
    const boot = await openDemo(page, `?user_id=${userId}&user_hash=${userHash(userId)}`);
    assert.equal(boot.status(), 200);
    const answer = await boot.json();
    assert.equal(answer.contact.user_id, userId);
    assert.equal(answer.contact.role, 'user');
  } finally {
    await close();
  }
});

test('a forged user_hash is refused and the messenger says so', async () => {
  const { page, close } = await openBrowser();
  try {
    const boot = await openDemo(page, `?user_id=${marker('victim')}&user_hash=${'0'.repeat(64)}`);
    assert.equal(boot.status(), 401);
    assert.equal((await boot.json()).errors[0].code, 'identity_verification_failed');
    await page.getByTestId('rapport-launcher').click();
    const error = messengerFrame(page).getByTestId('rapport-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-code'), 'identity_verification_failed');
    assert.equal(await messengerFrame(page).getByTestId('rapport-composer').count(), 0);
  } finally {
    await close();
  }
});

test('an enforcing workspace shows a friendly refusal without user_hash and works with a correct one', async () => {
  await api('/messenger/settings', { method: 'PUT', body: { identity_enforced: true } });
  const { page, close, errors } = await openBrowser();
  try {
    const userId = marker('enforced');
    // No hash: the boot is refused and the messenger says so instead of a composer.
    const refused = await openDemo(page, `?user_id=${userId}`);
    assert.equal(refused.status(), 401);
    assert.equal((await refused.json()).errors[0].code, 'identity_verification_failed');
    await page.getByTestId('rapport-launcher').click();
    const frame = messengerFrame(page);
    const error = frame.getByTestId('rapport-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-code'), 'identity_verification_failed');
    assert.match(await error.innerText(), /couldn't verify who you are/);
    assert.equal(await frame.getByTestId('rapport-composer').count(), 0);

    // The same user with their hash: booted, and they can write.
    const booted = await openDemo(page, `?user_id=${userId}&user_hash=${userHash(userId)}`);
    assert.equal(booted.status(), 200);
    assert.equal((await booted.json()).contact.user_id, userId);
    const text = marker('verified hello');
    await startConversation(page, text);
    assert.deepEqual(errors, []);
  } finally {
    await close();
    await api('/messenger/settings', { method: 'PUT', body: { identity_enforced: true } });
  }
});

test('with verification off an unsigned claim stays a lead marked with it; the inbox shows the claim and settings warn', async () => {
  await api('/messenger/settings', { method: 'PUT', body: { identity_enforced: false } });
  const customer = await openBrowser();
  // An admin (sign-ins are rate-limited per email, and the owner's are spent by other files).
  const agent = await signIn('jordan@acme.example');
  try {
    const claimed = marker('claimed');
    const boot = await openDemo(customer.page, `?user_id=${claimed}`);
    assert.equal(boot.status(), 200);
    const answer = await boot.json();
    assert.deepEqual([answer.contact.role, answer.contact.user_id, answer.contact.claimed_identity.user_id], ['lead', null, claimed]);
    const text = marker('unsigned hello');
    await startConversation(customer.page, text);
    const conversation = await findConversation(text);

    const { page } = agent;
    await page.goto(`${BASE}/app/all?c=${conversation.id}`);
    const claim = page.getByTestId('contact-claim');
    await claim.waitFor();
    assert.match(await claim.innerText(), new RegExp(`${claimed}.*unverified`));
    await screenshot(page, 'conversation-claimed-identity');

    await page.goto(`${BASE}/app/settings/messenger`);
    const warning = page.getByTestId('identity-off-warning');
    await warning.waitFor();
    assert.match(await warning.innerText(), /Identity verification is off/);
    await warning.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-identity-off');
    await page.getByTestId('identity-enforced').click();
    await warning.waitFor({ state: 'detached' });
    assert.equal((await api('/messenger/settings')).identity_enforced, true);
    assert.deepEqual([...customer.errors, ...agent.errors], []);
  } finally {
    await customer.close();
    await agent.close();
    await api('/messenger/settings', { method: 'PUT', body: { identity_enforced: true } });
  }
});
