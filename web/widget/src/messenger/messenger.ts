// The messenger's state and everything that changes it: boot, the socket, sends with their retries,
// read receipts. Components read `state` and call the methods; nothing else talks to the server.
import { ApiError, call } from './api';
import {
  lastAdminPart, withAdminRead, withLoaded, withPart, withSummary, withVisitorRead, type Conversations,
} from './conversations';
import { MessengerSocket } from './socket';
import { key, wireId, loadPending, loadToken, newClientId, savePending, saveToken, type PendingSend } from './storage';
import type { BootSettings, FrameMessage, UpdateSettings } from '../shared/bridge';
import type { Attachment, BootAnswer, Contact, ConversationAnswer, ConversationSummary, Part, ServerFrame, Workspace } from './types';

export type View = { name: 'home' } | { name: 'conversation'; id: string | null; thread: string | null };

export interface MessengerState {
  phase: 'waiting' | 'booting' | 'ready' | 'error';
  error: { code: string; message: string } | null;
  workspace: Workspace | null;
  contact: Contact | null;
  conversations: Conversations;
  pending: PendingSend[];
  view: View;
  connected: boolean;
  everConnected: boolean;
  unreadCount: number;
  /** Who is typing, by conversation id. */
  typing: Record<string, string>;
  shown: boolean;
  /** Text to put in the composer (showNewMessage). */
  prefill: string;
}

const TYPING_SHOWN_MS = 6_000;
const TYPING_SENT_EVERY_MS = 3_000;

export class Messenger {
  state: MessengerState = {
    phase: 'waiting', error: null, workspace: null, contact: null, conversations: {}, pending: [],
    view: { name: 'home' }, connected: false, everConnected: false, unreadCount: 0, typing: {}, shown: false, prefill: '',
  };
  private readonly subscribers = new Set<() => void>();
  private appId = '';
  private token: string | null = null;
  private lastSeq = 0;
  private bootRun = 0;
  private readSent: Record<string, string> = {};
  private typingTimers: Record<string, ReturnType<typeof setTimeout>> = {};
  private lastTypingSent = 0;
  private readonly socket: MessengerSocket;

  constructor(private readonly tellHost: (message: FrameMessage) => void) {
    this.socket = new MessengerSocket(
      () => {
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        const token = encodeURIComponent(this.token ?? '');
        return `${scheme}//${location.host}/messenger/ws?token=${token}&since=${this.lastSeq}`;
      },
      { frame: (frame) => this.onFrame(frame), connected: (up) => this.onConnected(up) },
    );
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  subscribe(listener: () => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  private set(patch: Partial<MessengerState>): void {
    const before = this.state;
    this.state = { ...before, ...patch };
    if (patch.pending && this.appId) savePending(this.appId, this.state.pending);
    if (this.state.unreadCount !== before.unreadCount) this.tellHost({ type: 'unread', count: this.state.unreadCount });
    this.subscribers.forEach((listener) => listener());
  }

  // ---- boot, update, shutdown -------------------------------------------------------------

  async boot(settings: BootSettings): Promise<void> {
    const run = ++this.bootRun;
    this.socket.stop();
    this.appId = settings.app_id;
    if (settings.reset) {
      saveToken(this.appId, null);
      savePending(this.appId, []);
    }
    this.set({ phase: 'booting', error: null, pending: loadPending(this.appId) });
    const { reset: _reset, ...body } = settings;
    let answer: BootAnswer;
    try {
      answer = await this.bootRequest(body, loadToken(this.appId));
    } catch (error) {
      if (run !== this.bootRun) return;
      const failure = error instanceof ApiError ? error : new ApiError(0, 'boot_failed', String(error));
      this.set({ phase: 'error', error: { code: failure.code, message: failure.message } });
      this.tellHost({ type: 'error', code: failure.code, message: failure.message });
      return;
    }
    if (run !== this.bootRun) return;
    this.token = answer.visitor_token;
    saveToken(this.appId, answer.visitor_token);
    this.lastSeq = answer.seq ?? 0;
    this.set({ phase: 'ready', workspace: answer.workspace, contact: answer.contact, unreadCount: answer.unread_count ?? 0, conversations: {} });
    this.tellHost({
      type: 'booted', visitorId: key(answer.contact.id), unreadCount: this.state.unreadCount,
      color: answer.workspace.color, name: answer.workspace.name,
    });
    this.socket.start();
    await this.loadConversations();
  }

  /**
   * Boots with the stored token; a token the server no longer knows is dropped and boot retried.
   * Any other refusal (a blocked or archived contact, a failed identity check) stands: retrying
   * without the token would quietly make the visitor a new lead.
   */
  private async bootRequest(body: Omit<BootSettings, 'reset'>, token: string | null): Promise<BootAnswer> {
    try {
      return await call<BootAnswer>('/messenger/boot', { method: 'POST', body: { ...body, visitor_token: token ?? undefined } });
    } catch (error) {
      const stale = token && error instanceof ApiError && error.code === 'visitor_token_invalid';
      if (!stale) throw error;
      saveToken(this.appId, null);
      return call<BootAnswer>('/messenger/boot', { method: 'POST', body });
    }
  }

  async update(settings: UpdateSettings): Promise<void> {
    if (this.state.phase !== 'ready') return;
    try {
      const answer = await call<{ contact: Contact }>('/messenger/update', { method: 'POST', token: this.token, body: settings });
      if (answer?.contact) this.set({ contact: answer.contact });
    } catch (error) {
      console.warn('[Rapport] update failed', error);
    }
  }

  async trackEvent(name: string, metadata?: Record<string, unknown>): Promise<void> {
    if (this.state.phase !== 'ready') return;
    await call('/messenger/events', { method: 'POST', token: this.token, body: { event_name: name, metadata } }).catch((error) =>
      console.warn('[Rapport] trackEvent failed', error),
    );
  }

  shutdown(): void {
    this.bootRun += 1;
    this.socket.stop();
    if (this.appId) {
      saveToken(this.appId, null);
      savePending(this.appId, []);
    }
    this.token = null;
    this.set({ phase: 'waiting', conversations: {}, pending: [], contact: null, unreadCount: 0, view: { name: 'home' } });
  }

  /** Where the visitor's browser fetches an attachment (an `<img src>` cannot send a header). */
  attachmentUrl(attachment: Attachment): string {
    if (attachment.url) return attachment.url;
    return `/messenger/attachments/${encodeURIComponent(key(attachment.id))}?token=${encodeURIComponent(this.token ?? '')}`;
  }

  // ---- navigation -----------------------------------------------------------------------

  setShown(shown: boolean): void {
    this.set({ shown });
    this.markRead();
  }

  hide(): void {
    this.tellHost({ type: 'hide' });
  }

  goHome(): void {
    this.set({ view: { name: 'home' }, prefill: '' });
    void this.loadConversations();
  }

  openNew(prefill = ''): void {
    this.set({ view: { name: 'conversation', id: null, thread: null }, prefill });
  }

  async openConversation(id: string): Promise<void> {
    this.set({ view: { name: 'conversation', id, thread: null }, prefill: '' });
    this.markRead();
    if (this.state.conversations[id]?.loaded) return;
    try {
      const answer = await call<ConversationAnswer>(`/messenger/conversations/${encodeURIComponent(id)}`, { token: this.token });
      this.mergeParts(withLoaded(this.state.conversations, answer.conversation, answer.parts ?? [], answer.admin_last_read_part_id));
      this.markRead();
    } catch (error) {
      console.warn('[Rapport] could not load the conversation', error);
    }
  }

  private async loadConversations(): Promise<void> {
    if (!this.token) return;
    try {
      const answer = await call<{ conversations: ConversationSummary[] }>('/messenger/conversations', { token: this.token });
      let conversations = this.state.conversations;
      for (const summary of answer.conversations ?? []) conversations = withSummary(conversations, summary);
      this.set({ conversations });
    } catch (error) {
      console.warn('[Rapport] could not list conversations', error);
    }
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Sends a message in the conversation on screen (a new one when there is none yet). */
  send(text: string): void {
    const body = text.trim();
    const view = this.state.view;
    if (!body || view.name !== 'conversation') return;
    const clientId = newClientId();
    const thread = view.id ? clientId : (view.thread ?? clientId);
    const pending: PendingSend = { clientId, conversationId: view.id, thread, body, createdAt: Math.floor(Date.now() / 1000) };
    const patch: Partial<MessengerState> = { pending: [...this.state.pending, pending], prefill: '' };
    if (!view.id && !view.thread) patch.view = { ...view, thread };
    this.set(patch);
    this.flush();
  }

  retry(clientId: string): void {
    this.set({ pending: this.state.pending.map((p) => (p.clientId === clientId ? { ...p, failed: false } : p)) });
    this.flush();
  }

  /** (Re)sends every unacknowledged message, each with its own client_id. */
  private flush(): void {
    for (const pending of this.state.pending) {
      if (pending.failed) continue;
      if (pending.conversationId) {
        this.socket.send({ type: 'send', conversation_id: wireId(pending.conversationId), body: pending.body, client_id: pending.clientId });
      } else if (pending.thread === pending.clientId) {
        this.socket.send({ type: 'send', body: pending.body, client_id: pending.clientId });
      } // later messages of a new conversation wait for its id
    }
  }

  typing(): void {
    const view = this.state.view;
    if (view.name !== 'conversation' || !view.id || Date.now() - this.lastTypingSent < TYPING_SENT_EVERY_MS) return;
    this.lastTypingSent = Date.now();
    this.socket.send({ type: 'typing', conversation_id: wireId(view.id) });
  }

  // ---- what the server says -----------------------------------------------------------------

  private onConnected(connected: boolean): void {
    this.set({ connected, everConnected: this.state.everConnected || connected });
    if (connected) {
      this.readSent = {};
      this.flush();
      this.markRead();
    }
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'hello':
        if (typeof frame.unread_count === 'number') this.set({ unreadCount: frame.unread_count });
        return;
      case 'event':
        if (frame.seq > this.lastSeq) this.lastSeq = frame.seq;
        if (frame.data?.conversation) this.set({ conversations: withSummary(this.state.conversations, frame.data.conversation) });
        if (frame.data?.part) this.receivePart(frame.data.part);
        if (frame.kind === 'conversation.read' && frame.data?.reader?.type === 'admin') {
          this.set({ conversations: withAdminRead(this.state.conversations, frame.conversation_id, frame.data.part_id) });
        }
        return;
      case 'ack':
        this.receivePart({ ...frame.part, client_id: frame.part.client_id ?? frame.client_id, conversation_id: frame.part.conversation_id ?? frame.conversation_id });
        return;
      case 'typing':
        if (frame.author.type === 'admin' || frame.author.type === 'bot') this.showTyping(key(frame.conversation_id), frame.author.name || 'Someone');
        return;
      case 'unread':
        this.set({ unreadCount: frame.count });
        return;
      case 'error':
        if (frame.client_id) this.set({ pending: this.state.pending.map((p) => (p.clientId === frame.client_id ? { ...p, failed: true } : p)) });
        else console.warn('[Rapport]', frame.code, frame.message);
        return;
      case 'pong':
        return;
    }
  }

  /** A stored part, from an ack, an event or a fetch: confirms its pending send and shows it once. */
  private receivePart(part: Part): void {
    const conversationId = key(part.conversation_id);
    const viewing = this.isViewing(conversationId);
    let conversations = withPart(this.state.conversations, part, !viewing);
    const patch: Partial<MessengerState> = {};
    const confirmed = part.client_id ? this.state.pending.find((p) => p.clientId === part.client_id) : undefined;
    if (confirmed) {
      patch.pending = this.state.pending
        .filter((p) => p.clientId !== confirmed.clientId)
        .map((p) => (p.thread === confirmed.thread && !p.conversationId ? { ...p, conversationId } : p));
      const view = this.state.view;
      if (view.name === 'conversation' && !view.id && view.thread === confirmed.thread) patch.view = { ...view, id: conversationId };
    }
    if (part.author.type === 'admin' || part.author.type === 'bot') {
      const typing = { ...this.state.typing };
      delete typing[conversationId];
      patch.typing = typing;
    }
    if (conversations === this.state.conversations && !confirmed) return;
    if (viewing) conversations = withVisitorRead(conversations, conversationId);
    this.set({ ...patch, conversations });
    if (confirmed) this.flush();
    this.markRead();
  }

  private mergeParts(conversations: Conversations): void {
    const delivered = new Set<string>();
    for (const conversation of Object.values(conversations)) for (const part of conversation.parts) if (part.client_id) delivered.add(part.client_id);
    this.set({ conversations, pending: this.state.pending.filter((p) => !delivered.has(p.clientId)) });
  }

  private showTyping(conversationId: string, name: string): void {
    clearTimeout(this.typingTimers[conversationId]);
    this.set({ typing: { ...this.state.typing, [conversationId]: name } });
    this.typingTimers[conversationId] = setTimeout(() => {
      const typing = { ...this.state.typing };
      delete typing[conversationId];
      this.set({ typing });
    }, TYPING_SHOWN_MS);
  }

  private isViewing(conversationId: string): boolean {
    const view = this.state.view;
    return this.state.shown && view.name === 'conversation' && view.id === conversationId && document.visibilityState !== 'hidden';
  }

  /** Sends a read receipt for the conversation on screen when it has an admin message not yet read. */
  private markRead(): void {
    const view = this.state.view;
    if (view.name !== 'conversation' || !view.id || !this.isViewing(view.id)) return;
    const conversation = this.state.conversations[view.id];
    if (!conversation) return;
    const last = lastAdminPart(conversation);
    if (conversation.unread) this.set({ conversations: withVisitorRead(this.state.conversations, view.id) });
    if (!last || this.readSent[view.id] === key(last.id)) return;
    if (this.socket.send({ type: 'read', conversation_id: wireId(view.id), part_id: last.id })) this.readSent[view.id] = key(last.id);
  }
}
