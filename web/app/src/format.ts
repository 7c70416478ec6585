// Small display helpers.
export function plain(html: string | null | undefined): string {
  if (!html) return '';
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return (doc.body.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function initials(name: string | null | undefined): string {
  const words = (name ?? '?').trim().split(/[\s@.]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '?') + (words[1]?.[0] ?? '')).toUpperCase();
}

export function ago(unix: number): string {
  const seconds = Math.max(0, Date.now() / 1000 - unix);
  if (seconds < 60) return 'now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 86400 * 30) return `${Math.floor(seconds / 86400)}d`;
  return DAY.format(new Date(unix * 1000));
}

// One formatter each, made once: `toLocaleString` with options builds a new one per call, which
// cost ~0.13 ms a call — 70 ms for a 500-part timeline.
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const MOMENT = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function when(unix: number): string {
  return MOMENT.format(new Date(unix * 1000));
}
