import { useEffect, useState } from 'preact/hooks';
import { RECEIVER_GUIDE_FILE } from '../../functions/domain/portal.js';
import { api, type EventType, type HourOutcome, type Subscription } from './api.js';
import { OutcomeChart } from './chart.js';
import { Deliveries } from './deliveries.js';
import { RecoverControl } from './recover.js';
import { filterText, SubscriptionForm } from './subscription-form.js';
import { statusText } from './subscriptions.js';
import { errorText, formatTime, Messages, StatusBadge, useAction } from './ui.js';

const CHART_REFRESH_MS = 4000;

/** What each disable reason (functions/domain/recovery.ts) means to a person. */
const DISABLED_REASONS: Record<string, string> = {
  endpoint_failing: 'every delivery to its endpoint failed for too long',
  endpoint_gone: 'its endpoint answered 410 Gone',
  disabled_by_tenant: 'disabled by hand',
};

/** Where the server says the receiver guide is (index.html's meta tag): an http(s) address only. */
function receiverGuideUrl(): string {
  const given = document.querySelector<HTMLMetaElement>('meta[name="receiver-guide"]')?.content ?? '';
  try {
    const url = new URL(given, location.href);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {
    // Not a URL: the guide beside the page.
  }
  return new URL(RECEIVER_GUIDE_FILE, location.href).href;
}

export function SubscriptionPage({ id, catalog }: { id: string; catalog: EventType[] }) {
  const [sub, setSub] = useState<Subscription | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [revealed, setRevealed] = useState(false);
  const [outcomes, setOutcomes] = useState<HourOutcome[] | undefined>();
  const [refreshKey, setRefreshKey] = useState(0);
  const [chartTick, setChartTick] = useState(0);
  /** Set when enabling offered to recover what it missed: since when. */
  const [missedSince, setMissedSince] = useState<string | undefined>();
  const action = useAction();
  const path = `/api/v0.1/webhooks/${encodeURIComponent(id)}`;

  useEffect(() => {
    api.get<{ webhook_subscription: Subscription }>(path).then(
      (out) => setSub(out.webhook_subscription),
      (err) => setLoadError(errorText(err)),
    );
  }, [path]);
  useEffect(() => {
    api.get<{ hours: HourOutcome[] }>(`${path}/outcomes`).then(
      (out) => setOutcomes(out.hours),
      () => setOutcomes(undefined),
    );
  }, [path, refreshKey, chartTick]);
  // A verification under way settles in the background: the page reads the subscription again until it has.
  const verifying = sub?.verification?.status === 'pending';
  useEffect(() => {
    if (!verifying || chartTick === 0) return;
    api.get<{ webhook_subscription: Subscription }>(path).then(
      (out) => setSub(out.webhook_subscription),
      () => undefined,
    );
  }, [path, verifying, chartTick]);
  useEffect(() => {
    const timer = setInterval(() => setChartTick((t) => t + 1), CHART_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  if (loadError)
    return (
      <>
        <a href="#/" class="back">
          ← Subscriptions
        </a>
        <Messages error={loadError} />
      </>
    );
  if (!sub) return <p class="muted">Loading…</p>;
  const enabled = sub.status === 'STATUS_ENABLED';

  return (
    <>
      <a href="#/" class="back">
        ← Subscriptions
      </a>
      <div class="title-row">
        <h1 class="url">{sub.url}</h1>
        <StatusBadge status={statusText(sub)} />
      </div>
      {sub.description && <p class="lead">{sub.description}</p>}
      {!enabled && sub.disabled_time && (
        <p class="message error" data-testid="disabled">
          Disabled {formatTime(sub.disabled_time)}: {DISABLED_REASONS[sub.disabled_reason ?? ''] ?? 'for a reason not recorded'}.
        </p>
      )}
      <div class="actions">
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const out = await api.post<{ id: string }>(`${path}/test`);
              setRefreshKey((k) => k + 1);
              return `Test event ${out.id} queued.`;
            })
          }
        >
          Send test event
        </button>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const out = await api.post<{ webhook_subscription: Subscription; previous_secret_expires_time: string }>(
                `${path}/secret/rotate`,
              );
              setSub(out.webhook_subscription);
              return `Secret rotated. The previous secret also signs deliveries until ${formatTime(out.previous_secret_expires_time)}.`;
            })
          }
        >
          Rotate secret
        </button>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const out = await api.patch<{ webhook_subscription: Subscription; recover_offer?: { since: string } }>(path, {
                status: enabled ? 'STATUS_DISABLED' : 'STATUS_ENABLED',
              });
              setSub(out.webhook_subscription);
              setMissedSince(out.recover_offer?.since);
              if (enabled) return 'Subscription disabled: it gets no new events.';
              return out.recover_offer
                ? `Subscription enabled. It missed what came since ${formatTime(out.recover_offer.since)}: retry it below.`
                : 'Subscription enabled.';
            })
          }
        >
          {enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" class="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
          Edit
        </button>
        <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      </div>
      {confirmDelete && (
        <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
          <p>Delete this subscription? It stops receiving events at once. This cannot be undone.</p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              action.run(async () => {
                await api.delete(path);
                location.hash = '#/';
              })
            }
          >
            Yes, delete it
          </button>
          <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
        </div>
      )}
      <Messages error={action.error} notice={action.notice} />
      {editing && (
        <EditForm
          sub={sub}
          catalog={catalog}
          onSaved={(s) => {
            setSub(s);
            setEditing(false);
          }}
        />
      )}

      <section class="card details">
        <dl>
          <dt>Events</dt>
          <dd>
            {sub.events.map((e) => (
              <code key={e} class="chip">
                {e}
              </code>
            ))}
          </dd>
          <dt>Payload filter</dt>
          <dd>
            {sub.filter ? (
              <pre class="filter" data-testid="filter">
                {filterText(sub.filter)}
              </pre>
            ) : (
              <span class="muted">None: every event of these types</span>
            )}
          </dd>
          <dt>Custom headers</dt>
          <dd data-testid="headers">
            {sub.headers ? (
              Object.entries(sub.headers).map(([name, masked]) => (
                <code key={name} class="chip">
                  {name}: {masked}
                </code>
              ))
            ) : (
              <span class="muted">None</span>
            )}
          </dd>
          <dt>Verification</dt>
          <dd data-testid="verification">
            <VerificationState sub={sub} />
            <button
              type="button"
              class="link"
              disabled={action.busy || !enabled}
              onClick={() =>
                action.run(async () => {
                  const out = await api.post<{ webhook_subscription: Subscription }>(`${path}/verify`);
                  setSub(out.webhook_subscription);
                  setRefreshKey((k) => k + 1);
                  return 'Verification request sent: the endpoint must echo its challenge.';
                })
              }
            >
              Verify again
            </button>
          </dd>
          <dt>Rate limit</dt>
          <dd data-testid="rate-limit">
            {sub.rate_limit ? (
              `${sub.rate_limit.per_second} per second, bursts of up to ${sub.rate_limit.burst}`
            ) : (
              <span class="muted">None: deliveries go as fast as they come</span>
            )}
          </dd>
          <dt>Signing secret</dt>
          <dd class="secret">
            <code data-testid="secret">{revealed ? sub.secret : '•'.repeat(24)}</code>
            <button type="button" class="link" onClick={() => setRevealed(!revealed)}>
              {revealed ? 'Hide secret' : 'Reveal secret'}
            </button>
            <button
              type="button"
              class="link"
              onClick={() =>
                action.run(async () => {
                  await navigator.clipboard.writeText(sub.secret);
                  return 'Secret copied to the clipboard.';
                })
              }
            >
              Copy secret
            </button>
            <p class="small muted secret-guide">
              Check every webhook's signature with this secret before you trust it:{' '}
              <a href={receiverGuideUrl()} target="_blank" rel="noopener noreferrer">
                Receiving webhooks
              </a>{' '}
              shows how, and covers retries, duplicates and rotating the secret without downtime.
            </p>
          </dd>
          <dt>Created</dt>
          <dd>{formatTime(sub.created_time)}</dd>
          <dt>Subscription id</dt>
          <dd>
            <code>{sub.id}</code>
          </dd>
        </dl>
      </section>

      <section class="card">
        <h2>Last 24 hours</h2>
        {outcomes ? <OutcomeChart hours={outcomes} /> : <p class="muted">Loading…</p>}
      </section>

      {enabled && (
        <RecoverControl
          subscriptionPath={path}
          since={missedSince ?? new Date(Date.now() - 24 * 60 * 60 * 1000).toISOString()}
          onProgress={() => setRefreshKey((k) => k + 1)}
        />
      )}

      <Deliveries subscriptionPath={path} refreshKey={refreshKey} onChange={() => setRefreshKey((k) => k + 1)} />
    </>
  );
}

/** Where the endpoint's verification stands; no field (a subscription from before it): verified. */
function VerificationState({ sub }: { sub: Subscription }) {
  const v = sub.verification;
  if (!v) return <span class="muted">Verified (subscribed before verification existed) </span>;
  return (
    <>
      <span data-testid="verification-status" class={`verification ${v.status}`}>
        {v.status === 'verified'
          ? `Verified${v.verified_time ? ` ${formatTime(v.verified_time)}` : ''}`
          : v.status === 'pending'
            ? 'Pending: events wait unsent until the endpoint echoes the challenge'
            : 'Failed: events wait unsent; fix the endpoint and verify again'}
      </span>{' '}
      {v.last_error && (
        <span class="small muted" data-testid="verification-error">
          Last error: {v.last_error}{' '}
        </span>
      )}
    </>
  );
}

function EditForm({ sub, catalog, onSaved }: { sub: Subscription; catalog: EventType[]; onSaved: (s: Subscription) => void }) {
  return (
    <SubscriptionForm
      title="Edit subscription"
      submitLabel="Save changes"
      catalog={catalog}
      editing
      initial={{
        url: sub.url,
        description: sub.description,
        events: sub.events,
        filter: sub.filter ?? null,
        rate_limit: sub.rate_limit ?? null,
      }}
      onSubmit={async (fields) => {
        const out = await api.patch<{ webhook_subscription: Subscription }>(`/api/v0.1/webhooks/${encodeURIComponent(sub.id)}`, fields);
        onSaved(out.webhook_subscription);
      }}
    />
  );
}
