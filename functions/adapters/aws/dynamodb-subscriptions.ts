import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_BATCH_GET_MAX_KEYS } from '../../domain/aws-limits.js';
import { ApiError, notFound } from '../../domain/errors.js';
import type { Subscription } from '../../domain/model.js';
import type { PayloadFilter } from '../../domain/payload-filter.js';
import { type Verification, VerificationMoved } from '../../domain/verification.js';
import type { Page, PageRequest, SubscriptionRepository } from '../../ports.js';
import { queryNewestFirst } from './cursor.js';
import { keys, SUBSCRIPTION_PREFIX } from './dynamodb-keys.js';
import { changesOf, countSubscriptionChange } from './subscription-changes.js';

interface SubscriptionItem {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  type: 'subscription';
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  events: string[];
  /**
   * The payload filter as JSON: a string, not a map, so that any filter the API takes is stored
   * as it came (a map would refuse empty keys and count its nesting against DynamoDB's 32 levels);
   * at most MAX_FILTER_BYTES (payload-filter.ts), a small part of the item.
   */
  filter?: string;
  /** The rate limit (rate-limit.ts); the sender reads it with the subscription, in the same BatchGetItem. */
  rate_limit?: { per_second: number; burst: number };
  version: string;
  status: Subscription['status'];
  secret_name: string;
  secret_version?: string;
  created_time: string;
  updated_time: string;
  deleted_time?: string;
  disabled_reason?: string;
  disabled_time?: string;
  verification?: VerificationItem;
}

/** A map, so the sender can settle it under a condition on its request id (dynamodb-deliveries.ts, settleVerification). */
export interface VerificationItem {
  status: Verification['status'];
  mode: Verification['mode'];
  request_id?: string;
  url: string;
  requested_time: string;
  verified_time?: string;
  last_error?: string;
}

export function verificationItem(v: Verification): VerificationItem {
  const item: VerificationItem = { status: v.status, mode: v.mode, url: v.url, requested_time: v.requestedTime };
  if (v.requestId) item.request_id = v.requestId;
  if (v.verifiedTime) item.verified_time = v.verifiedTime;
  if (v.lastError) item.last_error = v.lastError;
  return item;
}

function fromVerificationItem(i: VerificationItem): Verification {
  const v: Verification = { status: i.status, mode: i.mode, url: i.url, requestedTime: i.requested_time };
  if (i.request_id) v.requestId = i.request_id;
  if (i.verified_time) v.verifiedTime = i.verified_time;
  if (i.last_error) v.lastError = i.last_error;
  return v;
}

/** The stored item of a subscription (also what tests seed in bulk with BatchWriteItem). */
export function subscriptionItem(s: Subscription): SubscriptionItem {
  const item: SubscriptionItem = {
    ...keys.subscription(s.tenantId, s.id),
    // Deleted subscriptions leave the index, so lists skip them without a filter.
    gsi1pk: s.deletedTime ? `${keys.subscriptionsByCreated(s.tenantId)}#DELETED` : keys.subscriptionsByCreated(s.tenantId),
    gsi1sk: `${s.createdTime}#${s.id}`,
    type: 'subscription',
    id: s.id,
    tenant_id: s.tenantId,
    url: s.url,
    description: s.description,
    events: s.events,
    version: s.version,
    status: s.status,
    secret_name: s.secretName,
    created_time: s.createdTime,
    updated_time: s.updatedTime,
  };
  if (s.deletedTime) item.deleted_time = s.deletedTime;
  if (s.secretVersion) item.secret_version = s.secretVersion;
  if (s.filter) item.filter = JSON.stringify(s.filter);
  if (s.verification) item.verification = verificationItem(s.verification);
  if (s.rateLimit) item.rate_limit = { per_second: s.rateLimit.perSecond, burst: s.rateLimit.burst };
  if (s.disabledReason) item.disabled_reason = s.disabledReason;
  if (s.disabledTime) item.disabled_time = s.disabledTime;
  return item;
}

export function fromSubscriptionItem(item: Record<string, unknown>): Subscription {
  const i = item as unknown as SubscriptionItem;
  const s: Subscription = {
    id: i.id,
    tenantId: i.tenant_id,
    url: i.url,
    description: i.description,
    events: i.events,
    version: i.version,
    status: i.status,
    secretName: i.secret_name,
    createdTime: i.created_time,
    updatedTime: i.updated_time,
  };
  if (i.deleted_time) s.deletedTime = i.deleted_time;
  if (i.secret_version) s.secretVersion = i.secret_version;
  if (typeof i.filter === 'string') s.filter = JSON.parse(i.filter) as PayloadFilter;
  if (i.verification) s.verification = fromVerificationItem(i.verification);
  if (i.rate_limit) s.rateLimit = { perSecond: Number(i.rate_limit.per_second), burst: Number(i.rate_limit.burst) };
  if (i.disabled_reason) s.disabledReason = i.disabled_reason;
  if (i.disabled_time) s.disabledTime = i.disabled_time;
  return s;
}

/** Rounds of BatchGetItem before a read of secret versions gives up on what stays unprocessed. */
const VERSION_READ_ROUNDS = 6;

export class DynamoSubscriptionRepository implements SubscriptionRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The cap is a counter item per tenant: a slot is reserved by a conditional increment (atomic,
   * so concurrent creates cannot both take the last slot), then the subscription is written, and
   * the slot is given back if that write fails. (A transaction would do both at once, but
   * dynalite, which local mode and the tests run on, has no TransactWriteItems.) A crash between
   * the two writes leaves one slot taken, which errs on the safe side of the cap.
   */
  async create(subscription: Subscription, options: { maxPerTenant?: number } = {}): Promise<void> {
    const max = options.maxPerTenant;
    if (max !== undefined) await this.reserveSlot(subscription.tenantId, max);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: subscriptionItem(subscription),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (max !== undefined) await this.releaseSlot(subscription.tenantId).catch(() => undefined);
      throw err;
    }
  }

  private async reserveSlot(tenantId: string, max: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscriptionCount(tenantId),
          UpdateExpression: 'ADD live :one SET #type = :type',
          ConditionExpression: 'attribute_not_exists(live) OR live < :max',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':type': 'subscription_count' },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ApiError(
          409,
          'subscription_limit_reached',
          `This tenant already has ${max} subscriptions, the most it may have; delete one before creating another`,
        );
      }
      throw err;
    }
  }

  /** Never below zero: subscriptions made before the counter existed are not counted. */
  private async releaseSlot(tenantId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscriptionCount(tenantId),
          UpdateExpression: 'ADD live :minus',
          ConditionExpression: 'live > :zero',
          ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.subscription(tenantId, id) }));
    if (!out.Item) return undefined;
    const s = fromSubscriptionItem(out.Item);
    return s.deletedTime ? undefined : s;
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
    return queryNewestFirst(
      this.doc,
      this.tableName,
      keys.subscriptionsByCreated(tenantId),
      page,
      (id) => keys.subscription(tenantId, id),
      fromSubscriptionItem,
    );
  }

  async update(subscription: Subscription, options: { seenVerification?: Verification | null } = {}): Promise<void> {
    const seen = options.seenVerification;
    // The sender settles verifications with an update of the item's `verification` alone
    // (dynamodb-deliveries.ts, settleVerification): a Put of what was read before must not undo it.
    const unchanged =
      seen === undefined
        ? ''
        : seen === null
          ? ' AND attribute_not_exists(verification)'
          : ' AND verification.#vs = :vs AND verification.requested_time = :vrt';
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: subscriptionItem(subscription),
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(deleted_time)${unchanged}`,
          ...(seen
            ? {
                ExpressionAttributeNames: { '#vs': 'status' },
                ExpressionAttributeValues: { ':vs': seen.status, ':vrt': seen.requestedTime },
              }
            : {}),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        if (seen !== undefined && (await this.get(subscription.tenantId, subscription.id)))
          throw new VerificationMoved(`the verification of subscription ${subscription.id} changed since it was read`);
        throw notFound(`Webhook subscription ${subscription.id}`);
      }
      throw err;
    }
    // After the change is written: the sender's caches move on when this does.
    await countSubscriptionChange(this.doc, this.tableName, subscription.tenantId);
    // The condition above lets exactly one delete through, so the slot is given back once.
    if (subscription.deletedTime) await this.releaseSlot(subscription.tenantId);
  }

  async changeCount(tenantId: string): Promise<number> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.subscriptionsChanged(tenantId), ConsistentRead: true }),
    );
    return changesOf(out.Item);
  }

  /**
   * BatchGetItem in hundreds, asking again for what DynamoDB leaves unprocessed (it answers at
   * most 16 MB, and less under throttling; these small projections come back whole unless throttled).
   */
  async secretVersions(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += DYNAMODB_BATCH_GET_MAX_KEYS) {
      let pending: Record<string, unknown>[] | undefined = unique
        .slice(i, i + DYNAMODB_BATCH_GET_MAX_KEYS)
        .map((id) => keys.subscription(tenantId, id));
      for (let round = 0; pending?.length; round++) {
        if (round >= VERSION_READ_ROUNDS) throw new Error(`DynamoDB left ${pending.length} subscription(s) unread after ${round} tries`);
        if (round > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** round));
        const res: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ProjectionExpression: 'id, secret_version, deleted_time',
              },
            },
          }),
        );
        for (const item of res.Responses?.[this.tableName] ?? [])
          if (!item.deleted_time) out.set(String(item.id), typeof item.secret_version === 'string' ? item.secret_version : '');
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return out;
  }

  async claimRotation(
    tenantId: string,
    id: string,
    at: string,
    since: string,
  ): Promise<{ claimed: true } | { claimed: false; last: string }> {
    const Key = keys.rotation(tenantId, id);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // Kept a day, then the table's TTL removes it: no limit reaches back that far.
          Item: { ...Key, type: 'rotation', rotated_time: at, ttl: Math.floor(Date.parse(at) / 1000) + 86_400 },
          // ISO times of one format order as strings.
          ConditionExpression: 'attribute_not_exists(pk) OR rotated_time <= :since',
          ExpressionAttributeValues: { ':since': since },
        }),
      );
      return { claimed: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
      return { claimed: false, last: String(out.Item?.rotated_time ?? at) };
    }
  }

  async releaseRotation(tenantId: string, id: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.rotation(tenantId, id),
          ConditionExpression: 'rotated_time = :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async listAll(tenantId: string): Promise<Subscription[]> {
    const out: Subscription[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
          ExpressionAttributeValues: { ':p': keys.tenant(tenantId).pk, ':s': SUBSCRIPTION_PREFIX },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const s = fromSubscriptionItem(item);
        if (!s.deletedTime) out.push(s);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * Query on the table's key in sort-key order (`SUB#<id>`), from after the cursor's key, which
   * DynamoDB takes as a position whether or not the item still exists. A Query answers at most
   * 1 MB and sets LastEvaluatedKey, so this reads on until `limit` items were examined.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
   */
  async listById(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
    const items: Subscription[] = [];
    let examined = 0;
    let last: string | undefined;
    let start: Record<string, unknown> | undefined = page.cursor ? keys.subscription(tenantId, page.cursor) : undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
          ExpressionAttributeValues: { ':p': keys.tenant(tenantId).pk, ':s': SUBSCRIPTION_PREFIX },
          ExclusiveStartKey: start,
          Limit: page.limit - examined,
        }),
      );
      for (const item of out.Items ?? []) {
        examined++;
        const s = fromSubscriptionItem(item);
        last = s.id;
        if (!s.deletedTime) items.push(s);
      }
      start = out.LastEvaluatedKey;
    } while (start && examined < page.limit);
    return start && last ? { items, nextCursor: last } : { items };
  }
}
