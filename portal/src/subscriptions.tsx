import { useEffect, useState } from 'preact/hooks';
import { SOURCE_IPS_PATH } from '../../functions/domain/source-ips.js';
import { api, type EventType, type Subscription } from './api.js';
import { SubscriptionForm } from './subscription-form.js';
import { errorText, Messages, StatusBadge } from './ui.js';

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
      <SourceIps />
      <CreateForm catalog={catalog} />
    </>
  );
}

/** The operator's fixed source addresses, for the receiver's allow list; nothing when there are none. */
function SourceIps() {
  const [ips, setIps] = useState<string[]>([]);
  useEffect(() => {
    // Only a hint: without it the page works the same, so a failure shows nothing.
    api.get<{ source_ips: string[] }>(SOURCE_IPS_PATH).then(
      (out) => setIps(out.source_ips),
      () => undefined,
    );
  }, []);
  if (ips.length === 0) return null;
  return (
    <section class="card" data-testid="source-ips" aria-label="Source IP addresses">
      <p>
        Webhooks come from these IP addresses:{' '}
        {ips.map((ip, i) => (
          <span key={ip}>
            {i > 0 && ', '}
            <code>{ip}</code>
          </span>
        ))}
        . Your endpoint may accept requests from them only; still verify each signature.
      </p>
    </section>
  );
}

function CreateForm({ catalog }: { catalog: EventType[] }) {
  return (
    <SubscriptionForm
      title="New subscription"
      submitLabel="Create subscription"
      catalog={catalog}
      initial={{ url: '', description: '', events: [], filter: null, rate_limit: null }}
      onSubmit={async (fields) => {
        const out = await api.post<{ webhook_subscription: Subscription }>('/api/v0.1/webhooks', fields);
        location.hash = `#/subscriptions/${encodeURIComponent(out.webhook_subscription.id)}`;
      }}
    />
  );
}
