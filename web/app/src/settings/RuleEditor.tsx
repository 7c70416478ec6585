// The structured editor of one assignment rule: name, id, enabled, stop/continue, the condition
// tree (all/any/none groups, nestable, each test a field, an operator and a value) and the actions.
// A server validation error names a path (`rules[2].conditions.all[0]`); the node at that path
// shows it.
import { useEffect, useState } from 'preact/hooks';
import type { SavedReply } from '../api';
import type { Condition, Json, Rule, RuleAction, RuleTest, SlaPolicy, Teammate, FullTeam } from './data';
import { input } from './ui';

export interface Catalogue { teams: FullTeam[]; people: Teammate[]; policies: SlaPolicy[]; tags: string[]; replies: SavedReply[] }

type Kind = 'text' | 'number' | 'bool' | 'date' | 'list' | 'hours';
interface FieldInfo { field: string; label: string; kind: Kind; values?: [string, string][] }

/** Every field the API documents, grouped for the picker; custom attributes and others by name. */
const FIELDS: { group: string; fields: FieldInfo[] }[] = [
  { group: 'Conversation', fields: [
    { field: 'conversation.channel', label: 'Channel', kind: 'text', values: [['conversation', 'Chat (messenger)'], ['email', 'Email'], ['push', 'Push'], ['facebook', 'Facebook'], ['twitter', 'Twitter']] },
    { field: 'conversation.text', label: 'First message text', kind: 'text' },
    { field: 'conversation.subject', label: 'Subject', kind: 'text' },
    { field: 'conversation.page_url', label: 'Page URL', kind: 'text' },
    { field: 'conversation.priority', label: 'Priority', kind: 'bool' },
    { field: 'conversation.tags', label: 'Conversation tags', kind: 'list' },
    { field: 'conversation.state', label: 'State', kind: 'text', values: [['open', 'Open'], ['closed', 'Closed'], ['snoozed', 'Snoozed']] },
    { field: 'conversation.team_assignee_id', label: 'Current team', kind: 'number' },
    { field: 'conversation.admin_assignee_id', label: 'Current teammate', kind: 'number' },
  ] },
  { group: 'Contact', fields: [
    { field: 'contact.role', label: 'Contact role', kind: 'text', values: [['user', 'User'], ['lead', 'Lead']] },
    { field: 'contact.email', label: 'Contact email', kind: 'text' },
    { field: 'contact.name', label: 'Contact name', kind: 'text' },
    { field: 'contact.location_country_code', label: 'Contact country code', kind: 'text' },
    { field: 'contact.signed_up_at', label: 'Contact signed up', kind: 'date' },
    { field: 'contact.last_seen_at', label: 'Contact last seen', kind: 'date' },
    { field: 'contact.tags', label: 'Contact tags (segment)', kind: 'list' },
  ] },
  { group: 'Company', fields: [
    { field: 'company.plan', label: 'Company plan', kind: 'text' },
    { field: 'company.monthly_spend', label: 'Company monthly spend', kind: 'number' },
    { field: 'company.size', label: 'Company size', kind: 'number' },
    { field: 'company.name', label: 'Company name', kind: 'text' },
    { field: 'company.tags', label: 'Company tags', kind: 'list' },
  ] },
  { group: 'Time', fields: [{ field: 'time.office_hours', label: 'Office hours', kind: 'hours' }] },
];
const KNOWN = new Map(FIELDS.flatMap((g) => g.fields).map((f) => [f.field, f]));
/** Fields named by the author: a custom attribute under a prefix, or any other field path. */
const PREFIXES: [string, string][] = [
  ['conversation.custom_attributes.', 'Conversation attribute…'],
  ['contact.custom_attributes.', 'Contact custom attribute…'],
  ['company.custom_attributes.', 'Company custom attribute…'],
];
const OTHER = '__other';

const OPS: Record<Kind, [string, string][]> = {
  text: [['eq', 'is'], ['ne', 'is not'], ['contains', 'contains'], ['not_contains', 'does not contain'], ['starts_with', 'starts with'],
    ['ends_with', 'ends with'], ['regex', 'matches regex'], ['in', 'is one of'], ['not_in', 'is none of'], ['exists', 'is set'], ['not_exists', 'is not set'],
    ['gt', '>'], ['gte', '≥'], ['lt', '<'], ['lte', '≤']],
  number: [['eq', '='], ['ne', '≠'], ['gt', '>'], ['gte', '≥'], ['lt', '<'], ['lte', '≤'], ['in', 'is one of'], ['not_in', 'is none of'], ['exists', 'is set'], ['not_exists', 'is not set']],
  bool: [['eq', 'is'], ['ne', 'is not'], ['exists', 'is set'], ['not_exists', 'is not set']],
  date: [['within_last_days', 'in the last … days'], ['more_than_days_ago', 'more than … days ago'], ['gt', 'after (unix s)'], ['lt', 'before (unix s)'], ['exists', 'is set'], ['not_exists', 'is not set']],
  list: [['eq', 'includes'], ['ne', 'does not include'], ['contains', 'has one containing'], ['not_contains', 'has none containing'], ['in', 'includes one of'], ['not_in', 'includes none of'], ['exists', 'has any'], ['not_exists', 'has none']],
  hours: [['eq', 'is'], ['ne', 'is not']],
};
const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte', 'within_last_days', 'more_than_days_ago']);

export const ACTIONS: [string, string][] = [
  ['assign_team', 'Assign to team'], ['assign_teammate', 'Assign to teammate'], ['tag', 'Tag'], ['set_priority', 'Set priority'],
  ['apply_sla', 'Apply SLA policy'], ['add_note', 'Add a note'], ['send_saved_reply', 'Send a saved reply'], ['snooze', 'Snooze'], ['close_with_message', 'Close with a message'],
];

const kindOf = (field: string): Kind => KNOWN.get(field)?.kind ?? (field.endsWith('_at') ? 'date' : 'text');
const isGroup = (c: Condition): c is { all: Condition[] } | { any: Condition[] } | { none: Condition[] } => !('field' in c);
export const groupKey = (c: Condition): 'all' | 'any' | 'none' => ('any' in c ? 'any' : 'none' in c ? 'none' : 'all');
const children = (c: Condition): Condition[] => {
  if ('all' in c) return c.all;
  if ('any' in c) return c.any;
  if ('none' in c) return c.none;
  return [];
};
const makeGroup = (key: 'all' | 'any' | 'none', list: Condition[]): Condition =>
  key === 'any' ? { any: list } : key === 'none' ? { none: list } : { all: list };

/** A fresh action of the type, with a sensible default for its parameter. */
export function newAction(type: string, c: Catalogue): RuleAction {
  switch (type) {
    case 'assign_team': return { type, team_id: Number(c.teams[0]?.id ?? 0) };
    case 'assign_teammate': return { type, admin_id: Number(c.people.find((p) => p.active)?.id ?? 0) };
    case 'tag': return { type, tag: '' };
    case 'set_priority': return { type, priority: true };
    case 'apply_sla': return { type, policy_id: Number(c.policies[0]?.id ?? 0) };
    case 'send_saved_reply': return { type, saved_reply_id: Number(c.replies[0]?.id ?? 0) };
    case 'snooze': return { type, minutes: 60 };
    default: return { type, body: '' };
  }
}

/** Checks pasted JSON has the shape the form can show (the server checks the rest on save):
 *  a list of rules with an id, a name and a list of actions, and a condition tree of groups and
 *  tests. Answers the first problem as the server would name it, or null. */
export function shapeProblem(value: unknown): string | null {
  const object = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const condition = (c: unknown, path: string): string | null => {
    if (!object(c)) return `${path}: a condition must be an object`;
    const key = ['all', 'any', 'none'].find((k) => k in c);
    if (key) {
      const list = c[key];
      if (!Array.isArray(list)) return `${path}: ${key} must be a list of conditions`;
      for (let i = 0; i < list.length; i++) {
        const problem = condition(list[i], `${path}.${key}[${i}]`);
        if (problem) return problem;
      }
      return null;
    }
    return typeof c.field === 'string' && typeof c.op === 'string' ? null : `${path}: a test needs a field and an op`;
  };
  if (!Array.isArray(value)) return 'The draft is a list of rules: [ {…}, … ]';
  for (let i = 0; i < value.length; i++) {
    const rule: unknown = value[i];
    if (!object(rule)) return `rules[${i}]: a rule must be an object`;
    if (typeof rule.id !== 'string' || typeof rule.name !== 'string') return `rules[${i}]: id and name are required text`;
    if (!Array.isArray(rule.actions) || !rule.actions.every((a) => object(a) && typeof a.type === 'string')) return `rules[${i}].actions: a list of {"type": …} actions`;
    if (rule.conditions !== undefined) {
      const problem = condition(rule.conditions, `rules[${i}].conditions`);
      if (problem) return problem;
    }
  }
  return null;
}

/** "rules[2].conditions.all[0]: invalid regex" → [2, "conditions.all[0]", "invalid regex"]. */
export function splitError(message: string): [number, string, string] | null {
  const m = /^rules\[(\d+)\](?:\.([^:]+))?: (.*)$/s.exec(message);
  return m ? [Number(m[1]), m[2] ?? '', m[3]] : null;
}

interface EditorProps { rule: Rule; index: number; catalogue: Catalogue; readOnly: string | null; error: [string, string] | null; onChange: (r: Rule) => void }

export function RuleEditor({ rule, index, catalogue, readOnly, error, onChange }: EditorProps) {
  const set = (changes: Partial<Rule>) => onChange({ ...rule, ...changes });
  const conditions = rule.conditions ?? { all: [] };
  const [errPath, errMessage] = error ?? ['', ''];
  const actionError = (i: number) => (errPath === `actions[${i}]` || errPath.startsWith(`actions[${i}].`) ? errMessage : null);
  const ruleLevel = error && !errPath.startsWith('conditions') && !errPath.startsWith('actions[') ? errMessage : null;
  return (
    <fieldset disabled={!!readOnly} class="rule-editor" data-testid="rule-editor" aria-label={`Rule ${index + 1}`}>
      <div class="two">
        <label>Name<input required value={rule.name} onInput={input((name) => set({ name }))} data-testid="rule-name" /></label>
        <label>Id (letters, digits, - and _)<input required value={rule.id} pattern="[a-z0-9_\-]+" onInput={input((id) => set({ id }))} data-testid="rule-id" /></label>
      </div>
      <div class="choice-row">
        <label class="radio"><input type="checkbox" checked={rule.enabled !== false} onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} data-testid="rule-enabled" />Enabled</label>
        <label class="radio">When it matches
          <select value={rule.stop_processing === false ? 'continue' : 'stop'} data-testid="rule-stop"
            onChange={(e) => set({ stop_processing: (e.target as HTMLSelectElement).value === 'stop' })}>
            <option value="stop">stop processing later rules</option>
            <option value="continue">continue with later rules</option>
          </select>
        </label>
      </div>
      {ruleLevel && <p class="error" role="alert" data-testid="rule-error">{ruleLevel}</p>}
      <h4>Conditions</h4>
      <GroupEditor condition={conditions} path="conditions" error={error} catalogue={catalogue} root
        onChange={(c) => set({ conditions: c })} onRemove={() => undefined} />
      <h4>Actions</h4>
      <ol class="actions-list" data-testid="rule-actions">
        {rule.actions.map((a, i) => (
          <li key={i} class="action-row" data-testid="rule-action">
            <ActionEditor action={a} catalogue={catalogue} onChange={(next) => set({ actions: rule.actions.map((x, j) => (j === i ? next : x)) })} />
            <button type="button" class="x" aria-label={`Remove action ${i + 1}`} onClick={() => set({ actions: rule.actions.filter((_, j) => j !== i) })}>×</button>
            {actionError(i) && <p class="error" role="alert" data-testid="rule-error">{actionError(i)}</p>}
          </li>
        ))}
      </ol>
      {errPath === 'actions' && <p class="error" role="alert" data-testid="rule-error">{errMessage}</p>}
      <div>
        <select aria-label="Add an action" value="" data-testid="rule-add-action"
          onChange={(e) => { const t = (e.target as HTMLSelectElement).value; if (t) set({ actions: [...rule.actions, newAction(t, catalogue)] }); }}>
          <option value="">+ Add action…</option>
          {ACTIONS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </div>
    </fieldset>
  );
}

interface GroupProps { condition: Condition; path: string; error: [string, string] | null; catalogue: Catalogue; root?: boolean; onChange: (c: Condition) => void; onRemove: () => void }

function GroupEditor({ condition, path, error, catalogue, root, onChange, onRemove }: GroupProps) {
  const key = groupKey(condition);
  const list = children(condition);
  const put = (next: Condition[]) => onChange(makeGroup(key, next));
  const mine = error && error[0] === path ? error[1] : null;
  return (
    <div class={`cond-group ${root ? 'root' : ''}`} data-testid="cond-group" data-path={path}>
      <div class="cond-head">
        <select value={key} aria-label="Combine the conditions" data-testid="cond-combine"
          onChange={(e) => onChange(makeGroup((e.target as HTMLSelectElement).value as 'all' | 'any' | 'none', list))}>
          <option value="all">All of these</option>
          <option value="any">Any of these</option>
          <option value="none">None of these</option>
        </select>
        {root && list.length === 0 && <span class="muted">No conditions: the rule matches every conversation.</span>}
        {!root && <button type="button" class="link" onClick={onRemove} aria-label="Remove this group">Remove group</button>}
      </div>
      {mine && <p class="error" role="alert" data-testid="rule-error">{mine}</p>}
      <ul class="cond-list">
        {list.map((c, i) => {
          const at = `${path}.${key}[${i}]`;
          const change = (next: Condition) => put(list.map((x, j) => (j === i ? next : x)));
          const remove = () => put(list.filter((_, j) => j !== i));
          return (
            <li key={i}>
              {isGroup(c)
                ? <GroupEditor condition={c} path={at} error={error} catalogue={catalogue} onChange={change} onRemove={remove} />
                : <TestEditor test={c} path={at} error={error} catalogue={catalogue} onChange={change} onRemove={remove} />}
            </li>
          );
        })}
      </ul>
      <div class="cond-add">
        <button type="button" class="link" data-testid="cond-add" onClick={() => put([...list, { field: 'company.plan', op: 'eq', value: '' }])}>+ Condition</button>
        <button type="button" class="link" data-testid="cond-add-group" onClick={() => put([...list, { any: [] }])}>+ Group</button>
      </div>
    </div>
  );
}

/** The value as the input shows it. */
const shown = (value: Json | undefined): string =>
  value === undefined || value === null ? '' : Array.isArray(value) ? value.map((v) => String(v)).join(', ') : String(value);

function TestEditor({ test, path, error, catalogue, onChange, onRemove }: {
  test: RuleTest; path: string; error: [string, string] | null; catalogue: Catalogue; onChange: (c: Condition) => void; onRemove: () => void;
}) {
  const known = KNOWN.get(test.field);
  const prefix = known ? null : PREFIXES.find(([p]) => test.field.startsWith(p));
  const choice = known ? test.field : prefix ? prefix[0] : OTHER;
  const kind = kindOf(test.field);
  const ops = OPS[kind];
  const op = test.op;
  const mine = error && (error[0] === path || error[0].startsWith(`${path}.`)) ? error[1] : null;
  const setField = (field: string) => {
    const k = kindOf(field);
    const okOp = OPS[k].some(([o]) => o === test.op);
    onChange({ field, op: okOp ? test.op : OPS[k][0][0], value: k === 'bool' ? true : k === 'hours' ? 'inside' : test.value ?? '' });
  };
  return (
    <div class={`cond-test ${mine ? 'invalid' : ''}`} data-testid="cond-test" data-path={path}>
      <select aria-label="Field" value={choice} data-testid="cond-field" onChange={(e) => {
        const v = (e.target as HTMLSelectElement).value;
        setField(v === OTHER ? 'contact.' : v);
      }}>
        {FIELDS.map((g) => (
          <optgroup key={g.group} label={g.group}>{g.fields.map((f) => <option key={f.field} value={f.field}>{f.label}</option>)}</optgroup>
        ))}
        <optgroup label="By name">
          {PREFIXES.map(([p, label]) => <option key={p} value={p}>{label}</option>)}
          <option value={OTHER}>Other field…</option>
        </optgroup>
      </select>
      {!known && (
        <input aria-label={prefix ? 'Attribute name' : 'Field path'} value={prefix ? test.field.slice(prefix[0].length) : test.field}
          placeholder={prefix ? 'attribute name' : 'e.g. contact.language'} data-testid="cond-field-name"
          onInput={input((v) => onChange({ ...test, field: prefix ? prefix[0] + v : v }))} />
      )}
      <select aria-label="Operator" value={op} data-testid="cond-op" onChange={(e) => {
        const next = (e.target as HTMLSelectElement).value;
        const t: RuleTest = { field: test.field, op: next };
        if (next !== 'exists' && next !== 'not_exists') t.value = coerce(kind, next, shown(test.value));
        onChange(t);
      }}>
        {ops.map(([o, label]) => <option key={o} value={o}>{label}</option>)}
        {!ops.some(([o]) => o === op) && <option value={op}>{op}</option>}
      </select>
      <ValueInput test={test} kind={kind} values={known?.values} catalogue={catalogue} onChange={(value) => onChange({ ...test, value })} />
      <button type="button" class="x" aria-label="Remove this condition" onClick={onRemove}>×</button>
      {mine && <p class="error cond-error" role="alert" data-testid="rule-error">{mine}</p>}
    </div>
  );
}

/** Turns the typed text into the JSON the server expects for the operator. */
function coerce(kind: Kind, op: string, text: string): Json {
  if (op === 'in' || op === 'not_in') return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (kind === 'number' && s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s));
  if (NUMERIC_OPS.has(op) || kind === 'number') return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (kind === 'bool') return text === 'true';
  return text;
}

function ValueInput({ test, kind, values, catalogue, onChange }: { test: RuleTest; kind: Kind; values?: [string, string][]; catalogue: Catalogue; onChange: (v: Json) => void }) {
  // Lists are typed as "a, b": keep the text while typing, send the parsed list.
  const [text, setText] = useState(shown(test.value));
  useEffect(() => { if (coerceKey(kind, test.op, text) !== JSON.stringify(test.value ?? null)) setText(shown(test.value)); }, [test.value, test.op]);
  if (test.op === 'exists' || test.op === 'not_exists') return <span class="muted cond-value">—</span>;
  if (kind === 'bool') {
    return (
      <select class="cond-value" aria-label="Value" value={String(test.value === true)} data-testid="cond-value" onChange={(e) => onChange((e.target as HTMLSelectElement).value === 'true')}>
        <option value="true">priority</option><option value="false">not priority</option>
      </select>
    );
  }
  if (kind === 'hours') {
    return (
      <select class="cond-value" aria-label="Value" value={String(test.value ?? 'inside')} data-testid="cond-value" onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="inside">inside office hours</option><option value="outside">outside office hours</option>
      </select>
    );
  }
  if (test.field === 'conversation.team_assignee_id' && test.op !== 'in' && test.op !== 'not_in') {
    return (
      <select class="cond-value" aria-label="Value" value={String(test.value ?? '')} data-testid="cond-value" onChange={(e) => onChange(Number((e.target as HTMLSelectElement).value))}>
        <option value="">Choose…</option>
        {catalogue.teams.map((t) => <option key={t.id} value={String(t.id)}>{t.name}</option>)}
      </select>
    );
  }
  const list = `cond-values-${test.field.replace(/\W/g, '-')}`;
  const suggestions = values ? values.map(([v]) => v) : kind === 'list' && test.field === 'conversation.tags' ? catalogue.tags : [];
  return (
    <>
      <input class="cond-value" aria-label="Value" value={text} data-testid="cond-value" list={suggestions.length ? list : undefined}
        inputMode={kind === 'number' || NUMERIC_OPS.has(test.op) ? 'decimal' : undefined}
        placeholder={test.op === 'in' || test.op === 'not_in' ? 'a, b, c' : test.op === 'regex' ? 'e.g. refund|chargeback' : NUMERIC_OPS.has(test.op) && kind === 'date' ? 'days' : ''}
        onInput={(e) => { const t = (e.target as HTMLInputElement).value; setText(t); onChange(coerce(kind, test.op, t)); }} />
      {suggestions.length > 0 && <datalist id={list}>{suggestions.map((s) => <option key={s} value={s} />)}</datalist>}
    </>
  );
}
const coerceKey = (kind: Kind, op: string, text: string) => JSON.stringify(coerce(kind, op, text));

function ActionEditor({ action, catalogue, onChange }: { action: RuleAction; catalogue: Catalogue; onChange: (a: RuleAction) => void }) {
  const num = (key: string) => (e: Event) => onChange({ ...action, [key]: Number((e.target as HTMLInputElement | HTMLSelectElement).value) });
  const text = (key: string) => (e: Event) => onChange({ ...action, [key]: (e.target as HTMLInputElement).value });
  const label = ACTIONS.find(([t]) => t === action.type)?.[1] ?? action.type;
  let param = null;
  switch (action.type) {
    case 'assign_team':
      param = (
        <select aria-label="Team" value={String(action.team_id ?? '')} onChange={num('team_id')} data-testid="action-team">
          {!catalogue.teams.some((t) => String(t.id) === String(action.team_id)) && <option value={String(action.team_id ?? '')}>Team #{String(action.team_id)}</option>}
          {catalogue.teams.map((t) => <option key={t.id} value={String(t.id)}>{t.name}</option>)}
        </select>
      );
      break;
    case 'assign_teammate':
      param = (
        <select aria-label="Teammate" value={String(action.admin_id ?? '')} onChange={num('admin_id')} data-testid="action-teammate">
          {!catalogue.people.some((p) => String(p.id) === String(action.admin_id)) && <option value={String(action.admin_id ?? '')}>Teammate #{String(action.admin_id)}</option>}
          {catalogue.people.filter((p) => p.active).map((p) => <option key={p.id} value={String(p.id)}>{p.name}</option>)}
        </select>
      );
      break;
    case 'apply_sla':
      param = (
        <select aria-label="SLA policy" value={String(action.policy_id ?? '')} onChange={num('policy_id')} data-testid="action-sla">
          {!catalogue.policies.some((p) => String(p.id) === String(action.policy_id)) && <option value={String(action.policy_id ?? '')}>Policy #{String(action.policy_id)}</option>}
          {catalogue.policies.map((p) => <option key={p.id} value={String(p.id)}>{p.name}</option>)}
        </select>
      );
      break;
    case 'send_saved_reply':
      param = (
        <select aria-label="Saved reply" value={String(action.saved_reply_id ?? '')} onChange={num('saved_reply_id')} data-testid="action-saved-reply">
          {!catalogue.replies.some((r) => String(r.id) === String(action.saved_reply_id)) && <option value={String(action.saved_reply_id ?? '')}>Saved reply #{String(action.saved_reply_id)}</option>}
          {catalogue.replies.map((r) => <option key={r.id} value={String(r.id)}>{r.name}</option>)}
        </select>
      );
      break;
    case 'tag':
      param = (
        <>
          <input aria-label="Tag name" value={String(action.tag ?? '')} onInput={text('tag')} list="rule-tag-names" data-testid="action-tag" placeholder="created when missing" />
          <datalist id="rule-tag-names">{catalogue.tags.map((t) => <option key={t} value={t} />)}</datalist>
        </>
      );
      break;
    case 'set_priority':
      param = (
        <select aria-label="Priority" value={String(action.priority === true)} data-testid="action-priority"
          onChange={(e) => onChange({ ...action, priority: (e.target as HTMLSelectElement).value === 'true' })}>
          <option value="true">Priority</option><option value="false">Not priority</option>
        </select>
      );
      break;
    case 'snooze':
      param = <label class="radio"><input type="number" min={1} max={525600} aria-label="Minutes" value={String(action.minutes ?? '')} onInput={num('minutes')} data-testid="action-minutes" /> minutes</label>;
      break;
    case 'add_note':
    case 'close_with_message':
      param = <textarea aria-label={action.type === 'add_note' ? 'Note' : 'Message to the customer'} rows={2} value={String(action.body ?? '')} onInput={text('body')} data-testid="action-body" />;
      break;
    default:
      param = <code>{JSON.stringify(action)}</code>;
  }
  return (
    <div class="action-fields">
      <select aria-label="Action" value={action.type} data-testid="action-type"
        onChange={(e) => onChange(newAction((e.target as HTMLSelectElement).value, catalogue))}>
        {ACTIONS.map(([t, l]) => <option key={t} value={t}>{l}</option>)}
        {!ACTIONS.some(([t]) => t === action.type) && <option value={action.type}>{label}</option>}
      </select>
      {param}
    </div>
  );
}
