// The left side: the views with their live counts, and the virtualised conversation list.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Admin, Conversation, Counts, Team } from './api';
import { ago, initials, plain } from './format';
import { linkTo } from './settings/route';
import { SORTS, STATES } from './list';
import type { SortKey, State, ViewKey } from './list';

interface SidebarProps {
  me: Admin; teams: Team[]; counts: Counts | null; view: ViewKey; state: State; workspace: string;
  onView: (v: ViewKey) => void; onState: (s: State) => void; onSignOut: () => void; liveStatus: string;
  workspaces: { app_id: string; name: string }[]; onSwitch: (appId: string) => void;
}

export function Sidebar(p: SidebarProps) {
  const count = (key: ViewKey): number | undefined => {
    if (!p.counts) return undefined;
    // Mentions counts what is new to me (any state), so nothing shows once all are seen.
    if (key === 'mentions') return p.counts.mentions_unseen || undefined;
    if (key === 'all' || key === 'unassigned' || key === 'mine') return p.counts[key];
    if (key === 'at_risk') return p.counts.sla_at_risk;
    if (key === 'breached') return p.counts.sla_breached;
    return p.counts.teams.find((t) => `team:${t.id}` === key)?.count ?? 0;
  };
  const item = (key: ViewKey, label: string) => (
    <li key={key}>
      <button class={`view ${p.view === key ? 'current' : ''}`} aria-current={p.view === key ? 'page' : undefined}
        data-testid={`view-${key.replace(':', '-')}`} onClick={() => p.onView(key)}>
        <span>{label}</span><span class="count" data-testid={`count-${key.replace(':', '-')}`}>{count(key) ?? ''}</span>
      </button>
    </li>
  );
  return (
    <nav class="sidebar" aria-label="Inboxes">
      <div class="brand">
        <span class="logo" aria-hidden="true">R</span>
        {p.workspaces.length > 1 ? (
          <select aria-label="Workspace" data-testid="workspace-switch" value={p.workspaces.find((w) => w.name === p.workspace)?.app_id}
            onChange={(e) => p.onSwitch((e.target as HTMLSelectElement).value)}>
            {p.workspaces.map((w) => <option key={w.app_id} value={w.app_id}>{w.name}</option>)}
          </select>
        ) : <span class="workspace">{p.workspace}</span>}
      </div>
      <div class="states" role="group" aria-label="State">
        {STATES.map((s) => (
          <button key={s} class={p.state === s ? 'on' : ''} aria-pressed={p.state === s} data-testid={`state-${s}`} onClick={() => p.onState(s)}>
            {s[0].toUpperCase() + s.slice(1)}
          </button>
        ))}
      </div>
      <ul class="views">
        {item('unassigned', 'Unassigned')}
        {item('mine', 'Mine')}
        {item('all', 'All')}
        {item('mentions', 'Mentions')}
      </ul>
      <h3 class="group">SLA</h3>
      <ul class="views">
        {item('at_risk', 'At risk')}
        {item('breached', 'Breached')}
      </ul>
      {p.teams.length > 0 && <h3 class="group">Teams</h3>}
      <ul class="views">{p.teams.map((t) => item(`team:${t.id}`, t.name))}</ul>
      <ul class="views settings-entry">
        <li><a class="view" {...linkTo('/app/settings')} data-testid="settings-link"><span>Settings</span><kbd aria-label="shortcut g then s">g s</kbd></a></li>
      </ul>
      <div class="me">
        <span class="avatar" aria-hidden="true">{initials(p.me.name)}</span>
        <span class="me-name">{p.me.name}<small class={`live ${p.liveStatus}`} data-testid="live-status">{p.liveStatus}</small></span>
        <button class="link" data-testid="sign-out" onClick={p.onSignOut}>Sign out</button>
      </div>
    </nav>
  );
}

const ROW = 72;
const OVERSCAN = 6;

interface ListProps {
  items: Conversation[]; active: number; activeId: string | null; openId: string | null; selected: Set<string>; loading: boolean; hasMore: boolean;
  admins: Admin[]; title: string; sort: SortKey; onSort: (s: SortKey) => void;
  onOpen: (id: string) => void; onSelect: (id: string, e: MouseEvent) => void; onMore: () => void;
  bulk: { onAssign: () => void; onTag: () => void; onClose: () => void; onSelectAll: () => void; onClear: () => void };
}

/// The virtualised list: only the rows in view (plus a few) are in the DOM, whatever is loaded.
export function List(p: ListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  // The row at the top of the view: when rows are inserted or removed above it, the scroll
  // position moves with it, so what the agent is reading stays put.
  const anchor = useRef<{ id: string; offset: number } | null>(null);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useLayoutEffect(() => {
    const el = scroller.current;
    const held = anchor.current;
    if (el && held && el.scrollTop > 0) {
      const at = p.items.findIndex((c) => String(c.id) === held.id);
      if (at >= 0 && at * ROW + held.offset !== el.scrollTop) {
        el.scrollTop = at * ROW + held.offset;
        setTop(el.scrollTop);
      }
    }
    remember();
  }, [p.items]);
  const remember = () => {
    const el = scroller.current;
    if (!el) return;
    const row = p.items[Math.floor(el.scrollTop / ROW)];
    anchor.current = row ? { id: String(row.id), offset: el.scrollTop % ROW } : null;
  };
  // Keep the cursor's row in view when it moves (not when live changes move the row).
  useEffect(() => {
    const el = scroller.current;
    if (!el || p.active < 0) return;
    const y = p.active * ROW;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + ROW > el.scrollTop + el.clientHeight) el.scrollTop = y + ROW - el.clientHeight;
  }, [p.activeId]);
  useEffect(() => {
    if (p.hasMore && !p.loading && (top + height) / ROW > p.items.length - 15) p.onMore();
  }, [top, height, p.items.length, p.hasMore, p.loading]);
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(p.items.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const adminName = (id: Conversation['admin_assignee_id']) => p.admins.find((a) => String(a.id) === String(id))?.name;
  return (
    <section class="list" aria-label={`${p.title} conversations`}>
      <header class="list-head">
        <h1>{p.title}</h1>
        <label class="sort"><span class="sr">Sort</span>
          <select data-testid="sort" value={p.sort} onChange={(e) => p.onSort((e.target as HTMLSelectElement).value as SortKey)}>
            {Object.entries(SORTS).map(([key, s]) => <option key={key} value={key}>{s.label}</option>)}
          </select>
        </label>
      </header>
      {p.selected.size > 0 && (
        <div class="bulk" role="toolbar" aria-label="Bulk actions" data-testid="bulk-bar">
          <span>{p.selected.size} selected</span>
          <button onClick={p.bulk.onAssign} data-testid="bulk-assign">Assign</button>
          <button onClick={p.bulk.onTag} data-testid="bulk-tag">Tag</button>
          <button onClick={p.bulk.onClose} data-testid="bulk-close">Close</button>
          <button class="link" onClick={p.bulk.onSelectAll} data-testid="bulk-select-all">Select all</button>
          <button class="link" onClick={p.bulk.onClear} data-testid="bulk-clear">Clear</button>
        </div>
      )}
      <div class="scroller" ref={scroller} onScroll={(e) => { setTop((e.target as HTMLDivElement).scrollTop); remember(); }}
        data-testid="inbox-list" role="listbox" aria-label="Conversations (j/k to move)" tabIndex={0}
        aria-activedescendant={p.items[p.active] ? `conversation-${p.items[p.active].id}` : undefined}>
        <div style={{ height: `${p.items.length * ROW}px`, position: 'relative' }}>
          {p.items.slice(first, last).map((c, offset) => {
            const i = first + offset;
            const who = c.source.author.name || c.source.author.email || 'Visitor';
            const classes = ['row', String(c.id) === p.activeId ? 'active' : '', c.id === p.openId ? 'open' : '', p.selected.has(String(c.id)) ? 'selected' : '', c.read ? '' : 'unread'];
            return (
              <div key={c.id} id={`conversation-${c.id}`} role="option" aria-selected={c.id === p.openId} class={classes.join(' ')} style={{ top: `${i * ROW}px`, height: `${ROW}px` }}
                data-testid="conversation-item" data-id={c.id}
                onClick={(e) => (e.shiftKey || e.ctrlKey || e.metaKey ? p.onSelect(String(c.id), e) : p.onOpen(String(c.id)))}>
                <span class="avatar" aria-hidden="true">{initials(who)}</span>
                <span class="row-main">
                  <span class="row-top"><strong>{who}</strong><time>{ago(c.updated_at)}</time></span>
                  <span class="row-body">{c.title || plain(c.source.body) || '—'}</span>
                  <span class="row-meta">
                    {c.priority === 'priority' && <span class="pill prio">Priority</span>}
                    {c.admin_assignee_id ? <span class="pill">{adminName(c.admin_assignee_id) ?? 'Assigned'}</span> : <span class="pill muted">Unassigned</span>}
                    {c.tags.tags.slice(0, 2).map((t) => <span key={t.id} class="pill tag">{t.name}</span>)}
                  </span>
                </span>
              </div>
            );
          })}
        </div>
        {!p.loading && p.items.length === 0 && <p class="empty-list">No conversations here. Nice work.</p>}
        {p.loading && <p class="loading">Loading…</p>}
      </div>
    </section>
  );
}
