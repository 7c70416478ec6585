// Reading `window.intercomSettings` / `window.rapportSettings` and the arguments of boot/update:
// known keys become boot fields, every other key is a custom attribute (as with Intercom).
import type { BootSettings, UpdateSettings } from '../shared/bridge';

/** Settings as a customer writes them (Intercom's shape). */
export type RawSettings = Record<string, unknown>;

/** Keys that configure the loader or identify the visitor; never sent as custom attributes. */
const RESERVED = new Set([
  'app_id', 'api_base', 'user_id', 'email', 'user_hash', 'user_jwt', 'intercom_user_jwt', 'name', 'phone',
  'custom_attributes', 'hide_default_launcher', 'alignment', 'horizontal_padding', 'vertical_padding',
  'custom_launcher_selector', 'language_override', 'created_at', 'avatar', 'company', 'companies',
  'session_duration', 'action_color', 'background_color', 'z_index', 'utm_source', 'utm_medium',
  'utm_campaign', 'utm_content', 'utm_term', 'last_request_at', 'user_agent_data', 'widget', 'installation_type',
]);

/** Identity keys: changing one of them re-boots the messenger. */
const IDENTITY = ['user_id', 'email', 'user_hash', 'user_jwt'];

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function record(value: unknown): value is RawSettings {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The settings the page declared globally: intercomSettings, then rapportSettings over it. */
export function pageSettings(): RawSettings {
  const w = window as unknown as { intercomSettings?: unknown; rapportSettings?: unknown };
  return { ...(record(w.intercomSettings) ? w.intercomSettings : {}), ...(record(w.rapportSettings) ? w.rapportSettings : {}) };
}

/** Merges settings objects, ignoring anything that is not a plain object. */
export function mergeSettings(...all: unknown[]): RawSettings {
  const merged: RawSettings = {};
  for (const one of all) if (record(one)) Object.assign(merged, one);
  return merged;
}

function customAttributes(settings: RawSettings): Record<string, unknown> | undefined {
  const attributes: Record<string, unknown> = record(settings.custom_attributes) ? { ...settings.custom_attributes } : {};
  for (const key of Object.keys(settings)) {
    const value = settings[key];
    if (RESERVED.has(key) || typeof value === 'function' || typeof value === 'undefined') continue;
    attributes[key] = value;
  }
  return Object.keys(attributes).length ? attributes : undefined;
}

/** The contact fields of an `update` call. */
export function toUpdateSettings(settings: RawSettings): UpdateSettings {
  return {
    name: text(settings.name),
    email: text(settings.email),
    phone: text(settings.phone),
    custom_attributes: customAttributes(settings),
    current_url: location.href,
  };
}

/** The body of the messenger boot request. */
export function toBootSettings(settings: RawSettings): BootSettings {
  return {
    app_id: text(settings.app_id) ?? '',
    user_id: text(settings.user_id),
    email: text(settings.email),
    user_hash: text(settings.user_hash),
    user_jwt: text(settings.user_jwt) ?? text(settings.intercom_user_jwt),
    name: text(settings.name),
    phone: text(settings.phone),
    custom_attributes: customAttributes(settings),
    current_url: location.href,
  };
}

/** Whether an update changes who the visitor is (then the messenger boots again). */
export function changesIdentity(before: RawSettings, update: RawSettings): boolean {
  return IDENTITY.some((key) => key in update && text(update[key]) !== text(before[key]));
}

/**
 * The Rapport server: `api_base` when set (ignored when it still points at Intercom, so a migrated
 * snippet works unchanged), else the origin of the loader script itself.
 */
export function resolveApiBase(apiBase: unknown, scriptSrc: string | null): string | null {
  const candidates = [text(apiBase), scriptSrc ?? undefined];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const url = new URL(candidate, location.href);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
      if (/(^|\.)intercom(cdn)?\.(io|com)$/.test(url.hostname)) continue;
      return url.origin;
    } catch {
      // not a URL: try the next candidate
    }
  }
  return null;
}
