import { useState } from 'preact/hooks';
import { ApiFailure, type EventType, type RateLimit } from './api.js';
import { EventsPicker } from './events-picker.js';
import { Messages, useAction } from './ui.js';

export interface SubscriptionFields {
  url: string;
  description: string;
  events: string[];
  /** null: none (on an edit, removes the filter). */
  filter: Record<string, unknown> | null;
  /** null: none (on an edit, removes the limit). */
  rate_limit: RateLimit | null;
}

/** Both boxes empty: no limit; the server checks the bounds and names what is wrong. */
function parseRateLimit(perSecond: string, burst: string): RateLimit | null {
  if (perSecond.trim() === '' && burst.trim() === '') return null;
  return { per_second: Number(perSecond), burst: burst.trim() === '' ? Number(perSecond) : Number(burst) };
}

/** The filter as the form shows it: indented JSON, empty for none. */
export const filterText = (filter: Record<string, unknown> | null) => (filter ? JSON.stringify(filter, null, 2) : '');

/** The filter box's text as the API takes it; the server checks the pattern itself and names what is wrong. */
function parseFilter(text: string): Record<string, unknown> | null {
  if (text.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Named below.
  }
  throw new ApiFailure(
    400,
    'validation_failed',
    'The payload filter must be a JSON object, as {"amount": [{"numeric": [">", 100]}]}, or empty for none.',
  );
}

/** The fields a tenant sets on a subscription, for both creating and editing one. */
export function SubscriptionForm({
  title,
  submitLabel,
  catalog,
  initial,
  onSubmit,
}: {
  title: string;
  submitLabel: string;
  catalog: EventType[];
  initial: SubscriptionFields;
  onSubmit: (fields: SubscriptionFields) => Promise<void>;
}) {
  const [url, setUrl] = useState(initial.url);
  const [description, setDescription] = useState(initial.description);
  const [events, setEvents] = useState(initial.events);
  const [filter, setFilter] = useState(filterText(initial.filter));
  const [perSecond, setPerSecond] = useState(initial.rate_limit ? String(initial.rate_limit.per_second) : '');
  const [burst, setBurst] = useState(initial.rate_limit ? String(initial.rate_limit.burst) : '');
  const { busy, error, run } = useAction();
  return (
    <section class="card">
      <h2>{title}</h2>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          void run(() => onSubmit({ url, description, events, filter: parseFilter(filter), rate_limit: parseRateLimit(perSecond, burst) }));
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
        <label class="field">
          <span>Payload filter (optional)</span>
          <textarea
            rows={4}
            spellcheck={false}
            placeholder='{"amount": [{"numeric": [">=", 100]}], "currency": ["EUR"]}'
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLTextAreaElement).value)}
          />
          <small class="muted">
            Only events whose data matches this EventBridge pattern are delivered: exact values, prefix, numeric, exists, anything-but.
            Leave it empty to get every event of the chosen types.
          </small>
        </label>
        <fieldset class="field">
          <legend>Rate limit (optional)</legend>
          <label>
            <span>Deliveries per second</span>
            <input
              type="number"
              min={1}
              step={1}
              data-testid="rate-per-second"
              value={perSecond}
              onInput={(e) => setPerSecond((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            <span>Burst</span>
            <input
              type="number"
              min={1}
              step={1}
              data-testid="rate-burst"
              value={burst}
              onInput={(e) => setBurst((e.target as HTMLInputElement).value)}
            />
          </label>
          <small class="muted">
            At most so many deliveries a second to your endpoint, after a burst of up to so many at once; the rest wait their turn. Leave
            both empty for no limit; a burst left empty is one second's worth.
          </small>
        </fieldset>
        <Messages error={error} />
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
      </form>
    </section>
  );
}
