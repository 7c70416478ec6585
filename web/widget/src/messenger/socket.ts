// The visitor WebSocket (`/messenger/ws`): reconnects by itself with backoff, closes at once when
// the browser goes offline and reopens when it comes back, and always resumes with `since` = the
// last seq the messenger has seen, so the server replays what was missed.
import type { ClientFrame, ServerFrame } from './types';

/** What the socket tells its owner. */
export interface SocketEvents {
  frame(frame: ServerFrame): void;
  connected(connected: boolean): void;
}

const PING_EVERY_MS = 25_000;
const SILENT_LIMIT_MS = 60_000;
const MAX_BACKOFF_MS = 10_000;

export class MessengerSocket {
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = true;
  private attempts = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;

  constructor(
    private readonly url: () => string,
    private readonly events: SocketEvents,
  ) {
    window.addEventListener('offline', () => this.drop());
    window.addEventListener('online', () => this.reconnectNow());
  }

  /** Whether the server said hello on the current socket. */
  get connected(): boolean {
    return this.ready;
  }

  start(): void {
    this.stopped = false;
    this.reconnectNow();
  }

  stop(): void {
    this.stopped = true;
    this.drop();
  }

  /** Sends a frame if the socket is up; false when it is not (the caller retries after reconnecting). */
  send(frame: ClientFrame): boolean {
    if (!this.ws || !this.ready || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private open(): void {
    if (this.stopped || this.ws) return;
    if (navigator.onLine === false) return; // the `online` event reopens it
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onmessage = (message) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(message.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'hello') {
        this.attempts = 0;
        this.ready = true;
        this.events.connected(true);
      }
      this.events.frame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.forget();
      this.schedule();
    };
    ws.onerror = () => ws.close();
    this.lastFrameAt = Date.now();
    clearInterval(this.keepalive);
    this.keepalive = setInterval(() => this.checkAlive(), PING_EVERY_MS);
  }

  private checkAlive(): void {
    if (!this.ws) return;
    if (Date.now() - this.lastFrameAt > SILENT_LIMIT_MS) {
      this.ws.close();
      return;
    }
    this.send({ type: 'ping' });
  }

  private forget(): void {
    const wasReady = this.ready;
    this.ws = null;
    this.ready = false;
    clearInterval(this.keepalive);
    if (wasReady) this.events.connected(false);
  }

  /** Closes the socket now (offline, or stop) without scheduling a retry. */
  private drop(): void {
    clearTimeout(this.retry);
    const ws = this.ws;
    this.forget();
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2);
    this.attempts += 1;
    this.retry = setTimeout(() => this.open(), delay);
  }

  private reconnectNow(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.attempts = 0;
    this.open();
  }
}
