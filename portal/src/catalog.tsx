import type { EventType } from './api.js';

export function CatalogView({ catalog }: { catalog: EventType[] }) {
  const own = catalog.filter((e) => !e.operational);
  const platform = catalog.filter((e) => e.operational);
  return (
    <>
      <h1>Event catalog</h1>
      <p class="lead">Every event type you can subscribe to, with the JSON Schema of its data and an example.</p>
      {own.map((e) => (
        <EventTypeCard e={e} key={e.type} />
      ))}
      {platform.length > 0 ? (
        <section aria-labelledby="platform-events">
          <h2 id="platform-events">Platform events</h2>
          <p class="lead">
            Sent by the webhook platform itself about your subscriptions (a delivery dead-lettered, an endpoint failing or back, a
            subscription disabled). Subscribe to them like any type, for example with <code>webhook.*</code>; they are never sent to the
            subscription they are about, and cannot be published.
          </p>
          {platform.map((e) => (
            <EventTypeCard e={e} key={e.type} />
          ))}
        </section>
      ) : null}
    </>
  );
}

function EventTypeCard({ e }: { e: EventType }) {
  return (
    <section class="card" data-event-type={e.type}>
      <h2>
        <code>{e.type}</code>
        {e.operational ? <span class="badge platform">platform</span> : null}
      </h2>
      <p>{e.description}</p>
      <div class="two-col">
        <details open>
          <summary>Schema</summary>
          <pre>{JSON.stringify(e.schema, null, 2)}</pre>
        </details>
        <details open>
          <summary>Example</summary>
          <pre>{JSON.stringify(e.example, null, 2)}</pre>
        </details>
      </div>
    </section>
  );
}
