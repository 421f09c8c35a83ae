import { useEffect, useState } from 'preact/hooks';
import { DELIVERY_STATUS_FILTERS } from '../../functions/domain/portal.js';
import { type Attempt, api, type Delivery } from './api.js';
import { errorText, formatTime, Messages, StatusBadge } from './ui.js';

/** How often the first page is read again while the page is open. */
const REFRESH_MS = 2000;

export function Deliveries({
  subscriptionPath,
  refreshKey,
  onChange,
}: {
  subscriptionPath: string;
  refreshKey: number;
  onChange: () => void;
}) {
  const [status, setStatus] = useState('');
  const [items, setItems] = useState<Delivery[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(1);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const base = `${subscriptionPath}/deliveries?limit=20${status ? `&status=${encodeURIComponent(status)}` : ''}`;

  // The first page, again every few seconds; pages loaded with "Load more" stop the refresh.
  useEffect(() => {
    if (pages > 1) return;
    let live = true;
    api.get<{ deliveries: Delivery[]; next_cursor: string | null }>(base).then(
      (page) => {
        if (!live) return;
        setItems(page.deliveries);
        setCursor(page.next_cursor);
        setError(undefined);
      },
      (err) => live && setError(errorText(err)),
    );
    const timer = setTimeout(() => setTick((t) => t + 1), REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [base, tick, refreshKey, pages]);

  async function more() {
    if (!cursor) return;
    try {
      const page = await api.get<{ deliveries: Delivery[]; next_cursor: string | null }>(`${base}&cursor=${encodeURIComponent(cursor)}`);
      setItems((prev) => [...(prev ?? []), ...page.deliveries]);
      setCursor(page.next_cursor);
      setPages((p) => p + 1);
    } catch (err) {
      setError(errorText(err));
    }
  }

  async function retry(d: Delivery) {
    setNotice(undefined);
    setError(undefined);
    try {
      await api.post(`${subscriptionPath}/deliveries/${encodeURIComponent(d.id)}/retry`);
      setNotice(`Delivery of ${d.event_type} queued again.`);
      setPages(1);
      setTick((t) => t + 1);
      onChange();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section class="card">
      <div class="title-row">
        <h2>Deliveries</h2>
        <label class="inline">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => {
              setStatus((e.target as HTMLSelectElement).value);
              setPages(1);
              setItems(undefined);
            }}
          >
            <option value="">All</option>
            {DELIVERY_STATUS_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Messages error={error} notice={notice} />
      {items === undefined ? (
        <p class="muted">Loading deliveries…</p>
      ) : items.length === 0 ? (
        <p class="muted">No deliveries{status ? ` with status ${status}` : ''} yet.</p>
      ) : (
        <table class="list deliveries" aria-label="Deliveries">
          <thead>
            <tr>
              <th>Created</th>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last result</th>
              <th>
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          {items.map((d) => (
            <DeliveryRows key={d.id} delivery={d} subscriptionPath={subscriptionPath} onRetry={() => retry(d)} tick={tick} />
          ))}
        </table>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={more}>
          Load more
        </button>
      )}
    </section>
  );
}

function lastResult(d: Delivery): string {
  if (d.last_status_code !== null) return `HTTP ${d.last_status_code}`;
  if (d.last_error) return d.last_error;
  return d.status === 'pending' ? 'not tried yet' : '—';
}

function DeliveryRows({
  delivery: d,
  subscriptionPath,
  onRetry,
  tick,
}: {
  delivery: Delivery;
  subscriptionPath: string;
  onRetry: () => void;
  tick: number;
}) {
  const [open, setOpen] = useState(false);
  const [attempts, setAttempts] = useState<Attempt[] | undefined>();
  // Listed as soon as it is fanned out, a delivery has no record until its first attempt: nothing to read or retry yet.
  const waiting = d.status === 'pending' && d.attempts === 0;
  useEffect(() => {
    if (!open) return;
    if (waiting) {
      setAttempts([]);
      return;
    }
    api.get<{ delivery: { attempt_log: Attempt[] } }>(`${subscriptionPath}/deliveries/${encodeURIComponent(d.id)}`).then(
      (out) => setAttempts(out.delivery.attempt_log),
      () => undefined,
    );
  }, [open, tick, d.attempts, d.status]);
  return (
    <tbody class="delivery" data-delivery-id={d.id} data-event-id={d.event_id}>
      <tr>
        <td>{formatTime(d.created_time)}</td>
        <td>
          <code>{d.event_type}</code>
        </td>
        <td>
          <StatusBadge status={d.status} />
        </td>
        <td>{d.attempts}</td>
        <td class="small">{lastResult(d)}</td>
        <td class="row-actions">
          <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide attempts' : 'Show attempts'}
          </button>
          {!waiting && (
            <button type="button" class="secondary small" onClick={onRetry}>
              Retry
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="attempts-row">
          <td colSpan={6}>
            {attempts === undefined ? (
              <p class="muted">Loading attempts…</p>
            ) : attempts.length === 0 ? (
              <p class="muted">No attempts yet.</p>
            ) : (
              <table class="attempts" aria-label="Attempts">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Time</th>
                    <th>Result</th>
                    <th>Latency</th>
                    <th>Response excerpt</th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((a) => (
                    <tr key={`${a.attempt}-${a.time}`}>
                      <td>{a.attempt}</td>
                      <td>{formatTime(a.time)}</td>
                      <td>{a.error ?? (a.status_code !== null ? `HTTP ${a.status_code}` : '—')}</td>
                      <td>{a.latency_ms} ms</td>
                      <td>
                        <pre class="excerpt">{a.response_excerpt}</pre>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </tbody>
  );
}
