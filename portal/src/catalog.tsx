import type { EventType } from './api.js';

export function CatalogView({ catalog }: { catalog: EventType[] }) {
  return (
    <>
      <h1>Event catalog</h1>
      <p class="lead">Every event type you can subscribe to, with the JSON Schema of its data and an example.</p>
      {catalog.map((e) => (
        <section class="card" key={e.type}>
          <h2>
            <code>{e.type}</code>
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
      ))}
    </>
  );
}
