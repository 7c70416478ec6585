// SLA policies and office hours (/app/settings/sla): the policies (first response, next response,
// time to close, business hours or calendar time, the at-risk threshold); the workspace's holidays;
// each team's own office hours, timezone and holidays, or the workspace's.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import * as data from './data';
import type { FullTeam, SlaFields, SlaPolicy, TeamHours } from './data';
import { DEFAULT, WeekEditor, week } from './OfficeHours';
import type { Week } from './OfficeHours';
import { Confirm, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';
import './rules.css';

const reason = (role: string) => `Your role (${role}) cannot change SLA policies or office hours`;
const UNITS: [number, string][] = [[60, 'minutes'], [3600, 'hours'], [86400, 'days']];
const TARGETS: [keyof SlaFields, string][] = [['first_response_seconds', 'First response'], ['next_response_seconds', 'Next response'], ['time_to_close_seconds', 'Time to close']];

/** A target as the form holds it: an amount and a unit (empty amount = no target). */
interface Target { amount: string; unit: number }
const toTarget = (seconds: number | null): Target => {
  if (seconds === null) return { amount: '', unit: 60 };
  const unit = [...UNITS].reverse().find(([u]) => seconds % u === 0)?.[0] ?? 60;
  return { amount: String(seconds / unit), unit };
};
const toSeconds = (t: Target): number | null => (t.amount.trim() === '' ? null : Math.round(Number(t.amount) * t.unit));

export function Sla({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const readOnly = data.canManage(myRole) ? null : reason(myRole);
  const [policies, setPolicies] = useState<SlaPolicy[] | null>(null);
  const [teams, setTeams] = useState<FullTeam[]>([]);
  const [holidays, setHolidays] = useState<string[] | null>(null);
  const load = useRequest();
  useEffect(() => {
    void load.run(async () => {
      const [p, t, m] = await Promise.all([data.slaPolicies(), data.teams(), data.messenger()]);
      setPolicies(p);
      setTeams(t);
      setHolidays((m as { holidays?: string[] }).holidays ?? []);
    });
  }, []);
  return (
    <>
      <Header title="SLA policies & office hours">
        Response and resolution targets, counted in the office hours of the conversation’s team. Assignment rules apply them.
      </Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      {!readOnly && <PolicyForm onSaved={(p) => setPolicies((all) => [...(all ?? []), p])} />}
      {policies?.length === 0 && <p class="muted">No SLA policies yet.</p>}
      <div class="cards">
        {(policies ?? []).map((p) => (
          <PolicyForm key={p.id} policy={p} readOnly={readOnly}
            onSaved={(saved) => setPolicies((all) => (all ?? []).map((x) => (x.id === saved.id ? saved : x)))}
            onDeleted={() => setPolicies((all) => (all ?? []).filter((x) => x.id !== p.id))} />
        ))}
      </div>
      {holidays && <Holidays title="Workspace holidays" initial={holidays} readOnly={readOnly} testid="ws-holidays"
        hint="Closed all day in the workspace’s timezone: SLA clocks, routing and the messenger skip them."
        onSave={async (list) => ((await data.saveHolidays(list)).holidays ?? list)} />}
      <section class="stack-form" aria-labelledby="team-hours-title">
        <h3 id="team-hours-title" class="sub-title">Team office hours</h3>
        {teams.length === 0 && <p class="muted">No teams yet.</p>}
        {teams.map((t) => <TeamHoursCard key={t.id} team={t} readOnly={readOnly} />)}
      </section>
    </>
  );
}

function PolicyForm({ policy, readOnly = null, onSaved, onDeleted }: { policy?: SlaPolicy; readOnly?: string | null; onSaved: (p: SlaPolicy) => void; onDeleted?: () => void }) {
  const initial = () => ({
    name: policy?.name ?? '',
    targets: TARGETS.map(([key]) => toTarget(policy ? (policy[key] as number | null) : null)),
    business: policy?.business_hours ?? true,
    atRisk: String(policy?.at_risk_percent ?? 20),
  });
  const [form, setForm] = useState(initial);
  const [done, setDone] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const save = useRequest();
  useEffect(() => { save.setError(null); setDone(false); }, [form]);
  const fields = (): SlaFields => ({
    name: form.name.trim(),
    first_response_seconds: toSeconds(form.targets[0]),
    next_response_seconds: toSeconds(form.targets[1]),
    time_to_close_seconds: toSeconds(form.targets[2]),
    business_hours: form.business,
    at_risk_percent: Number(form.atRisk),
  });
  const dirty = JSON.stringify(form) !== JSON.stringify(initial());
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await save.run(() => (policy ? data.updateSlaPolicy(policy.id, fields()) : data.createSlaPolicy(fields())));
    if (!saved) return;
    onSaved(saved);
    if (policy) setDone(true); else setForm({ name: '', targets: TARGETS.map(() => ({ amount: '', unit: 60 })), business: true, atRisk: '20' });
  };
  const setTarget = (i: number, t: Target) => setForm((f) => ({ ...f, targets: f.targets.map((x, j) => (j === i ? t : x)) }));
  const id = policy ? `sla-${policy.id}` : 'sla-new';
  return (
    <form class={policy ? 'card-box stack-form' : 'settings-block stack-form'} onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}
      data-testid={policy ? 'sla-policy' : 'sla-create-form'} data-name={policy?.name}>
      <h3 id={`${id}-title`} class={policy ? 'card-title' : undefined}>{policy ? policy.name : 'New SLA policy'}</h3>
      <fieldset disabled={!!readOnly} title={readOnly ?? undefined}>
        <label>Name<input required maxLength={255} value={form.name} onInput={input((name) => setForm((f) => ({ ...f, name })))} data-testid="sla-name" /></label>
        <div class="policy-targets">
          {TARGETS.map(([key, label], i) => (
            <label key={key}>{label}
              <span class="duration">
                <input type="number" min={0} step="any" value={form.targets[i].amount} placeholder="none" aria-label={`${label} target`}
                  onInput={input((amount) => setTarget(i, { ...form.targets[i], amount }))} data-testid={`sla-${key}`} />
                <select aria-label={`${label} unit`} value={String(form.targets[i].unit)} data-testid={`sla-${key}-unit`}
                  onChange={(e) => setTarget(i, { ...form.targets[i], unit: Number((e.target as HTMLSelectElement).value) })}>
                  {UNITS.map(([u, l]) => <option key={u} value={String(u)}>{l}</option>)}
                </select>
              </span>
            </label>
          ))}
        </div>
        <div class="two">
          <label class="switch"><input type="checkbox" checked={form.business} onChange={(e) => setForm((f) => ({ ...f, business: (e.target as HTMLInputElement).checked }))} data-testid="sla-business" />
            <span>Count office hours only<br /><span class="muted">Off: every second counts, nights and weekends too.</span></span></label>
          <label>At risk when this share is left (%)
            <input type="number" min={0} max={99} value={form.atRisk} onInput={input((atRisk) => setForm((f) => ({ ...f, atRisk })))} data-testid="sla-at-risk" title="0 turns at-risk off" />
          </label>
        </div>
        <ErrorLine error={save.error} testid="sla-error" />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={(policy !== undefined && !dirty) || save.busy} data-testid="sla-save">
            {save.busy ? 'Saving…' : policy ? 'Save' : 'Create policy'}
          </button>
          {done && !dirty && <span class="saved-note" role="status" data-testid="sla-saved">Saved.</span>}
          {policy && <button type="button" class="danger-link" onClick={() => setConfirm(true)} data-testid="sla-delete">Delete policy</button>}
        </div>
      </fieldset>
      {confirm && policy && (
        <Confirm title={`Delete the SLA policy ${policy.name}?`} action="Delete policy" danger onClose={() => setConfirm(false)}
          onConfirm={async () => { await data.deleteSlaPolicy(policy.id); onDeleted?.(); }}>
          Conversations where it runs show it as cancelled; rules that apply it skip it until you change them.
        </Confirm>
      )}
    </form>
  );
}

function Holidays({ title, hint, initial, readOnly, testid, onSave }: {
  title: string; hint: string; initial: string[]; readOnly: string | null; testid: string; onSave: (list: string[]) => Promise<string[]>;
}) {
  const [list, setList] = useState(initial);
  const [saved, setSaved] = useState(initial);
  const [day, setDay] = useState('');
  const save = useRequest();
  const dirty = JSON.stringify(list) !== JSON.stringify(saved);
  return (
    <section class="settings-block stack-form" aria-label={title} data-testid={testid}>
      <h3>{title}</h3>
      <p class="muted">{hint}</p>
      <ul class="chips">
        {list.map((d) => (
          <li key={d} class="chip" data-testid={`${testid}-day`}>{d}
            <button type="button" class="x" aria-label={`Remove ${d}`} disabled={!!readOnly} onClick={() => setList(list.filter((x) => x !== d))}>×</button>
          </li>
        ))}
        {list.length === 0 && <li class="muted">None.</li>}
      </ul>
      {!readOnly && (
        <div class="inline-form">
          <label>Add a day<input type="date" value={day} onInput={input(setDay)} data-testid={`${testid}-date`} /></label>
          <button type="button" disabled={!day || list.includes(day)} onClick={() => { setList([...list, day].sort()); setDay(''); }} data-testid={`${testid}-add`}>Add</button>
          <button type="button" class="primary" disabled={!dirty || save.busy} data-testid={`${testid}-save`}
            onClick={() => void save.run(async () => { const s = await onSave(list); setList(s); setSaved(s); })}>Save holidays</button>
        </div>
      )}
      <ErrorLine error={save.error} />
    </section>
  );
}

/** The week the editor starts from: the hours shown, or Monday to Friday 9–17 when always open. */
const daysOf = (h: TeamHours): Week =>
  Object.keys(h.office_hours ?? {}).length ? week(h.office_hours) : week({ mon: [DEFAULT], tue: [DEFAULT], wed: [DEFAULT], thu: [DEFAULT], fri: [DEFAULT] });

function TeamHoursCard({ team, readOnly }: { team: FullTeam; readOnly: string | null }) {
  const [hours, setHours] = useState<TeamHours | null>(null);
  const [own, setOwn] = useState(false);
  const [timezone, setTimezone] = useState('');
  const [days, setDays] = useState<Week>({});
  const [holidays, setHolidays] = useState<string[]>([]);
  const [day, setDay] = useState('');
  // The form as last saved: "Saved" shows until it changes again.
  const [savedAs, setSavedAs] = useState<string | null>(null);
  const [loadedAs, setLoadedAs] = useState<string | null>(null);
  const load = useRequest();
  const save = useRequest();
  const snapshot = JSON.stringify({ own, timezone, days, holidays });
  const take = (h: TeamHours) => {
    setHours(h);
    setLoadedAs(JSON.stringify({ own: !h.inherited, timezone: h.timezone, days: daysOf(h), holidays: h.holidays ?? [] }));
    setOwn(!h.inherited);
    setTimezone(h.timezone);
    setDays(daysOf(h));
    setHolidays(h.holidays ?? []);
  };
  useEffect(() => { void load.run(async () => take(await data.teamHours(team.id))); }, []);
  useEffect(() => save.setError(null), [snapshot]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const next = await save.run(async () => {
      if (own) return data.setTeamHours(team.id, { office_hours: days, timezone: timezone.trim(), holidays });
      await data.clearTeamHours(team.id);
      return data.teamHours(team.id);
    });
    if (!next) return;
    take(next);
    setSavedAs(JSON.stringify({ own: !next.inherited, timezone: next.timezone, days: daysOf(next), holidays: next.holidays ?? [] }));
  };
  return (
    <form class="card-box stack-form" onSubmit={(e) => void submit(e)} data-testid="team-hours" data-name={team.name} aria-label={`${team.name} office hours`}>
      <h4 class="card-title">{team.name}<span class="muted">{hours ? (hours.inherited ? 'uses the workspace’s hours' : `own hours · ${hours.timezone}`) : ''}</span></h4>
      <ErrorLine error={load.error} />
      {hours && (
        <fieldset disabled={!!readOnly} title={readOnly ?? undefined}>
          <div class="choice-row" role="radiogroup" aria-label={`${team.name} hours`}>
            <label class="radio"><input type="radio" name={`own-${team.id}`} checked={!own} onChange={() => setOwn(false)} data-testid="team-hours-inherit" />The workspace’s hours</label>
            <label class="radio"><input type="radio" name={`own-${team.id}`} checked={own} onChange={() => setOwn(true)} data-testid="team-hours-own" />Its own hours</label>
          </div>
          {own && (
            <>
              <label>Timezone (IANA, e.g. America/New_York)<input required value={timezone} onInput={input(setTimezone)} data-testid="team-hours-timezone" /></label>
              <WeekEditor days={days} onChange={(d, list) => setDays((all) => ({ ...all, [d]: list }))} testid="team-hours" />
              <div class="inline-form">
                <ul class="chips">
                  {holidays.map((d) => (
                    <li key={d} class="chip">{d}<button type="button" class="x" aria-label={`Remove ${d}`} onClick={() => setHolidays(holidays.filter((x) => x !== d))}>×</button></li>
                  ))}
                </ul>
                <label>Holiday<input type="date" value={day} onInput={input(setDay)} data-testid="team-hours-holiday" /></label>
                <button type="button" disabled={!day || holidays.includes(day)} onClick={() => { setHolidays([...holidays, day].sort()); setDay(''); }}>Add</button>
              </div>
            </>
          )}
          <ErrorLine error={save.error} testid="team-hours-error" />
          <div class="form-actions">
            <button type="submit" class="primary" disabled={save.busy || snapshot === loadedAs} data-testid="team-hours-save">{save.busy ? 'Saving…' : 'Save'}</button>
            {savedAs === snapshot && <span class="saved-note" role="status" data-testid="team-hours-saved">Saved.</span>}
          </div>
        </fieldset>
      )}
    </form>
  );
}
