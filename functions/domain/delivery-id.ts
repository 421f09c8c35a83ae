import { createHash } from 'node:crypto';

/**
 * A delivery is one (event, subscription) pair. Its id is derived from the two, so
 * processing the same event twice yields the same delivery, which the store can deduplicate.
 */
export function deliveryIdFor(eventId: string, subscriptionId: string): string {
  const h = createHash('sha256').update(`${eventId}\n${subscriptionId}`).digest('hex');
  return `dlv_${h.slice(0, 32)}`;
}
