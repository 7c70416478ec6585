// The postMessage protocol between the loader (host page) and the messenger (iframe). Every message
// is wrapped as {source: BRIDGE_SOURCE, message} so unrelated postMessage traffic is ignored; both
// sides also check the sender window and origin.

/** Tag on every bridge message. */
export const BRIDGE_SOURCE = 'rapport-messenger';

/** What the host page hands the messenger to boot: the messenger REST boot body, plus `reset`. */
export interface BootSettings {
  app_id: string;
  user_id?: string;
  email?: string;
  user_hash?: string;
  user_jwt?: string;
  name?: string;
  phone?: string;
  custom_attributes?: Record<string, unknown>;
  current_url?: string;
  /** Forget the stored visitor (set after `shutdown`, so the next visitor starts fresh). */
  reset?: boolean;
}

/** Contact fields that `update` may change without a new boot. */
export interface UpdateSettings {
  name?: string;
  email?: string;
  phone?: string;
  custom_attributes?: Record<string, unknown>;
  current_url?: string;
}

/** Host page → messenger. */
export type HostMessage =
  | { type: 'boot'; settings: BootSettings }
  | { type: 'update'; settings: UpdateSettings }
  | { type: 'shutdown' }
  | { type: 'visibility'; shown: boolean }
  | { type: 'newMessage'; text?: string }
  | { type: 'trackEvent'; name: string; metadata?: Record<string, unknown> };

/** Messenger → host page. */
export type FrameMessage =
  | { type: 'ready' }
  | { type: 'booted'; visitorId: string; unreadCount: number; color: string; name: string }
  | { type: 'unread'; count: number }
  | { type: 'hide' }
  | { type: 'error'; code: string; message: string };

/** Wraps a message in the bridge envelope. */
export function envelope<T>(message: T): { source: string; message: T } {
  return { source: BRIDGE_SOURCE, message };
}

/** Unwraps a bridge envelope; null for anything else. */
export function unwrap<T>(data: unknown): T | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as { source?: unknown; message?: unknown };
  if (record.source !== BRIDGE_SOURCE || typeof record.message !== 'object' || record.message === null) return null;
  return record.message as T;
}
