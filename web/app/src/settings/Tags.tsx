// Tags: the workspace's tags; create and delete (a tag still applied to something is refused by
// the server, and the dialog says so).
import { useEffect, useState } from 'preact/hooks';
import type { Admin, Tag } from '../api';
import * as data from './data';
import { Confirm, ErrorLine, Header, ReadOnly, input, useRequest } from './ui';

export function Tags({ me }: { me: Admin }) {
  const readOnly = data.canWrite(data.roleOf(me)) ? null : data.writeReason;
  const [tags, setTags] = useState<Tag[] | null>(null);
  const [name, setName] = useState('');
  const [doomed, setDoomed] = useState<Tag | null>(null);
  const [filter, setFilter] = useState('');
  const load = useRequest();
  const create = useRequest();
  // A tag created while the list was still loading stays: the list fetched may predate it.
  useEffect(() => {
    void load.run(async () => {
      const fetched = await data.tags();
      setTags((created) => [...fetched, ...(created ?? []).filter((t) => !fetched.some((f) => f.id === t.id))]);
    });
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const tag = await create.run(() => data.createTag(name.trim()));
    if (!tag) return;
    setTags((all) => [...(all ?? []).filter((t) => t.id !== tag.id), tag].sort((a, b) => a.name.localeCompare(b.name)));
    setName('');
  };
  const q = filter.trim().toLowerCase();
  const shown = (tags ?? []).filter((t) => !q || t.name.toLowerCase().includes(q)).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <>
      <Header title="Tags">Label conversations, contacts and companies to find and report on them.</Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      <div class="toolbar">
        {!readOnly && (
          <form class="inline-form" onSubmit={(e) => void submit(e)} data-testid="tag-create-form">
            <label>New tag<input required value={name} onInput={input(setName)} placeholder="e.g. refund" data-testid="tag-create-name" /></label>
            <button type="submit" class="primary" disabled={create.busy} data-testid="tag-create">Create tag</button>
          </form>
        )}
        <label class="search-field">Filter<input type="search" value={filter} onInput={input(setFilter)} placeholder="Filter tags" /></label>
      </div>
      <ErrorLine error={create.error} />
      <ul class="tag-grid" data-testid="tags">
        {shown.map((t) => (
          <li key={t.id} class="tag-item" data-testid="tag-row" data-name={t.name}>
            <span class="pill tag">{t.name}</span>
            <button type="button" class="danger-link" disabled={!!readOnly} title={readOnly ?? undefined} aria-label={`Delete tag ${t.name}`}
              onClick={() => setDoomed(t)} data-testid="tag-delete">Delete</button>
          </li>
        ))}
      </ul>
      {tags !== null && shown.length === 0 && <p class="muted">{q ? 'No tag matches.' : 'No tags yet.'}</p>}
      {doomed && (
        <Confirm title={`Delete the tag “${doomed.name}”?`} action="Delete tag" danger onClose={() => setDoomed(null)}
          onConfirm={async () => { await data.deleteTag(doomed.id); setTags((all) => (all ?? []).filter((t) => t.id !== doomed.id)); }}>
          A tag still applied to a conversation, contact or company cannot be deleted: remove it from them first.
        </Confirm>
      )}
    </>
  );
}
