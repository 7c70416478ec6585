// Saved replies: the list, and an editor whose preview is rendered by the server's template
// engine (POST /saved_replies/preview) against the newest open conversation, as you type.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Admin, SavedReply } from '../api';
import * as data from './data';
import { Confirm, ErrorLine, Header, ReadOnly, input, message, useRequest } from './ui';

const VARIABLES = ['contact.first_name', 'contact.name', 'contact.email', 'company.name', 'admin.first_name', 'conversation.id'];

export function SavedReplies({ me }: { me: Admin }) {
  const readOnly = data.canWrite(data.roleOf(me)) ? null : data.writeReason;
  const [replies, setReplies] = useState<SavedReply[] | null>(null);
  const [editing, setEditing] = useState<SavedReply | 'new' | null>(null);
  const [sample, setSample] = useState<{ id: string; label: string } | null>(null);
  const load = useRequest();
  useEffect(() => {
    void load.run(async () => {
      const [list, conversation] = await Promise.all([data.savedReplies(), data.sampleConversation().catch(() => null)]);
      setReplies(list);
      setSample(conversation);
      setEditing((chosen) => chosen ?? list[0] ?? null); // unless one was chosen (or New) meanwhile
    });
  }, []);
  const saved = (reply: SavedReply) => {
    setReplies((all) => [...(all ?? []).filter((r) => r.id !== reply.id), reply].sort((a, b) => a.name.localeCompare(b.name)));
    setEditing(reply);
  };
  const current = editing === 'new' ? null : editing;
  return (
    <>
      <Header title="Saved replies">Answers you give often. Variables such as <code>{'{{contact.first_name}}'}</code> are filled in for each conversation.</Header>
      <ReadOnly reason={readOnly} />
      <ErrorLine error={load.error} />
      <div class="split">
        <div class="split-list">
          {!readOnly && <button type="button" class="primary wide" onClick={() => setEditing('new')} data-testid="saved-reply-new">New saved reply</button>}
          <ul class="pick-list" data-testid="saved-replies" aria-label="Saved replies">
            {(replies ?? []).map((r) => (
              <li key={r.id}>
                <button type="button" class={current?.id === r.id ? 'on' : ''} aria-current={current?.id === r.id ? 'true' : undefined}
                  onClick={() => setEditing(r)} data-testid="saved-reply-item">{r.name}</button>
              </li>
            ))}
          </ul>
          {replies?.length === 0 && <p class="muted">None yet.</p>}
        </div>
        {editing && (
          <Editor key={current?.id ?? 'new'} reply={current} sample={sample} readOnly={readOnly} onSaved={saved}
            onDeleted={(id) => { setReplies((all) => (all ?? []).filter((r) => r.id !== id)); setEditing(null); }} />
        )}
      </div>
    </>
  );
}

function Editor({ reply, sample, readOnly, onSaved, onDeleted }: {
  reply: SavedReply | null; sample: { id: string; label: string } | null; readOnly: string | null;
  onSaved: (r: SavedReply) => void; onDeleted: (id: string) => void;
}) {
  const [name, setName] = useState(reply?.name ?? '');
  const [body, setBody] = useState(reply?.body ?? '');
  const [preview, setPreview] = useState<{ text: string | null; error: string | null }>({ text: null, error: null });
  const [confirm, setConfirm] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const save = useRequest();
  const dirty = !reply || name !== reply.name || body !== reply.body;
  useEffect(() => save.setError(null), [name, body]);

  // The preview follows the text, 250 ms after the last keystroke; a stale answer is dropped.
  useEffect(() => {
    if (!sample || !body.trim()) { setPreview({ text: null, error: null }); return; }
    let current = true;
    const timer = window.setTimeout(() => {
      data.previewSavedReply(body, sample.id).then(
        (text) => { if (current) setPreview({ text, error: null }); },
        (e: unknown) => { if (current) setPreview({ text: null, error: message(e) }); },
      );
    }, 250);
    return () => { current = false; window.clearTimeout(timer); };
  }, [body, sample?.id]);

  const insert = (variable: string) => {
    const el = textarea.current;
    const token = `{{${variable}}}`;
    const [from, to] = el ? [el.selectionStart, el.selectionEnd] : [body.length, body.length];
    setBody(body.slice(0, from) + token + body.slice(to));
    window.requestAnimationFrame(() => { el?.focus(); el?.setSelectionRange(from + token.length, from + token.length); });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const result = await save.run(() => (reply ? data.updateSavedReply(reply.id, name.trim(), body) : data.createSavedReply(name.trim(), body)));
    if (result) onSaved(result);
  };
  return (
    <section class="split-main" aria-label={reply ? `Edit ${reply.name}` : 'New saved reply'}>
      <form class="stack-form" onSubmit={(e) => void submit(e)} data-testid="saved-reply-form">
        <fieldset disabled={!!readOnly}>
          <label>Name<input required maxLength={200} value={name} onInput={input(setName)} placeholder="e.g. Refund on its way" data-testid="saved-reply-name" /></label>
          <label>Reply
            <textarea ref={textarea} required rows={7} value={body} onInput={input(setBody)} data-testid="saved-reply-body"
              placeholder={'Hi {{contact.first_name | fallback: "there"}}, …'} />
          </label>
          <div class="variables" role="group" aria-label="Insert a variable">
            <span class="muted">Insert:</span>
            {VARIABLES.map((v) => <button type="button" key={v} class="chip-button" onClick={() => insert(v)}>{v}</button>)}
          </div>
          <ErrorLine error={save.error} testid="saved-reply-error" />
          <div class="form-actions">
            <button type="submit" class="primary" disabled={!dirty || save.busy} data-testid="saved-reply-save">{save.busy ? 'Saving…' : reply ? 'Save changes' : 'Create saved reply'}</button>
            {reply && <button type="button" class="danger-link" onClick={() => setConfirm(true)} data-testid="saved-reply-delete">Delete</button>}
          </div>
        </fieldset>
      </form>
      <div class="preview" aria-live="polite" data-testid="saved-reply-preview-box">
        <h4>Preview{sample && <span class="muted"> · as it would read in {sample.label}</span>}</h4>
        {!sample && <p class="muted">Preview appears once the workspace has an open conversation.</p>}
        {preview.error && <p class="error" data-testid="saved-reply-preview-error">{preview.error}</p>}
        {preview.text !== null && <div class="preview-text" data-testid="saved-reply-preview">{preview.text}</div>}
      </div>
      {confirm && reply && (
        <Confirm title={`Delete “${reply.name}”?`} action="Delete" danger onClose={() => setConfirm(false)}
          onConfirm={async () => { await data.deleteSavedReply(reply.id); onDeleted(reply.id); }}>
          Teammates can no longer insert it. Messages already sent with it stay.
        </Confirm>
      )}
    </section>
  );
}
