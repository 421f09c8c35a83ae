import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryIdFor } from '../../domain/delivery-id.js';
import type { Delivery } from '../../domain/model.js';
import { DEFAULT_DUE_BUCKET_SECONDS } from '../../domain/parking.js';
import type { Recovery, RecoveryWindow } from '../../domain/recovery.js';
import type { RecoveryStore, WindowEntry } from '../../ports.js';
import { DEFAULT_RETENTION_DAYS, deliveryItem } from './dynamodb-deliveries.js';
import { historyPartition, keys, RUNNING_RECOVERIES_PK, ttlAfter } from './dynamodb-keys.js';
import { countSubscriptionChange } from './subscription-changes.js';

type Item = Record<string, unknown>;

/**
 * Recoveries on DynamoDB: the recovery's item under its tenant, a key-only marker in one
 * partition while it runs (the resumer's one Query a run finds them), reads of the
 * subscription's history index by time (its sort key starts with the created time), and the
 * claims: one conditional PutItem per delivery.
 */
export class DynamoRecoveryStore implements RecoveryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DEFAULT_RETENTION_DAYS,
    private readonly now: () => Date = () => new Date(),
    private readonly dueBucketSeconds = DEFAULT_DUE_BUCKET_SECONDS,
  ) {}

  private ttl(): number {
    return ttlAfter(this.now(), this.retentionDays);
  }

  async create(r: Recovery): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: this.item(r), ConditionExpression: 'attribute_not_exists(pk)' }));
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.runningRecovery(r.tenantId, r.id, r.createdTime), tenant_id: r.tenantId, id: r.id, ttl: this.ttl() },
      }),
    );
  }

  async get(tenantId: string, id: string): Promise<Recovery | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.recovery(tenantId, id), ConsistentRead: true }));
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async save(r: Recovery, expectedVersion: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(r),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    if (r.state === 'done')
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.runningRecovery(r.tenantId, r.id, r.createdTime) }));
    return true;
  }

  async running(limit: number): Promise<{ tenantId: string; id: string }[]> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': RUNNING_RECOVERIES_PK },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => ({ tenantId: i.tenant_id as string, id: i.id as string }));
  }

  async historyWindow(
    tenantId: string,
    subscriptionId: string,
    window: RecoveryWindow,
    after: string | undefined,
    items: number,
  ): Promise<{ entries: WindowEntry[]; last?: string; more: boolean }> {
    // Sort keys are `<created time>#<suffix>`: '~' sorts after every suffix, so `until` is inclusive.
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': historyPartition(tenantId, subscriptionId), ':from': window.since, ':to': `${window.until}~` },
        ...(after ? { ExclusiveStartKey: { pk: historyPartition(tenantId, subscriptionId), sk: after } } : {}),
        Limit: items,
      }),
    );
    const got = res.Items ?? [];
    const entries: WindowEntry[] = [];
    for (const item of got) {
      for (const [eventId, eventType, skipped] of (item.entries as [string, string, 1?][] | undefined) ?? []) {
        entries.push({
          deliveryId: deliveryIdFor(eventId, subscriptionId),
          eventId,
          eventType,
          createdTime: item.created_time as string,
          ...(skipped ? { skipped: true } : {}),
        });
      }
    }
    const last = got.length > 0 ? (got[got.length - 1]!.sk as string) : after;
    return { entries, ...(last !== undefined ? { last } : {}), more: res.LastEvaluatedKey !== undefined };
  }

  async claimDelivery(claimed: Delivery, prior: Delivery | undefined): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: deliveryItem(claimed, this.ttl(), this.dueBucketSeconds),
          ...(prior
            ? {
                ConditionExpression: '#status = :status AND generation = :generation AND updated_time = :updated',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':status': prior.status, ':generation': prior.generation, ':updated': prior.updatedTime },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async disableSubscription(tenantId: string, subscriptionId: string, reason: string, at: string): Promise<{ url: string } | undefined> {
    let url: string;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          UpdateExpression: 'SET #s = :disabled, updated_time = :at, disabled_reason = :reason, disabled_time = :at',
          ConditionExpression: '#s = :enabled AND attribute_not_exists(deleted_time)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':enabled': 'enabled', ':at': at, ':reason': reason },
          // The item as written, for the disable's notice (its url): UpdateItem's ReturnValues
          // costs no read units, where a GetItem after it would.
          ReturnValues: 'ALL_NEW',
        }),
      );
      url = String(out.Attributes?.url ?? '');
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
    // Should counting fail, senders see the disable once their cache expires (as for a 410).
    await countSubscriptionChange(this.doc, this.tableName, tenantId).catch(() => undefined);
    return { url };
  }

  private item(r: Recovery): Item {
    return {
      ...keys.recovery(r.tenantId, r.id),
      type: 'recovery',
      id: r.id,
      tenant_id: r.tenantId,
      subscription_id: r.subscriptionId,
      since: r.since,
      until: r.until,
      state: r.state,
      found: r.found,
      queued: r.queued,
      expired: r.expired,
      cursor: r.cursor,
      version: r.version,
      created_time: r.createdTime,
      updated_time: r.updatedTime,
      done_time: r.doneTime,
      lease_until: r.leaseUntil,
      pace_time: r.paceTime,
      ttl: this.ttl(),
    };
  }
}

function fromItem(i: Item): Recovery {
  const r: Recovery = {
    id: i.id as string,
    tenantId: i.tenant_id as string,
    subscriptionId: i.subscription_id as string,
    since: i.since as string,
    until: i.until as string,
    state: i.state as Recovery['state'],
    found: i.found as number,
    queued: i.queued as number,
    expired: i.expired as number,
    version: i.version as number,
    createdTime: i.created_time as string,
    updatedTime: i.updated_time as string,
  };
  if (typeof i.cursor === 'string') r.cursor = i.cursor;
  if (typeof i.done_time === 'string') r.doneTime = i.done_time;
  if (typeof i.lease_until === 'string') r.leaseUntil = i.lease_until;
  if (typeof i.pace_time === 'string') r.paceTime = i.pace_time;
  return r;
}
