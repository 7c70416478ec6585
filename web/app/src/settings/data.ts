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

// Assignment rules (docs/API.md, "Assignment rules"): a draft edited as a whole list, published
// into numbered versions; everyone reads and simulates, owners and admins edit and publish.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface RuleTest { field: string; op: string; value?: Json }
export type Group = { all: Condition[] } | { any: Condition[] } | { none: Condition[] };
export type Condition = Group | RuleTest;
export type RuleAction = { type: string } & { [key: string]: Json };
export interface Rule {
  id: string; name: string; enabled?: boolean; stop_processing?: boolean;
  conditions?: Condition; actions: RuleAction[];
}
export interface Draft { rules: Rule[]; updated_by: Id | null; updated_at: number | null; live_version: number | null }
export interface RuleVersion { version: number; rules: Rule[]; published_by: Id | null; published_at: number }
export interface RuleConflict { kind: string; rule_ids: string[]; message: string }
export interface RuleDiff { added?: string[]; removed?: string[]; changed?: { id: string; before: Json; after: Json }[]; reordered?: boolean }
export interface AuditEntry { id: Id; admin_id: Id | null; action: string; version: number | null; diff: RuleDiff; created_at: number }
export interface Failure { path: string; message: string; field?: string; op?: string; expected?: Json; actual?: Json; causes?: Failure[] }
export interface Assignee { team_id: number | null; admin_id: number | null }
export interface Trace {
  rules: { rule_id: string; name: string; outcome: 'matched' | 'not_matched' | 'disabled' | 'not_reached'; failure?: Failure }[];
  actions: { rule_id: string; action: RuleAction }[];
  assignee: Assignee; stopped_by: string | null;
}
export interface Simulation { rules: string; at: number; inside_office_hours: boolean; trace: Trace }
export interface Routed { assignee: Assignee; actions: RuleAction[] }
export interface Impact { replayed: number; different: number; truncated: boolean; examples: { conversation_id: Id | number; live: Routed; draft: Routed }[] }
export interface Sample { conversation: Record<string, Json>; contact: Record<string, Json>; company: Record<string, Json> }

export const draftRules = () => api<Draft>('GET', '/assignment_rules');
export const saveDraft = (rules: Rule[]) => api<Draft>('PUT', '/assignment_rules', { rules });
export const publishRules = () => api<RuleVersion>('POST', '/assignment_rules/publish');
export const ruleVersions = async () => (await api<{ data: RuleVersion[] }>('GET', '/assignment_rules/versions')).data;
export const restoreVersion = (n: number) => api<Draft>('POST', `/assignment_rules/versions/${n}/restore`);
export const ruleAudit = (after?: Id) =>
  api<{ data: AuditEntry[]; pages?: { next?: { starting_after?: Id } | null } }>('GET', `/assignment_rules/audit?per_page=20${after ? `&starting_after=${encodeURIComponent(after)}` : ''}`);
export const ruleConflicts = async () => (await api<{ data: RuleConflict[] }>('GET', '/assignment_rules/conflicts')).data;
export const simulate = (request: { rules: 'draft' | 'live'; conversation_id?: string; sample?: Sample; at?: number }) =>
  api<Simulation>('POST', '/assignment_rules/simulate', request);
/** Replays the latest `count` conversations, or those created in [created_after, created_before) (unix seconds). */
export const impact = (which: { count: number } | { created_after: number; created_before: number }) =>
  api<Impact>('POST', '/assignment_rules/impact', which);

// SLA policies and office hours (docs/API.md, "SLA policies and office hours"): owners and admins write.
export interface SlaPolicy {
  id: Id; name: string; first_response_seconds: number | null; next_response_seconds: number | null;
  time_to_close_seconds: number | null; business_hours: boolean; at_risk_percent: number; created_at: number; updated_at: number;
}
export type SlaFields = Omit<SlaPolicy, 'id' | 'created_at' | 'updated_at'>;
export interface TeamHours { team_id: Id; timezone: string; office_hours: Hours; holidays: string[]; inherited: boolean; updated_at: number | null }

export const slaPolicies = async () => (await api<{ data: SlaPolicy[] }>('GET', '/sla_policies')).data;
export const createSlaPolicy = (fields: SlaFields) => api<SlaPolicy>('POST', '/sla_policies', fields);
export const updateSlaPolicy = (id: Id, fields: SlaFields) => api<SlaPolicy>('PUT', `/sla_policies/${id}`, fields);
export const deleteSlaPolicy = (id: Id) => api<unknown>('DELETE', `/sla_policies/${id}`);
export const teamHours = (id: Id) => api<TeamHours>('GET', `/teams/${id}/office_hours`);
export const setTeamHours = (id: Id, fields: { office_hours: Hours; timezone: string; holidays: string[] }) =>
  api<TeamHours>('PUT', `/teams/${id}/office_hours`, fields);
export const clearTeamHours = (id: Id) => api<unknown>('DELETE', `/teams/${id}/office_hours`);
export const saveHolidays = (holidays: string[]) => api<MessengerSettings & { holidays: string[] }>('PUT', '/messenger/settings', { holidays });

// Webhook subscriptions (docs/API.md, "Webhooks"): owners and admins only, reads included.
export const TOPICS = [
  'conversation.user.created', 'conversation.user.replied', 'conversation.admin.replied', 'conversation.admin.assigned',
  'conversation.admin.closed', 'conversation.admin.snoozed', 'conversation.admin.opened', 'conversation.admin.noted',
  'conversation.deleted', 'contact.user.created', 'contact.lead.created', 'conversation.sla.at_risk', 'conversation.sla.breached',
] as const;
export interface Webhook {
  id: Id; url: string; topics: string[]; active: boolean; paused: boolean; state: 'active' | 'paused' | 'inactive';
  consecutive_failures: number; last_error: string | null; next_attempt_at: number | null; cursor_seq: number;
  created_at: number; updated_at: number; secret?: string;
}
export interface Delivery {
  id?: Id; notification_id: string; event_seq: number; topic: string; attempt: number; status_code: number | null;
  latency_ms: number | null; error: string | null; created_at: number;
}
export const webhooks = async () => (await api<{ data: Webhook[] }>('GET', '/webhooks')).data;
export const createWebhook = (fields: { url: string; topics: string[]; secret?: string }) => api<Webhook>('POST', '/webhooks', fields);
export const updateWebhook = (id: Id, fields: { url?: string; topics?: string[]; active?: boolean }) => api<Webhook>('PUT', `/webhooks/${id}`, fields);
export const deleteWebhook = (id: Id) => api<unknown>('DELETE', `/webhooks/${id}`);
export const pauseWebhook = (id: Id) => api<Webhook>('POST', `/webhooks/${id}/pause`);
export const resumeWebhook = (id: Id) => api<Webhook>('POST', `/webhooks/${id}/resume`);
export const deliveries = (id: Id, after?: Id) =>
  api<{ data: Delivery[]; pages?: { next?: { starting_after?: Id } | null } }>('GET', `/webhooks/${id}/deliveries?per_page=25${after ? `&starting_after=${encodeURIComponent(after)}` : ''}`);
