// Assignment rules (/app/settings/rules), a chunk of its own: the draft rule list (order, enable,
// add, duplicate, delete) with a structured editor and a JSON view, saved as a whole; the draft's
// conflict analysis; the simulator (a sample or a past conversation → the step-by-step trace);
// the impact preview (draft vs live over recent conversations); publish with a confirmation that
// shows both; published versions with restore, and the audit log with each change's diff.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import { when } from '../format';
import * as data from './data';
import type { AuditEntry, Assignee, Draft, Failure, Impact, Json, Rule, RuleAction, RuleConflict, RuleVersion, Simulation } from './data';
import { ACTIONS, RuleEditor, shapeProblem, splitError } from './RuleEditor';
import type { Catalogue } from './RuleEditor';
import { Confirm, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';
import './rules.css';

type Tab = 'rules' | 'simulate' | 'impact' | 'versions' | 'audit';
const TABS: [Tab, string][] = [['rules', 'Draft rules'], ['simulate', 'Simulate'], ['impact', 'Impact preview'], ['versions', 'Versions'], ['audit', 'Audit log']];
const manageReason = (role: string) => `Your role (${role}) cannot edit, publish or restore assignment rules`;

export function Rules({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const readOnly = data.canManage(myRole) ? null : manageReason(myRole);
  const [tab, setTab] = useState<Tab>('rules');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [rules, setRules] = useState<Rule[]>([]);
  const [conflicts, setConflicts] = useState<RuleConflict[] | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue>({ teams: [], people: [], policies: [], tags: [], replies: [] });
  const [publishing, setPublishing] = useState<{ conflicts: RuleConflict[]; impact: Impact | null } | null>(null);
  const [published, setPublished] = useState<RuleVersion | null>(null);
  const [versionsKey, setVersionsKey] = useState(0);
  const load = useRequest();
  const prepare = useRequest();

  const take = (d: Draft) => { setDraft(d); setRules(d.rules ?? []); };
  const reloadConflicts = async () => setConflicts(await data.ruleConflicts());
  useEffect(() => {
    void load.run(async () => {
      const [d, teams, people, policies, tags, replies] = await Promise.all([data.draftRules(), data.teams(), data.teammates(), data.slaPolicies(), data.tags(), data.savedReplies()]);
      take(d);
      setCatalogue({ teams, people, policies, tags: tags.map((t) => t.name), replies });
      await reloadConflicts();
    });
  }, []);
  const dirty = draft !== null && JSON.stringify(rules) !== JSON.stringify(draft.rules ?? []);

  const askPublish = async () => {
    const found = await prepare.run(async () => {
      const [c, i] = await Promise.all([data.ruleConflicts(), data.impact({ count: 100 })]);
      return { conflicts: c, impact: i };
    });
    if (found) setPublishing(found);
  };

  return (
    <>
      <Header title="Assignment rules">
        Rules run in order when a conversation starts and when a customer writes in a closed one. Changes go to a draft;
        simulate and preview them, then publish to make them live.
      </Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      <div class="rules-status" data-testid="rules-status">
        <span>Live version: <strong data-testid="rules-live-version">{draft?.live_version ?? 'none yet'}</strong></span>
        {draft?.updated_at ? <span class="muted">Draft saved {when(draft.updated_at)}{draft.updated_by ? ` by ${nameOf(catalogue, draft.updated_by)}` : ''}</span> : null}
        {dirty && <span class="pill warn-pill" data-testid="rules-unsaved">Unsaved changes</span>}
        {conflicts && <span class={`pill ${conflicts.length ? 'warn-pill' : 'ok-pill'}`} data-testid="rules-conflict-count">{conflicts.length} conflict{conflicts.length === 1 ? '' : 's'}</span>}
        {!readOnly && (
          <button type="button" class="primary" disabled={dirty || prepare.busy || !draft} data-testid="rules-publish"
            title={dirty ? 'Save the draft first' : undefined} onClick={() => void askPublish()}>
            {prepare.busy ? 'Checking…' : 'Publish…'}
          </button>
        )}
      </div>
      <ErrorLine error={prepare.error} />
      {published && <p class="saved-note" role="status" data-testid="rules-published">Version {published.version} is live.</p>}
      <div class="tabs" role="tablist" aria-label="Assignment rules">
        {TABS.map(([key, label]) => (
          <button key={key} type="button" role="tab" id={`rules-tab-${key}`} aria-selected={tab === key} aria-controls="rules-panel" class={tab === key ? 'on' : ''}
            data-testid={`rules-tab-${key}`} onClick={() => setTab(key)}>{label}</button>
        ))}
      </div>
      <div id="rules-panel" role="tabpanel" aria-labelledby={`rules-tab-${tab}`}>
        {tab === 'rules' && draft && (
          <DraftEditor rules={rules} setRules={setRules} saved={draft.rules ?? []} dirty={dirty} readOnly={readOnly} catalogue={catalogue}
            conflicts={conflicts} onSaved={(d) => { take(d); void reloadConflicts(); }} />
        )}
        {tab === 'simulate' && <Simulator catalogue={catalogue} dirty={dirty} />}
        {tab === 'impact' && <ImpactPreview catalogue={catalogue} dirty={dirty} />}
        {tab === 'versions' && <Versions key={versionsKey} catalogue={catalogue} readOnly={readOnly} dirty={dirty}
          onRestored={(d) => { take(d); void reloadConflicts(); setTab('rules'); }} />}
        {tab === 'audit' && <Audit catalogue={catalogue} />}
      </div>
      {publishing && (
        <Confirm title={`Publish the draft as version ${(draft?.live_version ?? 0) + 1}?`} action="Publish" onClose={() => setPublishing(null)}
          onConfirm={async () => {
            const version = await data.publishRules();
            setPublished(version);
            setDraft((d) => (d ? { ...d, live_version: version.version } : d));
            setVersionsKey((k) => k + 1);
          }}>
          <p data-testid="publish-summary">
            It goes live at once for new conversations. {publishing.conflicts.length === 0 ? 'No conflicts found.' : `${publishing.conflicts.length} conflict${publishing.conflicts.length === 1 ? '' : 's'} found:`}
          </p>
          {publishing.conflicts.length > 0 && (
            <ul class="publish-conflicts">{publishing.conflicts.slice(0, 5).map((c, i) => <li key={i}>{c.message}</li>)}</ul>
          )}
          {publishing.impact && (
            <p data-testid="publish-impact">Of the last {publishing.impact.replayed} conversations, {publishing.impact.different} would have been routed differently.</p>
          )}
        </Confirm>
      )}
    </>
  );
}

const nameOf = (c: Catalogue, id: Id | number | null | undefined) =>
  id === null || id === undefined ? '' : c.people.find((p) => String(p.id) === String(id))?.name ?? `#${String(id)}`;
type Id = data.Teammate['id'];

/** "Billing team → Sam" for an assignee. */
export function assigneeText(c: Catalogue, a: Assignee | null | undefined): string {
  if (!a || (a.team_id === null && a.admin_id === null)) return 'Unassigned';
  const team = a.team_id === null ? null : c.teams.find((t) => String(t.id) === String(a.team_id))?.name ?? `team #${a.team_id}`;
  const admin = a.admin_id === null ? null : nameOf(c, a.admin_id);
  return [team, admin].filter(Boolean).join(' → ');
}

export function actionText(c: Catalogue, a: RuleAction): string {
  const label = ACTIONS.find(([t]) => t === a.type)?.[1] ?? a.type;
  switch (a.type) {
    case 'assign_team': return `${label}: ${c.teams.find((t) => String(t.id) === String(a.team_id))?.name ?? `#${String(a.team_id)}`}`;
    case 'assign_teammate': return `${label}: ${nameOf(c, a.admin_id as number)}`;
    case 'apply_sla': return `${label}: ${c.policies.find((p) => String(p.id) === String(a.policy_id))?.name ?? `#${String(a.policy_id)}`}`;
    case 'send_saved_reply': return `${label}: ${c.replies.find((r) => String(r.id) === String(a.saved_reply_id))?.name ?? `#${String(a.saved_reply_id)}`}`;
    case 'tag': return `${label}: ${String(a.tag)}`;
    case 'set_priority': return a.priority ? 'Mark as priority' : 'Mark as not priority';
    case 'snooze': return `${label}: ${String(a.minutes)} min`;
    default: return `${label}: “${String(a.body ?? '')}”`;
  }
}

const uniqueId = (base: string, rules: Rule[]) => {
  let id = base;
  for (let n = 2; rules.some((r) => r.id === id); n++) id = `${base}-${n}`;
  return id;
};

function DraftEditor({ rules, setRules, saved, dirty, readOnly, catalogue, conflicts, onSaved }: {
  rules: Rule[]; setRules: (r: Rule[]) => void; saved: Rule[]; dirty: boolean; readOnly: string | null; catalogue: Catalogue;
  conflicts: RuleConflict[] | null; onSaved: (d: Draft) => void;
}) {
  const [selected, setSelected] = useState(0);
  const [json, setJson] = useState<string | null>(null);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const save = useRequest();
  const error = save.error ? splitError(save.error) : null;
  useEffect(() => { if (selected >= rules.length && rules.length) setSelected(rules.length - 1); }, [rules.length]);
  /** Moves rule i to position j (the buttons move by one, dragging anywhere). */
  const moveTo = (i: number, j: number) => {
    if (j < 0 || j >= rules.length || i === j) return;
    const next = [...rules];
    const [rule] = next.splice(i, 1);
    next.splice(j, 0, rule);
    setRules(next);
    setSelected(j);
  };
  const move = (i: number, by: number) => moveTo(i, i + by);
  const [dragging, setDragging] = useState<number | null>(null);
  const add = (rule: Rule, at: number) => { const next = [...rules]; next.splice(at, 0, rule); setRules(next); setSelected(at); };
  const submit = async () => {
    const d = await save.run(() => data.saveDraft(rules));
    if (d) onSaved(d);
  };
  const rule = rules[selected];
  const conflictsOf = (id: string) => (conflicts ?? []).filter((c) => c.rule_ids.includes(id));
  return (
    <div class="rules-grid">
      <section class="rules-side" aria-label="Rules in order">
        <ol class="rule-list" data-testid="rule-list">
          {rules.map((r, i) => (
            <li key={`${r.id}-${i}`} class={`rule-item ${i === selected ? 'on' : ''} ${r.enabled === false ? 'off' : ''} ${error?.[0] === i ? 'invalid' : ''} ${dragging === i ? 'dragging' : ''}`}
              data-testid="rule-item" data-id={r.id} draggable={!readOnly}
              onDragStart={(e) => { setDragging(i); e.dataTransfer?.setData('text/plain', String(i)); }}
              onDragOver={(e) => { if (dragging !== null) e.preventDefault(); }}
              onDrop={(e) => { e.preventDefault(); if (dragging !== null) moveTo(dragging, i); setDragging(null); }}
              onDragEnd={() => setDragging(null)}>
              <button type="button" class="rule-pick" aria-current={i === selected ? 'true' : undefined} onClick={() => setSelected(i)} data-testid="rule-pick">
                <span class="rule-n">{i + 1}</span><span class="rule-title">{r.name || r.id || 'Untitled'}</span>
                {r.enabled === false && <span class="pill">off</span>}
                {conflictsOf(r.id).length > 0 && <span class="pill warn-pill" title={conflictsOf(r.id).map((c) => c.message).join('\n')}>⚠ {conflictsOf(r.id).length}</span>}
              </button>
              {!readOnly && (
                <span class="rule-tools">
                  <button type="button" aria-label={`Move ${r.name} up`} disabled={i === 0} onClick={() => move(i, -1)} data-testid="rule-up">↑</button>
                  <button type="button" aria-label={`Move ${r.name} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)} data-testid="rule-down">↓</button>
                  <button type="button" aria-label={`Duplicate ${r.name}`} onClick={() => add({ ...structuredClone(r), id: uniqueId(`${r.id}-copy`, rules), name: `${r.name} (copy)` }, i + 1)} data-testid="rule-duplicate">copy</button>
                  <button type="button" aria-label={`Delete ${r.name}`} onClick={() => setRules(rules.filter((_, j) => j !== i))} data-testid="rule-delete">×</button>
                </span>
              )}
            </li>
          ))}
          {rules.length === 0 && <li class="muted">No rules: new conversations stay unassigned.</li>}
        </ol>
        {!readOnly && (
          <button type="button" data-testid="rule-add" onClick={() => add({ id: uniqueId('rule', rules), name: 'New rule', enabled: true, stop_processing: true, conditions: { all: [] }, actions: [] }, rules.length)}>
            + Add rule
          </button>
        )}
        <ConflictList conflicts={conflicts} rules={rules} onPick={(id) => { const i = rules.findIndex((r) => r.id === id); if (i >= 0) setSelected(i); }} />
      </section>
      <section class="split-main" aria-label="Rule">
        <div class="toolbar">
          <div class="choice-row" role="radiogroup" aria-label="Editor">
            <label class="radio"><input type="radio" name="rules-view" checked={json === null} onChange={() => setJson(null)} />Form</label>
            <label class="radio"><input type="radio" name="rules-view" checked={json !== null} data-testid="rules-json-view"
              onChange={() => { setJson(JSON.stringify(rules, null, 2)); setJsonError(null); }} />JSON</label>
          </div>
          {!readOnly && (
            <div class="form-actions">
              <button type="button" disabled={!dirty || save.busy} onClick={() => { setRules(saved); save.setError(null); }} data-testid="rules-discard">Discard changes</button>
              <button type="button" class="primary" disabled={!dirty || save.busy || json !== null} onClick={() => void submit()} data-testid="rules-save">
                {save.busy ? 'Saving…' : 'Save draft'}
              </button>
            </div>
          )}
        </div>
        {save.error && <p class="error" role="alert" data-testid="rules-save-error">{save.error}</p>}
        {json !== null ? (
          <div class="stack-form">
            <label>The whole draft as JSON (the API’s rule shape)
              <textarea rows={22} class="mono" value={json} onInput={input(setJson)} readOnly={!!readOnly} data-testid="rules-json" spellcheck={false} />
            </label>
            {jsonError && <p class="error" role="alert" data-testid="rules-json-error">{jsonError}</p>}
            <div class="form-actions">
              <button type="button" onClick={() => setJson(null)}>Back to the form</button>
              {!readOnly && (
                <button type="button" class="primary" data-testid="rules-json-apply" onClick={() => {
                  try {
                    const parsed = JSON.parse(json) as Json;
                    const problem = shapeProblem(parsed);
                    if (problem) throw new Error(problem);
                    setRules(parsed as unknown as Rule[]);
                    setJson(null);
                    setSelected(0);
                  } catch (e) { setJsonError(e instanceof Error ? e.message : String(e)); }
                }}>Apply to the form</button>
              )}
            </div>
          </div>
        ) : rule ? (
          <RuleEditor key={selected} rule={rule} index={selected} catalogue={catalogue} readOnly={readOnly}
            error={error && error[0] === selected ? [error[1], error[2]] : null}
            onChange={(r) => setRules(rules.map((x, j) => (j === selected ? r : x)))} />
        ) : <p class="muted">Add a rule to start.</p>}
      </section>
    </div>
  );
}

function ConflictList({ conflicts, rules, onPick }: { conflicts: RuleConflict[] | null; rules: Rule[]; onPick: (id: string) => void }) {
  if (!conflicts) return null;
  return (
    <section class="settings-block conflicts" aria-labelledby="conflicts-title" data-testid="rules-conflicts">
      <h3 id="conflicts-title">Conflicts in the saved draft</h3>
      {conflicts.length === 0 && <p class="muted">None found.</p>}
      <ul>
        {conflicts.map((c, i) => (
          <li key={i} data-testid="rules-conflict" data-kind={c.kind}>
            <span class="pill warn-pill">{c.kind.replace(/_/g, ' ')}</span> {c.message}{' '}
            {c.rule_ids.map((id) => (
              <button key={id} type="button" class="link" onClick={() => onPick(id)}>{rules.find((r) => r.id === id)?.name ?? id}</button>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "key=value" lines → an object (numbers and true/false as such). */
function attributes(text: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at < 1) continue;
    const key = line.slice(0, at).trim();
    const raw = line.slice(at + 1).trim();
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}
const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function Simulator({ catalogue, dirty }: { catalogue: Catalogue; dirty: boolean }) {
  const [mode, setMode] = useState<'sample' | 'conversation'>('sample');
  const [which, setWhich] = useState<'draft' | 'live'>('draft');
  const [conversationId, setConversationId] = useState('');
  const [channel, setChannel] = useState('conversation');
  const [text, setText] = useState('');
  const [pageUrl, setPageUrl] = useState('');
  const [priority, setPriority] = useState(false);
  const [tags, setTags] = useState('');
  const [role, setRole] = useState('user');
  const [email, setEmail] = useState('');
  const [contactTags, setContactTags] = useState('');
  const [contactAttrs, setContactAttrs] = useState('');
  const [plan, setPlan] = useState('');
  const [spend, setSpend] = useState('');
  const [companyAttrs, setCompanyAttrs] = useState('');
  const [at, setAt] = useState('');
  const [result, setResult] = useState<Simulation | null>(null);
  const run = useRequest();
  const submit = async (e: Event) => {
    e.preventDefault();
    const time = at ? Math.floor(new Date(at).getTime() / 1000) : undefined;
    const request: Parameters<typeof data.simulate>[0] = { rules: which, at: time };
    if (mode === 'conversation') request.conversation_id = conversationId.trim();
    else {
      const conversation: Record<string, Json> = { channel, text, priority, tags: list(tags) };
      if (pageUrl) conversation.page_url = pageUrl;
      const contact: Record<string, Json> = { role, tags: list(contactTags), custom_attributes: attributes(contactAttrs) };
      if (email) contact.email = email;
      const company: Record<string, Json> = { custom_attributes: attributes(companyAttrs) };
      if (plan) company.plan = plan;
      if (spend) company.monthly_spend = Number(spend);
      request.sample = { conversation, contact, company };
    }
    const answer = await run.run(() => data.simulate(request));
    if (answer) setResult(answer);
  };
  return (
    <div class="stack-form">
      <form class="settings-block stack-form" onSubmit={(e) => void submit(e)} data-testid="simulate-form" aria-labelledby="simulate-title">
        <h3 id="simulate-title">Simulate a conversation</h3>
        <p class="muted">Runs the rules exactly as the live path does, without changing anything.{dirty && ' Unsaved edits are not included: save the draft first.'}</p>
        <div class="choice-row">
          <label class="radio"><input type="radio" name="sim-mode" checked={mode === 'sample'} onChange={() => setMode('sample')} />A sample conversation</label>
          <label class="radio"><input type="radio" name="sim-mode" checked={mode === 'conversation'} onChange={() => setMode('conversation')} data-testid="sim-mode-conversation" />A past conversation</label>
          <label class="radio">Rules
            <select value={which} onChange={(e) => setWhich((e.target as HTMLSelectElement).value as 'draft' | 'live')} data-testid="sim-rules">
              <option value="draft">Draft</option><option value="live">Live</option>
            </select>
          </label>
        </div>
        {mode === 'conversation' ? (
          <label>Conversation id<input required value={conversationId} onInput={input(setConversationId)} inputMode="numeric" data-testid="sim-conversation" /></label>
        ) : (
          <>
            <div class="two">
              <label>Channel
                <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)} data-testid="sim-channel">
                  <option value="conversation">Chat (messenger)</option><option value="email">Email</option>
                </select>
              </label>
              <label>Page URL<input value={pageUrl} onInput={input(setPageUrl)} placeholder="https://…" data-testid="sim-page-url" /></label>
            </div>
            <label>First message<textarea rows={2} value={text} onInput={input(setText)} data-testid="sim-text" /></label>
            <div class="two">
              <label>Conversation tags<input value={tags} onInput={input(setTags)} placeholder="a, b" data-testid="sim-tags" /></label>
              <label class="radio"><input type="checkbox" checked={priority} onChange={(e) => setPriority((e.target as HTMLInputElement).checked)} data-testid="sim-priority" />Priority</label>
            </div>
            <div class="two">
              <label>Contact role
                <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)} data-testid="sim-role"><option value="user">User</option><option value="lead">Lead</option></select>
              </label>
              <label>Contact email<input type="email" value={email} onInput={input(setEmail)} data-testid="sim-email" /></label>
            </div>
            <div class="two">
              <label>Contact tags<input value={contactTags} onInput={input(setContactTags)} placeholder="VIP, Beta tester" data-testid="sim-contact-tags" /></label>
              <label>Contact attributes (one name=value a line)<textarea rows={2} value={contactAttrs} onInput={input(setContactAttrs)} class="mono" data-testid="sim-contact-attrs" /></label>
            </div>
            <div class="two">
              <label>Company plan<input value={plan} onInput={input(setPlan)} placeholder="enterprise" data-testid="sim-plan" /></label>
              <label>Company monthly spend<input type="number" value={spend} onInput={input(setSpend)} data-testid="sim-spend" /></label>
            </div>
            <label>Company attributes (name=value lines)<textarea rows={2} value={companyAttrs} onInput={input(setCompanyAttrs)} class="mono" data-testid="sim-company-attrs" /></label>
          </>
        )}
        <label>At (your local time; empty for now)<input type="datetime-local" value={at} onInput={input(setAt)} data-testid="sim-at" /></label>
        <div class="form-actions"><button type="submit" class="primary" disabled={run.busy} data-testid="sim-run">{run.busy ? 'Running…' : 'Simulate'}</button></div>
        <ErrorLine error={run.error} testid="sim-error" />
      </form>
      {result && <TraceView result={result} catalogue={catalogue} />}
    </div>
  );
}

function FailureText({ failure }: { failure: Failure }) {
  const detail = failure.field
    ? ` — ${failure.field} ${failure.op ?? ''} ${failure.expected === undefined ? '' : JSON.stringify(failure.expected)}; actual ${failure.actual === undefined || failure.actual === null ? 'absent' : JSON.stringify(failure.actual)}`
    : '';
  return (
    <div class="failure">
      <code>{failure.path}</code> {failure.message}{detail}
      {failure.causes && failure.causes.length > 0 && <ul>{failure.causes.map((c, i) => <li key={i}><FailureText failure={c} /></li>)}</ul>}
    </div>
  );
}

function TraceView({ result, catalogue }: { result: Simulation; catalogue: Catalogue }) {
  const t = result.trace;
  return (
    <section class="settings-block" aria-labelledby="trace-title" data-testid="sim-trace">
      <h3 id="trace-title">Trace ({result.rules} rules, at {when(result.at)}, {result.inside_office_hours ? 'inside' : 'outside'} office hours)</h3>
      <ol class="trace">
        {t.rules.map((r) => (
          <li key={r.rule_id} class={`trace-${r.outcome}`} data-testid="sim-step" data-outcome={r.outcome} data-rule={r.rule_id}>
            <span class={`pill outcome-${r.outcome}`}>{r.outcome.replace('_', ' ')}</span> <strong>{r.name}</strong> <code>{r.rule_id}</code>
            {r.failure && <FailureText failure={r.failure} />}
            {t.actions.filter((a) => a.rule_id === r.rule_id).length > 0 && (
              <ul class="trace-actions">{t.actions.filter((a) => a.rule_id === r.rule_id).map((a, i) => <li key={i}>{actionText(catalogue, a.action)}</li>)}</ul>
            )}
          </li>
        ))}
        {t.rules.length === 0 && <li class="muted">No rules.</li>}
      </ol>
      <p data-testid="sim-assignee"><strong>Final assignee:</strong> {assigneeText(catalogue, t.assignee)}{t.stopped_by ? ` (stopped by ${t.stopped_by})` : ''}</p>
    </section>
  );
}

function ImpactPreview({ catalogue, dirty }: { catalogue: Catalogue; dirty: boolean }) {
  const [count, setCount] = useState('100');
  const [by, setBy] = useState<'latest' | 'range'>('latest');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [result, setResult] = useState<Impact | null>(null);
  const run = useRequest();
  // The range is in the browser's local time, as the simulator's time is.
  const seconds = (local: string) => Math.floor(new Date(local).getTime() / 1000);
  const submit = async (e: Event) => {
    e.preventDefault();
    const answer = await run.run(() => (by === 'latest'
      ? data.impact({ count: Number(count) })
      : data.impact({ created_after: seconds(from), created_before: seconds(to) })));
    if (answer) setResult(answer);
  };
  const routed = (r: { assignee: Assignee; actions: RuleAction[] }) =>
    `${assigneeText(catalogue, r.assignee)}${r.actions.length ? ` · ${r.actions.map((a) => actionText(catalogue, a)).join('; ')}` : ''}`;
  return (
    <div class="stack-form">
      <form class="settings-block inline-form" onSubmit={(e) => void submit(e)} data-testid="impact-form">
        <label class="radio"><input type="radio" name="impact-by" checked={by === 'latest'} onChange={() => setBy('latest')} data-testid="impact-by-latest" /> Replay the latest</label>
        <input type="number" aria-label="How many of the latest conversations" min={1} max={10000} required={by === 'latest'} disabled={by !== 'latest'}
          value={count} onInput={input(setCount)} data-testid="impact-count" />
        <label class="radio"><input type="radio" name="impact-by" checked={by === 'range'} onChange={() => setBy('range')} data-testid="impact-by-range" /> or those created from</label>
        <input type="datetime-local" aria-label="Created from" required={by === 'range'} disabled={by !== 'range'} value={from} onInput={input(setFrom)} data-testid="impact-from" />
        <label>to <input type="datetime-local" aria-label="Created before" required={by === 'range'} disabled={by !== 'range'} value={to} onInput={input(setTo)} data-testid="impact-to" /></label>
        <button type="submit" class="primary" disabled={run.busy} data-testid="impact-run">{run.busy ? 'Replaying…' : 'Compare draft with live'}</button>
        {dirty && <span class="muted">Unsaved edits are not included.</span>}
      </form>
      <ErrorLine error={run.error} testid="impact-error" />
      {result && (
        <section class="settings-block" data-testid="impact-result" aria-label="Impact">
          <p data-testid="impact-summary"><strong>{result.different}</strong> of {result.replayed} conversations would be routed differently by the draft.
            {result.truncated && ' The range holds more: the newest 10,000 were replayed.'}</p>
          {result.examples.length > 0 && (
            <table class="settings-table">
              <thead><tr><th scope="col">Conversation</th><th scope="col">Live</th><th scope="col">Draft</th></tr></thead>
              <tbody>
                {result.examples.map((x) => (
                  <tr key={String(x.conversation_id)} data-testid="impact-example">
                    <td><a href={`/app/all?c=${String(x.conversation_id)}`}>#{String(x.conversation_id)}</a></td>
                    <td>{routed(x.live)}</td><td>{routed(x.draft)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}

function Versions({ catalogue, readOnly, dirty, onRestored }: { catalogue: Catalogue; readOnly: string | null; dirty: boolean; onRestored: (d: Draft) => void }) {
  const [versions, setVersions] = useState<RuleVersion[] | null>(null);
  const [restoring, setRestoring] = useState<RuleVersion | null>(null);
  const load = useRequest();
  useEffect(() => { void load.run(async () => setVersions(await data.ruleVersions())); }, []);
  return (
    <>
      <ErrorLine error={load.error} />
      {versions?.length === 0 && <p class="muted">Nothing published yet.</p>}
      <table class="settings-table" data-testid="rule-versions">
        <thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Rules</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>
          {(versions ?? []).map((v, i) => (
            <tr key={v.version} data-testid="rule-version" data-version={v.version}>
              <td><strong>{v.version}</strong> {i === 0 && <span class="pill ok-pill">live</span>}</td>
              <td><time>{when(v.published_at)}</time></td>
              <td>{nameOf(catalogue, v.published_by)}</td>
              <td>{v.rules.map((r) => r.name).join(', ') || <span class="muted">none</span>}</td>
              <td class="row-actions">
                {!readOnly && <button type="button" onClick={() => setRestoring(v)} data-testid="rule-version-restore">Restore into draft</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {restoring && (
        <Confirm title={`Restore version ${restoring.version} into the draft?`} action="Restore" onClose={() => setRestoring(null)}
          onConfirm={async () => onRestored(await data.restoreVersion(restoring.version))}>
          The draft becomes a copy of version {restoring.version}{dirty ? ', and your unsaved edits are dropped' : ''}. Publish it to make it live.
        </Confirm>
      )}
    </>
  );
}

function Audit({ catalogue }: { catalogue: Catalogue }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const load = useRequest();
  const more = async (after?: string) => {
    const page = await load.run(() => data.ruleAudit(after));
    if (!page) return;
    setEntries((all) => (after ? [...all, ...page.data] : page.data));
    setNext(page.pages?.next?.starting_after ?? null);
  };
  useEffect(() => { void more(); }, []);
  const ACTION_LABEL: Record<string, string> = { draft_updated: 'Draft saved', published: 'Published', restored: 'Restored' };
  return (
    <>
      <ErrorLine error={load.error} />
      <ol class="audit" data-testid="rule-audit">
        {entries.map((e) => (
          <li key={e.id} class="settings-block" data-testid="rule-audit-entry" data-action={e.action}>
            <p><strong>{ACTION_LABEL[e.action] ?? e.action}</strong>{e.version !== null ? ` (version ${e.version})` : ''} by {nameOf(catalogue, e.admin_id) || 'the system'} · <time>{when(e.created_at)}</time></p>
            <DiffView diff={e.diff} />
          </li>
        ))}
        {!load.busy && entries.length === 0 && <li class="muted">No changes yet.</li>}
      </ol>
      {next && <button type="button" disabled={load.busy} onClick={() => void more(next)} data-testid="rule-audit-more">Older entries</button>}
    </>
  );
}

function DiffView({ diff }: { diff: data.RuleDiff }) {
  const parts: string[] = [];
  if (diff.added?.length) parts.push(`added ${diff.added.join(', ')}`);
  if (diff.removed?.length) parts.push(`removed ${diff.removed.join(', ')}`);
  if (diff.reordered) parts.push('reordered');
  return (
    <div class="diff" data-testid="rule-audit-diff">
      <p class="muted">{parts.length || diff.changed?.length ? parts.join(' · ') : 'no change'}</p>
      {(diff.changed ?? []).map((c) => (
        <details key={c.id}>
          <summary>changed <code>{c.id}</code></summary>
          <div class="diff-sides">
            <pre class="before" aria-label="Before">{JSON.stringify(c.before, null, 2)}</pre>
            <pre class="after" aria-label="After">{JSON.stringify(c.after, null, 2)}</pre>
          </div>
        </details>
      ))}
    </div>
  );
}
