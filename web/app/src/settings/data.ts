// The settings screens' REST calls (docs/API.md, "Rapport extensions") and the role rules the
// server applies (AdminRole::may_manage), so controls the server would refuse are disabled.
import { api } from '../api';
import type { Admin, Id, SavedReply, Tag, Team } from '../api';

export type Role = 'owner' | 'admin' | 'agent' | 'viewer';
export const ROLES: Role[] = ['owner', 'admin', 'agent', 'viewer'];
export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent', viewer: 'Viewer' };
const RANK: Record<Role, number> = { viewer: 0, agent: 1, admin: 2, owner: 3 };

export const roleOf = (admin: Admin): Role => ((admin.role ?? 'viewer') as Role);
/** Agents and up change conversations, tags and saved replies. */
export const canWrite = (me: Role): boolean => RANK[me] >= RANK.agent;
/** Admins and owners manage teammates, teams, tokens and the messenger. */
export const canManage = (me: Role): boolean => RANK[me] >= RANK.admin;
/** Only owners touch owners or make new ones. */
export const mayManage = (me: Role, target: Role): boolean => canManage(me) && (target !== 'owner' || me === 'owner');
export const manageReason = (me: Role): string => `Your role (${me}) cannot manage teammates, teams, tokens or the messenger`;
export const writeReason = 'Your role (viewer) cannot make changes';

export interface Teammate extends Admin { role: Role; active: boolean }
export interface Invite {
  id: Id; email: string; name: string; role: Role; created_at: number; expires_at: number;
  url?: string; workspace?: { name: string; app_id: string };
}
export type Method = 'manual' | 'round_robin' | 'balanced';
export interface FullTeam extends Team { assignment_method: Method; assignment_limit: number | null }
export interface Token { id: Id; name: string; admin_id: Id; created_at: number; last_used_at: number | null; token?: string }
export interface MessengerSettings {
  app_id: string; name: string; color: string; greeting: string | null; reply_time_minutes: number;
  identity_enforced: boolean; identity_secret?: string;
  /** Per weekday (`mon`…`sun`), `[start, end)` minutes after local midnight; `{}` is always open. */
  office_hours: Hours;
}
export type Hours = Partial<Record<string, [number, number][]>>;

export const teammates = async () => (await api<{ admins: Teammate[] }>('GET', '/admins')).admins;
export const changeRole = (id: Id, role: Role) => api<Teammate>('PUT', `/admins/${id}`, { role });
export const deactivate = (id: Id) => api<Teammate>('POST', `/admins/${id}/deactivate`);
export const reactivate = (id: Id) => api<Teammate>('POST', `/admins/${id}/reactivate`);

export const invites = async () => (await api<{ data: Invite[] }>('GET', '/admins/invites')).data;
export const invite = (email: string, name: string, role: Role) => api<Invite>('POST', '/admins/invites', { email, name, role });
export const revokeInvite = (id: Id) => api<unknown>('DELETE', `/admins/invites/${id}`);
export const showInvite = (token: string) => api<Invite>('GET', `/invites/${encodeURIComponent(token)}`);

export const teams = async () => (await api<{ teams: FullTeam[] }>('GET', '/teams')).teams;
export const createTeam = (name: string) => api<FullTeam>('POST', '/teams', { name });
export const updateTeam = (id: Id, fields: { name: string; assignment_method: Method; assignment_limit: number | null }) =>
  api<FullTeam>('PUT', `/teams/${id}`, fields);
export const deleteTeam = (id: Id) => api<unknown>('DELETE', `/teams/${id}`);
export const addMember = (id: Id, adminId: Id) => api<FullTeam>('PUT', `/teams/${id}/admins/${adminId}`);
export const removeMember = (id: Id, adminId: Id) => api<FullTeam>('DELETE', `/teams/${id}/admins/${adminId}`);

export const tags = async () => (await api<{ data: Tag[] }>('GET', '/tags')).data;
export const createTag = (name: string) => api<Tag>('POST', '/tags', { name });
export const deleteTag = (id: Id) => api<unknown>('DELETE', `/tags/${id}`);

export const savedReplies = async () => (await api<{ data: SavedReply[] }>('GET', '/saved_replies')).data;
export const createSavedReply = (name: string, body: string) => api<SavedReply>('POST', '/saved_replies', { name, body });
export const updateSavedReply = (id: Id, name: string, body: string) => api<SavedReply>('PUT', `/saved_replies/${id}`, { name, body });
export const deleteSavedReply = (id: Id) => api<unknown>('DELETE', `/saved_replies/${id}`);
export const previewSavedReply = async (body: string, conversationId: Id) =>
  (await api<{ body: string }>('POST', '/saved_replies/preview', { body, conversation_id: conversationId })).body;
/** The newest conversation, to preview saved replies against (none in an empty workspace). */
export async function sampleConversation(): Promise<{ id: Id; label: string } | null> {
  const answer = await api<{ conversations?: { id: Id; source: { author: { name: string | null; email?: string | null } } }[] }>(
    'POST', '/conversations/search',
    { query: { field: 'state', operator: '=', value: 'open' }, sort: { field: 'updated_at', order: 'desc' }, pagination: { per_page: 1 } },
  );
  const c = answer.conversations?.[0];
  if (!c) return null;
  const who = c.source.author.name || c.source.author.email;
  return { id: c.id, label: who ? `${who}’s conversation` : `conversation #${c.id}` };
}

export const messenger = () => api<MessengerSettings>('GET', '/messenger/settings');
export const saveMessenger = (changes: Partial<MessengerSettings>) => api<MessengerSettings>('PUT', '/messenger/settings', changes);
export const rotateSecret = () => api<MessengerSettings>('POST', '/messenger/settings/rotate_identity_secret');

export const tokens = async () => (await api<{ data: Token[] }>('GET', '/tokens')).data;
export const createToken = (name: string) => api<Token>('POST', '/tokens', { name });
export const revokeToken = (id: Id) => api<unknown>('DELETE', `/tokens/${id}`);
