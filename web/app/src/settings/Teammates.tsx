// Teammates: the list with role and status, invitations (a one-time link to copy, pending ones
// revocable), role changes, deactivate / reactivate. Controls the server would refuse are
// disabled with the reason.
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import { ago, initials, when } from '../format';
import * as data from './data';
import type { Invite, Role, Teammate } from './data';
import { Confirm, CopyField, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';

export function Teammates({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const manager = data.canManage(myRole);
  const [list, setList] = useState<Teammate[] | null>(null);
  const [pending, setPending] = useState<Invite[]>([]);
  const [confirm, setConfirm] = useState<null | { kind: 'deactivate' | 'reactivate' | 'revoke'; id: string; name: string }>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const load = useRequest();

  const refresh = () => load.run(async () => {
    setList(await data.teammates());
    if (manager) setPending(await data.invites());
  });
  useEffect(() => { void refresh(); }, []);
  const replace = (t: Teammate) => setList((all) => (all ?? []).map((x) => (x.id === t.id ? t : x)));

  /** Why `me` may not change `t`'s role or status, or null. */
  const reason = (t: Teammate, deactivating = false): string | null => {
    if (!manager) return data.manageReason(myRole);
    if (!data.mayManage(myRole, t.role)) return 'Only owners can change an owner';
    if (deactivating && String(t.id) === String(me.id)) return 'You cannot deactivate yourself';
    return null;
  };
  const rowAction = async (id: string, request: () => Promise<Teammate>) => {
    setRowError(null);
    try { replace(await request()); } catch (e) { setRowError({ id, message: e instanceof Error ? e.message : String(e) }); }
  };

  return (
    <>
      <Header title="Teammates">Who can sign in to this workspace, and what they may do.</Header>
      <ReadOnly reason={manager ? null : data.manageReason(myRole)} />
      <ErrorLine error={load.error} />
      {manager && <InviteForm myRole={myRole} onInvited={(i) => setPending((all) => [i, ...all.filter((x) => x.id !== i.id)])} />}

      <table class="settings-table" data-testid="teammates">
        <thead><tr><th scope="col">Teammate</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>
          {(list ?? []).map((t) => {
            const why = reason(t);
            const whyNotDeactivate = reason(t, true);
            return [
              <tr key={t.id} data-testid="teammate-row" data-email={t.email} class={t.active ? '' : 'inactive'}>
                <td>
                  <span class="who"><span class="avatar" aria-hidden="true">{initials(t.name)}</span>
                    <span><strong>{t.name}</strong>{String(t.id) === String(me.id) && <span class="pill">You</span>}<br /><span class="muted">{t.email}</span></span></span>
                </td>
                <td>
                  <select aria-label={`Role of ${t.name}`} value={t.role} disabled={!!why} title={why ?? undefined} data-testid="teammate-role"
                    onChange={(e) => { const role = (e.target as HTMLSelectElement).value as Role; (e.target as HTMLSelectElement).value = t.role; void rowAction(t.id, () => data.changeRole(t.id, role)); }}>
                    {data.ROLES.map((r) => <option key={r} value={r} disabled={r !== t.role && !data.mayManage(myRole, r)}>{data.ROLE_LABELS[r]}</option>)}
                  </select>
                </td>
                <td><span class={`status ${t.active ? 'on' : 'off'}`} data-testid="teammate-status">{t.active ? 'Active' : 'Deactivated'}</span></td>
                <td class="row-actions">
                  {t.active ? (
                    <button type="button" class="danger-link" disabled={!!whyNotDeactivate} title={whyNotDeactivate ?? undefined} data-testid="teammate-deactivate"
                      onClick={() => setConfirm({ kind: 'deactivate', id: t.id, name: t.name })}>Deactivate</button>
                  ) : (
                    <button type="button" disabled={!!why} title={why ?? undefined} data-testid="teammate-reactivate"
                      onClick={() => setConfirm({ kind: 'reactivate', id: t.id, name: t.name })}>Reactivate</button>
                  )}
                </td>
              </tr>,
              rowError?.id === t.id && <tr key={`${t.id}-error`}><td colSpan={4}><ErrorLine error={rowError.message} /></td></tr>,
            ];
          })}
        </tbody>
      </table>
      {list === null && !load.error && <p class="muted">Loading…</p>}

      {manager && (
        <section class="settings-block" aria-labelledby="pending-title">
          <h3 id="pending-title">Pending invitations</h3>
          {pending.length === 0 ? <p class="muted">None — invitations appear here until they are accepted, revoked or expire (after 7 days).</p> : (
            <table class="settings-table" data-testid="invites">
              <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Sent</th><th scope="col">Expires</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
              <tbody>
                {pending.map((i) => (
                  <tr key={i.id} data-testid="invite-row" data-email={i.email}>
                    <td><strong>{i.name}</strong><br /><span class="muted">{i.email}</span></td>
                    <td>{data.ROLE_LABELS[i.role]}</td>
                    <td><time>{ago(i.created_at)} ago</time></td>
                    <td><time>{when(i.expires_at)}</time></td>
                    <td class="row-actions"><button type="button" class="danger-link" data-testid="invite-revoke"
                      onClick={() => setConfirm({ kind: 'revoke', id: i.id, name: i.email })}>Revoke</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      {confirm?.kind === 'deactivate' && (
        <Confirm title={`Deactivate ${confirm.name}?`} action="Deactivate" danger onClose={() => setConfirm(null)}
          onConfirm={async () => replace(await data.deactivate(confirm.id))}>
          They are signed out everywhere at once, their API tokens stop working, and they cannot sign in
          until reactivated. Their conversations and messages stay.
        </Confirm>
      )}
      {confirm?.kind === 'reactivate' && (
        <Confirm title={`Reactivate ${confirm.name}?`} action="Reactivate" onClose={() => setConfirm(null)}
          onConfirm={async () => replace(await data.reactivate(confirm.id))}>
          They can sign in again with their old password, with the role shown here. API tokens they had stay revoked.
        </Confirm>
      )}
      {confirm?.kind === 'revoke' && (
        <Confirm title={`Revoke the invitation for ${confirm.name}?`} action="Revoke" danger onClose={() => setConfirm(null)}
          onConfirm={async () => { await data.revokeInvite(confirm.id); setPending((all) => all.filter((x) => x.id !== confirm.id)); }}>
          The link stops working. You can invite them again later.
        </Confirm>
      )}
    </>
  );
}

function InviteForm({ myRole, onInvited }: { myRole: Role; onInvited: (invite: Invite) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [sent, setSent] = useState<Invite | null>(null);
  const { busy, error, run } = useRequest();
  const submit = async (e: Event) => {
    e.preventDefault();
    const invite = await run(() => data.invite(email.trim(), name.trim(), role));
    if (!invite) return;
    setSent(invite);
    onInvited(invite);
    setEmail('');
    setName('');
  };
  return (
    <section class="settings-block" aria-labelledby="invite-title">
      <h3 id="invite-title">Invite a teammate</h3>
      <form class="inline-form" onSubmit={(e) => void submit(e)} data-testid="invite-form">
        <label>Email<input type="email" required value={email} onInput={input(setEmail)} data-testid="invite-email" placeholder="name@company.com" /></label>
        <label>Name<input required value={name} onInput={input(setName)} data-testid="invite-name" placeholder="Their name" /></label>
        <label>Role
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)} data-testid="invite-role">
            {data.ROLES.filter((r) => data.mayManage(myRole, r)).map((r) => <option key={r} value={r}>{data.ROLE_LABELS[r]}</option>)}
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy} data-testid="invite-submit">{busy ? 'Inviting…' : 'Create invite link'}</button>
      </form>
      <ErrorLine error={error} testid="invite-error" />
      {sent?.url && (
        <div class="once" role="status" data-testid="invite-created">
          <p><strong>Invitation for {sent.email} ({data.ROLE_LABELS[sent.role]}).</strong> Send them this link — it is shown only now,
            works once, and expires {when(sent.expires_at)}.</p>
          <CopyField label="Invitation link" value={`${location.origin}${sent.url}`} testid="invite-link" />
        </div>
      )}
    </section>
  );
}
