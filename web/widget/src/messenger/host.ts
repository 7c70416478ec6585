// The messenger's end of the bridge: accepts messages only from the window that embeds it, learns
// that window's origin from the first message, and answers only to that origin.
import { envelope, unwrap, type FrameMessage, type HostMessage } from '../shared/bridge';

/** Starts listening; returns the function that posts to the host page. */
export function connectHost(onMessage: (message: HostMessage) => void): (message: FrameMessage) => void {
  let hostOrigin: string | null = null;
  const embedded = window.parent !== window;

  window.addEventListener('message', (event: MessageEvent) => {
    if (!embedded || event.source !== window.parent) return;
    if (hostOrigin !== null && event.origin !== hostOrigin) return;
    const message = unwrap<HostMessage>(event.data);
    if (!message) return;
    if (hostOrigin === null) {
      if (message.type !== 'boot') return;
      hostOrigin = event.origin;
    }
    onMessage(message);
  });

  return (message) => {
    if (!embedded) return;
    // `ready` carries nothing private and goes out before the host is known; nothing else does.
    if (message.type === 'ready') window.parent.postMessage(envelope(message), '*');
    else if (hostOrigin) window.parent.postMessage(envelope(message), hostOrigin);
  };
}
