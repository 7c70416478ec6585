// Shown when boot is refused, e.g. identity verification failed (401 identity_verification_failed).

export function ErrorState({ error, onClose }: { error: { code: string; message: string }; onClose(): void }) {
  const identity = error.code === 'identity_verification_failed';
  return (
    <div class="error-state" data-testid="rapport-error" data-code={error.code} role="alert">
      <button class="icon-button close" type="button" aria-label="Close" onClick={onClose}>×</button>
      <h2>{identity ? "We couldn't verify who you are" : 'The messenger is unavailable'}</h2>
      <p>{identity ? 'Please sign in again, or contact the site owner.' : 'Please try again in a moment.'}</p>
    </div>
  );
}
