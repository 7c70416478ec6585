// The settings area (/app/settings/<section>), loaded on first use: a section list beside the
// chosen section. The agent socket stays open here too, so a deactivation ends the app at once.
import { useEffect, useRef } from 'preact/hooks';
import type { Admin, Session } from '../api';
import { live } from '../live';
import { Messenger } from './Messenger';
import { Lazy, navigate, linkTo } from './route';
import { SavedReplies } from './SavedReplies';
import { Tags } from './Tags';
import { Teammates } from './Teammates';
import { Teams } from './Teams';
import { Tokens } from './Tokens';
import './settings.css';

// The routing, SLA and webhook screens are chunks of their own, loaded when first opened.
const Rules = ({ me }: { me: Admin }) => <Lazy load={() => import('./Rules')} render={(m) => <m.Rules me={me} />} />;
const Sla = ({ me }: { me: Admin }) => <Lazy load={() => import('./Sla')} render={(m) => <m.Sla me={me} />} />;
const Webhooks = ({ me }: { me: Admin }) => <Lazy load={() => import('./Webhooks')} render={(m) => <m.Webhooks me={me} />} />;

export const SECTIONS = [
  { key: 'teammates', label: 'Teammates', screen: Teammates },
  { key: 'teams', label: 'Teams', screen: Teams },
  { key: 'tags', label: 'Tags', screen: Tags },
  { key: 'saved-replies', label: 'Saved replies', screen: SavedReplies },
  { key: 'messenger', label: 'Messenger', screen: Messenger },
  { key: 'rules', label: 'Assignment rules', screen: Rules },
  { key: 'sla', label: 'SLA & office hours', screen: Sla },
  { key: 'webhooks', label: 'Webhooks', screen: Webhooks },
  { key: 'tokens', label: 'API tokens', screen: Tokens },
] as const;

export function Settings({ session, path }: { session: Session; path: string }) {
  const asked = path.split('/')[3] ?? '';
  const section = SECTIONS.find((s) => s.key === asked) ?? SECTIONS[0];
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, []);
  useEffect(() => { document.title = `${section.label} · Settings · Rapport`; return () => { document.title = 'Rapport Inbox'; }; }, [section.key]);
  // g then i: back to the inbox (as g then s comes here); keys act only when no field has focus.
  useEffect(() => {
    let g = 0;
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).closest('input, textarea, select, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'g') { g = Date.now(); return; }
      if (e.key === 'i' && Date.now() - g < 1500) { e.preventDefault(); navigate('/app'); }
      g = 0;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const Screen = section.screen;
  return (
    <div class="settings">
      <nav class="sidebar settings-nav" aria-label="Settings">
        <div class="brand"><span class="logo" aria-hidden="true">R</span><span>{session.app.name}</span></div>
        <a class="back" {...linkTo('/app')} data-testid="settings-back">← Back to inbox</a>
        <h1 class="group">Settings</h1>
        <ul class="views">
          {SECTIONS.map((s) => (
            <li key={s.key}>
              <a class={`view ${s.key === section.key ? 'current' : ''}`} aria-current={s.key === section.key ? 'page' : undefined}
                {...linkTo(`/app/settings/${s.key}`)} data-testid={`settings-nav-${s.key}`}>{s.label}</a>
            </li>
          ))}
        </ul>
        <p class="settings-me muted">Signed in as <strong>{session.admin.name}</strong> · {session.admin.role ?? 'viewer'}</p>
      </nav>
      <main class="settings-main" ref={main} data-testid={`settings-${section.key}`}>
        <div class="settings-page"><Screen key={section.key} me={session.admin} /></div>
      </main>
    </div>
  );
}
