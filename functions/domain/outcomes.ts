import type { Delivery } from './model.js';

/** The portal's chart: of the deliveries created in each hour, how many succeeded and how many failed. */

export interface HourOutcome {
  /** Start of the hour, UTC ISO 8601. */
  hour: string;
  succeeded: number;
  /** Dead-lettered, or still pending after at least one failed attempt. */
  failed: number;
}

const HOUR_MS = 60 * 60 * 1000;

/** `hours` buckets ending with the current hour, oldest first; deliveries outside them are ignored. */
export function hourlyOutcomes(deliveries: readonly Delivery[], now: Date, hours: number): HourOutcome[] {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const first = currentHour - (hours - 1) * HOUR_MS;
  const buckets = Array.from({ length: hours }, (_, i) => ({
    hour: new Date(first + i * HOUR_MS).toISOString(),
    succeeded: 0,
    failed: 0,
  }));
  for (const d of deliveries) {
    const i = Math.floor((Date.parse(d.createdTime) - first) / HOUR_MS);
    const bucket = buckets[i];
    if (!bucket) continue;
    if (d.status === 'succeeded') bucket.succeeded++;
    else if (d.status === 'dead_lettered' || (d.status === 'pending' && d.attempts > 0)) bucket.failed++;
  }
  return buckets;
}

/** Start of the oldest bucket: deliveries created before it are not read. */
export function outcomesSince(now: Date, hours: number): string {
  return new Date((Math.floor(now.getTime() / HOUR_MS) - (hours - 1)) * HOUR_MS).toISOString();
}
