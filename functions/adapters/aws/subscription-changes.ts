import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Subscription } from '../../domain/model.js';
import { keys } from './dynamodb-keys.js';

/**
 * A tenant's subscriptions-changed counter, and the sender's cache of subscriptions behind it.
 *
 * The sender needs each delivery's subscription as it is now, so a disable, delete or URL change
 * applies to the very next attempt. Reading it with every batch costs half a read unit per
 * subscription in the batch: with ten messages for ten subscriptions, as many as the deliveries'
 * own reads. Instead each change to a live subscription adds one to a counter item per tenant,
 * after the change is written; the sender reads the counter with the deliveries (half a unit per
 * tenant per batch) and keeps subscriptions read under a counter value until it moves.
 *
 * Why it is safe: the counter moves only after the change is in the table, and a subscription
 * the cache lacks is read strongly consistent after the counter, so what is cached under a
 * value is at least as new as every change counted by it. The counter itself is read eventually
 * consistent, as the subscription was before: a change shows within DynamoDB's replication lag.
 * Creating a subscription needs no count (no cache holds one it never read; a missing item is
 * never cached). If counting fails after a change was written, the caller gets the error and
 * caches keep the old copy at most CACHE_TTL_MS.
 */

export const SUBSCRIPTIONS_CHANGED_TYPE = 'subscriptions_changed';

/** Every change to a live subscription of the tenant: one write unit, on API calls only. */
export async function countSubscriptionChange(doc: DynamoDBDocumentClient, tableName: string, tenantId: string): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.subscriptionsChanged(tenantId),
      UpdateExpression: 'ADD changes :one SET #type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':one': 1, ':type': SUBSCRIPTIONS_CHANGED_TYPE },
    }),
  );
}

/** The counter's value in its item; a tenant without one has had no change since counting began. */
export function changesOf(item: Record<string, unknown> | undefined): number {
  return typeof item?.changes === 'number' ? item.changes : 0;
}

/** A safety net only: a container re-reads a tenant's subscriptions at least this often. */
export const CACHE_TTL_MS = 60_000;
/** Bounds a container's memory: past this many subscriptions the cache starts afresh. */
const MAX_CACHED = 10_000;

interface TenantEntry {
  changes: number;
  since: number;
  subscriptions: Map<string, Subscription>;
}

/** Per container: the subscriptions read under each tenant's counter value. */
export class SubscriptionCache {
  private readonly tenants = new Map<string, TenantEntry>();
  private size = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached copy, if it was read under this counter value and recently enough. */
  get(tenantId: string, changes: number, subscriptionId: string): Subscription | undefined {
    const entry = this.tenants.get(tenantId);
    if (!entry || entry.changes !== changes || this.now() - entry.since > CACHE_TTL_MS) return undefined;
    return entry.subscriptions.get(subscriptionId);
  }

  /** Keeps subscriptions read (strongly consistent) after the counter read `changes`. */
  put(tenantId: string, changes: number, subscription: Subscription): void {
    let entry = this.tenants.get(tenantId);
    if (!entry || entry.changes !== changes || this.now() - entry.since > CACHE_TTL_MS) {
      if (entry) this.size -= entry.subscriptions.size;
      entry = { changes, since: this.now(), subscriptions: new Map() };
      this.tenants.set(tenantId, entry);
    }
    if (this.size >= MAX_CACHED) {
      this.tenants.clear();
      this.size = 0;
      this.tenants.set(tenantId, entry);
      entry.subscriptions.clear();
    }
    if (!entry.subscriptions.has(subscription.id)) this.size++;
    entry.subscriptions.set(subscription.id, subscription);
  }
}
