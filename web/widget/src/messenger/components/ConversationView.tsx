// One conversation: its messages (live), what is still being sent, the admin typing indicator, the
// read state of the visitor's last message, and the composer.
import { useEffect, useRef } from 'preact/hooks';
import { isMessage } from '../conversations';
import type { Messenger, MessengerState } from '../messenger';
import { Composer } from './Composer';
import { Header } from './Header';
import { MessageBubble, PendingBubble, authorKind } from './MessageBubble';

export function ConversationView({ state, messenger }: { state: MessengerState; messenger: Messenger }) {
  const view = state.view.name === 'conversation' ? state.view : null;
  const conversation = view?.id ? state.conversations[view.id] : undefined;
  const parts = (conversation?.parts ?? []).filter((part) => isMessage(part) && (part.body || part.attachments?.length));
  const delivered = new Set(parts.map((part) => part.client_id).filter(Boolean));
  const pending = state.pending.filter(
    (p) => !delivered.has(p.clientId) && (view?.id ? p.conversationId === view.id : !p.conversationId && p.thread === view?.thread),
  );
  const typing = view?.id ? state.typing[view.id] : undefined;
  const lastUserIndex = parts.map(authorKind).lastIndexOf('user');
  const readUpTo = conversation?.adminLastReadPartId ?? 0;

  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [parts.length, pending.length, typing]);

  return (
    <div class="screen conversation" data-testid="rapport-conversation" data-conversation-id={view?.id ?? ''}>
      <Header title={state.workspace?.name ?? ''} onBack={() => messenger.goHome()} onClose={() => messenger.hide()}>
        {state.workspace?.expected_reply?.text ? <p class="subtitle">{state.workspace.expected_reply.text}</p> : null}
      </Header>
      <div class="messages" ref={list} aria-live="polite">
        {!parts.length && !pending.length ? (
          <p class="empty muted">{state.workspace?.greeting || 'Ask us anything, we are happy to help.'}</p>
        ) : null}
        {parts.map((part, index) => {
          const previous = parts[index - 1];
          const showName = !previous || authorKind(previous) !== authorKind(part) || previous.author.id !== part.author.id;
          const status = index === lastUserIndex ? (Number(part.id) <= readUpTo ? 'Seen' : 'Sent') : undefined;
          return <MessageBubble key={String(part.id)} part={part} showName={showName} status={status} urlFor={(a) => messenger.attachmentUrl(a)} />;
        })}
        {pending.map((p) => (
          <PendingBubble key={p.clientId} body={p.body} createdAt={p.createdAt} failed={!!p.failed} onRetry={() => messenger.retry(p.clientId)} />
        ))}
        {typing ? (
          <div class="typing" data-testid="rapport-typing">
            <span class="dots"><i /><i /><i /></span> {typing} is typing…
          </div>
        ) : null}
      </div>
      <Composer prefill={state.prefill} autoFocus={state.shown} onSend={(text) => messenger.send(text)} onTyping={() => messenger.typing()} />
    </div>
  );
}
