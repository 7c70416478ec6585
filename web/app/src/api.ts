// The REST calls the app makes: same-origin `/api` with the session cookie; unsafe methods echo
// the CSRF token the login returned (kept in localStorage so a reload keeps working).
export type Id = string;

export interface Admin { id: Id; name: string; email: string; role?: string; team_ids?: Id[]; active?: boolean }
export interface Team { id: Id; name: string; admin_ids: Id[] }
export interface Tag { id: Id; name: string }
export interface Author { type: string; id: Id; name: string | null; email?: string | null }
export interface Attachment { id: Id; name: string; content_type: string; filesize?: number; url?: string }
export interface Part {
  id: Id; part_type: string; body: string | null; created_at: number; author: Author;
  assigned_to?: { type: string; id: Id } | null;
  attachments?: Attachment[]; tags?: Tag[]; mentioned_admin_ids?: Id[];
  /** A reply to an email conversation: how the relay took it. */
  email_delivery?: EmailDelivery | null;
}
export interface EmailDelivery { state: 'queued' | 'sent' | 'failed'; error: string | null; sent_at: number | null; attempts: number }
export interface Conversation {
  id: Id; title: string | null; created_at: number; updated_at: number; waiting_since: number | null;
  snoozed_until: number | null; state: string; read: boolean; priority: string;
  admin_assignee_id: number | string | null; team_assignee_id: number | string | null;
  source: { id?: Id; body: string; url: string | null; author: Author; subject?: string; attachments?: Attachment[]; tags?: Tag[] | null };
  contacts: { contacts: { id: Id }[] }; tags: { tags: Tag[] };
  conversation_parts?: { total_count: number; conversation_parts: Part[] };
  custom_attributes?: Record<string, unknown>;
}
export interface Contact {
  id: Id; name: string | null; email: string | null; role: string; phone?: string | null;
  location?: { city?: string | null; region?: string | null; country?: string | null };
  custom_attributes?: Record<string, unknown>; last_seen_at?: number | null; created_at?: number;
  browser?: string | null; os?: string | null;
  /** Further emails, phones and external ids (Rapport extension). */
  identities?: { data: ContactIdentity[] };
  /** Who an unverified messenger visitor said they were (Rapport extension). */
  claimed_identity?: { user_id: string | null; email: string | null; verified: false } | null;
}
export interface ContactIdentity { id: Id; identity_type: 'email' | 'phone' | 'external_id'; value: string; verified: boolean }
export interface Company { id: Id; name: string; plan?: { name?: string } | null; monthly_spend?: number; custom_attributes?: Record<string, unknown> }
export interface Session { admin: Admin; app: { id_code?: string; app_id?: string; name: string }; csrf_token?: string; workspaces?: { app_id: string; name: string }[] }
export interface Page<T> { data: T[]; next?: string }
export interface Counts { all: number; unassigned: number; mine: number; teams: { id: Id; count: number }[]; sla_at_risk: number; sla_breached: number; mentions_unseen: number }

export class ApiError extends Error {
  constructor(public status: number, message: string, public code: string) { super(message); }
}

const CSRF_KEY = 'rapport.csrf';
export const csrf = {
  get: (): string => localStorage.getItem(CSRF_KEY) ?? '',
  set: (token: string): void => localStorage.setItem(CSRF_KEY, token),
  clear: (): void => localStorage.removeItem(CSRF_KEY),
};

let onUnauthorized: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void { onUnauthorized = handler; }

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf.get();
  const response = await fetch(`/api${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const errors = (json as { errors?: { code: string; message: string }[] }).errors ?? [];
    const first = errors[0] ?? { code: 'error', message: response.statusText };
    // A 401, or a session whose CSRF token this browser lost: sign in again.
    const lostCsrf = response.status === 403 && /csrf/i.test(first.message);
    if ((response.status === 401 && path !== '/auth/login') || lostCsrf) onUnauthorized();
    throw new ApiError(response.status, first.message, first.code);
  }
  return json as T;
}

export const login = (email: string, password: string, appId?: string) =>
  api<Session>('POST', '/auth/login', { email, password, app_id: appId });
export const logout = () => api<unknown>('POST', '/auth/logout');
export const session = () => api<Session>('GET', '/auth/session');
export const admins = async () => (await api<{ admins: Admin[] }>('GET', '/admins')).admins;
export const teams = async () => (await api<{ teams: Team[] }>('GET', '/teams')).teams;
export const tags = async () => (await api<{ data: Tag[] }>('GET', '/tags')).data;
export const counts = (state: string) => api<Counts>('GET', `/inbox/counts?state=${encodeURIComponent(state)}`);
export const conversation = (id: Id) => api<Conversation>('GET', `/conversations/${id}`);
export const contact = (id: Id) => api<Contact>('GET', `/contacts/${id}`);

export type Filter = { field: string; operator: string; value: unknown };
export interface Sort { field: string; order: 'asc' | 'desc' }

interface SearchAnswer<T> { conversations?: T[]; data?: T[]; pages?: { next?: { starting_after?: string } | null } }

export async function searchConversations(filters: Filter[], sort: Sort, after?: string, perPage = 50): Promise<Page<Conversation>> {
  const query = filters.length === 1 ? filters[0] : { operator: 'AND', value: filters };
  const answer = await api<SearchAnswer<Conversation>>('POST', '/conversations/search', {
    // Only the members the API knows: it refuses any other (a 400, not a silent default).
    query, sort: { field: sort.field, order: sort.order }, pagination: { per_page: perPage, starting_after: after },
  });
  return { data: answer.conversations ?? answer.data ?? [], next: answer.pages?.next?.starting_after ?? undefined };
}

/// Conversations whose messages contain the words: `parts.body` when the server knows it,
/// else the opening message (`source.body`).
export async function searchText(text: string): Promise<Conversation[]> {
  const sort: Sort = { field: 'updated_at', order: 'desc' };
  try {
    return (await searchConversations([{ field: 'parts.body', operator: '~', value: text }], sort, undefined, 20)).data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      return (await searchConversations([{ field: 'source.body', operator: '~', value: text }], sort, undefined, 20)).data;
    }
    throw e;
  }
}

/// Contacts whose name, email or company contains the text; a term under 3 characters matches
/// their start instead ("jo" finds Joan and jo@…), which an index answers on a million contacts
/// where "contains" would read every one.
export async function searchContacts(text: string): Promise<Contact[]> {
  const operator = [...text.trim()].length < 3 ? '^' : '~';
  const answer = await api<{ data: Contact[] }>('POST', '/contacts/search', {
    query: { operator: 'OR', value: [
      { field: 'name', operator, value: text },
      { field: 'email', operator, value: text },
      { field: 'companies.name', operator, value: text },
    ] },
    pagination: { per_page: 10 },
  });
  return answer.data;
}

/// What a reply or note carries besides its text: uploaded files, and (notes) mentioned teammates.
export interface Extras { attachmentIds: Id[]; mentionedAdminIds: Id[] }
export const reply = (id: Id, adminId: Id, body: string, note: boolean, extras?: Extras) =>
  api<Conversation>('POST', `/conversations/${id}/reply`, {
    message_type: note ? 'note' : 'comment', type: 'admin', admin_id: adminId, body,
    attachment_ids: extras?.attachmentIds.length ? extras.attachmentIds : undefined,
    mentioned_admin_ids: note && extras?.mentionedAdminIds.length ? extras.mentionedAdminIds : undefined,
  });
export const tagPart = (id: Id, partId: Id, adminId: Id, tagId: Id) =>
  api<Tag>('POST', `/conversations/${id}/parts/${partId}/tags`, { id: tagId, admin_id: adminId });
export const untagPart = (id: Id, partId: Id, tagId: Id) =>
  api<Tag>('DELETE', `/conversations/${id}/parts/${partId}/tags/${tagId}`);
/// Where a teammate downloads an attachment (same origin, session cookie).
export const attachmentUrl = (id: Id) => `/api/attachments/${encodeURIComponent(id)}`;

/// Uploads a file for the next reply or note (`POST /api/attachments`), reporting progress
/// (0–1). XMLHttpRequest because fetch has no upload progress.
export function upload(file: File, onProgress: (fraction: number) => void): { done: Promise<Attachment>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', '/api/attachments');
    xhr.withCredentials = true;
    xhr.setRequestHeader('X-CSRF-Token', csrf.get());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let json: { id?: number | string; errors?: { code: string; message: string }[] } = {};
      try { json = JSON.parse(xhr.responseText || '{}') as typeof json; } catch { /* not JSON */ }
      if (xhr.status === 201 && json.id !== undefined) {
        resolve({ ...(json as Attachment), id: String(json.id) });
      } else {
        const first = json.errors?.[0] ?? { code: 'error', message: xhr.statusText || 'upload failed' };
        if (xhr.status === 401) onUnauthorized();
        reject(new ApiError(xhr.status, first.message, first.code));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed (network)', 'network'));
    xhr.onabort = () => reject(new ApiError(0, 'upload cancelled', 'aborted'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
export const assign = (id: Id, adminId: Id, kind: 'admin' | 'team', assignee: Id) =>
  api<Conversation>('POST', `/conversations/${id}/parts`, { message_type: 'assignment', type: kind, admin_id: adminId, assignee_id: assignee });
export const setState = (id: Id, adminId: Id, state: 'close' | 'open') =>
  api<Conversation>('POST', `/conversations/${id}/parts`, { message_type: state, type: 'admin', admin_id: adminId });
export const setPriority = (id: Id, priority: boolean) =>
  api<Conversation>('PUT', `/conversations/${id}`, { priority: priority ? 'priority' : 'not_priority' });
export const snooze = (id: Id, adminId: Id, until: number) =>
  api<Conversation>('POST', `/conversations/${id}/parts`, { message_type: 'snoozed', type: 'admin', admin_id: adminId, snoozed_until: until });
export const tagConversation = (id: Id, adminId: Id, tagId: Id) =>
  api<Tag>('POST', `/conversations/${id}/tags`, { id: tagId, admin_id: adminId });
export const untagConversation = (id: Id, adminId: Id, tagId: Id) =>
  api<Tag>('DELETE', `/conversations/${id}/tags/${tagId}`, { admin_id: adminId });
export const createTag = (name: string) => api<Tag>('POST', '/tags', { name });
export const updateContact = (id: Id, customAttributes: Record<string, unknown>) =>
  api<Contact>('PUT', `/contacts/${id}`, { custom_attributes: customAttributes });

export interface SavedReply { id: Id; name: string; body: string }
export async function savedReplies(): Promise<SavedReply[] | null> {
  try {
    return (await api<{ data: SavedReply[] }>('GET', '/saved_replies')).data;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}
export const renderSavedReply = async (id: Id, conversationId: Id) =>
  (await api<{ body: string }>('POST', `/saved_replies/${id}/render`, { conversation_id: conversationId })).body;

export const contactCompanies = async (id: Id) =>
  (await api<{ data?: Company[]; companies?: Company[] }>('GET', `/contacts/${id}/companies`));
export const contactNotes = async (id: Id) =>
  (await api<{ data: { id: Id; body: string; created_at: number; author?: { name?: string } }[] }>('GET', `/contacts/${id}/notes`)).data;
export const contactEvents = async (id: Id) =>
  (await api<{ events: { event_name: string; created_at: number }[] }>('GET', `/events?type=user&intercom_user_id=${id}&per_page=10`)).events;
export const contactTags = async (id: Id) => (await api<{ data: Tag[] }>('GET', `/contacts/${id}/tags`)).data;
