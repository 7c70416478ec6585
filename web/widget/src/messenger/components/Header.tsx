// The coloured header: workspace name, optional back button, close button.
import type { ComponentChildren } from 'preact';

export function Header(props: { title: string; onBack?: () => void; onClose(): void; children?: ComponentChildren }) {
  return (
    <header class="header">
      <div class="header-row">
        {props.onBack ? (
          <button class="icon-button" type="button" aria-label="Back" data-testid="rapport-back" onClick={props.onBack}>‹</button>
        ) : null}
        <h1>{props.title}</h1>
        <button class="icon-button" type="button" aria-label="Close" data-testid="rapport-close" onClick={props.onClose}>×</button>
      </div>
      {props.children}
    </header>
  );
}
