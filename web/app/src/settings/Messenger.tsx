// Messenger: the widget's name, colour, greeting and usual reply time (with a live look at the
// launcher and header), office hours, and identity verification: reveal, copy or rotate the secret, enforce it.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import * as data from './data';
import type { MessengerSettings } from './data';
import { OfficeHours } from './OfficeHours';
import { Confirm, CopyField, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';

const REPLY_TIMES: [number, string][] = [[5, 'In a few minutes'], [15, 'Within 15 minutes'], [60, 'Within an hour'], [240, 'Within a few hours'], [1440, 'Within a day']];

export function Messenger({ me }: { me: Admin }) {
  const readOnly = data.canManage(data.roleOf(me)) ? null : data.manageReason(data.roleOf(me));
  const [settings, setSettings] = useState<MessengerSettings | null>(null);
  const load = useRequest();
  useEffect(() => { void load.run(async () => setSettings(await data.messenger())); }, []);
  return (
    <>
      <Header title="Messenger">How the chat widget looks to your customers, and how it knows who they are.</Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      {settings && <Look settings={settings} readOnly={readOnly} onSaved={setSettings} />}
      {settings && <OfficeHours settings={settings} readOnly={readOnly} onSaved={setSettings} />}
      {settings && <Identity settings={settings} readOnly={readOnly} onSaved={setSettings} />}
    </>
  );
}

function Look({ settings, readOnly, onSaved }: { settings: MessengerSettings; readOnly: string | null; onSaved: (s: MessengerSettings) => void }) {
  const [name, setName] = useState(settings.name);
  const [color, setColor] = useState(settings.color);
  const [greeting, setGreeting] = useState(settings.greeting ?? '');
  const [reply, setReply] = useState(settings.reply_time_minutes);
  const [done, setDone] = useState(false);
  const save = useRequest();
  // An edit makes the last answer stale: its error and the "Saved" note go.
  useEffect(() => { save.setError(null); setDone(false); }, [name, color, greeting, reply]);
  const changes: Partial<MessengerSettings> = {};
  if (name !== settings.name) changes.name = name;
  if (color.toLowerCase() !== settings.color.toLowerCase()) changes.color = color;
  if (greeting !== (settings.greeting ?? '')) changes.greeting = greeting;
  if (reply !== settings.reply_time_minutes) changes.reply_time_minutes = reply;
  const dirty = Object.keys(changes).length > 0;
  const valid = /^#[0-9a-f]{6}$/i.test(color);
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await save.run(() => data.saveMessenger(changes));
    if (saved) { setDone(true); onSaved(saved); }
  };
  const times = REPLY_TIMES.some(([m]) => m === reply) ? REPLY_TIMES : [...REPLY_TIMES, [reply, `Within ${reply} minutes`] as [number, string]];
  return (
    <div class="messenger-grid">
      <form class="stack-form settings-block" onSubmit={(e) => void submit(e)} data-testid="messenger-form" aria-labelledby="look-title">
        <h3 id="look-title">Appearance</h3>
        <fieldset disabled={!!readOnly}>
          <label>Name shown atop the messenger<input required maxLength={200} value={name} onInput={input(setName)} data-testid="messenger-name" /></label>
          <label for="messenger-color">Brand colour</label>
          <div class="color-row">
            <input type="color" value={valid ? color : settings.color} onInput={input(setColor)} aria-label="Pick the brand colour" data-testid="messenger-color-picker" />
            <input id="messenger-color" value={color} onInput={input(setColor)} maxLength={7} spellcheck={false} data-testid="messenger-color" aria-describedby="color-hint" />
            <span class="hint" id="color-hint">#rrggbb</span>
          </div>
          <label>Greeting<textarea rows={3} maxLength={500} value={greeting} onInput={input(setGreeting)} data-testid="messenger-greeting"
            placeholder="Hi there! Ask us anything." /></label>
          <label>Usual reply time
            <select value={String(reply)} onChange={(e) => setReply(Number((e.target as HTMLSelectElement).value))} data-testid="messenger-reply-time">
              {times.map(([m, label]) => <option key={m} value={String(m)}>{label}</option>)}
            </select>
          </label>
          <ErrorLine error={save.error} testid="messenger-error" />
          <div class="form-actions">
            <button type="submit" class="primary" disabled={!dirty || save.busy} data-testid="messenger-save">{save.busy ? 'Saving…' : 'Save changes'}</button>
            {done && !dirty && <span class="saved-note" role="status" data-testid="messenger-saved">Saved — live for new visitors now.</span>}
          </div>
        </fieldset>
      </form>
      <figure class="widget-preview" aria-label="Preview of the messenger">
        <div class="wp-window">
          <div class="wp-head" style={{ background: valid ? color : settings.color }}>
            <strong>{name || settings.name}</strong>
            <span>{times.find(([m]) => m === reply)?.[1] ?? ''}</span>
          </div>
          <div class="wp-body">
            <p class="wp-bubble">{greeting || 'Hi there! Ask us anything.'}</p>
            <p class="wp-bubble me" style={{ background: valid ? color : settings.color }}>Hello! I have a question.</p>
          </div>
        </div>
        <div class="wp-launcher" style={{ background: valid ? color : settings.color }} aria-hidden="true">
          <svg viewBox="0 0 24 24" width="24" height="24" fill="#fff"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" /></svg>
        </div>
        <figcaption class="muted">Preview</figcaption>
      </figure>
    </div>
  );
}

function Identity({ settings, readOnly, onSaved }: { settings: MessengerSettings; readOnly: string | null; onSaved: (s: MessengerSettings) => void }) {
  const [shown, setShown] = useState(false);
  const [rotate, setRotate] = useState(false);
  const toggle = useRequest();
  const flip = async () => {
    const saved = await toggle.run(() => data.saveMessenger({ identity_enforced: !settings.identity_enforced }));
    if (saved) onSaved(saved);
  };
  return (
    <section class="settings-block" aria-labelledby="identity-title" data-testid="identity">
      <h3 id="identity-title">Identity verification</h3>
      <p class="muted">Your server signs each signed-in customer’s <code>user_id</code> with this secret (<code>user_hash</code>, HMAC-SHA256, or a
        {' '}<code>user_jwt</code>), so nobody can chat as someone else. Keep the secret on your server only.</p>
      <label class="switch">
        <input type="checkbox" role="switch" checked={settings.identity_enforced} disabled={!!readOnly || toggle.busy}
          onChange={() => void flip()} data-testid="identity-enforced" />
        <span><strong>Require verified identity</strong><br /><span class="muted">Refuse messenger users without a valid user_hash or user_jwt. Anonymous visitors still chat.</span></span>
      </label>
      {!settings.identity_enforced && (
        <p class="notice" role="status" data-testid="identity-off-warning">
          Identity verification is off. A visitor who names a <code>user_id</code> or email without a valid signature
          stays a lead marked “claims to be …”: they never see that user’s conversations and are not routed as them.
          Signed-in customers only reach their history once your server sends <code>user_hash</code> or <code>user_jwt</code>.
        </p>
      )}
      <ErrorLine error={toggle.error} />
      {settings.identity_secret ? (
        <div class="secret">
          <span class="secret-label">Secret</span>
          <div class="secret-row">
            {shown ? <CopyField label="Identity verification secret" value={settings.identity_secret} testid="identity-secret" />
              : <span class="masked" data-testid="identity-secret-masked" aria-label="Secret hidden">{'•'.repeat(40)}</span>}
            <button type="button" onClick={() => setShown(!shown)} data-testid="identity-reveal">{shown ? 'Hide' : 'Reveal'}</button>
            <button type="button" class="danger-link" onClick={() => setRotate(true)} data-testid="identity-rotate">Rotate…</button>
          </div>
        </div>
      ) : <p class="muted">Only owners and admins see the secret.</p>}
      {rotate && (
        <Confirm title="Rotate the identity secret?" action="Rotate secret" danger onClose={() => setRotate(false)}
          onConfirm={async () => { onSaved(await data.rotateSecret()); setShown(true); }}>
          Every user_hash and user_jwt made with the current secret stops verifying at once, and signed-in
          messenger visitors must boot again. Put the new secret on your servers straight away.
        </Confirm>
      )}
    </section>
  );
}
