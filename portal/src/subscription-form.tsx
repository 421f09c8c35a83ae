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
  /**
   * The custom headers, replacing the whole set; null removes them. Absent: left as they are (an
   * edit cannot show the values, which the API masks, so it sends them only when told to).
   */
  headers?: Record<string, string> | null;
}

/** The headers box, one `Name: value` a line, as the API takes them; the server checks names and values and names what is wrong. */
function parseHeaders(text: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new ApiFailure(
        400,
        'validation_failed',
        `Custom headers go one a line as Name: value; "${line.trim().slice(0, 60)}" has no name.`,
      );
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return Object.keys(headers).length > 0 ? headers : null;
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
  editing = false,
  onSubmit,
}: {
  title: string;
  submitLabel: string;
  catalog: EventType[];
  initial: SubscriptionFields;
  /** Editing a subscription that exists: its headers are kept unless the form is told to replace them. */
  editing?: boolean;
  onSubmit: (fields: SubscriptionFields) => Promise<void>;
}) {
  const [url, setUrl] = useState(initial.url);
  const [description, setDescription] = useState(initial.description);
  const [events, setEvents] = useState(initial.events);
  const [filter, setFilter] = useState(filterText(initial.filter));
  const [perSecond, setPerSecond] = useState(initial.rate_limit ? String(initial.rate_limit.per_second) : '');
  const [burst, setBurst] = useState(initial.rate_limit ? String(initial.rate_limit.burst) : '');
  // An edit keeps the headers unless told to replace them; a new subscription has none to keep.
  const [replaceHeaders, setReplaceHeaders] = useState(!editing);
  const [headers, setHeaders] = useState('');
  const { busy, error, run } = useAction();
  return (
    <section class="card">
      <h2>{title}</h2>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          void run(() => {
            const fields: SubscriptionFields = {
              url,
              description,
              events,
              filter: parseFilter(filter),
              rate_limit: parseRateLimit(perSecond, burst),
            };
            if (replaceHeaders) {
              const parsed = parseHeaders(headers);
              // Nothing to send for a new subscription without headers; on an edit, empty removes them.
              if (parsed || editing) fields.headers = parsed;
            }
            return onSubmit(fields);
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
        <fieldset class="field">
          <legend>Custom headers (optional)</legend>
          {editing && (
            <label>
              <input
                type="checkbox"
                data-testid="replace-headers"
                checked={replaceHeaders}
                onChange={(e) => setReplaceHeaders((e.target as HTMLInputElement).checked)}
              />{' '}
              Replace the custom headers (their values are not shown; leave the box empty to remove them all)
            </label>
          )}
          <textarea
            rows={3}
            spellcheck={false}
            data-testid="headers-input"
            disabled={!replaceHeaders}
            placeholder="X-Api-Key: your-key"
            value={headers}
            onInput={(e) => setHeaders((e.target as HTMLTextAreaElement).value)}
          />
          <small class="muted">
            Sent with every delivery, one <code>Name: value</code> a line, at most five. Stored encrypted like the signing secret and never
            shown again in full. Names the signature uses (<code>webhook-*</code>) and connection headers are refused.
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
