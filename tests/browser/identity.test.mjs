// Identity verification: /demo?user_id=&user_hash= boots an identified user; a forged hash is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { marker, messengerFrame, openBrowser, openDemo, userHash } from './helpers.mjs';

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

// The workspace has no way yet to turn enforcement on (no API or CLI for `identity_enforced`), so
// this checks the part of the contract that holds either way: a hash that is present but wrong.
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
