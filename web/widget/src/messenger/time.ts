// Timestamps as people read them: "Just now", "5m", "3h", "Tue", "12 Mar".

/** A short, relative label for a unix time (seconds). */
export function shortTime(unixSeconds: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor(now / 1000) - unixSeconds);
  if (seconds < 60) return 'Just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  const date = new Date(unixSeconds * 1000);
  if (seconds < 7 * 86_400) return date.toLocaleDateString(undefined, { weekday: 'short' });
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** The full date and time, for tooltips. */
export function fullTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString();
}
