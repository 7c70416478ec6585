// Entry point: signs in (or finds the session from the cookie), then runs the inbox.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import * as api from './api';
import type { Session } from './api';
import { Shell } from './Shell';
import { live } from './live';
import { Lazy, navigate, usePath } from './settings/route';
import './styles.css';

const WORKSPACES_KEY = 'rapport.workspaces';
type Workspaces = { app_id: string; name: string }[];

function savedWorkspaces(): Workspaces {
  try { return JSON.parse(localStorage.getItem(WORKSPACES_KEY) ?? '[]') as Workspaces; } catch { return []; }
}

function Login({ onSignedIn, email: presetEmail, appId, workspaceName, notice }: { onSignedIn: (s: Session) => void; email?: string; appId?: string; workspaceName?: string; notice?: string | null }) {
  const [email, setEmail] = useState(presetEmail ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.login(email.trim(), password, appId));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-label="Sign in" data-testid="login-form">
        <div class="brand big"><span class="logo" aria-hidden="true">R</span><span>Rapport</span></div>
        <h1>{workspaceName ? `Sign in to ${workspaceName}` : 'Sign in to your inbox'}</h1>
        {notice && <p class="notice" role="alert" data-testid="login-notice">{notice}</p>}
        <label>Email<input type="email" name="email" autoComplete="username" required value={email} autoFocus={!presetEmail}
          onInput={(e) => setEmail((e.target as HTMLInputElement).value)} data-testid="login-email" /></label>
        <label>Password<input type="password" name="password" autoComplete="current-password" required value={password} autoFocus={!!presetEmail}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} data-testid="login-password" /></label>
        {error && <p class="error" role="alert" data-testid="login-error">{error}</p>}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}

function App() {
  const [current, setCurrent] = useState<Session | null | undefined>(undefined);
  const [switchTo, setSwitchTo] = useState<{ app_id: string; name: string } | null>(null);
  const [workspaces, setWorkspaces] = useState<Workspaces>(savedWorkspaces);
  // Kept when a session ends on its own (expired, CSRF token lost), so signing in again is one field.
  const [lastEmail, setLastEmail] = useState('');
  // Why the app returned to the sign-in form, when the server ended the session (deactivation).
  const [notice, setNotice] = useState<string | null>(null);
  const path = usePath();

  useEffect(() => {
    api.whenSignedOut(() => setCurrent(null));
    live.onEnded = () => {
      setNotice('Your access to this workspace was turned off by an admin, so you were signed out.');
      setCurrent(null);
    };
    // A reconnect refused (e.g. the session ended while the socket was away): a 401 here signs out.
    live.onRefused = () => { api.session().catch(() => undefined); };
    api.session().then((s) => { setLastEmail(s.admin.email); setCurrent(s); }, () => setCurrent(null));
  }, []);

  const signedIn = (s: Session) => {
    if (s.csrf_token) api.csrf.set(s.csrf_token);
    if (s.workspaces) {
      localStorage.setItem(WORKSPACES_KEY, JSON.stringify(s.workspaces));
      setWorkspaces(s.workspaces);
    }
    setSwitchTo(null);
    setNotice(null);
    setLastEmail(s.admin.email);
    setCurrent(s);
  };
  const signOut = async () => {
    try { await api.logout(); } catch { /* the session may already be gone */ }
    api.csrf.clear();
    localStorage.removeItem(WORKSPACES_KEY);
    setLastEmail('');
    setCurrent(null);
  };

  const invite = /^\/app\/invite\/([^/]+)/.exec(path);
  if (invite) {
    return <Lazy load={() => import('./settings/Invite')} render={(m) => (
      <m.Invite token={decodeURIComponent(invite[1])} onSignedIn={(s) => { signedIn(s); navigate('/app'); }} />
    )} />;
  }
  if (current === undefined) return <main class="splash" aria-busy="true">Loading…</main>;
  if (current === null || switchTo) {
    return <Login onSignedIn={signedIn} email={current?.admin.email ?? (lastEmail || undefined)} appId={switchTo?.app_id} workspaceName={switchTo?.name} notice={notice} />;
  }
  if (path.startsWith('/app/settings')) {
    return <Lazy load={() => import('./settings/Settings')} render={(m) => <m.Settings key={current.admin.id} session={current} path={path} />} />;
  }
  return (
    <Shell
      key={`${current.app.name}-${current.admin.id}`} session={current} workspaces={workspaces} onSignOut={signOut}
      onSwitch={(appId) => { const w = workspaces.find((x) => x.app_id === appId); if (w && w.name !== current.app.name) setSwitchTo(w); }}
    />
  );
}

render(<App />, document.getElementById('root') as HTMLElement);
