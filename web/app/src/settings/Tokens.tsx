// API tokens: create one with a name (its secret is shown once, with a copy button), list them
// with when they were created and last used, revoke one (the next call with it is 401).
import { useEffect, useState } from 'preact/hooks';
import type { Admin } from '../api';
import { when } from '../format';
import * as data from './data';
import type { Token, Teammate } from './data';
import { Confirm, CopyField, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';

export function Tokens({ me }: { me: Admin }) {
  const myRole = data.roleOf(me);
  const readOnly = data.canManage(myRole) ? null : data.manageReason(myRole);
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [people, setPeople] = useState<Teammate[]>([]);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState<Token | null>(null);
  const [doomed, setDoomed] = useState<Token | null>(null);
  const load = useRequest();
  const create = useRequest();
  useEffect(() => {
    if (readOnly) return;
    void load.run(async () => {
      const [t, p] = await Promise.all([data.tokens(), data.teammates()]);
      setTokens(t);
      setPeople(p);
    });
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = await create.run(() => data.createToken(name.trim()));
    if (!token) return;
    setFresh(token);
    setTokens((all) => [{ ...token, token: undefined }, ...(all ?? [])]);
    setName('');
  };
  const owner = (id: string) => people.find((p) => String(p.id) === String(id))?.name ?? `#${id}`;
  return (
    <>
      <Header title="API tokens">For your servers and scripts: a token acts as the teammate who created it, with their role.</Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      {!readOnly && (
        <>
          <section class="settings-block" aria-labelledby="new-token">
            <h3 id="new-token">New token</h3>
            <form class="inline-form" onSubmit={(e) => void submit(e)} data-testid="token-create-form">
              <label class="grow">Name<input required maxLength={200} value={name} onInput={input(setName)} placeholder="e.g. CRM sync" data-testid="token-name" /></label>
              <button type="submit" class="primary" disabled={create.busy} data-testid="token-create">Create token</button>
            </form>
            <ErrorLine error={create.error} />
            {fresh?.token && (
              <div class="once warn" role="status" data-testid="token-created">
                <p><strong>Copy the token “{fresh.name}” now.</strong> It is shown only this once — Rapport keeps only a hash.
                  Anyone with it can act as you; revoke it here if it leaks.</p>
                <CopyField label="New API token" value={fresh.token} testid="token-secret" />
                <button type="button" class="link" onClick={() => setFresh(null)}>I have stored it</button>
              </div>
            )}
          </section>
          <table class="settings-table" data-testid="tokens">
            <thead><tr><th scope="col">Name</th><th scope="col">Created by</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
            <tbody>
              {(tokens ?? []).map((t) => (
                <tr key={t.id} data-testid="token-row" data-name={t.name}>
                  <td><strong>{t.name}</strong></td>
                  <td>{owner(t.admin_id)}</td>
                  <td><time>{when(t.created_at)}</time></td>
                  <td>{t.last_used_at ? <time>{when(t.last_used_at)}</time> : <span class="muted">Never</span>}</td>
                  <td class="row-actions"><button type="button" class="danger-link" onClick={() => setDoomed(t)} data-testid="token-revoke">Revoke</button></td>
                </tr>
              ))}
            </tbody>
          </table>
          {tokens?.length === 0 && <p class="muted">No tokens yet.</p>}
        </>
      )}
      {doomed && (
        <Confirm title={`Revoke the token “${doomed.name}”?`} action="Revoke token" danger onClose={() => setDoomed(null)}
          onConfirm={async () => {
            await data.revokeToken(doomed.id);
            setTokens((all) => (all ?? []).filter((t) => t.id !== doomed.id));
            if (fresh?.id === doomed.id) setFresh(null);
          }}>
          Anything still using it gets 401 Unauthorized from its next request. This cannot be undone.
        </Confirm>
      )}
    </>
  );
}
