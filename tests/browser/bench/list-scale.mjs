// The inbox list with thousands of loaded rows (docs/BENCHMARKS.md, "Agent app: the list at scale").
// Against a running `rapport serve --demo` (owner@acme.example / rapport-demo):
//   RAPPORT_URL=http://127.0.0.1:8080 RAPPORT_TOKEN=<the demo's API token> node tests/browser/bench/list-scale.mjs 3000
// Creates N open conversations through the REST API, scrolls the All view until every open
// conversation is loaded, then prints: rows loaded and in the DOM, frame times while scrolling the
// whole list 400 px a frame, and how soon a new conversation shows while scrolled to the middle.
import { api, BASE, openBrowser } from '../helpers.mjs';

const N = Number(process.argv[2] ?? 3000);
const contact = await api('/contacts', { method: 'POST', body: { role: 'user', email: `many-${Date.now()}@customer.example`, name: 'Many' } });
for (let i = 0; i < N; i += 20) {
  const batch = Array.from({ length: Math.min(20, N - i) }, (_, j) =>
    api('/conversations', { method: 'POST', body: { from: { type: 'user', id: contact.id }, body: `<p>conversation ${i + j}</p>` } }));
  await Promise.all(batch);
}

const { page, close } = await openBrowser();
await page.setViewportSize({ width: 1440, height: 860 });
await page.goto(`${BASE}/app`);
await page.getByTestId('login-email').fill('owner@acme.example');
await page.getByTestId('login-password').fill('rapport-demo');
await page.getByTestId('login-submit').click();
await page.getByTestId('view-all').click();
await page.getByTestId('conversation-item').first().waitFor();
const open = (await api('/inbox/counts?state=open')).all;
const rows = () => page.evaluate(() => Math.round(document.querySelector('[data-testid="inbox-list"]').firstElementChild.getBoundingClientRect().height / 72));
const started = Date.now();
while ((await rows()) < open) {
  await page.evaluate(() => { const el = document.querySelector('[data-testid="inbox-list"]'); el.scrollTop = el.scrollHeight; });
  await page.waitForTimeout(30);
}
console.log(`loaded ${await rows()} rows in ${Date.now() - started} ms; rows in the DOM: ${await page.getByTestId('conversation-item').count()}`);

const frames = await page.evaluate(() => new Promise((resolve) => {
  const el = document.querySelector('[data-testid="inbox-list"]');
  el.scrollTop = 0;
  const deltas = [];
  let last = performance.now();
  const step = () => {
    const now = performance.now();
    deltas.push(now - last);
    last = now;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) resolve(deltas);
    else { el.scrollTop += 400; requestAnimationFrame(step); }
  };
  requestAnimationFrame(step);
}));
frames.sort((a, b) => a - b);
const at = (q) => frames[Math.min(frames.length - 1, Math.floor(frames.length * q))].toFixed(1);
console.log(`scrolling top to bottom: ${frames.length} frames, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);

await page.evaluate((y) => { document.querySelector('[data-testid="inbox-list"]').scrollTop = y; }, Math.floor(open / 2) * 72);
for (let i = 1; i <= 3; i++) {
  const sent = Date.now();
  await api('/conversations', { method: 'POST', body: { from: { type: 'user', id: contact.id }, body: '<p>arrives</p>' } });
  await page.waitForFunction((n) => document.querySelector('[data-testid="inbox-list"]').firstElementChild.getBoundingClientRect().height / 72 >= n, open + i);
  console.log(`a new conversation is in the list ${Date.now() - sent} ms after the POST was sent (the POST, the event, one search)`);
}
await close();
