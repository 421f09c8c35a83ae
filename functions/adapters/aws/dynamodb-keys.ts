/**
 * The single table's key design. Every item of a tenant lives under its partition, so no
 * query can reach another tenant's data; `gsi1` orders a tenant's subscriptions newest first.
 */
export const keys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  identity: (identity: string) => ({ pk: `IDENTITY#${identity}`, sk: 'IDENTITY' }),
  subscription: (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `SUB#${id}` }),
  /** A tenant's count of live subscriptions, which enforces the per-tenant cap. */
  subscriptionCount: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'SUBSCRIPTION_COUNT' }),
  /** How many times a live subscription of the tenant changed: the sender's cache follows it (subscription-changes.ts). */
  subscriptionsChanged: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'SUBSCRIPTIONS_CHANGED' }),
  /** A subscription's sealed signing secrets (envelope storage), beside the subscription. */
  subscriptionSecret: (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `SECRET#${id}` }),
  subscriptionsByCreated: (tenantId: string) => `TENANT#${tenantId}#SUBS`,
  // Events and deliveries get a partition each (spreading a busy tenant's writes), still
  // prefixed by the tenant so a key can never name another tenant's item.
  event: (tenantId: string, eventId: string) => ({ pk: `TENANT#${tenantId}#EVENT#${eventId}`, sk: 'EVENT' }),
  delivery: (tenantId: string, deliveryId: string) => ({ pk: `TENANT#${tenantId}#DELIVERY#${deliveryId}`, sk: 'DELIVERY' }),
  /** gsi1 partition of deliveries recorded before the history index; read until they expire. */
  deliveriesBySubscription: (tenantId: string, subscriptionId: string) => `TENANT#${tenantId}#SUB#${subscriptionId}#DELIVERIES`,
  /**
   * A subscription's history index: one item per fan-out invocation listing the events it sent
   * there, sorted newest first by `<created time>#<unique suffix>`. Written once, never per attempt.
   */
  history: (tenantId: string, subscriptionId: string, sk: string) => ({ pk: historyPartition(tenantId, subscriptionId), sk }),
  /** Items written before attempts moved into the delivery's own item. */
  attempt: (tenantId: string, deliveryId: string, time: string, attempt: number) => ({
    pk: `TENANT#${tenantId}#DELIVERY#${deliveryId}`,
    sk: `ATTEMPT#${time}#${String(attempt).padStart(4, '0')}`,
  }),
  portalLink: (tokenHash: string) => ({ pk: `PORTAL#${tokenHash}`, sk: 'LINK' }),
  portalSession: (tokenHash: string) => ({ pk: `PORTAL#${tokenHash}`, sk: 'SESSION' }),
};

export function historyPartition(tenantId: string, subscriptionId: string): string {
  return `TENANT#${tenantId}#SUB#${subscriptionId}#HISTORY`;
}

export const SUBSCRIPTION_PREFIX = 'SUB#';
export const GSI1 = 'gsi1';

/** The table definition both the CDK stack and local mode create. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: GSI1,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const;
