// Snooze presets (computed on the agent's clock) and the custom date-time dialog.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface Preset { label: string; hint: string; until: number }

function at(date: Date, hour: number): Date {
  const d = new Date(date);
  d.setHours(hour, 0, 0, 0);
  return d;
}

export function snoozePresets(now = new Date()): Preset[] {
  const fmt = (d: Date) => d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  const hour = new Date(now.getTime() + 3600_000);
  const later = new Date(now.getTime() + 4 * 3600_000);
  const tomorrow = at(new Date(now.getTime() + 86400_000), 9);
  const monday = at(new Date(now.getTime() + (((8 - now.getDay()) % 7 || 7) * 86400_000)), 9);
  const week = at(new Date(now.getTime() + 7 * 86400_000), 9);
  return [
    { label: 'In 1 hour', d: hour }, { label: 'Later today', d: later }, { label: 'Tomorrow', d: tomorrow },
    { label: 'Next Monday', d: monday }, { label: 'In a week', d: week },
  ].map(({ label, d }) => ({ label, hint: fmt(d), until: Math.floor(d.getTime() / 1000) }));
}

export function SnoozeCustom({ onClose, onPick }: { onClose: () => void; onPick: (until: number) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // Before the first paint: a key pressed as soon as the picker shows must reach it.
  useLayoutEffect(() => input.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    const when = new Date(value).getTime();
    if (!value || Number.isNaN(when) || when <= Date.now()) { setError('Pick a time in the future'); return; }
    onClose();
    onPick(Math.floor(when / 1000));
  };
  return (
    <div class="overlay" onClick={onClose}>
      <form class="picker custom" role="dialog" aria-modal="true" aria-label="Snooze until" onSubmit={submit} onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => { if (e.key === 'Escape') onClose(); e.stopPropagation(); }}>
        <label>Snooze until<input ref={input} type="datetime-local" value={value} data-testid="snooze-custom" onInput={(e) => setValue((e.target as HTMLInputElement).value)} /></label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary">Snooze</button>
      </form>
    </div>
  );
}
