// The conversation list of the current view, kept live row by row, and the selection over it.
//
// The list loads page by page (keyset cursors, so a page is never shifted by changes above it).
// Socket events name the conversations that changed; `patch` asks the server for just those
// conversations *under the view's own filters* (one search: the filters plus `id IN [...]`), then
// removes each from the list and puts back the ones that still match at their place in the sort.
// A row whose new place lies beyond the loaded pages is left for the page that will bring it.
// Nothing else moves: loaded pages and the scroll position stay. An event whose conversation
// summary shows it outside the view, for a conversation the list neither shows nor is asking
// about, costs no request.
//
// The selection and the keyboard cursor hold conversation ids, never row indexes, so a row that
// moves carries its selection with it.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import * as api from './api';
import type { Conversation, Filter } from './api';

export type ViewKey = 'unassigned' | 'mine' | 'all' | 'mentions' | 'at_risk' | 'breached' | `team:${string}`;
export const STATES = ['open', 'snoozed', 'closed'] as const;
export type State = (typeof STATES)[number];
export const SORTS = {
  newest: { label: 'Newest', field: 'updated_at', order: 'desc' },
  oldest: { label: 'Oldest', field: 'updated_at', order: 'asc' },
  waiting: { label: 'Waiting longest', field: 'waiting_since', order: 'asc' },
  priority: { label: 'Priority first', field: 'priority', order: 'desc' },
} as const;
export type SortKey = keyof typeof SORTS;

/// What an event says of its conversation after the change (REALTIME.md, "summary").
export type Summary = Record<string, unknown>;

/// Whether a conversation with this summary is in the view of `filters` (only `=` filters on
/// fields the summary carries, which is all `filtersFor` makes); `undefined` when it cannot tell.
export function inView(summary: Summary, filters: Filter[]): boolean | undefined {
  for (const f of filters) {
    if (f.operator !== '=' || !(f.field in summary)) return undefined;
    if (String(summary[f.field] ?? null) !== String(f.value ?? null)) return false;
  }
  return true;
}

/// The search filters of a view (as the API takes them).
export function filtersFor(view: ViewKey, state: State, me: string): Filter[] {
  const filters: Filter[] = [{ field: 'state', operator: '=', value: state }];
  if (view === 'at_risk' || view === 'breached') filters.push({ field: 'sla_state', operator: '=', value: view });
  else if (view === 'mentions') filters.push({ field: 'mentioned_admin_ids', operator: '=', value: Number(me) });
  else if (view === 'mine') filters.push({ field: 'admin_assignee_id', operator: '=', value: Number(me) });
  else if (view === 'unassigned') {
    filters.push({ field: 'admin_assignee_id', operator: '=', value: null }, { field: 'team_assignee_id', operator: '=', value: null });
  } else if (view.startsWith('team:')) filters.push({ field: 'team_assignee_id', operator: '=', value: Number(view.slice(5)) });
  return filters;
}

/// A row's sort key as the server orders it (crates/store/src/conversations/listing.rs):
/// most significant first, ties broken by id; not waiting sorts after every waiting row.
export function sortKey(c: Conversation, sort: SortKey): number[] {
  const id = Number(c.id);
  const waiting = c.waiting_since ?? Number.MAX_SAFE_INTEGER;
  switch (sort) {
    case 'newest': case 'oldest': return [c.updated_at, id];
    case 'waiting': return [waiting, id];
    case 'priority': return [c.priority === 'priority' ? 0 : 1, waiting, id];
  }
}

/// Whether the key grows down the list.
const ascends = (sort: SortKey): boolean => sort !== 'newest';

/// Negative when key `a` comes before key `b` in the list.
export function compareKeys(a: number[], b: number[], sort: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] < b[i] ? -1 : 1) * (ascends(sort) ? 1 : -1);
  }
  return 0;
}

/// The list after the server answered `rows` for the conversations `ids`: each of `ids` leaves
/// its old place; each of `rows` goes back at its place in the sort, unless that place lies past
/// `boundary` (the key of the last row loaded, when more pages follow; null when all are loaded).
export function placeRows(items: Conversation[], ids: string[], rows: Conversation[], sort: SortKey, boundary: number[] | null): Conversation[] {
  const gone = new Set(ids.map(String));
  const list = items.filter((c) => !gone.has(String(c.id)));
  for (const row of rows) {
    const key = sortKey(row, sort);
    if (boundary && compareKeys(key, boundary, sort) > 0) continue;
    let at = list.findIndex((c) => compareKeys(key, sortKey(c, sort), sort) < 0);
    if (at < 0) at = list.length;
    list.splice(at, 0, row);
  }
  return list;
}

const PAGE = 50;
/// At most this many conversations per patch request (the API's largest page).
const PATCH_BATCH = 150;

export interface LiveList {
  items: Conversation[]; loading: boolean; hasMore: boolean;
  /// Loads the next page.
  more: () => void;
  /// Refreshes these conversations' rows (after an action, or an event with the conversation's summary).
  patch: (ids: (string | number)[], summary?: Summary) => void;
}

/// The rows of the view `filters` in `sort`, loaded by page and patched in place.
export function useLiveList(filters: Filter[], sort: SortKey, onError: (message: string) => void): LiveList {
  const [items, setItemsState] = useState<Conversation[]>([]);
  const [loading, setLoading] = useState(true);
  const [next, setNext] = useState<string | undefined>();
  // Refs: socket listeners and timers call in without re-rendering, and must see the current list.
  const itemsRef = useRef<Conversation[]>([]);
  const nextRef = useRef<string | undefined>();
  const boundary = useRef<number[] | null>(null);
  const query = useRef({ filters, sort });
  const generation = useRef(0);
  const loadingRef = useRef(false);
  const pending = useRef(new Set<string>());
  const inflight = useRef(new Set<string>());
  const patching = useRef(false);
  const timer = useRef<number | undefined>();
  const errorRef = useRef(onError);
  errorRef.current = onError;

  const setItems = (list: Conversation[]) => { itemsRef.current = list; setItemsState(list); };
  const setLoad = (on: boolean) => { loadingRef.current = on; setLoading(on); };

  // Patches run one at a time and never while a page loads: a page read before an event
  // committed could otherwise overwrite the patched row with the older one.
  const flush = useCallback(async () => {
    timer.current = undefined;
    if (patching.current || loadingRef.current || pending.current.size === 0) return;
    const ids = [...pending.current].slice(0, PATCH_BATCH);
    for (const id of ids) pending.current.delete(id);
    const mine = generation.current;
    const { filters, sort } = query.current;
    patching.current = true;
    inflight.current = new Set(ids);
    try {
      const idFilter: Filter = { field: 'id', operator: 'IN', value: ids.map(Number) };
      const page = await api.searchConversations([...filters, idFilter], SORTS[sort], undefined, ids.length);
      // The view changed meanwhile: ask again under the new view's filters.
      if (mine !== generation.current) ids.forEach((id) => pending.current.add(id));
      else setItems(placeRows(itemsRef.current, ids, page.data, sort, boundary.current));
    } catch (e) {
      ids.forEach((id) => pending.current.add(id));
      errorRef.current(e instanceof Error ? e.message : String(e));
      patching.current = false;
      inflight.current.clear();
      timer.current = window.setTimeout(() => void flush(), 2000);
      return;
    }
    patching.current = false;
    inflight.current.clear();
    if (pending.current.size && timer.current === undefined) void flush();
  }, []);

  const schedule = useCallback(() => {
    if (timer.current === undefined) timer.current = window.setTimeout(() => void flush(), 50);
  }, [flush]);

  const patch = useCallback((ids: (string | number)[], summary?: Summary) => {
    for (const raw of ids) {
      const id = String(raw);
      // Nothing shows it or may bring it (no request or page under way that could): skip it.
      const unseen = !loadingRef.current && !pending.current.has(id) && !inflight.current.has(id)
        && !itemsRef.current.some((c) => String(c.id) === id);
      if (summary && unseen && inView(summary, query.current.filters) === false) continue;
      pending.current.add(id);
    }
    if (pending.current.size) schedule();
  }, [schedule]);

  const load = useCallback(async (after: string | undefined) => {
    const mine = generation.current;
    const { filters, sort } = query.current;
    setLoad(true);
    try {
      const page = await api.searchConversations(filters, SORTS[sort], after, PAGE);
      if (mine !== generation.current) return;
      const known = new Set(itemsRef.current.map((c) => String(c.id)));
      const list = after ? [...itemsRef.current, ...page.data.filter((c) => !known.has(String(c.id)))] : page.data;
      const last = page.data[page.data.length - 1];
      boundary.current = page.next && last ? sortKey(last, sort) : null;
      nextRef.current = page.next;
      setNext(page.next);
      setItems(list);
    } catch (e) {
      if (mine === generation.current) errorRef.current(e instanceof Error ? e.message : String(e));
    } finally {
      if (mine === generation.current) {
        setLoad(false);
        if (pending.current.size) schedule();
      }
    }
  }, [schedule]);

  const viewKey = JSON.stringify([filters, sort]);
  useEffect(() => {
    generation.current++;
    query.current = { filters, sort };
    boundary.current = null;
    nextRef.current = undefined;
    setNext(undefined);
    setItems([]);
    void load(undefined);
  }, [viewKey]);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const more = useCallback(() => {
    if (nextRef.current && !loadingRef.current) void load(nextRef.current);
  }, [load]);

  return { items, loading, hasMore: !!next, more, patch };
}

export interface Selection {
  selected: Set<string>;
  /// The conversation the keyboard cursor is on.
  activeId: string | null;
  /// The cursor's row in `items` (-1: none).
  active: number;
  /// Moves the cursor by `delta` rows (from the row it was on, or where that row was).
  move: (delta: number) => string | null;
  setActive: (id: string | null) => void;
  /// Adds or removes one conversation; with `range`, everything from the cursor to it.
  toggle: (id: string, range: boolean) => void;
  selectAll: () => void;
  clear: () => void;
}

/// The selection and the keyboard cursor over `items`, by conversation id. A conversation that
/// leaves the list leaves the selection; a cursor whose row left stays at its old position.
export function useSelection(items: Conversation[]): Selection {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [activeId, setActiveId] = useState<string | null>(null);
  const lastIndex = useRef(-1);
  const found = activeId === null ? -1 : items.findIndex((c) => String(c.id) === activeId);
  if (found >= 0) lastIndex.current = found;

  useEffect(() => {
    setSelected((old) => {
      if (!old.size) return old;
      const present = new Set(items.map((c) => String(c.id)));
      const kept = [...old].filter((id) => present.has(id));
      return kept.length === old.size ? old : new Set(kept);
    });
  }, [items]);

  const move = (delta: number): string | null => {
    if (!items.length) return null;
    const from = found >= 0 ? found : delta > 0 ? lastIndex.current - 1 : lastIndex.current;
    const to = Math.max(0, Math.min(items.length - 1, from + delta));
    const id = String(items[to].id);
    setActiveId(id);
    return id;
  };

  const toggle = (id: string, range: boolean) => {
    setSelected((old) => {
      const next = new Set(old);
      const to = items.findIndex((c) => String(c.id) === id);
      if (range && found >= 0 && to >= 0) {
        for (let i = Math.min(found, to); i <= Math.max(found, to); i++) next.add(String(items[i].id));
      } else if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
    setActiveId(id);
  };

  return {
    selected, activeId, active: found, move, toggle,
    setActive: (id) => { if (id === null) lastIndex.current = -1; setActiveId(id); },
    selectAll: () => setSelected(new Set(items.map((c) => String(c.id)))),
    clear: () => setSelected(new Set()),
  };
}
