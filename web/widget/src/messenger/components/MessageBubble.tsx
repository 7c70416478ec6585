// One message bubble (data-testid `rapport-message`, data-author user|admin|bot; leads are `user`).
import type { Attachment, Part } from '../types';
import { sanitizeHtml } from '../sanitize';
import { fullTime, shortTime } from '../time';

/** The author kind the tests and styles see: leads write as `user`. */
export function authorKind(part: Pick<Part, 'author'>): 'user' | 'admin' | 'bot' {
  if (part.author.type === 'admin' || part.author.type === 'bot') return part.author.type;
  return 'user';
}

function Body({ body }: { body: string }) {
  if (!body.includes('<')) return <div class="body text">{body}</div>;
  return <div class="body" dangerouslySetInnerHTML={{ __html: sanitizeHtml(body) }} />;
}

export function MessageBubble(props: { part: Part; status?: string; showName: boolean; urlFor(attachment: Attachment): string }) {
  const { part } = props;
  const author = authorKind(part);
  return (
    <div class={`message ${author}`} data-testid="rapport-message" data-author={author} data-part-id={String(part.id)}>
      {props.showName && author !== 'user' && part.author.name ? <div class="author">{part.author.name}</div> : null}
      <div class="bubble">
        {part.body ? <Body body={part.body} /> : null}
        {part.attachments?.length ? (
          <ul class="attachments">
            {part.attachments.map((attachment) => (
              <li key={String(attachment.id)}>
                {attachment.content_type.startsWith('image/') ? (
                  <img src={props.urlFor(attachment)} alt={attachment.name} loading="lazy" />
                ) : (
                  <a href={props.urlFor(attachment)} target="_blank" rel="noopener noreferrer">{attachment.name}</a>
                )}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <div class="time" title={fullTime(part.created_at)}>
        {shortTime(part.created_at)}
        {props.status ? <span class="status" data-testid="rapport-message-status"> · {props.status}</span> : null}
      </div>
    </div>
  );
}

/** A message written but not yet stored: shown greyed until the ack, with a retry when refused. */
export function PendingBubble(props: { body: string; createdAt: number; failed: boolean; onRetry(): void }) {
  return (
    <div class="message user pending" data-testid="rapport-message" data-author="user" data-pending="true">
      <div class="bubble">
        <div class="body text">{props.body}</div>
      </div>
      <div class="time">
        {props.failed ? (
          <button type="button" class="link" data-testid="rapport-retry" onClick={props.onRetry}>Not sent. Retry</button>
        ) : (
          'Sending…'
        )}
      </div>
    </div>
  );
}
