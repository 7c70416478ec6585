// The loader's elements on the host page: one container (`#rapport-container`) whose open shadow
// root holds the launcher button (data-testid `rapport-launcher`) and the messenger iframe.
import { CONTAINER_STYLE, LAUNCHER_ICONS, SHADOW_CSS } from './styles';

/** Handles on the messenger's elements. */
export interface MessengerDom {
  iframe: HTMLIFrameElement;
  setOpen(open: boolean): void;
  setUnread(count: number): void;
  setColor(color: string): void;
  remove(): void;
}

/** Options for {@link createMessengerDom}. */
export interface DomOptions {
  frameUrl: string;
  hideLauncher: boolean;
  alignLeft: boolean;
  onLauncherClick(): void;
}

const COLOR = /^#[0-9a-fA-F]{3,8}$/;

function setImportant(element: HTMLElement, styles: Array<[string, string]>): void {
  for (const [property, value] of styles) element.style.setProperty(property, value, 'important');
}

/** Creates the container, launcher and iframe and appends them to `document.body`. */
export function createMessengerDom(options: DomOptions): MessengerDom {
  const container = document.createElement('div');
  container.id = 'rapport-container';
  setImportant(container, CONTAINER_STYLE);
  const root = container.attachShadow({ mode: 'open' });

  const style = document.createElement('style');
  style.textContent = SHADOW_CSS;

  const wrapper = document.createElement('div');
  if (options.alignLeft) wrapper.className = 'left';

  const frame = document.createElement('div');
  frame.className = 'frame';
  const iframe = document.createElement('iframe');
  iframe.src = options.frameUrl;
  iframe.title = 'Messenger';
  iframe.name = 'rapport-messenger-frame';
  iframe.setAttribute('data-testid', 'rapport-frame');
  iframe.setAttribute('allow', 'clipboard-write');
  frame.appendChild(iframe);

  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = options.hideLauncher ? 'launcher hidden' : 'launcher';
  if (options.alignLeft) launcher.classList.add('left');
  launcher.setAttribute('data-testid', 'rapport-launcher');
  launcher.setAttribute('data-open', 'false');
  launcher.setAttribute('aria-label', 'Open the messenger');
  launcher.innerHTML = LAUNCHER_ICONS;
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('data-testid', 'rapport-unread-badge');
  launcher.appendChild(badge);
  launcher.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    options.onLauncherClick();
  });

  wrapper.append(frame, launcher);
  root.append(style, wrapper);
  document.body.appendChild(container);

  return {
    iframe,
    setOpen(open) {
      frame.classList.toggle('open', open);
      launcher.classList.toggle('open', open);
      launcher.setAttribute('aria-label', open ? 'Close the messenger' : 'Open the messenger');
      launcher.setAttribute('data-open', String(open));
    },
    setUnread(count) {
      badge.hidden = count <= 0;
      badge.textContent = count > 99 ? '99+' : String(count);
      launcher.setAttribute('data-unread', String(count));
    },
    setColor(color) {
      if (COLOR.test(color)) wrapper.style.setProperty('--rapport-color', color);
    },
    remove() {
      container.remove();
    },
  };
}
