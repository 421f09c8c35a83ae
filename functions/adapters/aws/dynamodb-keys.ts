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
  /**
   * When a subscription's secret was last rotated, apart from the subscription's item (which an
   * update writes whole), so the rotation limit's claim is one conditional write of its own.
   */
  rotation: (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `ROTATION#${id}` }),
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
  /**
   * A subscription's lot (functions/domain/parking.ts): its head, and one small entry per delivery
   * held there, sorted by deadline (`E#<position>`), in a partition of its own.
   */
  lot: (tenantId: string, subscriptionId: string) => ({ pk: lotPartition(tenantId, subscriptionId), sk: LOT_SK }),
  lotEntry: (tenantId: string, subscriptionId: string, position: string) => ({
    pk: lotPartition(tenantId, subscriptionId),
    sk: `${LOT_ENTRY_PREFIX}${position}`,
  }),
  /** A recovery (functions/domain/recovery.ts), under its tenant. */
  recovery: (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `RECOVERY#${id}` }),
  /**
   * A running recovery's place in the one partition the resumer reads each run to continue them:
   * only a key (the tenant's and the recovery's ids), sorted by start time; gone once it is done.
   */
  runningRecovery: (tenantId: string, id: string, createdTime: string) => ({
    pk: RUNNING_RECOVERIES_PK,
    sk: `${createdTime}#${tenantId}#${id}`,
  }),
  /** How far the resumer has swept the due-time index. */
  resumerCursor: () => ({ pk: 'RESUMER', sk: 'CURSOR' }),
  /** One second's use of an AWS call's account-wide quota (dynamodb-call-budget.ts): a partition a second. */
  callBudget: (call: string, second: number) => ({ pk: `BUDGET#${call}#${second}`, sk: 'BUDGET' }),
  /** A subscription's rate limit slots (rate-limit.ts), in a partition of its own: the hottest item a limited subscription has. */
  rateSlots: (tenantId: string, subscriptionId: string) => ({ pk: `RATE#${tenantId}#${subscriptionId}`, sk: 'RATE' }),
  portalLink: (tokenHash: string) => ({ pk: `PORTAL#${tokenHash}`, sk: 'LINK' }),
  /**
   * An inbound event (functions/domain/inbound), in a partition of its own with the markers of its
   * fate (`FORWARDED`, `BUS`); listed per source by gsi1 (inboundHistory). Every inbound key
   * starts with `INBOUND#`, which is all the inbound function may touch (its IAM condition).
   */
  inboundEvent: (source: string, id: string) => ({ pk: inboundPartition(source, id), sk: 'EVENT' }),
  inboundForwarded: (source: string, id: string) => ({ pk: inboundPartition(source, id), sk: 'FORWARDED' }),
  inboundBus: (source: string, id: string) => ({ pk: inboundPartition(source, id), sk: 'BUS' }),
  /** Sources declared at run time, all in one partition (read whole, once a minute per container). */
  inboundSource: (name: string) => ({ pk: INBOUND_SOURCES_PK, sk: `SOURCE#${name}` }),
  /** A source's refused requests, one item per minute (and container flush), by reason. */
  inboundRefusals: (source: string, minute: string) => ({ pk: `${INBOUND_PREFIX}${source}#REFUSED`, sk: minute }),
  portalSession: (tokenHash: string) => ({ pk: `PORTAL#${tokenHash}`, sk: 'SESSION' }),
};

/** The `ttl` attribute of an item written now: DynamoDB's TTL reads epoch seconds. */
export const ttlAfter = (now: Date, retentionDays: number): number => Math.floor(now.getTime() / 1000) + retentionDays * 24 * 60 * 60;

export const RUNNING_RECOVERIES_PK = 'RECOVERIES#RUNNING';
export const INBOUND_PREFIX = 'INBOUND#';
export const INBOUND_SOURCES_PK = `${INBOUND_PREFIX}SOURCES`;
export const inboundPartition = (source: string, id: string) => `${INBOUND_PREFIX}${source}#${id}`;
/** gsi1 partition of a source's inbound events, sorted by `<received time>#<id>`. */
export const inboundHistoryPartition = (source: string) => `${INBOUND_PREFIX}${source}`;

export function historyPartition(tenantId: string, subscriptionId: string): string {
  return `TENANT#${tenantId}#SUB#${subscriptionId}#HISTORY`;
}

export function lotPartition(tenantId: string, subscriptionId: string): string {
  return `TENANT#${tenantId}#SUB#${subscriptionId}#LOT`;
}

export const LOT_SK = 'LOT';
export const LOT_ENTRY_PREFIX = 'E#';
export const DELIVERY_SK = 'DELIVERY';

export const SUBSCRIPTION_PREFIX = 'SUB#';
export const GSI1 = 'gsi1';
/**
 * The due-time index: parked delivery records and lot heads, by the bucket of the time they come
 * out (`DUE#<bucket start, epoch s>#<shard>`), sorted by `<time ms>#<token>`. Sparse (only what
 * is parked has the keys) and keys only: the resumer reads the records themselves.
 */
export const GSI2 = 'gsi2';
export const duePartition = (bucket: number, shard: number) => `DUE#${bucket}#${shard}`;

/** The table definition both the CDK stack and local mode create. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
    { AttributeName: 'gsi2pk', AttributeType: 'S' },
    { AttributeName: 'gsi2sk', AttributeType: 'S' },
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
    {
      IndexName: GSI2,
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const;
