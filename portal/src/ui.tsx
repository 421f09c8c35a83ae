import { useState } from 'preact/hooks';
import { ApiFailure } from './api.js';

/** Small pieces the views share. */

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
}

export const errorText = (err: unknown) => (err instanceof ApiFailure ? err.message : 'Something went wrong; try again.');

/** Runs an action, tracking "busy" and the error or notice it ends with. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const message = await action();
      if (typeof message === 'string') setNotice(message);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, notice, run };
}

export function Messages({ error, notice }: { error?: string | undefined; notice?: string | undefined }) {
  return (
    <>
      {error && (
        <p class="message error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class="message ok" role="status">
          {notice}
        </p>
      )}
    </>
  );
}

/** Delivery statuses come from the API as strings; any of them is shown as text. */
export function StatusBadge({ status }: { status: string }) {
  const tone =
    status === 'succeeded' || status === 'enabled'
      ? 'good'
      : status === 'pending'
        ? 'wait'
        : status === 'skipped' || status === 'disabled'
          ? 'mute'
          : 'bad';
  return <span class={`badge ${tone}`}>{status}</span>;
}
