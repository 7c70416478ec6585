// Message bodies are HTML from the server; only a small, inert subset of it is rendered.

const ALLOWED = new Set([
  'P', 'BR', 'B', 'STRONG', 'I', 'EM', 'U', 'S', 'A', 'UL', 'OL', 'LI', 'CODE', 'PRE', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'SPAN', 'DIV', 'IMG',
]);
const DROPPED = new Set(['SCRIPT', 'STYLE', 'IFRAME', 'OBJECT', 'EMBED', 'TEMPLATE', 'SVG', 'MATH', 'NOSCRIPT', 'FORM', 'INPUT', 'TEXTAREA', 'SELECT', 'BUTTON', 'LINK', 'META']);
const SAFE_URL = /^(https?:|mailto:|\/(?!\/))/i;

function clean(node: Element): void {
  for (const child of Array.from(node.children)) {
    if (DROPPED.has(child.tagName)) {
      child.remove();
      continue;
    }
    clean(child);
    if (!ALLOWED.has(child.tagName)) {
      child.replaceWith(...Array.from(child.childNodes));
      continue;
    }
    for (const attribute of Array.from(child.attributes)) {
      const keep =
        (child.tagName === 'A' && attribute.name === 'href' && SAFE_URL.test(attribute.value.trim())) ||
        (child.tagName === 'IMG' && attribute.name === 'src' && SAFE_URL.test(attribute.value.trim())) ||
        (child.tagName === 'IMG' && attribute.name === 'alt');
      if (!keep) child.removeAttribute(attribute.name);
    }
    if (child.tagName === 'A') {
      child.setAttribute('target', '_blank');
      child.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  }
}

/** The body as safe HTML. */
export function sanitizeHtml(html: string): string {
  const document = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  clean(document.body);
  return document.body.innerHTML;
}

/** The body as plain text, for previews. */
export function plainText(html: string | null): string {
  if (!html) return '';
  const document = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  return (document.body.textContent ?? '').replace(/\s+/g, ' ').trim();
}
