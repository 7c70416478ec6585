// The agent socket (`/ws`): remembers the last seq it saw and resumes from it after a drop, so no
// event is missed; reconnects with a capped backoff. Listeners get every frame.
export interface LiveEvent {
  type: 'event'; seq: number; kind: string; conversation_id: string | number;
  data: { conversation?: { id: string | number; state?: string; admin_assignee_id?: number | null; team_assignee_id?: number | null }; part?: { author?: { type: string; id: string | number; name?: string }; body?: string | null; mentioned_admin_ids?: (string | number)[] };
    reader?: { type: string; id: string | number } };
}
export interface TypingFrame { type: 'typing'; conversation_id: string | number; author: { type: string; id: string | number; name: string } }
export interface PresenceFrame { type: 'presence'; admin_id: string | number; status: string }
export type Frame = LiveEvent | TypingFrame | PresenceFrame | { type: 'hello'; seq: number } | { type: 'pong' } | { type: 'error'; code: string };

type Listener = (frame: Frame) => void;

export class Live {
  private socket: WebSocket | null = null;
  private seq: number | null = null;
  private listeners = new Set<Listener>();
  private retry = 0;
  private closed = false;
  private timer: number | undefined;
  status: 'connecting' | 'live' | 'offline' = 'connecting';
  onStatus: (status: Live['status']) => void = () => undefined;
  /** The server ended this teammate's access (close code 4401, e.g. deactivated): no reconnect. */
  onEnded: (reason: string) => void = () => undefined;
  /** A socket closed before its hello (refused, or the server is away): the app checks its session. */
  onRefused: () => void = () => undefined;

  private lastFrame = 0;
  private heartbeat: number | undefined;
  private readonly onOffline = () => this.drop();
  private readonly onOnline = () => {
    if (this.closed || this.socket) return;
    window.clearTimeout(this.timer);
    this.connect();
  };

  /// Opens the socket; the browser's offline/online events drop and reopen it at once, and a
  /// ping every 25 s closes a socket that has heard nothing for 60 s (a half-open connection).
  start(): void {
    this.closed = false;
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    this.heartbeat = window.setInterval(() => {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrame > 60_000) this.drop();
      else this.send({ type: 'ping' });
    }, 25_000);
    this.connect();
  }

  /// Closes the socket for good (sign-out, workspace switch): the next start begins afresh.
  stop(): void {
    this.closed = true;
    this.seq = null;
    this.retry = 0;
    window.clearTimeout(this.timer);
    window.clearInterval(this.heartbeat);
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    this.socket?.close();
    this.socket = null;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /// Drops the socket as a network failure would (used by tests and the "reconnect" command).
  drop(): void {
    const socket = this.socket;
    if (!socket) return;
    const onclose = socket.onclose;
    socket.onmessage = null;
    socket.close();
    onclose?.call(socket, new CloseEvent('close'));
  }

  private setStatus(status: Live['status']): void { this.status = status; this.onStatus(status); }

  private connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const since = this.seq === null ? '' : `?since=${this.seq}`;
    const socket = new WebSocket(`${scheme}://${location.host}/ws${since}`);
    this.socket = socket;
    this.setStatus('connecting');
    socket.onmessage = (message) => {
      this.lastFrame = Date.now();
      const frame = JSON.parse(String(message.data)) as Frame;
      if (frame.type === 'hello') {
        this.retry = 0;
        if (this.seq === null) this.seq = frame.seq;
        this.setStatus('live');
      } else if (frame.type === 'event') {
        if (this.seq !== null && frame.seq <= this.seq) return;
        this.seq = frame.seq;
      }
      for (const listener of this.listeners) listener(frame);
    };
    let greeted = false;
    socket.addEventListener('message', () => { greeted = true; }, { once: true });
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      if (event.code === 4401) { this.stop(); this.onEnded(event.reason); return; }
      if (!greeted) this.onRefused();
      this.setStatus('offline');
      if (navigator.onLine === false) return; // the `online` event reopens it
      const delay = Math.min(10_000, 500 * 2 ** this.retry++);
      this.timer = window.setTimeout(() => this.connect(), delay);
    };
  }
}

export const live = new Live();
