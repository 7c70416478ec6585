// What the messenger keeps in the iframe's localStorage, per app_id: the visitor token (so a
// returning visitor keeps their conversations) and the sends not yet acknowledged.
import type { Id } from './types';

/** A message written by the visitor and not yet acknowledged by the server. */
export interface PendingSend {
  clientId: string;
  /** null while the conversation it starts does not exist yet. */
  conversationId: string | null;
  /** The client_id of the first message of a new conversation (its own for that one). */
  thread: string;
  body: string;
  createdAt: number;
  failed?: boolean;
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled (private mode): the visitor is new on each load
  }
}

export function loadToken(appId: string): string | null {
  return read(`rapport:${appId}:visitor_token`);
}

export function saveToken(appId: string, token: string | null): void {
  write(`rapport:${appId}:visitor_token`, token);
}

export function loadPending(appId: string): PendingSend[] {
  try {
    const parsed: unknown = JSON.parse(read(`rapport:${appId}:pending`) ?? '[]');
    return Array.isArray(parsed) ? (parsed as PendingSend[]) : [];
  } catch {
    return [];
  }
}

export function savePending(appId: string, pending: PendingSend[]): void {
  write(`rapport:${appId}:pending`, pending.length ? JSON.stringify(pending) : null);
}

/** A fresh client_id for a send. */
export function newClientId(): string {
  const random = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  return `c-${random}`;
}

export function key(id: Id): string {
  return String(id);
}

/** An id as the server sent it: numeric ids go back on the wire as numbers. */
export function wireId(id: string): Id {
  return /^[0-9]{1,15}$/.test(id) ? Number(id) : id;
}
