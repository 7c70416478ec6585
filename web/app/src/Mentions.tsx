// Mention notifications: a teammate's note that @mentions me arrives on the agent socket as a
// `conversation_part.created` event whose part lists me in `mentioned_admin_ids`; it shows as a
// notification linking to the conversation until dismissed.
import type { LiveEvent } from './live';
import { plain } from './format';

export interface Mention { key: string; conversationId: string; by: string; text: string }

/// The mention of `meId` an event carries, if any.
export function mentionIn(event: LiveEvent, meId: string): Mention | null {
  const part = event.data.part;
  if (event.kind !== 'conversation_part.created' || !part?.mentioned_admin_ids?.some((id) => String(id) === String(meId))) return null;
  return {
    key: `${event.seq}`,
    conversationId: String(event.conversation_id),
    by: part.author?.name ?? 'A teammate',
    text: plain(part.body ?? '').slice(0, 120),
  };
}

interface Props { mentions: Mention[]; onOpen: (m: Mention) => void; onDismiss: (m: Mention) => void }

export function MentionNotifications({ mentions, onOpen, onDismiss }: Props) {
  if (mentions.length === 0) return null;
  return (
    <div class="notifications" role="region" aria-label="Notifications" aria-live="polite">
      {mentions.map((m) => (
        <div key={m.key} class="notification" data-testid="mention-notification" data-conversation-id={m.conversationId}>
          <a href={`/app/mentions?c=${encodeURIComponent(m.conversationId)}`} data-testid="mention-link"
            onClick={(e) => { e.preventDefault(); onOpen(m); }}>
            <strong>{m.by} mentioned you</strong>
            <span>{m.text}</span>
          </a>
          <button class="x" aria-label="Dismiss" onClick={() => onDismiss(m)}>×</button>
        </div>
      ))}
    </div>
  );
}
