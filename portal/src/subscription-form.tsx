import { useState } from 'preact/hooks';
import type { EventType } from './api.js';
import { EventsPicker } from './events-picker.js';
import { Messages, useAction } from './ui.js';

export interface SubscriptionFields {
  url: string;
  description: string;
  events: string[];
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
  const { busy, error, run } = useAction();
  return (
    <section class="card">
      <h2>{title}</h2>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          void run(() => onSubmit({ url, description, events }));
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
          {submitLabel}
        </button>
      </form>
    </section>
  );
}
