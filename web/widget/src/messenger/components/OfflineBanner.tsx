// A strip across the top while the socket is down; messages written meanwhile are sent on reconnect.

export function OfflineBanner() {
  return (
    <div class="offline" data-testid="rapport-offline" role="status">
      You're offline. Reconnecting… Messages you write will be sent when you're back.
    </div>
  );
}
