// Identity verification: /demo?user_id=&user_hash= boots an identified user; a forged hash is
// refused; a workspace that enforces verification refuses a user without a hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, marker, messengerFrame, openBrowser, openDemo, startConversation, userHash } from './helpers.mjs';

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
