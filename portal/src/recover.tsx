import { useEffect, useState } from 'preact/hooks';
import { api, type Recovery } from './api.js';
import { errorText, formatTime, Messages } from './ui.js';

/** How often a running recovery is read again. */
const FOLLOW_MS = 1000;

/** `<input type="datetime-local">`'s value for an ISO time, in the browser's zone. */
function localValue(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * "Retry all failed since ...": one call re-queues every dead-lettered delivery of the window and
 * everything skipped while the subscription was disabled; the recovery is followed until done.
 * `since` is where it starts (the disable time when enabling offered it).
 */
export function RecoverControl({
  subscriptionPath,
  since,
  onProgress,
}: {
  subscriptionPath: string;
  since: string;
  onProgress: () => void;
}) {
  const [value, setValue] = useState(localValue(since));
  const [recovery, setRecovery] = useState<Recovery | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => setValue(localValue(since)), [since]);
  useEffect(() => {
    if (!recovery || recovery.status === 'done') return;
    const timer = setTimeout(() => {
      api.get<{ recovery: Recovery }>(recovery.href).then(
        (out) => {
          setRecovery(out.recovery);
          onProgress();
        },
        (err) => setError(errorText(err)),
      );
    }, FOLLOW_MS);
    return () => clearTimeout(timer);
  }, [recovery]);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const out = await api.post<{ recovery: Recovery }>(`${subscriptionPath}/recover`, { since: new Date(value).toISOString() });
      setRecovery(out.recovery);
      onProgress();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card recover">
      <h2>Retry failed deliveries</h2>
      <p class="small muted">
        Sends again, once each, every delivery since then that failed all its attempts or was skipped while the subscription was disabled.
      </p>
      <label>
        Since{' '}
        <input
          type="datetime-local"
          aria-label="Retry failed since"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
      </label>{' '}
      <button type="button" disabled={busy || !value || recovery?.status === 'running'} onClick={start}>
        Retry all failed since {value ? formatTime(new Date(value).toISOString()) : '…'}
      </button>
      <Messages error={error} />
      {recovery && (
        <p class="message ok" role="status" data-testid="recovery">
          {recovery.status === 'done'
            ? `Done: ${recovery.queued} deliveries queued again (${recovery.found} found${recovery.expired ? `, ${recovery.expired} too old to send` : ''}).`
            : `Running: ${recovery.queued} queued so far (${recovery.found} found)…`}
        </p>
      )}
    </section>
  );
}
