// The customer context panel: who they are, their company, where they wrote from, attributes
// (editable), tags, notes, recent events and previous conversations.
import { useEffect, useState } from 'preact/hooks';
import * as api from './api';
import type { Company, Contact, Conversation, Tag } from './api';
import { ago, plain } from './format';

interface Loaded {
  contact: Contact; companies: Company[]; notes: { id: string; body: string; created_at: number }[];
  events: { event_name: string; created_at: number }[]; tags: Tag[]; previous: Conversation[];
}

async function optional<T>(promise: Promise<T>, fallback: T): Promise<T> {
  try { return await promise; } catch { return fallback; }
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function ContextPanel({ conversation, onOpen }: { conversation: Conversation; onOpen: (id: string) => void }) {
  const contactId = conversation.contacts.contacts[0]?.id;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState('');
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!contactId) return;
    let cancelled = false;
    setLoaded(null);
    (async () => {
      const [contact, companies, notes, events, tags, previous] = await Promise.all([
        api.contact(contactId),
        optional(api.contactCompanies(contactId).then((r) => r.data ?? r.companies ?? []), [] as Company[]),
        optional(api.contactNotes(contactId), []),
        optional(api.contactEvents(contactId), []),
        optional(api.contactTags(contactId), [] as Tag[]),
        optional(api.searchConversations([{ field: 'contact_ids', operator: '=', value: contactId }], { field: 'updated_at', order: 'desc' }, undefined, 6).then((p) => p.data), [] as Conversation[]),
      ]);
      if (!cancelled) setLoaded({ contact, companies, notes, events: events.slice(0, 10), tags, previous: previous.filter((c) => c.id !== conversation.id).slice(0, 5) });
    })().catch((e: unknown) => { if (!cancelled) setError(e instanceof Error ? e.message : String(e)); });
    return () => { cancelled = true; };
  }, [contactId, conversation.id]);

  const save = async (key: string, raw: string) => {
    if (!loaded) return;
    const trimmed = raw.trim();
    const parsed: unknown = trimmed === '' ? null : /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed === 'true' ? true : trimmed === 'false' ? false : trimmed;
    try {
      const contact = await api.updateContact(loaded.contact.id, { [key]: parsed });
      setLoaded({ ...loaded, contact });
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    setEditing(null);
    setAdding(false);
  };

  if (!contactId) return <aside class="context" data-testid="context-panel" aria-label="Customer">No contact</aside>;
  if (!loaded) return <aside class="context" data-testid="context-panel" aria-label="Customer"><p class="loading">{error ?? 'Loading…'}</p></aside>;
  const { contact, companies } = loaded;
  const place = [contact.location?.city, contact.location?.region, contact.location?.country].filter(Boolean).join(', ');
  const attributes = Object.entries(contact.custom_attributes ?? {});
  const company = companies[0];
  return (
    <aside class="context" data-testid="context-panel" aria-label="Customer">
      <section class="card who">
        <h2 data-testid="contact-name">{contact.name || contact.email || 'Anonymous visitor'}</h2>
        <p class="sub">{contact.role === 'lead' ? 'Lead' : 'User'}{contact.last_seen_at ? ` · seen ${ago(contact.last_seen_at)} ago` : ''}</p>
        <dl class="facts">
          <dt>Email</dt><dd>{contact.email ?? '—'}</dd>
          {contact.phone && [<dt key="pt">Phone</dt>, <dd key="pd">{contact.phone}</dd>]}
          {(contact.identities?.data ?? []).length > 0 && [
            <dt key="it">Also known as</dt>,
            <dd key="id" data-testid="contact-identities">
              {(contact.identities?.data ?? []).map((i) => (
                <span key={i.id} class="identity" title={i.verified ? `verified ${i.identity_type}` : `unverified ${i.identity_type}`}>
                  {i.value}{i.verified ? '' : ' (unverified)'}
                </span>
              ))}
            </dd>,
          ]}
          {contact.claimed_identity && [
            <dt key="ct">Claims to be</dt>,
            <dd key="cd" class="claim" data-testid="contact-claim"
              title="Said in the messenger without user_hash or user_jwt: not verified. Merge this lead into the user if it is them.">
              {[contact.claimed_identity.user_id, contact.claimed_identity.email].filter(Boolean).join(' · ')} (unverified)
            </dd>,
          ]}
          <dt>Location</dt><dd>{place || '—'}</dd>
          <dt>Wrote from</dt><dd class="url">{conversation.source.url ?? '—'}</dd>
        </dl>
      </section>
      <section class="card">
        <h3>Company</h3>
        {company ? (
          <dl class="facts" data-testid="company">
            <dt>Name</dt><dd>{company.name}</dd>
            <dt>Plan</dt><dd>{company.plan?.name ?? show(company.custom_attributes?.plan)}</dd>
            <dt>Spend</dt><dd>{company.monthly_spend !== undefined ? `$${company.monthly_spend}/mo` : '—'}</dd>
          </dl>
        ) : <p class="muted">No company</p>}
      </section>
      <section class="card">
        <h3>Attributes</h3>
        <dl class="facts attrs" data-testid="attributes">
          {attributes.map(([key, v]) => [
            <dt key={`k${key}`}>{key}</dt>,
            <dd key={`v${key}`}>
              {editing === key ? (
                <input aria-label={`Edit ${key}`} value={value} autoFocus onInput={(e) => setValue((e.target as HTMLInputElement).value)}
                  onKeyDown={(e) => { if (e.key === 'Enter') void save(key, value); if (e.key === 'Escape') setEditing(null); e.stopPropagation(); }}
                  onBlur={() => setEditing(null)} />
              ) : (
                <button class="editable" aria-label={`${key}: ${show(v)} (edit)`} onClick={() => { setEditing(key); setValue(v === null || v === undefined ? '' : String(v)); }}>{show(v)}</button>
              )}
            </dd>,
          ])}
        </dl>
        {adding ? (
          <form class="add-attr" onSubmit={(e) => { e.preventDefault(); const f = new FormData(e.target as HTMLFormElement); void save(String(f.get('key')), String(f.get('value'))); }}>
            <input name="key" aria-label="Attribute name" placeholder="name" onKeyDown={(e) => e.stopPropagation()} />
            <input name="value" aria-label="Attribute value" placeholder="value" onKeyDown={(e) => e.stopPropagation()} />
            <button type="submit">Save</button>
          </form>
        ) : <button class="link" onClick={() => setAdding(true)}>+ Add attribute</button>}
        {error && <p class="error" role="alert">{error}</p>}
      </section>
      {loaded.tags.length > 0 && (
        <section class="card"><h3>Tags</h3><div class="tags">{loaded.tags.map((t) => <span key={t.id} class="pill tag">{t.name}</span>)}</div></section>
      )}
      <section class="card">
        <h3>Notes</h3>
        {loaded.notes.length ? <ul class="notes">{loaded.notes.slice(0, 3).map((n) => <li key={n.id}>{plain(n.body)}<time>{ago(n.created_at)}</time></li>)}</ul> : <p class="muted">No notes</p>}
      </section>
      <section class="card">
        <h3>Recent events</h3>
        {loaded.events.length ? <ul class="events">{loaded.events.map((e, i) => <li key={i}>{e.event_name}<time>{ago(e.created_at)}</time></li>)}</ul> : <p class="muted">No events</p>}
      </section>
      <section class="card">
        <h3>Previous conversations</h3>
        {loaded.previous.length ? (
          <ul class="previous" data-testid="previous-conversations">
            {loaded.previous.map((c) => (
              <li key={c.id}><button class="link" onClick={() => onOpen(c.id)}>{c.title || plain(c.source.body).slice(0, 60) || 'Conversation'}</button><time>{ago(c.updated_at)}</time></li>
            ))}
          </ul>
        ) : <p class="muted">None</p>}
      </section>
    </aside>
  );
}
