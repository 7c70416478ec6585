// Building blocks shared by the settings screens: a request runner that keeps the server's error
// for display, an inline error line, a confirmation dialog and a copy-to-clipboard field.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs a request: `busy` while it runs, `error` holds the server's message when it fails. */
export function useRequest() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async <T,>(request: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await request();
    } catch (e) {
      setError(message(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export function ErrorLine({ error, testid }: { error: string | null; testid?: string }) {
  return error ? <p class="error" role="alert" data-testid={testid ?? 'settings-error'}>{error}</p> : null;
}

export function Header({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="settings-head">
      <h2>{title}</h2>
      {children && <p class="muted">{children}</p>}
    </header>
  );
}

/** Why the controls below are read-only, when they are. */
export function ReadOnly({ reason }: { reason: string | null }) {
  return reason ? <p class="readonly" data-testid="read-only">{reason}. You can look, not change.</p> : null;
}

interface ConfirmProps {
  title: string; children: ComponentChildren; action: string; danger?: boolean;
  onConfirm: () => Promise<unknown>; onClose: () => void;
}

/** Asks before a consequential change; the change's error shows in the dialog, which then stays open. */
export function Confirm({ title, children, action, danger, onConfirm, onClose }: ConfirmProps) {
  const { busy, error, run } = useRequest();
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  useLayoutEffect(() => cancel.current?.focus(), []);
  useEffect(() => () => { if (opener.current instanceof HTMLElement) opener.current.focus(); }, []);
  const confirm = async () => {
    let ok = false;
    await run(async () => { await onConfirm(); ok = true; });
    if (ok) onClose();
  };
  // Esc closes; Tab stays within the dialog.
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
    if (e.key === 'Tab') {
      const buttons = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>('button:not(:disabled)')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const next = buttons[(at + (e.shiftKey ? buttons.length - 1 : 1)) % buttons.length];
      if (next) { e.preventDefault(); next.focus(); }
    }
    e.stopPropagation();
  };
  return (
    <div class="overlay" onClick={onClose}>
      <div class="confirm" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-body"
        data-testid="confirm" onClick={(e) => e.stopPropagation()} onKeyDown={onKey}>
        <h2 id="confirm-title">{title}</h2>
        <div id="confirm-body" class="muted">{children}</div>
        <ErrorLine error={error} testid="confirm-error" />
        <div class="confirm-actions">
          <button ref={cancel} type="button" onClick={onClose}>Cancel</button>
          <button type="button" class={danger ? 'danger' : 'primary'} disabled={busy} onClick={() => void confirm()} data-testid="confirm-ok">
            {busy ? 'Working…' : action}
          </button>
        </div>
      </div>
    </div>
  );
}

/** A read-only value with a Copy button (a secret shown once, a link to hand over). */
export function CopyField({ label, value, testid }: { label: string; value: string; testid: string }) {
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // No clipboard permission (plain http, older browsers): select it for ctrl+c instead.
      input.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div class="copy-field">
      <input ref={input} readOnly value={value} aria-label={label} data-testid={testid} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <button type="button" onClick={() => void copy()} data-testid={`${testid}-copy`}>{copied ? 'Copied ✓' : 'Copy'}</button>
    </div>
  );
}

export const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
