// Webhooks (/app/settings/webhooks): subscriptions with their URL and topics, the signing secret
// shown once at creation, pause / resume (also after the automatic pause), and each one's delivery
// log (status code, latency, error). A refused URL (a private address, a bad scheme) shows the
// server's reason at the form. Owners and admins only, as in the API.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import { when } from '../format';
import * as data from './data';
import type { Delivery, Webhook } from './data';
import { Confirm, CopyField, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';
import './rules.css';

const reason = (role: string) => `Your role (${role}) cannot see or manage webhooks`;

function Topics({ chosen, onChange, testid }: { chosen: string[]; onChange: (t: string[]) => void; testid: string }) {
  const all = chosen.length === data.TOPICS.length;
  return (
    <fieldset class="stack-form" data-testid={testid}>
      <legend class="secret-label">Topics</legend>
      <label class="radio"><input type="checkbox" checked={all} onChange={() => onChange(all ? [] : [...data.TOPICS])} data-testid={`${testid}-all`} />Every topic</label>
      <div class="topics">
        {data.TOPICS.map((t) => (
          <label key={t} class="radio"><input type="checkbox" checked={chosen.includes(t)} value={t} data-testid={`${testid}-topic`}
            onChange={() => onChange(chosen.includes(t) ? chosen.filter((x) => x !== t) : [...chosen, t])} /><code>{t}</code></label>
        ))}
      </div>
    </fieldset>
  );
}

export function Webhooks({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const readOnly = data.canManage(myRole) ? null : reason(myRole);
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState<string[]>(['conversation.user.created', 'conversation.user.replied']);
  const [secret, setSecret] = useState('');
  const [fresh, setFresh] = useState<Webhook | null>(null);
  const load = useRequest();
  const create = useRequest();
  useEffect(() => {
    if (readOnly) return;
    void load.run(async () => setHooks(await data.webhooks()));
  }, []);
  useEffect(() => create.setError(null), [url, topics, secret]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const made = await create.run(() => data.createWebhook({ url: url.trim(), topics, secret: secret.trim() || undefined }));
    if (!made) return;
    setFresh(made);
    setHooks((all) => [...(all ?? []), { ...made, secret: undefined }]);
    setUrl('');
    setSecret('');
  };
  const replace = (h: Webhook) => setHooks((all) => (all ?? []).map((x) => (x.id === h.id ? h : x)));
  return (
    <>
      <Header title="Webhooks">
        Rapport POSTs Intercom’s <code>notification_event</code> to your URL for each event of the chosen topics, signed with
        <code>X-Hub-Signature: sha1=…</code>, in order, retried until it answers 2xx.
      </Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      {!readOnly && (
        <section class="settings-block" aria-labelledby="new-webhook">
          <h3 id="new-webhook">New subscription</h3>
          <form class="stack-form" onSubmit={(e) => void submit(e)} data-testid="webhook-create-form">
            <label>URL<input required type="url" value={url} onInput={input(setUrl)} placeholder="https://example.com/rapport" data-testid="webhook-url" /></label>
            <Topics chosen={topics} onChange={setTopics} testid="webhook-topics" />
            <label>Secret (8–256 characters; empty to generate one)<input value={secret} onInput={input(setSecret)} minLength={8} maxLength={256} autoComplete="off" data-testid="webhook-secret-input" /></label>
            <div class="form-actions">
              <button type="submit" class="primary" disabled={create.busy || topics.length === 0} data-testid="webhook-create">{create.busy ? 'Checking the URL…' : 'Create subscription'}</button>
            </div>
            {create.error && <p class="error refusal" role="alert" data-testid="webhook-refused">Refused: {create.error}</p>}
          </form>
          {fresh?.secret && (
            <div class="once warn" role="status" data-testid="webhook-created">
              <p><strong>Copy the signing secret for {fresh.url} now.</strong> It is shown only this once; your receiver checks
                <code>X-Hub-Signature</code> with it. To change it, create a new subscription and delete this one.</p>
              <CopyField label="Signing secret" value={fresh.secret} testid="webhook-secret" />
              <button type="button" class="link" onClick={() => setFresh(null)}>I have stored it</button>
            </div>
          )}
        </section>
      )}
      {hooks?.length === 0 && <p class="muted">No subscriptions yet.</p>}
      {(hooks ?? []).map((h) => (
        <Subscription key={h.id} hook={h} onChange={replace}
          onDeleted={() => { setHooks((all) => (all ?? []).filter((x) => x.id !== h.id)); if (fresh?.id === h.id) setFresh(null); }} />
      ))}
    </>
  );
}

function Subscription({ hook, onChange, onDeleted }: { hook: Webhook; onChange: (h: Webhook) => void; onDeleted: () => void }) {
  const [url, setUrl] = useState(hook.url);
  const [topics, setTopics] = useState(hook.topics);
  const [log, setLog] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const save = useRequest();
  const toggle = useRequest();
  useEffect(() => save.setError(null), [url, topics]);
  const dirty = url !== hook.url || JSON.stringify([...topics].sort()) !== JSON.stringify([...hook.topics].sort());
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await save.run(() => data.updateWebhook(hook.id, { url: url.trim(), topics }));
    if (saved) onChange(saved);
  };
  const act = async (request: () => Promise<Webhook>) => { const h = await toggle.run(request); if (h) onChange(h); };
  const STATE: Record<string, string> = { active: 'Active', paused: 'Paused', inactive: 'Off' };
  return (
    <section class="card-box" data-testid="webhook" data-url={hook.url} aria-label={`Webhook ${hook.url}`}>
      <h3 class="card-title"><span class="mono">{hook.url}</span>
        <span class={`pill state-${hook.state}`} data-testid="webhook-state">{STATE[hook.state] ?? hook.state}</span></h3>
      {hook.state === 'paused' && (
        <p class="readonly" data-testid="webhook-paused-note">
          Paused{hook.consecutive_failures ? ` after ${hook.consecutive_failures} failed attempts in a row` : ''}{hook.last_error ? `: ${hook.last_error}` : ''}.
          Resume to continue from the first undelivered event.
        </p>
      )}
      {hook.state !== 'paused' && hook.consecutive_failures > 0 && (
        <p class="error" data-testid="webhook-failing">{hook.consecutive_failures} failed attempt{hook.consecutive_failures === 1 ? '' : 's'} in a row{hook.last_error ? `: ${hook.last_error}` : ''}{hook.next_attempt_at ? `; next try ${when(hook.next_attempt_at)}` : ''}</p>
      )}
      <form class="stack-form" onSubmit={(e) => void submit(e)}>
        <label>URL<input required type="url" value={url} onInput={input(setUrl)} data-testid="webhook-edit-url" /></label>
        <Topics chosen={topics} onChange={setTopics} testid="webhook-edit-topics" />
        {save.error && <p class="error refusal" role="alert" data-testid="webhook-edit-refused">Refused: {save.error}</p>}
        <div class="form-actions">
          <button type="submit" class="primary" disabled={!dirty || save.busy || topics.length === 0} data-testid="webhook-save">{save.busy ? 'Saving…' : 'Save'}</button>
          {hook.state === 'paused'
            ? <button type="button" disabled={toggle.busy} onClick={() => void act(() => data.resumeWebhook(hook.id))} data-testid="webhook-resume">Resume</button>
            : <button type="button" disabled={toggle.busy} onClick={() => void act(() => data.pauseWebhook(hook.id))} data-testid="webhook-pause">Pause</button>}
          {hook.state === 'inactive' && <button type="button" disabled={toggle.busy} onClick={() => void act(() => data.updateWebhook(hook.id, { active: true }))}>Turn on</button>}
          <button type="button" aria-expanded={log} onClick={() => setLog(!log)} data-testid="webhook-log-toggle">{log ? 'Hide deliveries' : 'Deliveries'}</button>
          <button type="button" class="danger-link" onClick={() => setConfirm(true)} data-testid="webhook-delete">Delete</button>
        </div>
        <ErrorLine error={toggle.error} />
      </form>
      {log && <DeliveryLog id={hook.id} />}
      {confirm && (
        <Confirm title="Delete this webhook subscription?" action="Delete" danger onClose={() => setConfirm(false)}
          onConfirm={async () => { await data.deleteWebhook(hook.id); onDeleted(); }}>
          Rapport stops sending to {hook.url} at once, and its delivery log goes too.
        </Confirm>
      )}
    </section>
  );
}

function DeliveryLog({ id }: { id: string }) {
  const [rows, setRows] = useState<Delivery[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const load = useRequest();
  const fetchPage = async (after?: string) => {
    const page = await load.run(() => data.deliveries(id, after));
    if (!page) return;
    setRows((all) => (after ? [...all, ...page.data] : page.data));
    setNext(page.pages?.next?.starting_after ?? null);
  };
  useEffect(() => { void fetchPage(); }, [id]);
  return (
    <div class="stack-form" data-testid="webhook-log">
      <div class="toolbar">
        <h4>Delivery log (newest first)</h4>
        <button type="button" disabled={load.busy} onClick={() => void fetchPage()} data-testid="webhook-log-refresh">Refresh</button>
      </div>
      <ErrorLine error={load.error} />
      {rows.length === 0 && !load.busy && <p class="muted">No deliveries yet: events written after the subscription was made are sent.</p>}
      {rows.length > 0 && (
        <table class="settings-table">
          <thead><tr><th scope="col">When</th><th scope="col">Topic</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Response</th><th scope="col">Latency</th></tr></thead>
          <tbody>
            {rows.map((d, i) => {
              const ok = d.status_code !== null && d.status_code >= 200 && d.status_code < 300;
              return (
                <tr key={d.id ?? i} data-testid="webhook-delivery" data-ok={String(ok)}>
                  <td><time>{when(d.created_at)}</time></td>
                  <td><code>{d.topic}</code></td>
                  <td class="mono">{d.notification_id}</td>
                  <td>{d.attempt}</td>
                  <td data-testid="webhook-delivery-status">
                    <span class={`pill ${ok ? 'ok-pill' : 'warn-pill'}`}>{d.status_code ?? 'no answer'}</span>
                    {d.error && <span class="muted"> {d.error}</span>}
                  </td>
                  <td>{d.latency_ms === null ? '—' : `${d.latency_ms} ms`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {next && <button type="button" disabled={load.busy} onClick={() => void fetchPage(next)}>Older deliveries</button>}
    </div>
  );
}
