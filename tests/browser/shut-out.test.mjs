// A visitor whose contact was archived is refused on their next visit with a clear state; the
// widget must not drop their token and quietly boot them again as a new lead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, messengerFrame, openBrowser, openDemo } from './helpers.mjs';

test('an archived visitor sees a refusal and is not booted again as a new lead', async () => {
  const { page, close, errors } = await openBrowser();
  let contactId;
  try {
    const first = await openDemo(page);
    assert.equal(first.status(), 200);
    contactId = (await first.json()).contact.id;
    const archived = await api(`/contacts/${contactId}/archive`, { method: 'POST' });
    assert.equal(archived.archived, true);

    const boots = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/messenger/boot')) boots.push(request);
    });
    const refused = await openDemo(page);
    assert.equal(refused.status(), 403);
    assert.equal((await refused.json()).errors[0].code, 'contact_archived');
    await page.getByTestId('rapport-launcher').click();
    const frame = messengerFrame(page);
    const error = frame.getByTestId('rapport-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-code'), 'contact_archived');
    assert.match(await error.innerText(), /can't send messages here/);
    assert.equal(await frame.getByTestId('rapport-composer').count(), 0);
    await page.waitForTimeout(300);
    assert.equal(boots.length, 1, 'no second boot without the token');
    assert.deepEqual(errors, []);
  } finally {
    if (contactId) await api(`/contacts/${contactId}/unarchive`, { method: 'POST' }).catch(() => {});
    await close();
  }
});
