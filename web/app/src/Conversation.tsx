// The open conversation: header with one-click actions, the timeline, the composer.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Admin, Conversation as Conv, Part, Team } from './api';
import { initials, plain, when } from './format';

export type Action = 'assign' | 'tag' | 'snooze' | 'close' | 'open' | 'saved' | 'assign-me' | 'priority';

interface Props {
  conversation: Conv; me: Admin; admins: Admin[]; teams: Team[];
  typing: { name: string; admin: boolean }[]; mode: 'reply' | 'note'; onMode: (m: 'reply' | 'note') => void;
  draft: string; onDraft: (text: string) => void; onSend: () => void; sending: boolean; error: string | null;
  onAction: (a: Action) => void; onTyping: () => void; onUntag: (tagId: string) => void;
  composerRef: { current: HTMLTextAreaElement | null }; hasSavedReplies: boolean;
}

function nameOf(list: { id: string; name: string }[], id: unknown): string | undefined {
  return id === null || id === undefined ? undefined : list.find((x) => String(x.id) === String(id))?.name;
}

function systemText(part: Part, admins: Admin[], teams: Team[]): string {
  const who = part.author.name ?? 'Someone';
  switch (part.part_type) {
    case 'assignment':
    case 'default_assignment': {
      const to = part.assigned_to;
      if (!to || to.id === '0') return `${who} unassigned the conversation`;
      const target = to.type === 'team' ? nameOf(teams, to.id) : nameOf(admins, to.id);
      return `${who} assigned to ${target ?? to.type}`;
    }
    case 'close': return `${who} closed the conversation`;
    case 'open': return `${who} reopened the conversation`;
    case 'snoozed': return `${who} snoozed the conversation`;
    case 'unsnoozed': case 'timer_unsnooze': return 'The conversation woke up';
    default: return `${who}: ${part.part_type.replace(/_/g, ' ')}`;
  }
}

function Message({ part, admins, teams }: { part: Part; admins: Admin[]; teams: Team[] }) {
  const isNote = part.part_type === 'note';
  const isComment = part.part_type === 'comment' || part.part_type === 'source';
  if (!isNote && !isComment) {
    const text = plain(part.body);
    return (
      <li class="event" data-testid="timeline-event" data-kind={part.part_type}>
        <span>{systemText(part, admins, teams)}{text ? ` — “${text}”` : ''}</span><time>{when(part.created_at)}</time>
      </li>
    );
  }
  const fromTeam = part.author.type === 'admin' || part.author.type === 'bot';
  const who = part.author.name || part.author.email || (fromTeam ? 'Teammate' : 'Customer');
  return (
    <li class={`msg ${fromTeam ? 'out' : 'in'} ${isNote ? 'note' : ''}`} data-testid={isNote ? 'timeline-note' : 'timeline-message'}>
      <span class="avatar" aria-hidden="true">{initials(who)}</span>
      <div class="bubble">
        <div class="meta"><strong>{who}</strong>{isNote && <span class="pill note-pill">Note</span>}<time>{when(part.created_at)}</time></div>
        <div class="text">{plain(part.body)}</div>
      </div>
    </li>
  );
}

/// A timeline shows its last this many entries at first, so opening a long conversation stays
/// fast (laying out 500 messages took ~150 ms); "Show earlier" adds more.
const RECENT = 60;

export function ConversationView(p: Props) {
  const c = p.conversation;
  const timeline = useRef<HTMLOListElement>(null);
  const parts: Part[] = [
    { id: `source-${c.id}`, part_type: 'source', body: c.source.body, created_at: c.created_at, author: c.source.author },
    ...(c.conversation_parts?.conversation_parts ?? []),
  ];
  const [earlier, setEarlier] = useState({ id: c.id, shown: RECENT });
  const shown = earlier.id === c.id ? earlier.shown : RECENT;
  const hidden = Math.max(0, parts.length - shown);
  // Showing earlier entries keeps the entries in view where they were.
  const grownFrom = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = timeline.current;
    if (el && grownFrom.current !== null) el.scrollTop += el.scrollHeight - grownFrom.current;
    grownFrom.current = null;
  }, [shown]);
  useEffect(() => {
    const el = timeline.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [c.id, parts.length]);
  const assignee = nameOf(p.admins, c.admin_assignee_id);
  const team = nameOf(p.teams, c.team_assignee_id);
  const [now] = useState(() => Date.now() / 1000);
  const who = c.source.author.name || c.source.author.email || 'Visitor';
  return (
    <section class="conversation" aria-label={`Conversation with ${who}`} data-testid="conversation" data-id={c.id} data-state={c.state}>
      <header class="conv-head">
        <div class="conv-title">
          <h2>{c.title || who}</h2>
          <span class={`state ${c.state}`} data-testid="conversation-state">
            {c.state === 'snoozed' && c.snoozed_until && c.snoozed_until > now ? `Snoozed until ${when(c.snoozed_until)}` : c.state}
          </span>
        </div>
        <div class="actions" role="toolbar" aria-label="Conversation actions">
          <button data-testid="assign" onClick={() => p.onAction('assign')} title="Assign (a)">
            {assignee ?? 'Unassigned'}{team ? ` · ${team}` : ''}
          </button>
          <button data-testid="tag" onClick={() => p.onAction('tag')} title="Tag (t)">Tag</button>
          <button data-testid="priority" class={c.priority === 'priority' ? 'prio-on' : ''} aria-pressed={c.priority === 'priority'}
            onClick={() => p.onAction('priority')} title="Priority (p)">Priority</button>
          <button data-testid="snooze" onClick={() => p.onAction('snooze')} title="Snooze (z)">Snooze</button>
          {c.state === 'closed'
            ? <button data-testid="reopen" class="primary" onClick={() => p.onAction('open')} title="Reopen (shift+c)">Reopen</button>
            : <button data-testid="close" class="primary" onClick={() => p.onAction('close')} title="Close (shift+c)">Close</button>}
        </div>
      </header>
      {c.tags.tags.length > 0 && (
        <div class="tags" data-testid="conversation-tags">
          {c.tags.tags.map((t) => (
            <span key={t.id} class="pill tag">{t.name}<button class="x" aria-label={`Remove tag ${t.name}`} onClick={() => p.onUntag(t.id)}>×</button></span>
          ))}
        </div>
      )}
      <ol class="timeline" ref={timeline} aria-label="Messages" aria-live="polite">
        {hidden > 0 && (
          <li class="earlier">
            <button class="link" data-testid="timeline-earlier" onClick={() => {
              grownFrom.current = timeline.current?.scrollHeight ?? null;
              setEarlier({ id: c.id, shown: shown + 200 });
            }}>Show {hidden} earlier</button>
          </li>
        )}
        {parts.slice(hidden).map((part) => <Message key={part.id} part={part} admins={p.admins} teams={p.teams} />)}
      </ol>
      {p.typing.filter((t) => !t.admin).map((t) => (
        <div key={t.name} class="typing" data-testid="typing" role="status">{t.name} is typing…</div>
      ))}
      {p.typing.filter((t) => t.admin).map((t) => (
        <div key={t.name} class="collision" data-testid="collision" role="status">{t.name} is also replying</div>
      ))}
      <form class={`composer ${p.mode}`} onSubmit={(e) => { e.preventDefault(); p.onSend(); }}>
        <div class="composer-tabs" role="tablist" aria-label="Composer mode">
          <button type="button" role="tab" aria-selected={p.mode === 'reply'} class={p.mode === 'reply' ? 'on' : ''} onClick={() => p.onMode('reply')} data-testid="reply-toggle">Reply</button>
          <button type="button" role="tab" aria-selected={p.mode === 'note'} class={p.mode === 'note' ? 'on' : ''} onClick={() => p.onMode('note')} data-testid="note-toggle">Note</button>
          {p.hasSavedReplies && <button type="button" class="link saved" onClick={() => p.onAction('saved')} data-testid="saved-replies">Saved replies</button>}
        </div>
        <textarea
          ref={(el) => { p.composerRef.current = el; }} data-testid="composer" rows={3} value={p.draft}
          aria-label={p.mode === 'note' ? 'Write an internal note' : `Reply to ${who}`}
          placeholder={p.mode === 'note' ? 'Internal note — only teammates see this' : `Reply to ${who}…  (Ctrl+Enter to send)`}
          onInput={(e) => { p.onDraft((e.target as HTMLTextAreaElement).value); p.onTyping(); }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); p.onSend(); }
            else if ((e.key === '/' && e.ctrlKey) || (e.key === '#' && p.draft === '' && p.hasSavedReplies)) { e.preventDefault(); p.onAction('saved'); }
            else if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
          }}
        />
        <div class="composer-foot">
          {p.error && <span class="error" role="alert">{p.error}</span>}
          <button type="submit" class="primary" data-testid="send" disabled={p.sending || p.draft.trim() === ''}>
            {p.mode === 'note' ? 'Add note' : 'Send'}
          </button>
        </div>
      </form>
    </section>
  );
}
