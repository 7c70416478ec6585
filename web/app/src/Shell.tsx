// The signed-in app: views, list, open conversation, context panel, pickers and shortcuts, all
// kept live over the agent socket.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from './api';
import type { Admin, Conversation, Counts, SavedReply, Session, Tag, Team } from './api';
import { ConversationView, customerLastMessage } from './Conversation';
import type { Action } from './Conversation';
import { ContextPanel } from './Context';
import { List, Sidebar } from './Inbox';
import { filtersFor, SORTS, STATES, useLiveList, useSelection } from './list';
import type { SortKey, State, ViewKey } from './list';
import { live } from './live';
import { Picker, ShortcutSheet } from './Picker';
import type { Choice } from './Picker';
import { snoozePresets, SnoozeCustom } from './snooze';
import { plain } from './format';
import { navigate } from './settings/route';
import { mentionIn, MentionNotifications } from './Mentions';
import type { Mention } from './Mentions';

type Overlay = null | { kind: 'assign' | 'tag' | 'part-tag' | 'snooze' | 'snooze-custom' | 'saved' | 'search' | 'palette' | 'help'; targets: string[] };
interface Typing { name: string; admin: boolean; until: number }

const VIEW_TITLES: Partial<Record<ViewKey, string>> = {
  unassigned: 'Unassigned', mine: 'Mine', all: 'All', mentions: 'Mentions', at_risk: 'At risk', breached: 'Breached',
};

function readLocation(): { view: ViewKey; state: State; sort: SortKey; open: string | null } {
  const params = new URLSearchParams(location.search);
  const view = (location.pathname.replace(/^\/app\/?/, '').split('/')[0] || 'unassigned') as ViewKey;
  const state = (STATES as readonly string[]).includes(params.get('state') ?? '') ? (params.get('state') as State) : 'open';
  const asked = params.get('sort') ?? '';
  const sort: SortKey = Object.prototype.hasOwnProperty.call(SORTS, asked) ? (asked as SortKey) : 'newest';
  return { view, state, sort, open: params.get('c') };
}

/// Calls `fn` at most once per `ms`, trailing (later calls within the window are merged).
function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<number | undefined>();
  const latest = useRef(fn);
  latest.current = fn;
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => { timer.current = undefined; latest.current(); }, ms);
  }, [ms]);
}

interface Props { session: Session; workspaces: { app_id: string; name: string }[]; onSignOut: () => void; onSwitch: (appId: string) => void }

export function Shell({ session, workspaces, onSignOut, onSwitch }: Props) {
  const me = session.admin;
  const initial = useMemo(readLocation, []);
  const [view, setView] = useState<ViewKey>(initial.view);
  const [state, setState] = useState<State>(initial.state);
  const [sort, setSort] = useState<SortKey>(initial.sort);
  const [admins, setAdmins] = useState<Admin[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [tags, setTags] = useState<Tag[]>([]);
  const [saved, setSaved] = useState<SavedReply[] | null>(null);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [openId, setOpenId] = useState<string | null>(initial.open);
  const [open, setOpen] = useState<Conversation | null>(null);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [typing, setTyping] = useState<Record<string, Typing[]>>({});
  const [liveStatus, setLiveStatus] = useState(live.status);
  const [found, setFound] = useState<Choice[]>([]);
  const [mentions, setMentions] = useState<Mention[]>([]);
  const composer = useRef<HTMLTextAreaElement | null>(null);
  const lastTyping = useRef(0);

  const title = VIEW_TITLES[view] ?? teams.find((t) => `team:${t.id}` === view)?.name ?? 'Team';

  useEffect(() => {
    api.admins().then(setAdmins).catch(() => undefined);
    api.teams().then(setTeams).catch(() => undefined);
    api.tags().then(setTags).catch(() => undefined);
    api.savedReplies().then(setSaved).catch(() => setSaved(null));
  }, []);

  // The URL follows the view, so deep links and reloads land in the same place.
  useEffect(() => {
    const params = new URLSearchParams();
    if (state !== 'open') params.set('state', state);
    if (sort !== 'newest') params.set('sort', sort);
    if (openId) params.set('c', openId);
    const query = params.toString();
    history.replaceState(null, '', `/app/${view}${query ? `?${query}` : ''}`);
  }, [view, state, sort, openId]);

  const countsRef = useRef(counts);
  countsRef.current = counts;
  const loadCounts = useCallback(() => { api.counts(state).then(setCounts).catch(() => undefined); }, [state]);

  const filters = useMemo(() => filtersFor(view, state, me.id), [view, state, me.id]);
  const list = useLiveList(filters, sort, setError);
  const { items } = list;
  const selection = useSelection(items);
  const { selected } = selection;
  useEffect(() => { selection.setActive(null); }, [view, state, sort]);
  // The keyboard cursor goes to whatever conversation opens (a click, search, the context panel).
  useEffect(() => { if (openId) selection.setActive(openId); }, [openId]);
  useEffect(loadCounts, [state]);

  const loadOpen = useCallback(async (id: string) => {
    try {
      const c = await api.conversation(id);
      setOpen((old) => (old && old.id !== id && openIdRef.current !== id ? old : c));
      // Unread for the team, or I have mentions not yet seen (they may be in this one).
      if (!c.read || (countsRef.current?.mentions_unseen ?? 0) > 0) live.send({ type: 'read', conversation_id: id });
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) { setOpen(null); setOpenId(null); }
    }
  }, []);
  const openIdRef = useRef(openId);
  openIdRef.current = openId;
  useEffect(() => { setOpen(null); setError(null); if (openId) void loadOpen(openId); }, [openId]);

  const refreshCounts = useDebounced(loadCounts, 300);
  const refreshOpen = useDebounced(() => { if (openIdRef.current) void loadOpen(openIdRef.current); }, 100);

  const { patch } = list; // stable for the component's life
  useEffect(() => {
    live.onStatus = setLiveStatus;
    const off = live.on((frame) => {
      if (frame.type === 'event') {
        const mention = mentionIn(frame, me.id);
        if (mention) setMentions((all) => [...all.filter((m) => m.key !== mention.key), mention].slice(-5));
        patch([frame.conversation_id], frame.data.conversation);
        refreshCounts();
        // A teammate reading it changes nothing the open conversation shows (opening an unread
        // conversation would otherwise load it twice).
        const teammateRead = frame.kind === 'conversation.read' && frame.data.reader?.type === 'admin';
        if (String(frame.conversation_id) === openIdRef.current && !teammateRead) refreshOpen();
      } else if (frame.type === 'typing') {
        const author = frame.author;
        if (author.type === 'admin' && String(author.id) === String(me.id)) return;
        const key = String(frame.conversation_id);
        const entry: Typing = { name: author.name || 'Customer', admin: author.type === 'admin', until: Date.now() + 4000 };
        setTyping((all) => ({ ...all, [key]: [...(all[key] ?? []).filter((t) => t.name !== entry.name), entry] }));
      }
    });
    live.start();
    const sweep = window.setInterval(() => {
      setTyping((all) => {
        const now = Date.now();
        let changed = false;
        const kept: Record<string, Typing[]> = {};
        for (const [key, list] of Object.entries(all)) {
          const fresh = list.filter((t) => t.until > now);
          if (fresh.length !== list.length) changed = true;
          if (fresh.length) kept[key] = fresh;
        }
        return changed ? kept : all;
      });
    }, 1000);
    return () => { off(); live.stop(); window.clearInterval(sweep); };
  }, []);

  const openRow = (id: string | null) => {
    if (!id) return;
    selection.setActive(id);
    setOpenId(id);
  };

  const targets = (): string[] => (selected.size ? [...selected] : openId ? [openId] : []);
  const run = async (ids: string[], action: (id: string) => Promise<unknown>) => {
    setError(null);
    try {
      await Promise.all(ids.map(action));
      // An action on the selection ends it (one selected conversation too).
      if (ids.length === selected.size && ids.every((id) => selected.has(id))) selection.clear();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    list.patch(ids);
    refreshCounts();
    if (openId && ids.includes(openId)) void loadOpen(openId);
  };

  const act = (a: Action, ids = targets()) => {
    if (!ids.length) return;
    if (a === 'close') void run(ids, (id) => api.setState(id, me.id, 'close'));
    else if (a === 'open') void run(ids, (id) => api.setState(id, me.id, 'open'));
    else if (a === 'assign-me') void run(ids, (id) => api.assign(id, me.id, 'admin', me.id));
    // One conversation toggles; a selection is marked priority.
    else if (a === 'priority') {
      const on = !(ids.length === 1 && open?.id === ids[0] && open.priority === 'priority');
      void run(ids, (id) => api.setPriority(id, on));
    }
    else setOverlay({ kind: a, targets: ids });
  };

  /// Sends the draft with its files and mentions; a message of files alone is sent as 📎.
  const send = async (text: string, extras: api.Extras): Promise<boolean> => {
    if (!open) return false;
    const body = text.trim() || (extras.attachmentIds.length ? '📎' : '');
    if (!body) return false;
    setSending(true);
    setError(null);
    try {
      const html = `<p>${body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>')}</p>`;
      const updated = await api.reply(open.id, me.id, html, mode === 'note', extras);
      setOpen(updated);
      setDrafts((d) => ({ ...d, [open.id]: '' }));
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      setSending(false);
    }
  };

  const typed = () => {
    if (!openId || Date.now() - lastTyping.current < 2000) return;
    lastTyping.current = Date.now();
    live.send({ type: 'typing', conversation_id: openId });
  };

  // Keyboard: list movement and one-key actions when no field has focus.
  const goAt = useRef(0); // when `g` was pressed: `g` then `s` opens the settings
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') { e.preventDefault(); setOverlay({ kind: 'palette', targets: targets() }); return; }
      if (overlay) return;
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key;
      const handled = () => e.preventDefault();
      if (key === 'j' || key === 'ArrowDown') { handled(); openRow(selection.move(1)); }
      else if (key === 'k' || key === 'ArrowUp') { handled(); openRow(selection.move(-1)); }
      else if (key === 'Enter' && selection.active >= 0) { handled(); openRow(selection.activeId); }
      else if (key === 'x' && selection.active >= 0 && selection.activeId) { handled(); selection.toggle(selection.activeId, false); }
      else if (key === 'X') { handled(); selection.selectAll(); }
      else if (key === 'r' && open) { handled(); setMode('reply'); composer.current?.focus(); }
      else if (key === 'n' && open) { handled(); setMode('note'); composer.current?.focus(); }
      else if (key === 'a') { handled(); act('assign'); }
      else if (key === 't') { handled(); act('tag'); }
      else if (key === 'T' && open) {
        handled();
        const last = customerLastMessage(open);
        if (last) setOverlay({ kind: 'part-tag', targets: [String(last.id)] });
        else setError("The customer's last message cannot be tagged (none yet, or an imported opening message)");
      }
      else if (key === 'z') { handled(); act('snooze'); }
      else if (key === 'p') { handled(); act('priority'); }
      else if (key === 'C') { handled(); act(open?.state === 'closed' && !selected.size ? 'open' : 'close'); }
      else if (key === '/') { handled(); setFound([]); setOverlay({ kind: 'search', targets: [] }); }
      else if (key === '?') { handled(); setOverlay({ kind: 'help', targets: [] }); }
      else if (key === 'g') { goAt.current = Date.now(); }
      else if (key === 's' && Date.now() - goAt.current < 1500) { handled(); navigate('/app/settings'); }
      else if (key === 'Escape') { selection.clear(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const searchTimer = useRef<number | undefined>();
  const search = (q: string) => {
    window.clearTimeout(searchTimer.current);
    if (q.trim().length < 2) { setFound([]); return; }
    searchTimer.current = window.setTimeout(async () => {
      const [conversations, contacts] = await Promise.all([api.searchText(q).catch(() => []), api.searchContacts(q).catch(() => [])]);
      setFound([
        ...conversations.map((c) => ({ id: `c${c.id}`, label: c.source.author.name || c.source.author.email || 'Conversation', hint: plain(c.source.body).slice(0, 70), run: () => setOpenId(c.id) })),
        ...contacts.map((p) => ({ id: `p${p.id}`, label: p.name || p.email || 'Contact', hint: `Contact · ${p.email ?? ''}`, run: () => {
          void api.searchConversations([{ field: 'contact_ids', operator: '=', value: p.id }], SORTS.newest, undefined, 1).then((page) => { if (page.data[0]) setOpenId(page.data[0].id); });
        } })),
      ]);
    }, 150);
  };

  /// The tag picker: pick a tag or create one by name, then `apply` it.
  const tagPicker = (title: string, apply: (tag: Tag) => void) => {
    const choices = tags.map((t) => ({ id: t.id, label: t.name, run: () => apply(t) }));
    const create = async (name: string) => {
      try { const tag = await api.createTag(name); setTags((all) => [...all.filter((t) => t.id !== tag.id), tag]); apply(tag); } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
    };
    return <TagPicker title={title} choices={choices} onClose={() => setOverlay(null)} onCreate={(name) => void create(name)} />;
  };

  const pickerFor = (o: NonNullable<Overlay>) => {
    const close = () => setOverlay(null);
    const ids = o.targets;
    const many = ids.length > 1 ? ` (${ids.length})` : '';
    switch (o.kind) {
      case 'help': return <ShortcutSheet onClose={close} />;
      case 'snooze-custom': return <SnoozeCustom onClose={close} onPick={(until) => void run(ids, (id) => api.snooze(id, me.id, until))} />;
      case 'assign': {
        const choices: Choice[] = [
          { id: 'me', label: `Me (${me.name})`, run: () => void run(ids, (id) => api.assign(id, me.id, 'admin', me.id)) },
          ...admins.filter((a) => String(a.id) !== String(me.id)).map((a) => ({ id: `a${a.id}`, label: a.name, hint: a.email, run: () => void run(ids, (id) => api.assign(id, me.id, 'admin', a.id)) })),
          ...teams.map((t) => ({ id: `t${t.id}`, label: t.name, hint: 'Team', run: () => void run(ids, (id) => api.assign(id, me.id, 'team', t.id)) })),
          { id: 'none', label: 'Unassign', hint: 'Teammate', run: () => void run(ids, (id) => api.assign(id, me.id, 'admin', '0')) },
        ];
        return <Picker title={`Assign${many}`} testid="assign-picker" choices={choices} onClose={close} />;
      }
      case 'tag': return tagPicker(`Tag${many}`, (tag) => void run(ids, (id) => api.tagConversation(id, me.id, tag.id)));
      case 'part-tag': {
        const conv = open;
        if (!conv) return null;
        return tagPicker("Tag the customer's last message", (tag) => void run([conv.id], (id) => api.tagPart(id, ids[0], me.id, tag.id)));
      }
      case 'snooze': {
        const choices: Choice[] = [
          ...snoozePresets().map((p) => ({ id: p.label, label: p.label, hint: p.hint, run: () => void run(ids, (id) => api.snooze(id, me.id, p.until)) })),
          { id: 'custom', label: 'Custom time…', run: () => setOverlay({ kind: 'snooze-custom', targets: ids }) },
        ];
        return <Picker title={`Snooze${many}`} testid="snooze-picker" choices={choices} onClose={close} />;
      }
      case 'saved': {
        const conv = open;
        const choices = (saved ?? []).map((r) => ({ id: r.id, label: r.name, hint: plain(r.body).slice(0, 60), run: () => {
          if (!conv) return;
          void api.renderSavedReply(r.id, conv.id).then((body) => { setDrafts((d) => ({ ...d, [conv.id]: (d[conv.id] ?? '') + plain(body) })); composer.current?.focus(); }, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
        } }));
        return <Picker title="Saved replies" testid="saved-reply-picker" choices={choices} onClose={close} />;
      }
      case 'search':
        return <Picker title="Search conversations and contacts" testid="search" placeholder="Search messages, names, emails…" choices={[]} extra={found} onQuery={search} onClose={close} />;
      case 'palette': {
        const go = (v: ViewKey) => () => { setView(v); setOpenId(null); };
        const choices: Choice[] = [
          { id: 'reply', label: 'Reply', hint: 'r', run: () => { setMode('reply'); composer.current?.focus(); } },
          { id: 'note', label: 'Write a note', hint: 'n', run: () => { setMode('note'); composer.current?.focus(); } },
          { id: 'assign', label: 'Assign…', hint: 'a', run: () => act('assign', ids) },
          { id: 'assign-me', label: 'Assign to me', run: () => act('assign-me', ids) },
          { id: 'tag', label: 'Tag…', hint: 't', run: () => act('tag', ids) },
          { id: 'part-tag', label: "Tag the customer's last message…", hint: 'shift+t', run: () => { const last = open && customerLastMessage(open); if (last) setOverlay({ kind: 'part-tag', targets: [String(last.id)] }); } },
          { id: 'snooze', label: 'Snooze…', hint: 'z', run: () => act('snooze', ids) },
          { id: 'priority', label: 'Toggle priority', hint: 'p', run: () => act('priority', ids) },
          { id: 'close', label: 'Close', hint: 'shift+c', run: () => act('close', ids) },
          { id: 'open', label: 'Reopen', run: () => act('open', ids) },
          { id: 'select-all', label: 'Select every loaded conversation', hint: 'shift+x', run: selection.selectAll },
          { id: 'search', label: 'Search', hint: '/', run: () => setOverlay({ kind: 'search', targets: [] }) },
          { id: 'v-un', label: 'Go to Unassigned', run: go('unassigned') },
          { id: 'v-mine', label: 'Go to Mine', run: go('mine') },
          { id: 'v-all', label: 'Go to All', run: go('all') },
          { id: 'v-mentions', label: 'Go to Mentions', run: go('mentions') },
          { id: 'v-at-risk', label: 'Go to At risk (SLA)', run: go('at_risk') },
          { id: 'v-breached', label: 'Go to Breached (SLA)', run: go('breached') },
          ...teams.map((t) => ({ id: `v-${t.id}`, label: `Go to ${t.name}`, run: go(`team:${t.id}`) })),
          ...STATES.map((s) => ({ id: `s-${s}`, label: `Show ${s}`, run: () => setState(s) })),
          ...Object.entries(SORTS).map(([k, s]) => ({ id: `o-${k}`, label: `Sort: ${s.label}`, run: () => setSort(k as SortKey) })),
          { id: 'help', label: 'Keyboard shortcuts', hint: '?', run: () => setOverlay({ kind: 'help', targets: [] }) },
          { id: 'settings', label: 'Settings', hint: 'g s', run: () => navigate('/app/settings') },
          { id: 'signout', label: 'Sign out', run: onSignOut },
        ];
        return <Picker title="Command" testid="palette" placeholder="Type a command…" choices={choices} onClose={close} />;
      }
    }
  };

  return (
    <div class="app">
      <Sidebar me={me} teams={teams} counts={counts} view={view} state={state} workspace={session.app.name}
        onView={(v) => { setView(v); setOpenId(null); }} onState={setState} onSignOut={onSignOut} liveStatus={liveStatus}
        workspaces={workspaces} onSwitch={onSwitch} />
      <List items={items} active={selection.active} activeId={selection.activeId} openId={openId} selected={selected} loading={list.loading} hasMore={list.hasMore}
        admins={admins} title={title} sort={sort} onSort={setSort} onOpen={openRow} onSelect={(id, e) => selection.toggle(id, e.shiftKey)} onMore={list.more}
        bulk={{ onAssign: () => act('assign', [...selected]), onTag: () => act('tag', [...selected]), onClose: () => act('close', [...selected]), onSelectAll: selection.selectAll, onClear: selection.clear }} />
      {open ? (
        <>
          <ConversationView conversation={open} me={me} admins={admins} teams={teams} typing={typing[open.id] ?? []}
            mode={mode} onMode={setMode} draft={drafts[open.id] ?? ''} onDraft={(text) => setDrafts((d) => ({ ...d, [open.id]: text }))}
            onSend={send} sending={sending} error={error} onAction={(a) => act(a, [open.id])} onTyping={typed}
            onUntag={(tagId) => void run([open.id], (id) => api.untagConversation(id, me.id, tagId))}
            onUntagPart={(partId, tagId) => void run([open.id], (id) => api.untagPart(id, partId, tagId))}
            composerRef={composer} hasSavedReplies={!!saved} />
          <ContextPanel conversation={open} onOpen={setOpenId} />
        </>
      ) : (
        <section class="conversation empty-state" aria-label="No conversation open">
          <p>{openId ? 'Loading…' : 'Pick a conversation — j/k to move, ? for shortcuts.'}</p>
          {error && <p class="error" role="alert">{error}</p>}
        </section>
      )}
      {overlay && pickerFor(overlay)}
      <MentionNotifications mentions={mentions}
        onOpen={(m) => { setMentions((all) => all.filter((x) => x.key !== m.key)); setView('mentions'); setOpenId(m.conversationId); }}
        onDismiss={(m) => setMentions((all) => all.filter((x) => x.key !== m.key))} />
    </div>
  );
}

function TagPicker({ title, choices, onClose, onCreate }: { title: string; choices: Choice[]; onClose: () => void; onCreate: (name: string) => void }) {
  const [query, setQuery] = useState('');
  const exact = choices.some((c) => c.label.toLowerCase() === query.trim().toLowerCase());
  const extra = query.trim() && !exact ? [{ id: 'create', label: `Create tag “${query.trim()}”`, run: () => onCreate(query.trim()) }] : [];
  return <Picker title={title} testid="tag-picker" choices={choices} extra={extra} onQuery={setQuery} onClose={onClose} />;
}
