import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  chunkByCountAndBytes,
  DYNAMODB_BATCH_GET_MAX_KEYS,
  DYNAMODB_BATCH_WRITE_MAX_BYTES,
  DYNAMODB_BATCH_WRITE_MAX_ITEMS,
  DYNAMODB_MAX_ITEM_BYTES,
} from '../../domain/aws-limits.js';
import { dynamoItemBytes } from '../../domain/dynamodb-item-size.js';
import type { Attempt, Delivery, FanoutProgress, StoredEvent, Subscription, WebhookEvent } from '../../domain/model.js';
import { serializeEvent } from '../../domain/webhook-body.js';
import { type DeliveryStore, type Page, type PageRequest, storeKey } from '../../ports.js';
import { queryNewestFirst } from './cursor.js';
import { keys } from './dynamodb-keys.js';
import { fromSubscriptionItem } from './dynamodb-subscriptions.js';

const TRIES = 6;

/** Deliveries, attempts and events age out with DynamoDB TTL: 30 days unless configured. */
export const DEFAULT_RETENTION_DAYS = 30;

type Item = Record<string, unknown>;

function deliveryItem(d: Delivery, ttl: number): Item {
  return {
    ...keys.delivery(d.tenantId, d.id),
    gsi1pk: keys.deliveriesBySubscription(d.tenantId, d.subscriptionId),
    gsi1sk: `${d.createdTime}#${d.id}`,
    type: 'delivery',
    id: d.id,
    tenant_id: d.tenantId,
    subscription_id: d.subscriptionId,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    generation: d.generation,
    created_time: d.createdTime,
    updated_time: d.updatedTime,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_time: d.nextAttemptTime,
    round_start: d.roundStart,
    round_generation: d.roundGeneration,
    dead_letter_receive: d.deadLetterReceive,
    ttl,
  };
}

function fromDeliveryItem(i: Item): Delivery {
  const d: Delivery = {
    id: i.id as string,
    tenantId: i.tenant_id as string,
    subscriptionId: i.subscription_id as string,
    eventId: i.event_id as string,
    eventType: i.event_type as string,
    status: i.status as Delivery['status'],
    attempts: i.attempts as number,
    generation: (i.generation as number | undefined) ?? 0,
    createdTime: i.created_time as string,
    updatedTime: i.updated_time as string,
  };
  if (typeof i.last_status_code === 'number') d.lastStatusCode = i.last_status_code;
  if (typeof i.last_error === 'string') d.lastError = i.last_error;
  if (typeof i.next_attempt_time === 'string') d.nextAttemptTime = i.next_attempt_time;
  if (typeof i.round_start === 'number') d.roundStart = i.round_start;
  if (typeof i.round_generation === 'number') d.roundGeneration = i.round_generation;
  if (typeof i.dead_letter_receive === 'number') d.deadLetterReceive = i.dead_letter_receive;
  return d;
}

function attemptItem(a: Attempt, ttl: number): Item {
  return {
    ...keys.attempt(a.tenantId, a.deliveryId, a.time, a.attempt),
    type: 'attempt',
    tenant_id: a.tenantId,
    delivery_id: a.deliveryId,
    subscription_id: a.subscriptionId,
    event_id: a.eventId,
    attempt: a.attempt,
    time: a.time,
    status_code: a.statusCode,
    error: a.error,
    error_message: a.errorMessage,
    latency_ms: a.latencyMs,
    response_excerpt: a.responseExcerpt,
    ttl,
  };
}

function fromAttemptItem(i: Item): Attempt {
  const a: Attempt = {
    tenantId: i.tenant_id as string,
    deliveryId: i.delivery_id as string,
    subscriptionId: i.subscription_id as string,
    eventId: i.event_id as string,
    attempt: i.attempt as number,
    time: i.time as string,
    latencyMs: i.latency_ms as number,
    responseExcerpt: (i.response_excerpt as string | undefined) ?? '',
  };
  if (typeof i.status_code === 'number') a.statusCode = i.status_code;
  if (typeof i.error === 'string') a.error = i.error as Attempt['error'];
  if (typeof i.error_message === 'string') a.errorMessage = i.error_message;
  return a;
}

function eventItem(e: StoredEvent, ttl: number): Item {
  return {
    ...keys.event(e.tenantId, e.event.id),
    type: 'event',
    tenant_id: e.tenantId,
    event_id: e.event.id,
    event_type: e.event.type,
    timestamp: e.event.timestamp,
    // The event as receivers get it, one string: its size is its JSON's, and DynamoDB's limits on
    // maps (32 levels of nesting, numbers within 38 digits) cannot refuse what a producer sent.
    body: serializeEvent(e.event),
    deliveries: e.deliveries,
    stored_time: e.storedTime,
    payload_hash: e.payloadHash,
    published: e.published,
    // A fan-out in pages: its progress (page, cursor, sent, by), a small map.
    ...(e.fanout ? { fanout: e.fanout } : {}),
    ttl,
  };
}

function fromEventItem(i: Item): StoredEvent {
  // Items written before `body` hold the data as a map.
  const data = typeof i.body === 'string' ? (JSON.parse(i.body) as WebhookEvent).data : (i.data as Record<string, unknown>);
  const e: StoredEvent = {
    tenantId: i.tenant_id as string,
    event: {
      id: i.event_id as string,
      type: i.event_type as string,
      timestamp: i.timestamp as string,
      data,
    },
    storedTime: i.stored_time as string,
  };
  if (typeof i.deliveries === 'number') e.deliveries = i.deliveries;
  if (typeof i.payload_hash === 'string') e.payloadHash = i.payload_hash;
  if (typeof i.published === 'boolean') e.published = i.published;
  if (i.fanout && typeof i.fanout === 'object') e.fanout = i.fanout as FanoutProgress;
  return e;
}

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DEFAULT_RETENTION_DAYS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private ttl(): number {
    return Math.floor(this.now().getTime() / 1000) + this.retentionDays * 24 * 60 * 60;
  }

  /**
   * BatchGetItem in hundreds. DynamoDB answers at most 16 MB (dynalite: about 1 MB) and leaves the
   * rest in UnprocessedKeys: a round that read something is progress, so only rounds that read
   * nothing count towards giving up.
   */
  private async batchGet(keyList: Record<string, string>[], consistentRead = false): Promise<Item[]> {
    const out: Item[] = [];
    const unique = [...new Map(keyList.map((k) => [`${k.pk}|${k.sk}`, k])).values()];
    for (let i = 0; i < unique.length; i += DYNAMODB_BATCH_GET_MAX_KEYS) {
      let pending: Record<string, unknown>[] | undefined = unique.slice(i, i + DYNAMODB_BATCH_GET_MAX_KEYS);
      for (let idle = 0; pending && pending.length > 0; ) {
        const res: import('@aws-sdk/lib-dynamodb').BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ...(consistentRead ? { ConsistentRead: true } : {}) } },
          }),
        );
        const got = res.Responses?.[this.tableName] ?? [];
        out.push(...got);
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys;
        if (!pending?.length) break;
        if (got.length > 0) continue;
        if (++idle >= TRIES) throw new Error(`DynamoDB left ${pending.length} key(s) unread after ${TRIES} tries`);
        await backoff(idle);
      }
    }
    return out;
  }

  async getEvents(keyList: readonly { tenantId: string; eventId: string }[]): Promise<Map<string, StoredEvent>> {
    if (keyList.length === 0) return new Map();
    // Strongly consistent: fan-out reads an event the API stored a moment before putting its reference on the bus.
    const items = await this.batchGet(
      keyList.map((k) => keys.event(k.tenantId, k.eventId)),
      true,
    );
    return new Map(items.map((i) => fromEventItem(i)).map((e) => [storeKey(e.tenantId, e.event.id), e]));
  }

  async getDeliveries(keyList: readonly { tenantId: string; deliveryId: string }[]): Promise<Map<string, Delivery>> {
    if (keyList.length === 0) return new Map();
    const items = await this.batchGet(keyList.map((k) => keys.delivery(k.tenantId, k.deliveryId)));
    return new Map(items.map(fromDeliveryItem).map((d) => [storeKey(d.tenantId, d.id), d]));
  }

  async getForSending(
    keyList: readonly { tenantId: string; deliveryId: string; subscriptionId: string }[],
  ): Promise<{ deliveries: Map<string, Delivery>; subscriptions: Map<string, Subscription> }> {
    const deliveries = new Map<string, Delivery>();
    const subscriptions = new Map<string, Subscription>();
    if (keyList.length === 0) return { deliveries, subscriptions };
    const items = await this.batchGet([
      ...keyList.map((k) => keys.delivery(k.tenantId, k.deliveryId)),
      ...keyList.map((k) => keys.subscription(k.tenantId, k.subscriptionId)),
    ]);
    for (const i of items) {
      if (i.type === 'delivery') {
        const d = fromDeliveryItem(i);
        deliveries.set(storeKey(d.tenantId, d.id), d);
      } else if (i.type === 'subscription') {
        const s = fromSubscriptionItem(i);
        // A deleted subscription is as good as missing: it gets nothing new.
        if (!s.deletedTime) subscriptions.set(storeKey(s.tenantId, s.id), s);
      }
    }
    return { deliveries, subscriptions };
  }

  async disableGoneSubscription(tenantId: string, subscriptionId: string, seenUpdatedTime: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          UpdateExpression: 'SET #s = :disabled, updated_time = :at',
          ConditionExpression: 'updated_time = :seen AND attribute_not_exists(deleted_time)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':at': at, ':seen': seenUpdatedTime },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async listDeliveries(tenantId: string, subscriptionId: string, page: PageRequest, status?: string): Promise<Page<Delivery>> {
    return queryNewestFirst(
      this.doc,
      this.tableName,
      keys.deliveriesBySubscription(tenantId, subscriptionId),
      page,
      (id) => keys.delivery(tenantId, id),
      fromDeliveryItem,
      // gsi1sk is `<created time>#<delivery id>`.
      status ? { attribute: 'status', value: status, idOfKey: (k) => k.gsi1sk!.slice(k.gsi1sk!.lastIndexOf('#') + 1) } : undefined,
    );
  }

  async listAttempts(tenantId: string, deliveryId: string): Promise<Attempt[]> {
    const out: Attempt[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
          ExpressionAttributeValues: { ':p': keys.delivery(tenantId, deliveryId).pk, ':a': 'ATTEMPT#' },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(res.Items ?? []).map(fromAttemptItem));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async claimEvent(event: StoredEvent): Promise<{ claimed: true } | { claimed: false; existing: StoredEvent }> {
    const key = keys.event(event.tenantId, event.event.id);
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: eventItem(event, this.ttl()), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return { claimed: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    const existing = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (!existing.Item) throw new Error(`event ${event.event.id} was claimed, then vanished`);
    return { claimed: false, existing: fromEventItem(existing.Item) };
  }

  async markPublished(tenantId: string, eventId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.event(tenantId, eventId),
        UpdateExpression: 'SET published = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }

  async write(items: { events?: readonly StoredEvent[]; deliveries?: readonly Delivery[]; attempts?: readonly Attempt[] }): Promise<void> {
    const ttl = this.ttl();
    // Last write wins per key within one batch; DynamoDB refuses duplicates in a BatchWrite.
    const byKey = new Map<string, Item>();
    for (const e of items.events ?? []) put(byKey, eventItem(e, ttl));
    for (const d of items.deliveries ?? []) put(byKey, deliveryItem(d, ttl));
    for (const a of items.attempts ?? []) put(byKey, attemptItem(a, ttl));
    const all = [...byKey.values()].map((item) => ({ item, bytes: dynamoItemBytes(item) }));
    // Refused before anything is written: DynamoDB would refuse the whole batch it sits in.
    const tooLarge = all.find((e) => e.bytes > DYNAMODB_MAX_ITEM_BYTES);
    if (tooLarge) throw new Error(`an item of ${tooLarge.bytes} bytes is over DynamoDB's ${DYNAMODB_MAX_ITEM_BYTES}-byte item limit`);
    // 25 items and 16 MB a request.
    const { batches } = chunkByCountAndBytes(all, (e) => e.bytes, DYNAMODB_BATCH_WRITE_MAX_ITEMS, DYNAMODB_BATCH_WRITE_MAX_BYTES);
    for (const batch of batches) {
      let pending: unknown[] | undefined = batch.map((e) => ({ PutRequest: { Item: e.item } }));
      for (let attempt = 1; pending && pending.length > 0; attempt++) {
        const res: import('@aws-sdk/lib-dynamodb').BatchWriteCommandOutput = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
        );
        pending = res.UnprocessedItems?.[this.tableName];
        if (pending?.length && attempt >= TRIES) throw new Error(`DynamoDB left ${pending.length} item(s) unwritten after ${TRIES} tries`);
        if (pending?.length) await backoff(attempt);
      }
    }
  }
}

function put(map: Map<string, Item>, item: Item): void {
  map.set(`${item.pk as string}|${item.sk as string}`, item);
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
