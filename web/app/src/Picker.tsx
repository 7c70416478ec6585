// A filterable list in a dialog, driven by the keyboard: the assign, tag, snooze, saved-reply and
// command pickers and the ctrl/cmd+k palette are all this.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

export interface Choice { id: string; label: string; hint?: string; run: () => void }

interface Props { title: string; choices: Choice[]; onClose: () => void; testid: string; placeholder?: string; onQuery?: (q: string) => void; extra?: Choice[] }

export function Picker({ title, choices, onClose, testid, placeholder, onQuery, extra }: Props) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  // Before the first paint: a key pressed as soon as the picker shows must reach it.
  useLayoutEffect(() => input.current?.focus(), []);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const matching = q ? choices.filter((c) => c.label.toLowerCase().includes(q) || (c.hint ?? '').toLowerCase().includes(q)) : choices;
    return [...matching, ...(extra ?? [])].slice(0, 50);
  }, [query, choices, extra]);
  const choose = (choice: Choice | undefined) => {
    if (!choice) return;
    onClose();
    choice.run();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => Math.min(a + 1, shown.length - 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
    else if (e.key === 'Enter') { e.preventDefault(); choose(shown[active]); }
    e.stopPropagation();
  };
  return (
    <div class="overlay" onClick={onClose}>
      <div class="picker" role="dialog" aria-modal="true" aria-label={title} data-testid={testid} onClick={(e) => e.stopPropagation()}>
        <input
          ref={input} class="picker-input" value={query} placeholder={placeholder ?? `${title}…`} aria-label={title}
          onInput={(e) => { const q = (e.target as HTMLInputElement).value; setQuery(q); setActive(0); onQuery?.(q); }}
          onKeyDown={onKey}
        />
        <ul class="picker-list" role="listbox" aria-label={title}>
          {shown.map((choice, i) => (
            <li
              key={choice.id} role="option" aria-selected={i === active} class={i === active ? 'active' : ''}
              onMouseEnter={() => setActive(i)} onClick={() => choose(choice)}
            >
              <span>{choice.label}</span>{choice.hint && <span class="hint">{choice.hint}</span>}
            </li>
          ))}
          {shown.length === 0 && <li class="empty">Nothing matches</li>}
        </ul>
      </div>
    </div>
  );
}

export const SHORTCUTS: [string, string][] = [
  ['j / ↓', 'Next conversation'], ['k / ↑', 'Previous conversation'], ['Enter', 'Open the selected conversation'],
  ['r', 'Reply'], ['n', 'Write a note'], ['a', 'Assign'], ['t', 'Tag the conversation'], ['Shift + T', "Tag the customer's last message"],
  ['z', 'Snooze'], ['p', 'Priority (toggle)'], ['Shift + C', 'Close (or reopen)'],
  ['x', 'Select for bulk actions'], ['Shift + X', 'Select every loaded conversation'], ['Shift/Ctrl + click', 'Select a range / toggle'],
  ['Ctrl/⌘ + Enter', 'Send'], ['@ (in a note)', 'Mention a teammate'], ['#  or Ctrl + /', 'Insert a saved reply'], ['Esc', 'Leave the composer / close'],
  ['/', 'Search'], ['g then s', 'Settings'], ['Ctrl/⌘ + K', 'Command palette'], ['?', 'This sheet'],
];

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  useEffect(() => {
    const close = (e: KeyboardEvent) => { if (e.key === 'Escape' || e.key === '?') { e.preventDefault(); onClose(); } };
    window.addEventListener('keydown', close, true);
    return () => window.removeEventListener('keydown', close, true);
  }, [onClose]);
  return (
    <div class="overlay" onClick={onClose}>
      <div class="sheet" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="shortcut-sheet">
        <h2>Keyboard shortcuts</h2>
        <dl>{SHORTCUTS.map(([keys, what]) => [<dt key={`k${keys}`}><kbd>{keys}</kbd></dt>, <dd key={`d${keys}`}>{what}</dd>])}</dl>
      </div>
    </div>
  );
}
