// The open conversation: header with one-click actions, the timeline, the composer.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { attachmentUrl } from './api';
import type { Admin, Attachment, Conversation as Conv, EmailDelivery, Extras, Part, Team } from './api';
import { Composer } from './Composer';
import { initials, plain, when } from './format';

export type Action = 'assign' | 'tag' | 'snooze' | 'close' | 'open' | 'saved' | 'assign-me' | 'priority';

interface Props {
  conversation: Conv; me: Admin; admins: Admin[]; teams: Team[];
  typing: { name: string; admin: boolean }[]; mode: 'reply' | 'note'; onMode: (m: 'reply' | 'note') => void;
  draft: string; onDraft: (text: string) => void; onSend: (text: string, extras: Extras) => Promise<boolean>; sending: boolean; error: string | null;
  onAction: (a: Action) => void; onTyping: () => void; onUntag: (tagId: string) => void;
  onUntagPart: (partId: string, tagId: string) => void;
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

/// Every part of the timeline, the opening message first (with its real part id when it has one).
export function timelineParts(c: Conv): Part[] {
  const source: Part = {
    // The opening message is a part (taggable) when the API lists its tags.
    id: Array.isArray(c.source.tags) && c.source.id ? c.source.id : `source-${c.id}`, part_type: 'source', body: c.source.body, created_at: c.created_at,
    author: c.source.author, attachments: c.source.attachments, tags: c.source.tags ?? undefined,
  };
  return [source, ...(c.conversation_parts?.conversation_parts ?? [])];
}

const fromCustomer = (part: Part) => part.author.type !== 'admin' && part.author.type !== 'bot';

/// The customer's last message (what shift+T tags), if it can be tagged.
export function customerLastMessage(c: Conv): Part | undefined {
  const messages = timelineParts(c).filter((part) => (part.part_type === 'comment' || part.part_type === 'source') && fromCustomer(part));
  const last = messages[messages.length - 1];
  return last && !String(last.id).startsWith('source-') ? last : undefined;
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/// Images as thumbnails (served with `nosniff` and a sandbox CSP), other files as download links.
function Files({ files }: { files: Attachment[] }) {
  return (
    <ul class="files" data-testid="attachments">
      {files.map((f) => (
        <li key={f.id}>
          {f.content_type.startsWith('image/')
            ? <a href={attachmentUrl(f.id)} target="_blank" rel="noopener noreferrer"><img class="thumb" src={attachmentUrl(f.id)} alt={f.name} loading="lazy" data-testid="attachment-image" /></a>
            : <a class="file" href={attachmentUrl(f.id)} download={f.name} data-testid="attachment-file">{f.name}<span class="hint">{size(f.filesize)}</span></a>}
        </li>
      ))}
    </ul>
  );
}

/// Under a reply to an email conversation: whether the relay took it.
function Delivery({ d }: { d: EmailDelivery }) {
  const text = d.state === 'sent' ? 'Sent by email' : d.state === 'failed' ? `Failed: ${d.error ?? 'not delivered'}` : 'Sending…';
  const title = d.state === 'queued' && d.error ? `Attempt ${d.attempts}: ${d.error}` : undefined;
  return <div class={`delivery ${d.state}`} data-testid="email-delivery" data-state={d.state} title={title}>{text}</div>;
}

/// The text with each `@Name` of a mentioned teammate highlighted.
function WithMentions({ text, names }: { text: string; names: string[] }) {
  if (names.length === 0) return <>{text}</>;
  const escaped = names.map((n) => `@${n}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pieces = text.split(new RegExp(`(${escaped.join('|')})`, 'g'));
  return <>{pieces.map((piece, i) => (i % 2 === 1 ? <mark key={i} class="mention" data-testid="mention">{piece}</mark> : piece))}</>;
}

function Message({ part, admins, teams, onUntag }: { part: Part; admins: Admin[]; teams: Team[]; onUntag: (tagId: string) => void }) {
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
  const fromTeam = !fromCustomer(part);
  const who = part.author.name || part.author.email || (fromTeam ? 'Teammate' : 'Customer');
  return (
    <li class={`msg ${fromTeam ? 'out' : 'in'} ${isNote ? 'note' : ''}`} data-testid={isNote ? 'timeline-note' : 'timeline-message'} data-part-id={part.id}>
      <span class="avatar" aria-hidden="true">{initials(who)}</span>
      <div class="bubble">
        <div class="meta"><strong>{who}</strong>{isNote && <span class="pill note-pill">Note</span>}<time>{when(part.created_at)}</time></div>
        <div class="text"><WithMentions text={plain(part.body)} names={(part.mentioned_admin_ids ?? []).map((id) => nameOf(admins, id)).filter((n): n is string => !!n)} /></div>
        {part.attachments && part.attachments.length > 0 && <Files files={part.attachments} />}
        {part.email_delivery && <Delivery d={part.email_delivery} />}
        {part.tags && part.tags.length > 0 && (
          <div class="part-tags" data-testid="part-tags">
            {part.tags.map((t) => (
              <span key={t.id} class="pill tag">{t.name}<button class="x" aria-label={`Remove tag ${t.name} from this message`} onClick={() => onUntag(t.id)}>×</button></span>
            ))}
          </div>
        )}
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
  const parts = timelineParts(c);
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
        {parts.slice(hidden).map((part) => <Message key={part.id} part={part} admins={p.admins} teams={p.teams} onUntag={(tagId) => p.onUntagPart(part.id, tagId)} />)}
      </ol>
      {p.typing.filter((t) => !t.admin).map((t) => (
        <div key={t.name} class="typing" data-testid="typing" role="status">{t.name} is typing…</div>
      ))}
      {p.typing.filter((t) => t.admin).map((t) => (
        <div key={t.name} class="collision" data-testid="collision" role="status">{t.name} is also replying</div>
      ))}
      <Composer conversationId={c.id} me={p.me} admins={p.admins} who={who} mode={p.mode} onMode={p.onMode}
        draft={p.draft} onDraft={p.onDraft} onSend={p.onSend} sending={p.sending} error={p.error}
        onSavedReplies={() => p.onAction('saved')} hasSavedReplies={p.hasSavedReplies} onTyping={p.onTyping}
        composerRef={p.composerRef} />
    </section>
  );
}
