// The composer: reply / note, @mention autocomplete in notes, and attachments (button, paste,
// drag-drop) uploaded at once with progress and removable before sending.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from './api';
import type { Admin, Extras } from './api';

type Mode = 'reply' | 'note';

interface Props {
  conversationId: string; me: Admin; admins: Admin[]; who: string;
  mode: Mode; onMode: (m: Mode) => void; draft: string; onDraft: (text: string) => void;
  /// Sends the draft with its extras; resolves whether it was stored (then the composer clears its files).
  onSend: (text: string, extras: Extras) => Promise<boolean>; sending: boolean; error: string | null;
  onSavedReplies: () => void; hasSavedReplies: boolean; onTyping: () => void;
  composerRef: { current: HTMLTextAreaElement | null };
}

interface Upload { key: number; name: string; progress: number; id?: string; error?: string; abort: () => void }

/// The `@query` being typed just before the caret, if any: where it starts and what it says.
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]{0,30})$/.exec(before);
  return match ? { start: caret - match[2].length - 1, query: match[2] } : null;
}

/// Teammates a mention can name: active, not me, whose name starts a word matching the query.
export function mentionable(admins: Admin[], me: Admin, query: string): Admin[] {
  const q = query.toLowerCase();
  return admins
    .filter((a) => a.active !== false && String(a.id) !== String(me.id))
    .filter((a) => !q || a.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)) || a.email.toLowerCase().startsWith(q))
    .slice(0, 8);
}

export function Composer(p: Props) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [mentioned, setMentioned] = useState<Admin[]>([]);
  const [popup, setPopup] = useState<{ start: number; query: string; active: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const nextKey = useRef(0);

  // A new conversation starts with an empty tray.
  useEffect(() => { setUploads([]); setMentioned([]); setPopup(null); }, [p.conversationId]);
  useEffect(() => { if (p.mode !== 'note') setPopup(null); }, [p.mode]);

  const candidates = popup ? mentionable(p.admins, p.me, popup.query) : [];

  const attach = (files: FileList | File[] | null) => {
    for (const file of Array.from(files ?? [])) {
      const key = nextKey.current++;
      const started = api.upload(file, (progress) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, progress } : u))));
      setUploads((all) => [...all, { key, name: file.name, progress: 0, abort: started.abort }]);
      started.done.then(
        (a) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, progress: 1, id: a.id } : u))),
        (e: unknown) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, error: e instanceof Error ? e.message : String(e) } : u))),
      );
    }
  };
  const remove = (u: Upload) => {
    if (u.id === undefined && !u.error) u.abort();
    setUploads((all) => all.filter((x) => x.key !== u.key));
  };

  const pending = uploads.some((u) => u.id === undefined && !u.error);
  const ready = uploads.filter((u) => u.id !== undefined);
  const canSend = !p.sending && !pending && (p.draft.trim() !== '' || ready.length > 0);

  const send = async () => {
    // The textarea's own value: a key pressed right after typing (ctrl+enter) can come before the
    // render that puts the last characters into `p.draft`.
    const text = p.composerRef.current?.value ?? p.draft;
    if (p.sending || pending || (text.trim() === '' && ready.length === 0)) return;
    const mentionedAdminIds = p.mode === 'note' ? mentioned.filter((a) => text.includes(`@${a.name}`)).map((a) => a.id) : [];
    const sent = await p.onSend(text, { attachmentIds: ready.map((u) => u.id as string), mentionedAdminIds });
    if (sent) { setUploads([]); setMentioned([]); }
  };

  const pick = (admin: Admin | undefined) => {
    const area = p.composerRef.current;
    if (!admin || !popup || !area) return;
    // The textarea's own value and caret, set here and now: keys typed right after the pick must
    // land after the name, not before it (a caret moved on the next frame put them in the middle).
    const current = area.value;
    const caret = area.selectionStart ?? current.length;
    const text = `${current.slice(0, popup.start)}@${admin.name} ${current.slice(caret)}`;
    const at = popup.start + admin.name.length + 2;
    area.value = text;
    area.setSelectionRange(at, at);
    area.focus();
    p.onDraft(text);
    setMentioned((all) => [...all.filter((a) => a.id !== admin.id), admin]);
    setPopup(null);
  };

  const onInput = (e: Event) => {
    const area = e.target as HTMLTextAreaElement;
    p.onDraft(area.value);
    p.onTyping();
    const found = p.mode === 'note' ? mentionAt(area.value, area.selectionStart ?? area.value.length) : null;
    setPopup(found ? { ...found, active: 0 } : null);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (popup && candidates.length > 0) {
      if (e.key === 'ArrowDown') { e.preventDefault(); setPopup({ ...popup, active: (popup.active + 1) % candidates.length }); return; }
      if (e.key === 'ArrowUp') { e.preventDefault(); setPopup({ ...popup, active: (popup.active + candidates.length - 1) % candidates.length }); return; }
      if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey) || e.key === 'Tab') { e.preventDefault(); pick(candidates[popup.active]); return; }
    }
    if (popup && e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setPopup(null); return; }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void send(); }
    else if ((e.key === '/' && e.ctrlKey) || (e.key === '#' && p.draft === '' && p.hasSavedReplies)) { e.preventDefault(); p.onSavedReplies(); }
    else if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
  };

  const onPaste = (e: ClipboardEvent) => {
    const files = e.clipboardData?.files;
    if (files && files.length > 0) { e.preventDefault(); attach(files); }
  };

  return (
    <form class={`composer ${p.mode} ${dragging ? 'dragging' : ''}`} data-testid="composer-form"
      onSubmit={(e) => { e.preventDefault(); void send(); }}
      onDragOver={(e) => { if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true); } }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => { e.preventDefault(); setDragging(false); attach(e.dataTransfer?.files ?? null); }}>
      <div class="composer-tabs" role="tablist" aria-label="Composer mode">
        <button type="button" role="tab" aria-selected={p.mode === 'reply'} class={p.mode === 'reply' ? 'on' : ''} onClick={() => p.onMode('reply')} data-testid="reply-toggle">Reply</button>
        <button type="button" role="tab" aria-selected={p.mode === 'note'} class={p.mode === 'note' ? 'on' : ''} onClick={() => p.onMode('note')} data-testid="note-toggle">Note</button>
        {p.hasSavedReplies && <button type="button" class="link saved" onClick={p.onSavedReplies} data-testid="saved-replies">Saved replies</button>}
      </div>
      {popup && candidates.length > 0 && (
        <ul class="mention-popup" role="listbox" aria-label="Mention a teammate" data-testid="mention-popup">
          {candidates.map((a, i) => (
            <li key={a.id} role="option" aria-selected={i === popup.active} class={i === popup.active ? 'active' : ''}
              onMouseDown={(e) => { e.preventDefault(); pick(a); }}>
              <strong>{a.name}</strong><span class="hint">{a.email}</span>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={(el) => { p.composerRef.current = el; }} data-testid="composer" rows={3} value={p.draft}
        aria-label={p.mode === 'note' ? 'Write an internal note' : `Reply to ${p.who}`}
        aria-autocomplete={p.mode === 'note' ? 'list' : undefined}
        placeholder={p.mode === 'note' ? 'Internal note — only teammates see this; @ to mention' : `Reply to ${p.who}…  (Ctrl+Enter to send)`}
        onInput={onInput} onKeyDown={onKeyDown} onPaste={onPaste}
        onBlur={() => setPopup(null)}
      />
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Attachments" data-testid="uploads">
          {uploads.map((u) => (
            <li key={u.key} class={`upload ${u.error ? 'failed' : u.id ? 'done' : ''}`} data-testid="upload">
              <span class="upload-name">{u.name}</span>
              {u.error
                ? <span class="error" role="alert">{u.error}</span>
                : u.id === undefined && <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
              <button type="button" class="x" aria-label={`Remove ${u.name}`} onClick={() => remove(u)}>×</button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-foot">
        <button type="button" class="link attach" data-testid="attach" title="Attach files (or paste / drop them)"
          onClick={() => fileInput.current?.click()}>Attach</button>
        <input ref={fileInput} type="file" multiple hidden data-testid="attach-input"
          onChange={(e) => { const input = e.target as HTMLInputElement; attach(input.files); input.value = ''; }} />
        {p.error && <span class="error" role="alert">{p.error}</span>}
        <button type="submit" class="primary" data-testid="send" disabled={!canSend}>
          {p.mode === 'note' ? 'Add note' : 'Send'}
        </button>
      </div>
    </form>
  );
}
