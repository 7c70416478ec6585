// Teams: create, rename, delete; members added and removed; how new conversations are assigned
// (manual, round robin, balanced) and each member's capacity limit.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import * as data from './data';
import type { FullTeam, Method, Teammate } from './data';
import { Confirm, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';

const METHODS: { value: Method; label: string; hint: string }[] = [
  { value: 'manual', label: 'Manual', hint: 'Conversations wait in the team inbox until someone takes them.' },
  { value: 'round_robin', label: 'Round robin', hint: 'Each new conversation goes to the next available member in turn.' },
  { value: 'balanced', label: 'Balanced', hint: 'Each new conversation goes to the available member with the fewest open ones.' },
];

export function Teams({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const readOnly = data.canManage(myRole) ? null : data.manageReason(myRole);
  const [teams, setTeams] = useState<FullTeam[] | null>(null);
  const [people, setPeople] = useState<Teammate[]>([]);
  const [name, setName] = useState('');
  const load = useRequest();
  const create = useRequest();
  useEffect(() => {
    void load.run(async () => {
      const [t, p] = await Promise.all([data.teams(), data.teammates()]);
      setTeams(t);
      setPeople(p);
    });
  }, []);
  const replace = (team: FullTeam) => setTeams((all) => (all ?? []).map((t) => (t.id === team.id ? team : t)));
  const submit = async (e: Event) => {
    e.preventDefault();
    const team = await create.run(() => data.createTeam(name.trim()));
    if (!team) return;
    setTeams((all) => [...(all ?? []), team]);
    setName('');
  };
  return (
    <>
      <Header title="Teams">Teams get their own inbox; new conversations assigned to a team can be shared out automatically.</Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      {!readOnly && (
        <section class="settings-block" aria-labelledby="new-team">
          <h3 id="new-team">New team</h3>
          <form class="inline-form" onSubmit={(e) => void submit(e)} data-testid="team-create-form">
            <label>Name<input required value={name} onInput={input(setName)} placeholder="e.g. Billing" data-testid="team-create-name" /></label>
            <button type="submit" class="primary" disabled={create.busy} data-testid="team-create">Create team</button>
          </form>
          <ErrorLine error={create.error} />
        </section>
      )}
      {teams?.length === 0 && <p class="muted">No teams yet.</p>}
      <div class="cards">
        {(teams ?? []).map((t) => (
          <TeamCard key={t.id} team={t} people={people} readOnly={readOnly} onChange={replace}
            onDeleted={() => setTeams((all) => (all ?? []).filter((x) => x.id !== t.id))} />
        ))}
      </div>
    </>
  );
}

function TeamCard({ team, people, readOnly, onChange, onDeleted }: {
  team: FullTeam; people: Teammate[]; readOnly: string | null; onChange: (t: FullTeam) => void; onDeleted: () => void;
}) {
  const [name, setName] = useState(team.name);
  const [method, setMethod] = useState<Method>(team.assignment_method ?? 'manual');
  const [limit, setLimit] = useState(team.assignment_limit === null ? '' : String(team.assignment_limit));
  const [adding, setAdding] = useState('');
  const [confirm, setConfirm] = useState(false);
  const save = useRequest();
  const members = useRequest();
  useEffect(() => save.setError(null), [name, method, limit]);
  const saved = { name: team.name, method: team.assignment_method ?? 'manual', limit: team.assignment_limit === null ? '' : String(team.assignment_limit) };
  const dirty = name !== saved.name || method !== saved.method || limit.trim() !== saved.limit;
  const id = `team-${team.id}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = limit.trim();
    const updated = await save.run(() => data.updateTeam(team.id, {
      name: name.trim(), assignment_method: method, assignment_limit: trimmed === '' ? null : Number(trimmed),
    }));
    if (updated) onChange(updated);
  };
  const member = async (request: () => Promise<FullTeam>) => {
    const updated = await members.run(request);
    if (updated) { onChange(updated); setAdding(''); }
  };
  const inTeam = new Set(team.admin_ids.map(String));
  const outside = people.filter((p) => p.active && !inTeam.has(String(p.id)));
  const nameOf = (adminId: string) => people.find((p) => String(p.id) === adminId)?.name ?? `#${adminId}`;

  return (
    <section class="card-box" aria-labelledby={`${id}-title`} data-testid="team-card" data-name={team.name}>
      <h3 id={`${id}-title`} class="card-title">{team.name}<span class="muted">{team.admin_ids.length} member{team.admin_ids.length === 1 ? '' : 's'}</span></h3>
      <form class="stack-form" onSubmit={(e) => void submit(e)}>
        <fieldset disabled={!!readOnly} title={readOnly ?? undefined}>
          <label>Name<input required value={name} onInput={input(setName)} data-testid="team-name" /></label>
          <div class="two">
            <label>Assignment
              <select value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value as Method)} data-testid="team-method" aria-describedby={`${id}-method-hint`}>
                {METHODS.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
              </select>
            </label>
            <label>Capacity per teammate
              <input type="number" min={1} step={1} inputMode="numeric" value={limit} placeholder="No limit" onInput={input(setLimit)}
                data-testid="team-limit" title="The most open conversations automatic assignment gives one teammate; empty for no limit" />
            </label>
          </div>
          <p class="hint" id={`${id}-method-hint`}>{METHODS.find((m) => m.value === method)?.hint}</p>
          <div class="form-actions">
            <button type="submit" class="primary" disabled={!dirty || save.busy} data-testid="team-save">{save.busy ? 'Saving…' : 'Save'}</button>
            <button type="button" class="danger-link" onClick={() => setConfirm(true)} data-testid="team-delete">Delete team</button>
          </div>
        </fieldset>
      </form>
      <ErrorLine error={save.error} />
      <h4>Members</h4>
      <ul class="chips" data-testid="team-members">
        {team.admin_ids.map(String).map((adminId) => (
          <li key={adminId} class="chip" data-testid="team-member">{nameOf(adminId)}
            <button type="button" class="x" aria-label={`Remove ${nameOf(adminId)} from ${team.name}`} disabled={!!readOnly || members.busy}
              title={readOnly ?? undefined} onClick={() => void member(() => data.removeMember(team.id, adminId))}>×</button>
          </li>
        ))}
        {team.admin_ids.length === 0 && <li class="muted">No members yet.</li>}
      </ul>
      {!readOnly && (
        <form class="inline-form" onSubmit={(e) => { e.preventDefault(); if (adding) void member(() => data.addMember(team.id, adding)); }}>
          <label class="grow">Add a teammate
            <select value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)} data-testid="team-add-member">
              <option value="">Choose…</option>
              {outside.map((p) => <option key={p.id} value={String(p.id)}>{p.name} ({p.email})</option>)}
            </select>
          </label>
          <button type="submit" disabled={!adding || members.busy} data-testid="team-add">Add</button>
        </form>
      )}
      <ErrorLine error={members.error} />
      {confirm && (
        <Confirm title={`Delete the team ${team.name}?`} action="Delete team" danger onClose={() => setConfirm(false)}
          onConfirm={async () => { await data.deleteTeam(team.id); onDeleted(); }}>
          Its conversations stay; they are no longer assigned to the team.
        </Confirm>
      )}
    </section>
  );
}
