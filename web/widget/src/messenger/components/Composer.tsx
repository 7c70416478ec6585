// The composer (data-testid `rapport-composer`) and its send button (`rapport-send`). Enter sends,
// Shift+Enter starts a new line.
import { useEffect, useRef, useState } from 'preact/hooks';

export function Composer(props: { prefill: string; autoFocus: boolean; onSend(text: string): void; onTyping(): void }) {
  const [text, setText] = useState(props.prefill);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => setText(props.prefill), [props.prefill]);
  useEffect(() => {
    if (props.autoFocus) input.current?.focus();
  }, [props.autoFocus]);

  const send = () => {
    if (!text.trim()) return;
    props.onSend(text);
    setText('');
    input.current?.focus();
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <textarea
        ref={input}
        data-testid="rapport-composer"
        rows={1}
        placeholder="Write a message…"
        aria-label="Message"
        maxLength={20000}
        value={text}
        onInput={(event) => {
          setText(event.currentTarget.value);
          props.onTyping();
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="send" data-testid="rapport-send" aria-label="Send" disabled={!text.trim()}>
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" /></svg>
      </button>
    </form>
  );
}
