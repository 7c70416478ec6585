// Home: the workspace's greeting and expected reply time, a button to start a conversation and the
// visitor's recent conversations.
import { recent } from '../conversations';
import type { Messenger, MessengerState } from '../messenger';
import { plainText } from '../sanitize';
import { shortTime } from '../time';
import { Header } from './Header';

export function Home({ state, messenger }: { state: MessengerState; messenger: Messenger }) {
  const workspace = state.workspace;
  const conversations = recent(state.conversations);
  return (
    <div class="screen home" data-testid="rapport-home">
      <Header title={workspace?.name ?? ''} onClose={() => messenger.hide()}>
        <p class="greeting">{workspace?.greeting || `Hi${state.contact?.name ? ` ${state.contact.name}` : ''} 👋`}</p>
      </Header>
      <div class="home-body">
        <div class="card">
          <strong>Send us a message</strong>
          {workspace?.expected_reply?.text ? <p class="muted" data-testid="rapport-expected-reply">{workspace.expected_reply.text}</p> : null}
          <button class="primary" type="button" data-testid="rapport-new-conversation" onClick={() => messenger.openNew()}>
            Send us a message
          </button>
        </div>
        {conversations.length ? (
          <div class="card conversations">
            <strong>Recent conversations</strong>
            <ul>
              {conversations.map((conversation) => (
                <li key={conversation.id}>
                  <button
                    type="button"
                    class="conversation-item"
                    data-testid="rapport-conversation-item"
                    data-unread={conversation.unread}
                    onClick={() => void messenger.openConversation(conversation.id)}
                  >
                    <span class="preview">{plainText(conversation.lastPart?.body ?? null) || 'Conversation'}</span>
                    <span class="meta">
                      {conversation.updatedAt ? shortTime(conversation.updatedAt) : ''}
                      {conversation.unread ? <span class="dot" aria-label={`${conversation.unread} unread`} /> : null}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    </div>
  );
}
