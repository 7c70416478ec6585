// widget.js: a drop-in for Intercom's on-page API. Replays the calls queued on the snippet's stub
// (`window.Intercom.q` / `window.Rapport.q`), boots from `window.intercomSettings` /
// `window.rapportSettings`, and drives the messenger iframe over postMessage. It defines no global
// besides `Intercom` and `Rapport`, and a failure here never throws into the host page.
import { envelope, unwrap, type FrameMessage, type HostMessage } from '../shared/bridge';
import { createMessengerDom, type MessengerDom } from './dom';
import {
  changesIdentity, mergeSettings, pageSettings, resolveApiBase, toBootSettings, toUpdateSettings, type RawSettings,
} from './settings';

type Listener = (value?: unknown) => void;
type Api = ((command?: unknown, ...args: unknown[]) => unknown) & { q?: unknown; booted?: boolean; rapport?: true };

const globals = window as unknown as { Intercom?: Api; Rapport?: Api };

function warn(...args: unknown[]): void {
  if (typeof console !== 'undefined') console.warn('[Rapport]', ...args);
}

function loaderScriptSrc(): string | null {
  const current = document.currentScript as HTMLScriptElement | null;
  if (current && current.src) return current.src;
  const scripts = document.getElementsByTagName('script');
  for (let i = scripts.length - 1; i >= 0; i--) {
    if (/\/widget(\.js|\/[^/?#]+)([?#].*)?$/.test(scripts[i].src)) return scripts[i].src;
  }
  return null;
}

function queuedCalls(stub: Api | undefined): unknown[][] {
  if (!stub || stub.rapport || !stub.q) return [];
  try {
    return Array.prototype.slice.call(stub.q).map((args: ArrayLike<unknown>) => Array.prototype.slice.call(args));
  } catch {
    return [];
  }
}

function install(): void {
  if (globals.Intercom?.rapport || globals.Rapport?.rapport) return; // loaded twice
  const scriptSrc = loaderScriptSrc();
  const listeners: Record<'show' | 'hide' | 'unread', Listener[]> = { show: [], hide: [], unread: [] };
  let settings: RawSettings = {};
  let dom: MessengerDom | null = null;
  let frameOrigin = '';
  let frameReady = false;
  let bootMessage: HostMessage | null = null;
  let queue: HostMessage[] = [];
  let shown = false;
  let visitorId: string | undefined;
  let unread = 0;
  let resetNextBoot = false;

  const emit = (kind: keyof typeof listeners, value?: unknown) => {
    for (const listener of listeners[kind]) {
      try {
        listener(value);
      } catch (error) {
        warn('a callback failed', error);
      }
    }
  };

  const post = (message: HostMessage) => {
    if (!dom) return;
    if (!frameReady || !dom.iframe.contentWindow) {
      queue.push(message);
      return;
    }
    dom.iframe.contentWindow.postMessage(envelope(message), frameOrigin);
  };

  const setUnread = (count: number) => {
    if (count === unread) return;
    unread = count;
    dom?.setUnread(count);
    emit('unread', count);
  };

  const setShown = (open: boolean) => {
    if (!dom || shown === open) return;
    shown = open;
    dom.setOpen(open);
    post({ type: 'visibility', shown: open });
    emit(open ? 'show' : 'hide');
  };

  const teardown = () => {
    dom?.remove();
    dom = null;
    frameReady = false;
    queue = [];
    shown = false;
    visitorId = undefined;
    setUnread(0);
  };

  const boot = (extra?: unknown) => {
    settings = mergeSettings(pageSettings(), extra);
    const base = resolveApiBase(settings.api_base, scriptSrc);
    const boot = toBootSettings(settings);
    if (!boot.app_id || !base) {
      warn(!base ? 'cannot tell where the Rapport server is: set api_base' : 'boot needs an app_id');
      return;
    }
    if (resetNextBoot) boot.reset = true;
    resetNextBoot = false;
    teardown();
    frameOrigin = base;
    bootMessage = { type: 'boot', settings: boot };
    const start = () => {
      dom = createMessengerDom({
        frameUrl: `${base}/messenger/frame?app_id=${encodeURIComponent(boot.app_id)}`,
        hideLauncher: settings.hide_default_launcher === true,
        alignLeft: settings.alignment === 'left',
        onLauncherClick: () => setShown(!shown),
      });
    };
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', start, { once: true });
  };

  const update = (extra?: unknown) => {
    if (!dom) return;
    const changes = mergeSettings(extra);
    const identityChanged = changesIdentity(settings, changes);
    settings = mergeSettings(settings, changes);
    if (identityChanged) {
      bootMessage = { type: 'boot', settings: toBootSettings(settings) };
      post(bootMessage);
    } else {
      post({ type: 'update', settings: toUpdateSettings(changes) });
    }
  };

  const shutdown = () => {
    if (dom && frameReady) post({ type: 'shutdown' });
    teardown();
    resetNextBoot = true;
  };

  window.addEventListener('message', (event: MessageEvent) => {
    if (!dom || event.source !== dom.iframe.contentWindow || event.origin !== frameOrigin) return;
    const message = unwrap<FrameMessage>(event.data);
    if (!message) return;
    switch (message.type) {
      case 'ready': {
        frameReady = true;
        const pending = queue.filter((m) => m.type !== 'boot');
        queue = [];
        if (bootMessage) post(bootMessage);
        if (shown) post({ type: 'visibility', shown });
        pending.forEach(post);
        break;
      }
      case 'booted':
        visitorId = message.visitorId;
        dom.setColor(message.color);
        setUnread(message.unreadCount);
        break;
      case 'unread':
        setUnread(message.count);
        break;
      case 'hide':
        setShown(false);
        break;
      case 'error':
        warn(message.code, message.message);
        break;
    }
  });

  const api: Api = (command?: unknown, ...args: unknown[]) => {
    try {
      switch (command) {
        case 'boot':
          return boot(args[0]);
        case 'update':
          return update(args[0]);
        case 'shutdown':
          return shutdown();
        case 'show':
        case 'showMessages':
        case 'showSpace':
          return setShown(true);
        case 'hide':
          return setShown(false);
        case 'showNewMessage':
          setShown(true);
          return post({ type: 'newMessage', text: typeof args[0] === 'string' ? args[0] : undefined });
        case 'trackEvent':
          if (typeof args[0] !== 'string' || !args[0]) return warn('trackEvent needs an event name');
          return post({ type: 'trackEvent', name: args[0], metadata: mergeSettings(args[1]) });
        case 'getVisitorId':
          return visitorId;
        case 'onShow':
        case 'onHide':
        case 'onUnreadCountChange':
          if (typeof args[0] === 'function') {
            const kind = command === 'onShow' ? 'show' : command === 'onHide' ? 'hide' : 'unread';
            listeners[kind].push(args[0] as Listener);
          }
          return;
        case 'reattach_activator':
          return;
        default:
          return warn('unknown command', command);
      }
    } catch (error) {
      warn('command failed', command, error);
    }
  };
  api.rapport = true;
  api.booted = true;

  const calls = [...queuedCalls(globals.Intercom), ...queuedCalls(globals.Rapport)];
  globals.Intercom = api;
  globals.Rapport = api;
  if (!calls.some((args) => args[0] === 'boot') && pageSettings().app_id) boot();
  for (const args of calls) api(...args);
}

try {
  install();
} catch (error) {
  warn('could not start', error);
}
