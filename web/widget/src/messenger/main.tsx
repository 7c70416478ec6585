// Entry of the messenger iframe: wires the host bridge to the Messenger and renders the app.
import { render } from 'preact';
import { App } from './components/App';
import { connectHost } from './host';
import { Messenger } from './messenger';
import './styles.css';

let messenger: Messenger | null = null;
const tellHost = connectHost((message) => {
  if (!messenger) return;
  switch (message.type) {
    case 'boot':
      void messenger.boot(message.settings);
      break;
    case 'update':
      void messenger.update(message.settings);
      break;
    case 'shutdown':
      messenger.shutdown();
      break;
    case 'visibility':
      messenger.setShown(message.shown);
      break;
    case 'newMessage':
      messenger.openNew(message.text ?? '');
      break;
    case 'trackEvent':
      void messenger.trackEvent(message.name, message.metadata);
      break;
  }
});
messenger = new Messenger(tellHost);

const root = document.getElementById('app');
if (root) render(<App messenger={messenger} />, root);
tellHost({ type: 'ready' });
