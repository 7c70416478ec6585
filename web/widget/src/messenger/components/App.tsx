// The messenger's screens: waiting for boot, an error, home, or one conversation.
import { useEffect, useReducer } from 'preact/hooks';
import type { Messenger } from '../messenger';
import { ConversationView } from './ConversationView';
import { ErrorState } from './ErrorState';
import { Home } from './Home';
import { OfflineBanner } from './OfflineBanner';

const COLOR = /^#[0-9a-fA-F]{3,8}$/;

export function App({ messenger }: { messenger: Messenger }) {
  const [, rerender] = useReducer((n: number, _: number) => n + 1, 0);
  useEffect(() => messenger.subscribe(() => rerender(1)), [messenger]);
  const state = messenger.state;
  const color = state.workspace?.color && COLOR.test(state.workspace.color) ? state.workspace.color : '#0057ff';

  let screen;
  if (state.phase === 'error' && state.error) screen = <ErrorState error={state.error} onClose={() => messenger.hide()} />;
  else if (state.phase !== 'ready') screen = <div class="loading" data-testid="rapport-loading" aria-busy="true" />;
  else if (state.view.name === 'home') screen = <Home state={state} messenger={messenger} />;
  else screen = <ConversationView state={state} messenger={messenger} />;

  return (
    <div class="messenger" style={{ '--color': color }}>
      {state.phase === 'ready' && state.everConnected && !state.connected ? <OfflineBanner /> : null}
      {screen}
    </div>
  );
}
