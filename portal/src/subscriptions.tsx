import { useEffect, useState } from 'preact/hooks';
import { api, type EventType, type Subscription } from './api.js';
import { EventsPicker } from './events-picker.js';
import { errorText, Messages, StatusBadge, useAction } from './ui.js';

export const statusText = (s: Subscription) => (s.status === 'STATUS_ENABLED' ? 'enabled' : 'disabled');

export function SubscriptionsView({ catalog }: { catalog: EventType[] }) {
  const [subs, setSubs] = useState<Subscription[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | undefined>();

  async function load(after?: string) {
    try {
      const page = await api.get<{ webhook_subscriptions: Subscription[]; next_cursor: string | null }>(
        `/api/v0.1/webhooks?limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`,
      );
      setSubs((prev) => (after ? [...(prev ?? []), ...page.webhook_subscriptions] : page.webhook_subscriptions));
      setCursor(page.next_cursor);
    } catch (err) {
      setLoadError(errorText(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  return (
    <>
      <h1>Subscriptions</h1>
      <p class="lead">Endpoints that receive your events. Open one to see its deliveries, retry them or send a test event.</p>
      <Messages error={loadError} />
      <section class="card">
        {subs === undefined ? (
          <p class="muted">Loading subscriptions…</p>
        ) : subs.length === 0 ? (
          <p class="muted" data-testid="no-subscriptions">
            No subscriptions yet. Create one below.
          </p>
        ) : (
          <table class="list" aria-label="Subscriptions">
            <thead>
              <tr>
                <th>Endpoint URL</th>
                <th>Events</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {subs.map((s) => (
                <tr key={s.id}>
                  <td class="url">
                    <a href={`#/subscriptions/${encodeURIComponent(s.id)}`}>{s.url}</a>
                    {s.description && <div class="muted small">{s.description}</div>}
                  </td>
                  <td>
                    {s.events.map((e) => (
                      <code key={e} class="chip">
                        {e}
                      </code>
                    ))}
                  </td>
                  <td>
                    <StatusBadge status={statusText(s)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <button type="button" class="secondary" onClick={() => load(cursor)}>
            Load more
          </button>
        )}
      </section>
      <CreateForm catalog={catalog} />
    </>
  );
}

function CreateForm({ catalog }: { catalog: EventType[] }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const { busy, error, run } = useAction();
  return (
    <section class="card">
      <h2>New subscription</h2>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          void run(async () => {
            const out = await api.post<{ webhook_subscription: Subscription }>('/api/v0.1/webhooks', { url, description, events });
            location.hash = `#/subscriptions/${encodeURIComponent(out.webhook_subscription.id)}`;
          });
        }}
      >
        <label class="field">
          <span>Endpoint URL</span>
          <input
            type="url"
            required
            placeholder="https://example.com/webhooks"
            value={url}
            onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Description</span>
          <input type="text" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <EventsPicker catalog={catalog} value={events} onChange={setEvents} />
        <Messages error={error} />
        <button type="submit" disabled={busy}>
          Create subscription
        </button>
      </form>
    </section>
  );
}
