// In-app navigation between the inbox, the settings and the invite screen (History API), and
// screens loaded on first use as separate chunks so the inbox's initial load stays small.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Goes to `to` (an /app path) without reloading; listeners of `usePath` re-render. */
export function navigate(to: string): void {
  if (location.pathname + location.search !== to) history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** Props for an <a> that navigates in-app on a plain click (a modified click opens a tab as usual). */
export function linkTo(href: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href,
    onClick: (e: MouseEvent) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(href);
    },
  };
}

/** The current location's path, kept up to date on back/forward and `navigate`. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return path;
}

/** Renders a screen from a module loaded on first use (a separate chunk). */
export function Lazy<M>({ load, render }: { load: () => Promise<M>; render: (module: M) => JSX.Element }) {
  const [module, setModule] = useState<M | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let current = true;
    load().then((m) => { if (current) setModule(() => m); }, () => { if (current) setFailed(true); });
    return () => { current = false; };
  }, []);
  if (failed) return <main class="splash" role="alert">Could not load this screen — check the connection and reload.</main>;
  return module ? render(module) : <main class="splash" aria-busy="true">Loading…</main>;
}
