/**
 * The small interfaces the handlers depend on. AWS adapters (functions/adapters/aws) and the
 * local stand-ins (functions/adapters/local) implement them; handlers never see an SDK client.
 */

import type { BusEntry } from './domain/bus-entry.js';
import type { HistoryEntry } from './domain/delivery-record.js';
import type { InboundRecord, InboundStatus } from './domain/inbound/event.js';
import type { InboundSource } from './domain/inbound/source.js';
import type { Attempt, Delivery, StoredEvent, Subscription, Tenant, ThrottleKey, WebhookEvent } from './domain/model.js';
import type { Lot, LotEntry } from './domain/parking.js';
import type { RateLimit } from './domain/rate-limit.js';
import type { Recovery, RecoveryWindow } from './domain/recovery.js';
import type { ThrottleLimits } from './domain/throttle.js';
import type { Verification } from './domain/verification.js';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface SubscriptionRepository {
  /**
   * Stores a new subscription. With `maxPerTenant`, fails with a 409 `subscription_limit_reached`
   * ApiError when the tenant already has that many live ones (checked safely under concurrency).
   */
  create(subscription: Subscription, options?: { maxPerTenant?: number }): Promise<void>;
  /** Undefined for a missing id, a deleted subscription or another tenant's: callers answer 404 alike. */
  get(tenantId: string, id: string): Promise<Subscription | undefined>;
  /** Newest first. */
  list(tenantId: string, page: PageRequest): Promise<Page<Subscription>>;
  /**
   * Replaces the stored subscription (a soft delete sets deletedTime); fails when it is gone. With
   * `seenVerification` (what the caller read: null for none), only if the stored verification is
   * still that one (same request, same status): else a VerificationMoved error and nothing written,
   * so a change never writes back a verification the sender settled since it was read.
   */
  update(subscription: Subscription, options?: { seenVerification?: Verification | null }): Promise<void>;
  /** Every live subscription of a tenant, enabled or not. */
  listAll(tenantId: string): Promise<Subscription[]>;
  /**
   * A tenant's live subscriptions, enabled or not, in subscription-id order, after the id
   * `page.cursor` (which need not exist any more): fan-out reads them a page at a time. At most
   * `page.limit` subscriptions are examined, deleted ones included, so a page may hold fewer;
   * `nextCursor`, the last id examined, is set while more may follow.
   */
  listById(tenantId: string, page: PageRequest): Promise<Page<Subscription>>;
  /**
   * The tenant's subscriptions-changed counter, strongly consistent: every change to a live
   * subscription (a rotation included) adds one after it is written. 0 for a tenant with none.
   */
  changeCount(tenantId: string): Promise<number>;
  /** Each live subscription's `secretVersion` ('' when never rotated), strongly consistent, by id; unknown ids are absent. */
  secretVersions(tenantId: string, ids: readonly string[]): Promise<Map<string, string>>;
  /**
   * Records a rotation of the subscription's secret at `at`, unless one is recorded later than
   * `since` (conditional: of two at the same moment, one wins); then answers that one's time.
   */
  claimRotation(tenantId: string, id: string, at: string, since: string): Promise<{ claimed: true } | { claimed: false; last: string }>;
  /** Takes back the claim made at `at` (its rotation failed), unless another has replaced it. */
  releaseRotation(tenantId: string, id: string, at: string): Promise<void>;
}

export interface TenantRepository {
  create(tenant: Tenant): Promise<void>;
  findByIdentity(identity: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  revoke(identity: string, at: string): Promise<boolean>;
  /** Records the tenant's API key (undefined: it has none any more); fails for an unknown identity. */
  setThrottleKey(identity: string, key: ThrottleKey | undefined): Promise<void>;
  /** Records the tenant's own limits (undefined: back to the default); fails for an unknown identity. */
  setThrottle(identity: string, limits: ThrottleLimits | undefined): Promise<void>;
}

export interface SecretStore {
  create(name: string, value: string, tags: Record<string, string>): Promise<void>;
  get(name: string): Promise<string>;
  /** Several at once (a list page): a few batched calls, never one per name. Throws like `get` when one is missing. */
  getMany(names: readonly string[]): Promise<Map<string, string>>;
  put(name: string, value: string): Promise<void>;
  scheduleDeletion(name: string): Promise<void>;
}

/**
 * An AWS call's per-account quota as a budget every container draws from (a budget per container
 * would not be one: N containers would each take all of it). Calls without a budget pass freely.
 */
export interface CallBudget {
  /** Takes `n` of this second's calls of `call`, waiting briefly for the next second; else throws a 503 ApiError with Retry-After. */
  take(call: string, n: number): Promise<void>;
}

/**
 * Subscriptions' rate limits (functions/domain/rate-limit.ts), shared by every sender instance:
 * one item per limited subscription, whose theoretical arrival time a conditional write moves on.
 */
export interface RateSlots {
  /** Takes `n` consecutive slots of the subscription's limit at `nowMs`: their times (epoch ms), earliest first. */
  take(tenantId: string, subscriptionId: string, limit: RateLimit, n: number, nowMs: number): Promise<number[]>;
}

/** What producers (and the publish route) put on the bus. */
export interface EventBus {
  /** With `stored`, only a reference goes on the bus: the event is in the DeliveryStore (see busEntry). */
  publish(tenantId: string, event: WebhookEvent, options?: { stored?: boolean }): Promise<void>;
}

/**
 * The bus as inbound events go on it: any entries (not only tenant events), in as few PutEvents
 * requests as EventBridge's limits allow. Throws when any entry is not taken (BusEntriesFailed).
 */
export interface EntryBus {
  putEntries(entries: readonly BusEntry[], options?: { signal?: AbortSignal }): Promise<void>;
}

/** Some entries were not taken by the bus (EventBridge's FailedEntryCount, or the request itself failed). */
export class BusEntriesFailed extends Error {
  override name = 'BusEntriesFailed';
  constructor(
    message: string,
    readonly failed: number,
  ) {
    super(message);
  }
}

/** An inbound event and what happened to it after it was stored. */
export interface StoredInbound {
  record: InboundRecord;
  status: InboundStatus;
}

/**
 * Inbound events (functions/domain/inbound): one item each, written once under its id with a
 * condition (a resend finds it there), then small markers of its fate beside it. Listed per
 * source, newest first, through gsi1.
 */
export interface InboundStore {
  /** Stores the record unless one with its id is there; answers that one instead (with its status). */
  accept(record: InboundRecord): Promise<{ accepted: true } | ({ accepted: false } & StoredInbound)>;
  get(source: string, id: string): Promise<StoredInbound | undefined>;
  /** It is on the bus (`entries` entries; `forwardSkipped` when its forwarded copy could not be made). */
  markForwarded(record: InboundRecord, at: string, entries: number, forwardSkipped?: string): Promise<void>;
  /** The bus did not take it: counted, with the error, for the operator and the redrive. */
  markBusFailed(record: InboundRecord, at: string, error: string): Promise<void>;
  /** Newest first; `since` keeps only events received at or after that ISO time. */
  list(source: string, page: PageRequest & { since?: string }): Promise<Page<StoredInbound>>;
  /** Adds refusal counts by reason to one minute's tally of a source (one write, however many refusals). */
  addRefusals(source: string, minute: string, counts: Readonly<Record<string, number>>): Promise<void>;
  /** A source's refusal tallies from `since` (ISO minute), oldest first. */
  listRefusals(source: string, since: string): Promise<{ minute: string; counts: Record<string, number> }[]>;
}

/** Sources declared at run time (`npm run inbound -- add`), beside those the stack declares. */
export interface InboundSourceRepository {
  listSources(): Promise<InboundSource[]>;
  putSource(source: InboundSource): Promise<void>;
  /** Answers whether there was one. */
  deleteSource(name: string): Promise<boolean>;
}

/**
 * Event bodies too large for a table item (bus-entry.ts, bodyGoesBeside), under keys from
 * bodyKeyFor: an S3 bucket on AWS whose lifecycle expires them with the retention; fauxqs's S3
 * locally. Only events over about 392 KB touch it.
 */
export interface BodyStore {
  put(key: string, body: string): Promise<void>;
  /** Undefined when there is no such body (it expired with its event). */
  get(key: string): Promise<string | undefined>;
}

export interface QueueMessage {
  id: string;
  body: string;
  delaySeconds?: number;
  /**
   * The tenant the message belongs to, sent as SQS's MessageGroupId: on a standard queue that
   * makes it a fair queue, which hands out quieter tenants' messages before a noisy tenant's
   * backlog. At most 128 alphanumerics and punctuation (isSqsMessageGroupId); a message
   * without one is a tenant of its own.
   */
  groupId?: string;
}

export interface SendFailure {
  /** The QueueMessage's id. */
  id: string;
  reason: string;
}

export interface Queue {
  /** Sends every message, retrying the entries a batch reports failed; throws when some never go. */
  sendAll(messages: readonly QueueMessage[]): Promise<void>;
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /** ChangeMessageVisibilityBatch in tens; throws when an entry fails. */
  changeVisibilities(changes: readonly ChangeVisibility[]): Promise<void>;
}

/** A queue that reports, per message, what it could not send (fan-out fails only those events). */
export interface BatchQueue extends Queue {
  /** Sends what it can, in batches within SQS's count and byte limits; answers the messages that never went. */
  trySendAll(messages: readonly QueueMessage[]): Promise<SendFailure[]>;
}

export interface ChangeVisibility {
  receiptHandle: string;
  seconds: number;
}

/** The delivery queue's in-flight count (ApproximateNumberOfMessagesNotVisible): how close it is to SQS's cap. */
export interface InFlightGauge {
  inFlight(): Promise<number>;
}

/**
 * Subscriptions' lots, as the sender sees them: a lot is opened when an endpoint's circuit opens,
 * its probes' results move it on (functions/domain/parking.ts).
 */
export interface LotStore {
  /** Eventually consistent: a sender instance keeps what it read for LOT_CACHE_TTL_MS anyway. */
  getLot(tenantId: string, subscriptionId: string): Promise<Lot | undefined>;
  /** Opens the lot unless it is open already; answers the lot as stored. */
  openLot(lot: Lot): Promise<Lot>;
  /** A probe failed: the next comes after a longer wait. No-op unless the lot is open. */
  probeFailed(tenantId: string, subscriptionId: string, at: Date): Promise<void>;
  /**
   * The endpoint answered: an open lot starts draining at the resumer's next run. Answers the lot
   * as it was when this call moved it from open (undefined when it was not open: nothing changed).
   */
  recovered(tenantId: string, subscriptionId: string, at: Date): Promise<Lot | undefined>;
  /**
   * Starts the resumer's cursor at `bucket` unless it has one: the sender calls it before it first
   * parks anything, so no park can fall before where the resumer's first run starts.
   */
  ensureCursor(bucket: number): Promise<void>;
}

/** What the due-time index holds for a bucket: parked (or held) delivery records, and lots to look at. */
export type DueEntry =
  | { kind: 'delivery'; tenantId: string; deliveryId: string; token: string }
  | { kind: 'lot'; tenantId: string; subscriptionId: string };

/** Where the resumer has got to: every bucket before `bucket` is done; within it, shards' read positions. */
export interface DueCursor {
  bucket: number;
  /** Shards of `bucket` read part way: the index's position to go on from. */
  shards?: Record<string, string>;
}

/** The resumer's side of parking: the due-time index, the lots, and its own cursor. */
export interface ParkingIndex extends LotStore {
  readCursor(): Promise<DueCursor | undefined>;
  writeCursor(cursor: DueCursor): Promise<void>;
  /** One page of a bucket's shard, from `start` (a position from an earlier page). */
  dueIn(bucket: number, shard: number, start?: string): Promise<{ entries: DueEntry[]; next?: string }>;
  /** Strongly consistent. */
  readLot(tenantId: string, subscriptionId: string): Promise<Lot | undefined>;
  /** Replaces the lot if it is still as `expected` (state and wake time); answers whether it was. */
  saveLot(lot: Lot, expected: Pick<Lot, 'state' | 'wakeTime'>): Promise<boolean>;
  deleteLot(lot: Pick<Lot, 'tenantId' | 'subscriptionId'>, expected: Pick<Lot, 'state' | 'wakeTime'>): Promise<boolean>;
  /** Up to `limit` held entries after position `after`, oldest deadline first (strongly consistent). */
  lotEntries(tenantId: string, subscriptionId: string, after: string | undefined, limit: number): Promise<LotEntry[]>;
  /** How many entries a lot holds after `after`, counting at most `max`. */
  countLotEntries(tenantId: string, subscriptionId: string, after: string | undefined, max: number): Promise<number>;
}

/**
 * Events, deliveries (each with its attempts inline) and the subscriptions' history index: read
 * in batches and written in batches, per invocation.
 */
export interface DeliveryStore {
  /**
   * Strongly consistent unless `consistent: false` (half the read units): the fan-out reads
   * events the API stored a moment before, and its own progress, consistently.
   */
  getEvents(keys: readonly { tenantId: string; eventId: string }[], options?: { consistent?: boolean }): Promise<Map<string, StoredEvent>>;
  /** With each delivery's `attemptLog`. */
  getDeliveries(keys: readonly { tenantId: string; deliveryId: string }[]): Promise<Map<string, Delivery>>;
  /**
   * The subscription's history index, newest first; an entry whose delivery has no record yet is
   * a pending delivery with no attempt. `status` keeps only deliveries in that status.
   */
  listDeliveries(tenantId: string, subscriptionId: string, page: PageRequest, status?: string): Promise<Page<Delivery>>;
  /** Every recorded attempt, oldest first. */
  listAttempts(tenantId: string, deliveryId: string): Promise<Attempt[]>;
  /**
   * Stores an event under a client-chosen id unless one is stored already (a conditional
   * write, so two concurrent publishes cannot both win). Answers what was there instead.
   */
  claimEvent(event: StoredEvent): Promise<{ claimed: true } | { claimed: false; existing: StoredEvent }>;
  markPublished(tenantId: string, eventId: string): Promise<void>;
  /**
   * The sender's one read per batch: the deliveries' records and their subscriptions in the same
   * BatchGetItem, so a disable, delete or URL change applies to the very next attempt.
   */
  getForSending(
    keys: readonly { tenantId: string; deliveryId: string; subscriptionId: string }[],
  ): Promise<{ deliveries: Map<string, Delivery>; subscriptions: Map<string, Subscription> }>;
  /**
   * Disables a subscription whose receiver answered 410, only if it is still as the sender read
   * it (`updatedTime`): never writes back a stale copy. Answers whether it was disabled.
   */
  disableGoneSubscription(tenantId: string, subscriptionId: string, seenUpdatedTime: string, at: string): Promise<boolean>;
  /**
   * Writes a verification's outcome, only if the subscription's verification is still the one
   * that request started (`requestId`): a URL change or a new request since supersedes it. Answers
   * whether it was written.
   */
  settleVerification(tenantId: string, subscriptionId: string, requestId: string, outcome: Verification): Promise<boolean>;
  /**
   * One batched write of everything an invocation learned: each delivery as one item with its
   * `attemptLog`, and history entries as one index item per (tenant, subscription, created time).
   */
  write(items: { events?: readonly StoredEvent[]; deliveries?: readonly Delivery[]; history?: readonly HistoryEntry[] }): Promise<void>;
}

/** One entry of a subscription's history index, as a recovery reads it. */
export interface WindowEntry {
  deliveryId: string;
  eventId: string;
  eventType: string;
  createdTime: string;
  /** Not sent: the subscription was disabled at fan-out (HistoryEntry.skipped). */
  skipped?: boolean;
}

/**
 * Recoveries (functions/domain/recovery.ts): their records, the history they page through, the
 * claims they make on deliveries, and the auto-disable of a failing subscription.
 */
export interface RecoveryStore {
  /** Stores a new recovery (running), and its place among the running ones the resumer continues. */
  create(r: Recovery): Promise<void>;
  /** Undefined for another tenant's or an unknown id. Strongly consistent. */
  get(tenantId: string, id: string): Promise<Recovery | undefined>;
  /** Replaces it if its version is still `expectedVersion`; a done one leaves the running ones. Answers whether it was. */
  save(r: Recovery, expectedVersion: number): Promise<boolean>;
  /** Running recoveries, oldest first, at most `limit`. */
  running(limit: number): Promise<{ tenantId: string; id: string }[]>;
  /**
   * History index items of the subscription created in the window, oldest first, after the item
   * `after` (a sort key from an earlier page): at most `items` items (an item lists one event or
   * hundreds). `last` is the last item read, absent when none was; `more` whether any may follow.
   */
  historyWindow(
    tenantId: string,
    subscriptionId: string,
    window: RecoveryWindow,
    after: string | undefined,
    items: number,
  ): Promise<{ entries: WindowEntry[]; last?: string; more: boolean }>;
  /**
   * Writes `claimed` if the record is still `prior` (same status, generation and update time), or
   * absent when `prior` is: the one conditional write that makes a delivery re-queued once.
   */
  claimDelivery(claimed: Delivery, prior: Delivery | undefined): Promise<boolean>;
  /**
   * Disables an enabled, live subscription with `reason` (recovery.ts) at `at`; answers whether it
   * did (false: disabled or deleted already).
   */
  /** Disables it if it is enabled (and not deleted): its url then, else undefined (it was not). */
  disableSubscription(tenantId: string, subscriptionId: string, reason: string, at: string): Promise<{ url: string } | undefined>;
}

/** Counts and timings for dashboards (CloudWatch EMF on AWS). */
export interface Metrics {
  count(
    name:
      | 'DeliverySucceeded'
      | 'DeliveryRetried'
      | 'DeliveryDeadLettered'
      | 'DeliverySkipped'
      | 'DeliveryRefused'
      | 'DeliveryDeferred'
      | 'HistoryWriteFailed'
      | 'VisibilityChangeFailed'
      | 'UnreadableMessage'
      | 'EventsFannedOut'
      | 'DeliveriesCreated'
      | 'FanoutContinued'
      | 'DeliveryParked'
      | 'DeliveryHeld'
      | 'DeliveryExpired'
      | 'ParkWriteFailed'
      | 'LotOpened'
      | 'LotRecovered'
      | 'DeliveriesResumed'
      | 'LotProbes'
      | 'ResumeEventMissing'
      | 'DeliveryRateLimited'
      | 'RateSlotRenewed'
      | 'SubscriptionAutoDisabled'
      | 'AuthorizerRefused'
      | 'AuthorizerFailed'
      | 'InboundAccepted'
      | 'InboundDuplicate'
      | 'InboundRefused'
      | 'InboundUnknownSource'
      | 'InboundTooLarge'
      | 'InboundForwarded'
      | 'InboundBusFailed'
      | 'InboundStoreFailed'
      | 'OperationalEventsEmitted'
      | 'OperationalEventsFailed',
    n?: number,
  ): void;
  latency(ms: number): void;
  /** A level rather than a count (the resumer's view of what is parked); optional, as not every handler reports one. */
  gauge?(name: 'OldestHeldAgeSeconds' | 'ResumeLagSeconds' | 'HeldDeliveries', value: number): void;
}

export const NO_METRICS: Metrics = { count: () => undefined, latency: () => undefined };

export const storeKey = (tenantId: string, id: string) => `${tenantId}/${id}`;

/** A portal link or session: the hash of its token, whose tenant it is, and until when. */
export interface PortalGrant {
  tokenHash: string;
  tenantId: string;
  expiresTime: string;
  /** The tenant's throttling key value (Tenant.throttleKey), so a session is throttled as its tenant. */
  throttleKey?: string;
}

/** The tenant portal's one-time links and sessions. */
export interface PortalSessionStore {
  putLink(link: PortalGrant): Promise<void>;
  /** Removes the link and answers it, in one conditional step: a link is taken once. */
  takeLink(tokenHash: string): Promise<PortalGrant | undefined>;
  putSession(session: PortalGrant): Promise<void>;
  getSession(tokenHash: string): Promise<PortalGrant | undefined>;
}
