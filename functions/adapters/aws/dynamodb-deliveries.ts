import { randomBytes } from 'node:crypto';
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
import { deliveryIdFor } from '../../domain/delivery-id.js';
import { type HistoryEntry, pendingDelivery, RECORD_BUDGET_BYTES, trimAttemptLog } from '../../domain/delivery-record.js';
import { dynamoItemBytes } from '../../domain/dynamodb-item-size.js';
import { ApiError } from '../../domain/errors.js';
import type { Attempt, Delivery, FanoutProgress, StoredEvent, Subscription, WebhookEvent } from '../../domain/model.js';
import { DEFAULT_DUE_BUCKET_SECONDS, dueBucket, dueShard, lotPosition, type Park } from '../../domain/parking.js';
import { GONE_DISABLED_REASON } from '../../domain/recovery.js';
import type { Verification } from '../../domain/verification.js';
import { serializeEvent } from '../../domain/webhook-body.js';
import { type DeliveryStore, type Page, type PageRequest, storeKey } from '../../ports.js';
import { decodeCursor, encodeCursor, queryNewestFirst } from './cursor.js';
import { duePartition, GSI1, historyPartition, keys, ttlAfter } from './dynamodb-keys.js';
import { fromSubscriptionItem, verificationItem } from './dynamodb-subscriptions.js';
import { changesOf, countSubscriptionChange, SUBSCRIPTIONS_CHANGED_TYPE, SubscriptionCache } from './subscription-changes.js';

const TRIES = 6;

/** Deliveries, attempts and events age out with DynamoDB TTL: 30 days unless configured. */
export const DEFAULT_RETENTION_DAYS = 30;

type Item = Record<string, unknown>;

export function deliveryItem(d: Delivery, ttl: number, dueBucketSeconds: number): Item {
  const item: Item = {
    ...keys.delivery(d.tenantId, d.id),
    // Only records from before the history index keep their gsi1 listing: every other write of
    // a delivery touches no index.
    ...(d.legacyListing ? { gsi1pk: keys.deliveriesBySubscription(d.tenantId, d.subscriptionId), gsi1sk: `${d.createdTime}#${d.id}` } : {}),
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
    dead_letter_message_id: d.deadLetterMessageId,
    carrier_token: d.carrier?.token,
    carrier_message_id: d.carrier?.messageId,
    event_body: d.eventBody,
    recovery_id: d.recovery?.id,
    recovery_at: d.recovery?.at,
    // A parked delivery is in the due-time index until it is written again without its park.
    ...(d.park ? parkAttributes(d.id, d.park, dueBucketSeconds) : {}),
    ttl,
  };
  const log = d.attemptLog ?? [];
  if (log.length === 0) return item;
  const withLog = (l: readonly Attempt[]) => ({ ...item, attempt_log: l.map(inlineAttempt) });
  return withLog(trimAttemptLog(log, (l) => dynamoItemBytes(withLog(l))));
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
  if (Array.isArray(i.attempt_log)) d.attemptLog = (i.attempt_log as Item[]).map((a) => fromInlineAttempt(a, d));
  if (typeof i.gsi1pk === 'string') d.legacyListing = true;
  if (typeof i.event_body === 'string') d.eventBody = i.event_body;
  if (typeof i.dead_letter_message_id === 'string') d.deadLetterMessageId = i.dead_letter_message_id;
  if (typeof i.recovery_id === 'string') d.recovery = { id: i.recovery_id, at: i.recovery_at as string };
  if (typeof i.carrier_token === 'string') d.carrier = { token: i.carrier_token, messageId: i.carrier_message_id as string };
  if (typeof i.park_token === 'string') {
    d.park = { kind: i.park_kind as Park['kind'], token: i.park_token, until: i.park_until as string };
    if (typeof i.park_lot_wake === 'string') d.park.lotWake = i.park_lot_wake;
  }
  return d;
}

function parkAttributes(deliveryId: string, park: Park, dueBucketSeconds: number): Item {
  const untilMs = Date.parse(park.until);
  return {
    park_kind: park.kind,
    park_token: park.token,
    park_until: park.until,
    park_lot_wake: park.lotWake,
    gsi2pk: duePartition(dueBucket(untilMs, dueBucketSeconds), dueShard(deliveryId, dueBucketSeconds)),
    gsi2sk: `${untilMs}#${park.token}`,
  };
}

/** A held delivery's entry in its subscription's lot: what a drain resumes, oldest deadline first. */
function lotEntryItem(d: Delivery & { park: Park }): Item {
  const untilMs = Date.parse(d.park.until);
  return {
    ...keys.lotEntry(d.tenantId, d.subscriptionId, lotPosition(untilMs, d.id)),
    type: 'lot_entry',
    delivery_id: d.id,
    token: d.park.token,
    // Past its deadline the delivery is dead-lettered through the due-time index; the entry is kept a day more for nothing.
    ttl: Math.floor(untilMs / 1000) + 24 * 60 * 60,
  };
}

/** Where an attempt's fields are stored: inline in its delivery's item (short names, since every attempt rewrites them all). */
const INLINE_NAMES = {
  attempt: 'n',
  time: 't',
  statusCode: 'c',
  error: 'e',
  errorMessage: 'm',
  latencyMs: 'l',
  responseExcerpt: 'r',
} as const;
/** ... or, for attempts written before they moved inline, in an item of their own: read, never written. */
const ITEM_NAMES = {
  attempt: 'attempt',
  time: 'time',
  statusCode: 'status_code',
  error: 'error',
  errorMessage: 'error_message',
  latencyMs: 'latency_ms',
  responseExcerpt: 'response_excerpt',
} as const;

function inlineAttempt(a: Attempt): Item {
  return {
    [INLINE_NAMES.attempt]: a.attempt,
    [INLINE_NAMES.time]: a.time,
    [INLINE_NAMES.statusCode]: a.statusCode,
    [INLINE_NAMES.error]: a.error,
    [INLINE_NAMES.errorMessage]: a.errorMessage,
    [INLINE_NAMES.latencyMs]: a.latencyMs,
    [INLINE_NAMES.responseExcerpt]: a.responseExcerpt || undefined,
  };
}

function attemptFrom(
  i: Item,
  names: typeof INLINE_NAMES | typeof ITEM_NAMES,
  owner: Pick<Attempt, 'tenantId' | 'deliveryId' | 'subscriptionId' | 'eventId'>,
): Attempt {
  const a: Attempt = {
    ...owner,
    attempt: i[names.attempt] as number,
    time: i[names.time] as string,
    latencyMs: i[names.latencyMs] as number,
    responseExcerpt: (i[names.responseExcerpt] as string | undefined) ?? '',
  };
  const statusCode = i[names.statusCode];
  const error = i[names.error];
  const errorMessage = i[names.errorMessage];
  if (typeof statusCode === 'number') a.statusCode = statusCode;
  if (typeof error === 'string') a.error = error as Attempt['error'];
  if (typeof errorMessage === 'string') a.errorMessage = errorMessage;
  return a;
}

function fromInlineAttempt(i: Item, d: Delivery): Attempt {
  return attemptFrom(i, INLINE_NAMES, { tenantId: d.tenantId, deliveryId: d.id, subscriptionId: d.subscriptionId, eventId: d.eventId });
}

function fromAttemptItem(i: Item): Attempt {
  const owner = {
    tenantId: i.tenant_id as string,
    deliveryId: i.delivery_id as string,
    subscriptionId: i.subscription_id as string,
    eventId: i.event_id as string,
  };
  return attemptFrom(i, ITEM_NAMES, owner);
}

/** An index entry as read: the delivery id is derived from the event and subscription. */
interface HistoryEntryRead {
  deliveryId: string;
  eventId: string;
  eventType: string;
  skipped?: boolean;
}

/** An index entry: the event's id and type; the delivery id is derived from the event and subscription. */
type IndexEntry = [eventId: string, eventType: string] | [eventId: string, eventType: string, skipped: 1];

/**
 * The subscription's history index items for a set of entries: one per (tenant, subscription,
 * created time), split only when one would pass the record budget.
 */
function historyItems(entries: readonly HistoryEntry[], ttl: number): Item[] {
  const groups = new Map<string, HistoryEntry[]>();
  for (const e of entries) {
    const key = JSON.stringify([e.tenantId, e.subscriptionId, e.createdTime]);
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  const items: Item[] = [];
  for (const group of groups.values()) {
    const { tenantId, subscriptionId, createdTime } = group[0]!;
    // A skipped entry (the subscription was disabled at fan-out) is marked, so lists and recoveries tell it from a sent one.
    const list: IndexEntry[] = group.map((e) => (e.skipped ? [e.eventId, e.eventType, 1] : [e.eventId, e.eventType]));
    // The item's own attributes are well under 1 KB; the rest of the budget holds entries.
    const { batches, oversized } = chunkByCountAndBytes(
      list,
      (e) => dynamoItemBytes({ e: [e] }) - 4,
      Number.POSITIVE_INFINITY,
      RECORD_BUDGET_BYTES - 1024,
    );
    // Never the case for ids and types within the API's limits; kept whole rather than lost.
    for (const e of oversized) batches.push([e]);
    const suffix = randomBytes(6).toString('base64url');
    batches.forEach((batch, n) => {
      items.push({
        ...keys.history(tenantId, subscriptionId, `${createdTime}#${suffix}${batches.length > 1 ? `.${n}` : ''}`),
        type: 'history',
        created_time: createdTime,
        entries: batch,
        ttl,
      });
    });
  }
  return items;
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
    // Too large for an item, it is in the body store, and the item keeps the key.
    ...(e.bodyKey ? { body_key: e.bodyKey } : { body: serializeEvent(e.event) }),
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
  // Items written before `body` hold the data as a map; a body in the body store is not read here.
  const data =
    typeof i.body === 'string'
      ? (JSON.parse(i.body) as WebhookEvent).data
      : typeof i.body_key === 'string'
        ? {}
        : (i.data as Record<string, unknown>);
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
  if (typeof i.body_key === 'string') e.bodyKey = i.body_key;
  return e;
}

export class DynamoDeliveryStore implements DeliveryStore {
  /** Per container: the sender's subscriptions, kept while their tenant's change counter stands still. */
  private readonly subscriptionCache = new SubscriptionCache();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DEFAULT_RETENTION_DAYS,
    private readonly now: () => Date = () => new Date(),
    /** The due-time index's bucket (parking.ts); the resumer must sweep with the same. */
    private readonly dueBucketSeconds = DEFAULT_DUE_BUCKET_SECONDS,
  ) {}

  private ttl(): number {
    return ttlAfter(this.now(), this.retentionDays);
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

  async getEvents(
    keyList: readonly { tenantId: string; eventId: string }[],
    options: { consistent?: boolean } = {},
  ): Promise<Map<string, StoredEvent>> {
    if (keyList.length === 0) return new Map();
    const items = await this.batchGet(
      keyList.map((k) => keys.event(k.tenantId, k.eventId)),
      options.consistent ?? true,
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
    // The deliveries and each tenant's subscriptions-changed counter in one read; then only the
    // subscriptions this container has not read under the counter's value (subscription-changes.ts).
    const tenants = [...new Set(keyList.map((k) => k.tenantId))];
    const changes = new Map(tenants.map((t) => [t, 0]));
    for (const i of await this.batchGet([
      ...keyList.map((k) => keys.delivery(k.tenantId, k.deliveryId)),
      ...tenants.map((t) => keys.subscriptionsChanged(t)),
    ])) {
      if (i.type === 'delivery') {
        const d = fromDeliveryItem(i);
        deliveries.set(storeKey(d.tenantId, d.id), d);
      } else if (i.type === SUBSCRIPTIONS_CHANGED_TYPE) changes.set((i.pk as string).slice('TENANT#'.length), changesOf(i));
    }
    const found = new Map<string, Subscription>();
    const toRead: Record<string, string>[] = [];
    for (const k of keyList) {
      const cached = this.subscriptionCache.get(k.tenantId, changes.get(k.tenantId)!, k.subscriptionId);
      if (cached) found.set(storeKey(k.tenantId, k.subscriptionId), cached);
      else toRead.push(keys.subscription(k.tenantId, k.subscriptionId));
    }
    for (const i of toRead.length > 0 ? await this.batchGet(toRead, true) : []) {
      const s = fromSubscriptionItem(i);
      this.subscriptionCache.put(s.tenantId, changes.get(s.tenantId)!, s);
      found.set(storeKey(s.tenantId, s.id), s);
    }
    // A deleted subscription is as good as missing: it gets nothing new.
    for (const [key, s] of found) if (!s.deletedTime) subscriptions.set(key, s);
    return { deliveries, subscriptions };
  }

  async disableGoneSubscription(tenantId: string, subscriptionId: string, seenUpdatedTime: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          UpdateExpression: 'SET #s = :disabled, updated_time = :at, disabled_reason = :reason, disabled_time = :at',
          ConditionExpression: 'updated_time = :seen AND attribute_not_exists(deleted_time)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':at': at, ':seen': seenUpdatedTime, ':reason': GONE_DISABLED_REASON },
        }),
      );
      // Should counting fail, other containers see the disable once their cache expires (CACHE_TTL_MS).
      await countSubscriptionChange(this.doc, this.tableName, tenantId).catch(() => undefined);
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async settleVerification(tenantId: string, subscriptionId: string, requestId: string, outcome: Verification): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          UpdateExpression: 'SET verification = :v',
          ConditionExpression: 'verification.request_id = :rid AND attribute_not_exists(deleted_time)',
          ExpressionAttributeValues: { ':v': verificationItem(outcome), ':rid': requestId },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    // Fan-out's and the senders' caches read the subscription again once this is counted; should
    // counting fail, they do when their cache expires (CACHE_TTL_MS).
    await countSubscriptionChange(this.doc, this.tableName, tenantId).catch(() => undefined);
    return true;
  }

  async listDeliveries(tenantId: string, subscriptionId: string, page: PageRequest, status?: string): Promise<Page<Delivery>> {
    const position = page.cursor ? decodeListCursor(page.cursor) : { sk: undefined, skip: 0 };
    if (position === 'legacy') return this.listLegacy(tenantId, subscriptionId, page, status);
    const partition = historyPartition(tenantId, subscriptionId);
    const items: Delivery[] = [];
    const seen = new Set<string>();
    let at: HistoryPosition | undefined = position;
    // Unfiltered, one round fills the page; a filter may need a few, as many as the old index allowed.
    for (let round = 0; at && items.length < page.limit && round < (status ? MAX_FILTERED_ROUNDS : 1); round++) {
      const read = await this.readHistory(partition, subscriptionId, at, page.limit - items.length);
      const records = await this.getDeliveries(read.entries.map((e) => ({ tenantId, deliveryId: e.deliveryId })));
      for (const e of read.entries) {
        // An event fanned out twice (a retried fan-out write) is listed once.
        if (seen.has(e.deliveryId)) continue;
        seen.add(e.deliveryId);
        const d =
          records.get(storeKey(tenantId, e.deliveryId)) ??
          pendingDelivery(
            {
              tenantId,
              subscriptionId,
              eventId: e.eventId,
              eventType: e.eventType,
              createdTime: e.createdTime,
              ...(e.skipped ? { skipped: true } : {}),
            },
            e.deliveryId,
          );
        if (!status || d.status === status) items.push(d);
      }
      at = read.next;
    }
    if (at) return { items, nextCursor: encodeCursor({ h: at.sk ?? '', i: String(at.skip) }) };
    // The history index is exhausted: deliveries recorded before it follow, all of them older.
    const rest = page.limit - items.length;
    if (rest === 0) return (await this.hasLegacy(tenantId, subscriptionId)) ? { items, nextCursor: encodeCursor(LEGACY_START) } : { items };
    const legacy = await this.listLegacy(tenantId, subscriptionId, { limit: rest }, status);
    return { items: [...items, ...legacy.items], ...(legacy.nextCursor ? { nextCursor: legacy.nextCursor } : {}) };
  }

  /** Up to `want` entries of a history partition from `from` on, newest first, and where the next read starts (undefined at the end). */
  private async readHistory(
    partition: string,
    subscriptionId: string,
    from: HistoryPosition,
    want: number,
  ): Promise<{ entries: (HistoryEntryRead & { createdTime: string })[]; next?: HistoryPosition }> {
    const entries: (HistoryEntryRead & { createdTime: string })[] = [];
    let start: Record<string, unknown> | undefined;
    let itemsRead = 0;
    for (;;) {
      // The first read asks for a few items (one may hold hundreds of entries), later ones for
      // as many as the entries per item seen so far suggest.
      const limit =
        itemsRead === 0
          ? Math.min(FIRST_HISTORY_READ_ITEMS, want + 1)
          : Math.ceil((want - entries.length) / Math.max(1, (entries.length + from.skip) / itemsRead)) + 1;
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: from.sk ? 'pk = :p AND sk <= :s' : 'pk = :p',
          ExpressionAttributeValues: from.sk ? { ':p': partition, ':s': from.sk } : { ':p': partition },
          ScanIndexForward: false,
          Limit: Math.min(MAX_HISTORY_ITEMS_PER_READ, limit),
          ExclusiveStartKey: start,
        }),
      );
      const got = res.Items ?? [];
      for (let n = 0; n < got.length; n++) {
        const item = got[n]!;
        itemsRead++;
        const list = (item.entries as IndexEntry[] | undefined) ?? [];
        let i = item.sk === from.sk ? from.skip : 0;
        for (; i < list.length && entries.length < want; i++) {
          const [eventId, eventType, skipped] = list[i]!;
          entries.push({
            deliveryId: deliveryIdFor(eventId, subscriptionId),
            eventId,
            eventType,
            createdTime: item.created_time as string,
            ...(skipped ? { skipped: true } : {}),
          });
        }
        if (entries.length >= want) {
          // Full: the next read starts at this item, past what was taken (or past all of it).
          const more = i < list.length || n < got.length - 1 || res.LastEvaluatedKey !== undefined;
          return { entries, ...(more ? { next: { sk: item.sk as string, skip: i } } : {}) };
        }
      }
      start = res.LastEvaluatedKey;
      if (!start) return { entries };
    }
  }

  /** Deliveries listed by gsi1 only, from before the history index; the cursor formats are the old ones. */
  private listLegacy(tenantId: string, subscriptionId: string, page: PageRequest, status?: string): Promise<Page<Delivery>> {
    const cursor = page.cursor && isLegacyStart(page.cursor) ? undefined : page.cursor;
    return queryNewestFirst(
      this.doc,
      this.tableName,
      keys.deliveriesBySubscription(tenantId, subscriptionId),
      { limit: page.limit, ...(cursor ? { cursor } : {}) },
      (id) => keys.delivery(tenantId, id),
      fromDeliveryItem,
      // gsi1sk is `<created time>#<delivery id>`.
      status ? { attribute: 'status', value: status, idOfKey: (k) => k.gsi1sk!.slice(k.gsi1sk!.lastIndexOf('#') + 1) } : undefined,
    );
  }

  private async hasLegacy(tenantId: string, subscriptionId: string): Promise<boolean> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.deliveriesBySubscription(tenantId, subscriptionId) },
        Select: 'COUNT',
        Limit: 1,
      }),
    );
    return (res.Count ?? 0) > 0;
  }

  async listAttempts(tenantId: string, deliveryId: string): Promise<Attempt[]> {
    // One partition holds the delivery's item (attempts inline) and, for deliveries recorded
    // before that, an item per attempt.
    const out: Attempt[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': keys.delivery(tenantId, deliveryId).pk },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        if (item.type === 'attempt') out.push(fromAttemptItem(item));
        else if (item.type === 'delivery') out.push(...(fromDeliveryItem(item).attemptLog ?? []));
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.attempt - b.attempt || a.time.localeCompare(b.time));
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

  async write(items: {
    events?: readonly StoredEvent[];
    deliveries?: readonly Delivery[];
    history?: readonly HistoryEntry[];
  }): Promise<void> {
    const ttl = this.ttl();
    // History entries go first, in requests of their own: the event item is what tells a fan-out
    // that comes back (after a crash or a timeout between two requests, or items DynamoDB left
    // unprocessed) that the event is done, so it must never be there without its entries. An
    // entry written twice is listed once; one missing would hide its delivery from lists.
    const deliveries = items.deliveries ?? [];
    const phases = [
      sized(historyItems(items.history ?? [], ttl)),
      sized([
        ...deliveries.map((d) => deliveryItem(d, ttl, this.dueBucketSeconds)),
        // A held delivery's lot entry goes with its record: a drain finds it there, its record says whether it still waits.
        ...deliveries.flatMap((d) => (d.park?.kind === 'held' ? [lotEntryItem(d as Delivery & { park: Park })] : [])),
        ...(items.events ?? []).map((e) => eventItem(e, ttl)),
      ]),
    ];
    // Refused before anything is written: DynamoDB would refuse the whole batch it sits in.
    const tooLarge = phases.flat().find((e) => e.bytes > DYNAMODB_MAX_ITEM_BYTES);
    if (tooLarge) throw new Error(`an item of ${tooLarge.bytes} bytes is over DynamoDB's ${DYNAMODB_MAX_ITEM_BYTES}-byte item limit`);
    for (const phase of phases) await this.putAll(phase);
  }

  /** BatchWriteItem in requests of 25 items and 16 MB, sending again what DynamoDB leaves unprocessed. */
  private async putAll(all: readonly { item: Item; bytes: number }[]): Promise<void> {
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

interface HistoryPosition {
  /** The index item to start at (inclusive); undefined: the newest. */
  sk: string | undefined;
  /** Entries of that item already listed. */
  skip: number;
}

/** Filtered lists read at most this many rounds of entries to fill one page. */
const MAX_FILTERED_ROUNDS = 5;
/** Index items a read asks for at most (each holds one entry or many). */
const MAX_HISTORY_ITEMS_PER_READ = 100;
const FIRST_HISTORY_READ_ITEMS = 4;
const LEGACY_START = { legacy: 'start' };

/**
 * A list cursor: a place in the history index (`h`: an index item's sort key, `i`: entries of it
 * already listed), or in the old gsi1 listing that follows it. Only positions inside the caller's
 * own partitions: the partition comes from the request, never from the cursor.
 */
function decodeListCursor(cursor: string): HistoryPosition | 'legacy' {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  if (raw && typeof raw === 'object' && 'h' in raw) {
    const { h, i } = decodeCursor(cursor, ['h', 'i']);
    if (!/^\d{1,6}$/.test(i!))
      throw new ApiError(400, 'invalid_cursor', 'next_cursor is not one this API gave out; start again without it');
    return { sk: h, skip: Number(i) };
  }
  // Legacy positions are checked by queryNewestFirst, which refuses anything else.
  return 'legacy';
}

function isLegacyStart(cursor: string): boolean {
  return cursor === encodeCursor(LEGACY_START);
}

/** Items with their sizes, one per key: the last wins, as DynamoDB refuses a key twice in one BatchWriteItem. */
function sized(items: readonly Item[]): { item: Item; bytes: number }[] {
  const byKey = new Map<string, Item>();
  for (const item of items) byKey.set(`${item.pk as string}|${item.sk as string}`, item);
  return [...byKey.values()].map((item) => ({ item, bytes: dynamoItemBytes(item) }));
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
