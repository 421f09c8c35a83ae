import type { EventType } from './api.js';

/** Event types from the catalog as checkboxes, plus free text for wildcards such as `card*`. */
export function EventsPicker({
  catalog,
  value,
  onChange,
}: {
  catalog: EventType[];
  value: string[];
  onChange: (events: string[]) => void;
}) {
  const known = new Set(catalog.map((e) => e.type));
  const others = value.filter((e) => !known.has(e));
  const toggle = (type: string, on: boolean) => onChange(on ? [...value, type] : value.filter((e) => e !== type));
  return (
    <fieldset class="events">
      <legend>Events</legend>
      <div class="event-grid">
        {catalog
          .filter((e) => e.subscribable !== false)
          .map((e) => (
            <label key={e.type} class="check" title={e.description}>
              <input
                type="checkbox"
                checked={value.includes(e.type)}
                onChange={(ev) => toggle(e.type, (ev.target as HTMLInputElement).checked)}
              />
              <code>{e.type}</code>
            </label>
          ))}
      </div>
      <label class="field">
        <span>Other types or wildcards, comma-separated (e.g. card*)</span>
        <input
          type="text"
          value={others.join(', ')}
          onChange={(ev) => {
            const typed = (ev.target as HTMLInputElement).value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
            onChange([...value.filter((e) => known.has(e)), ...typed]);
          }}
        />
      </label>
    </fieldset>
  );
}
