// Styles of the loader's elements. The container in the host DOM carries its layout as inline
// `!important` declarations after `all: initial`, so no host rule can move, hide or restyle it;
// everything else lives in its shadow root, out of reach of host CSS.

/** Inline styles of the container element in the host DOM. */
export const CONTAINER_STYLE: Array<[string, string]> = [
  ['all', 'initial'],
  ['position', 'fixed'],
  ['z-index', '2147483000'],
  ['top', '0'],
  ['left', '0'],
  ['width', '0'],
  ['height', '0'],
  ['overflow', 'visible'],
  ['display', 'block'],
  ['visibility', 'visible'],
  ['opacity', '1'],
  ['transform', 'none'],
  ['pointer-events', 'none'],
];

/** The stylesheet inside the shadow root. */
export const SHADOW_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.frame {
  all: initial; position: fixed; z-index: 2147483001; bottom: 84px; right: 20px;
  width: 400px; height: min(704px, calc(100% - 104px)); max-height: 704px;
  border-radius: 16px; overflow: hidden; background: #fff;
  box-shadow: 0 5px 40px rgba(0,0,0,.16); pointer-events: auto;
  opacity: 0; visibility: hidden; transform: translateY(12px);
  transition: opacity .18s ease, transform .18s ease, visibility 0s linear .18s;
}
.frame.open { opacity: 1; visibility: visible; transform: none; transition: opacity .18s ease, transform .18s ease; }
.frame iframe { all: initial; display: block; width: 100%; height: 100%; border: 0; }
.left .frame, .left.launcher { right: auto; left: 20px; }
.launcher {
  all: initial; position: fixed; z-index: 2147483002; bottom: 20px; right: 20px;
  width: 48px; height: 48px; border-radius: 50%; cursor: pointer; pointer-events: auto;
  background: var(--rapport-color, #0057ff); box-shadow: 0 1px 6px rgba(0,0,0,.06), 0 2px 32px rgba(0,0,0,.16);
  display: flex; align-items: center; justify-content: center; transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.08); }
.launcher:focus-visible { outline: 3px solid rgba(0,0,0,.35); outline-offset: 2px; }
.launcher svg { width: 26px; height: 26px; fill: #fff; display: block; }
.launcher .close { display: none; }
.launcher.open .chat { display: none; }
.launcher.open .close { display: block; }
.launcher.hidden { display: none; }
.badge {
  all: initial; position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 6px;
  border-radius: 10px; background: #e5484d; color: #fff; font: 600 12px/20px system-ui, sans-serif;
  text-align: center; box-sizing: border-box;
}
.badge[hidden] { display: none; }
@media (max-width: 450px) {
  .frame { top: 0; left: 0; right: 0; bottom: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; }
  .launcher.open { display: none; }
}
`;

/** The launcher's two icons: a chat bubble, and a chevron to close. */
export const LAUNCHER_ICONS =
  '<svg class="chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.6c0 2.5 1.3 4.8 3.4 6.4L4.6 21.4l4-2.1c1.1.3 2.2.4 3.4.4 5.5 0 10-3.9 10-8.6S17.5 3 12 3z"/></svg>' +
  '<svg class="close" viewBox="0 0 24 24" aria-hidden="true"><path d="M5.3 8.3a1 1 0 0 1 1.4 0L12 13.6l5.3-5.3a1 1 0 1 1 1.4 1.4l-6 6a1 1 0 0 1-1.4 0l-6-6a1 1 0 0 1 0-1.4z"/></svg>';
