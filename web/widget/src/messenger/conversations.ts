// The visitor's conversations as the messenger holds them, and the pure functions that merge what
// arrives (REST answers, event frames, acks) into them. Parts are deduplicated by id and by client_id,
// so a replayed event or a repeated ack never shows a message twice.
import { key } from './storage';
import type { ConversationSummary, Id, Part } from './types';

export interface Conversation {
  id: string;
  state: string;
  updatedAt: number;
  parts: Part[];
  /** Whether `parts` holds the whole conversation (fetched), not only what arrived live. */
  loaded: boolean;
  adminLastReadPartId: number | null;
  unread: number;
  lastPart: Part | null;
}

export type Conversations = Record<string, Conversation>;

function numeric(id: Id | null | undefined): number {
  const n = Number(id);
  return Number.isFinite(n) ? n : 0;
}

function blank(id: string): Conversation {
  return { id, state: 'open', updatedAt: 0, parts: [], loaded: false, adminLastReadPartId: null, unread: 0, lastPart: null };
}

/** Whether a part is visible to the visitor as a message bubble. */
export function isMessage(part: Part): boolean {
  return part.part_type === 'comment' || part.part_type === 'open' || part.part_type === 'conversation';
}

function later(a: Part | null, b: Part | null): Part | null {
  if (!a) return b;
  if (!b) return a;
  return b.created_at > a.created_at || (b.created_at === a.created_at && numeric(b.id) >= numeric(a.id)) ? b : a;
}

/** Adds or refreshes a conversation's summary. */
export function withSummary(all: Conversations, summary: ConversationSummary): Conversations {
  const id = key(summary.id);
  const current = all[id] ?? blank(id);
  const next: Conversation = {
    ...current,
    state: summary.state ?? current.state,
    updatedAt: Math.max(current.updatedAt, summary.updated_at ?? 0),
    unread: summary.unread_count ?? current.unread,
    lastPart: later(current.lastPart, summary.last_part ?? null),
  };
  return { ...all, [id]: next };
}

/** Adds a part unless a part with its id or client_id is already there. */
export function withPart(all: Conversations, part: Part, countUnread: boolean): Conversations {
  const id = key(part.conversation_id);
  const current = all[id] ?? blank(id);
  const duplicate = current.parts.some(
    (p) => key(p.id) === key(part.id) || (part.client_id && p.client_id === part.client_id),
  );
  if (duplicate) return all;
  const parts = [...current.parts, part].sort((a, b) => a.created_at - b.created_at || numeric(a.id) - numeric(b.id));
  const fromAdmin = part.author.type === 'admin' || part.author.type === 'bot';
  return {
    ...all,
    [id]: {
      ...current,
      parts,
      updatedAt: Math.max(current.updatedAt, part.created_at),
      lastPart: later(current.lastPart, part),
      unread: countUnread && fromAdmin && isMessage(part) ? current.unread + 1 : current.unread,
    },
  };
}

/** Replaces a conversation with its full fetched form, keeping live parts that arrived meanwhile. */
export function withLoaded(all: Conversations, summary: ConversationSummary, parts: Part[], adminLastRead: Id | null | undefined): Conversations {
  let next = withSummary(all, summary);
  const id = key(summary.id);
  for (const part of parts) next = withPart(next, { ...part, conversation_id: part.conversation_id ?? summary.id }, false);
  const current = next[id];
  const read = adminLastRead === null || adminLastRead === undefined ? current.adminLastReadPartId : numeric(adminLastRead);
  return { ...next, [id]: { ...current, loaded: true, adminLastReadPartId: read } };
}

/** Records that an admin read a conversation up to a part. */
export function withAdminRead(all: Conversations, conversationId: Id, partId: Id | null | undefined): Conversations {
  const id = key(conversationId);
  const current = all[id];
  if (!current) return all;
  const last = current.parts[current.parts.length - 1];
  const upTo = partId === null || partId === undefined ? numeric(last?.id) : numeric(partId);
  return { ...all, [id]: { ...current, adminLastReadPartId: Math.max(current.adminLastReadPartId ?? 0, upTo) } };
}

/** Marks a conversation read by the visitor. */
export function withVisitorRead(all: Conversations, conversationId: string): Conversations {
  const current = all[conversationId];
  if (!current || current.unread === 0) return all;
  return { ...all, [conversationId]: { ...current, unread: 0 } };
}

/** The last admin or bot message of a conversation. */
export function lastAdminPart(conversation: Conversation): Part | null {
  for (let i = conversation.parts.length - 1; i >= 0; i--) {
    const part = conversation.parts[i];
    if ((part.author.type === 'admin' || part.author.type === 'bot') && isMessage(part)) return part;
  }
  return null;
}

/** Conversations, most recently updated first. */
export function recent(all: Conversations): Conversation[] {
  return Object.values(all).sort((a, b) => b.updatedAt - a.updatedAt);
}
