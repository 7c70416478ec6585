// Shown when boot is refused: identity verification failed (401 identity_verification_failed), the
// contact is blocked or archived (403 contact_blocked / contact_archived), or the server is away.

const TEXTS: Record<string, [string, string]> = {
  identity_verification_failed: ["We couldn't verify who you are", 'Please sign in again, or contact the site owner.'],
  contact_blocked: ["You can't send messages here", 'Please contact the site owner if you think this is a mistake.'],
  contact_archived: ["You can't send messages here", 'Please contact the site owner if you think this is a mistake.'],
};

export function ErrorState({ error, onClose }: { error: { code: string; message: string }; onClose(): void }) {
  const [title, detail] = TEXTS[error.code] ?? ['The messenger is unavailable', 'Please try again in a moment.'];
  return (
    <div class="error-state" data-testid="rapport-error" data-code={error.code} role="alert">
      <button class="icon-button close" type="button" aria-label="Close" onClick={onClose}>×</button>
      <h2>{title}</h2>
      <p>{detail}</p>
    </div>
  );
}
