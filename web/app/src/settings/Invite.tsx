// The invitation link (/app/invite/<token>): shows the workspace and email it is for, asks for a
// name and password, accepts and signs the new teammate in. An invalid, used or expired link says so.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { Session } from '../api';
import * as data from './data';
import type { Invite as InviteInfo } from './data';
import { linkTo } from './route';
import { ErrorLine, input, message, useRequest } from './ui';
import './settings.css';

export function Invite({ token, onSignedIn }: { token: string; onSignedIn: (s: Session) => void }) {
  const [invite, setInvite] = useState<InviteInfo | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const accept = useRequest();
  useEffect(() => {
    data.showInvite(token).then((i) => { setInvite(i); setName(i.name); }, (e: unknown) => { setInvite(null); setFailure(message(e)); });
  }, [token]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const session = await accept.run(() => api<Session>('POST', `/invites/${encodeURIComponent(token)}/accept`, { name: name.trim(), password }));
    if (session) onSignedIn(session);
  };
  if (invite === undefined) return <main class="splash" aria-busy="true">Loading…</main>;
  return (
    <main class="login">
      {invite === null ? (
        <section class="login-card" aria-labelledby="invite-title" data-testid="invite-invalid">
          <div class="brand big"><span class="logo" aria-hidden="true">R</span><span>Rapport</span></div>
          <h1 id="invite-title">This invitation can’t be used</h1>
          <p class="muted" role="alert">{failure ?? 'This invitation link is invalid, used or expired'}. Links work once and expire after 7 days —
            ask whoever invited you for a new one.</p>
          <a class="button" {...linkTo('/app')}>Go to sign in</a>
        </section>
      ) : (
        <form class="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="invite-title" data-testid="invite-accept-form">
          <div class="brand big"><span class="logo" aria-hidden="true">R</span><span>Rapport</span></div>
          <h1 id="invite-title">Join {invite.workspace?.name ?? 'the workspace'}</h1>
          <p class="muted">You were invited as <strong>{data.ROLE_LABELS[invite.role]}</strong> with <strong data-testid="invite-email">{invite.email}</strong>.
            Choose your name and a password to sign in from now on.</p>
          <label>Your name<input required autoComplete="name" value={name} onInput={input(setName)} data-testid="invite-accept-name" /></label>
          <label>Password<input type="password" required minLength={8} autoComplete="new-password" value={password} onInput={input(setPassword)}
            aria-describedby="pw-hint" data-testid="invite-accept-password" autoFocus /></label>
          <p class="hint" id="pw-hint">At least 8 characters.</p>
          <ErrorLine error={accept.error} testid="invite-accept-error" />
          <button type="submit" class="primary" disabled={accept.busy} data-testid="invite-accept">{accept.busy ? 'Joining…' : `Join ${invite.workspace?.name ?? ''}`}</button>
        </form>
      )}
    </main>
  );
}
