import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { type HistoryEntry, pendingDelivery } from '../../functions/domain/delivery-record.js';
import { ApiError } from '../../functions/domain/errors.js';
import type { Attempt, Delivery, StoredEvent, Subscription } from '../../functions/domain/model.js';
import { type Lot, nextProbeSeconds } from '../../functions/domain/parking.js';
import { type Verification, VerificationMoved } from '../../functions/domain/verification.js';
import {
  type BatchQueue,
  type ChangeVisibility,
  type DeliveryStore,
  type LotStore,
  type Page,
  type PageRequest,
  type QueueMessage,
  type SecretStore,
  type SendFailure,
  type SubscriptionRepository,
  storeKey,
} from '../../functions/ports.js';

/** In-memory ports for handler unit tests (the DynamoDB adapters have their own tests on dynalite). */

export class MemorySubscriptions implements SubscriptionRepository {
  readonly items = new Map<string, Subscription>();
  async create(s: Subscription, options: { maxPerTenant?: number } = {}) {
    if (options.maxPerTenant !== undefined && (await this.listAll(s.tenantId)).length >= options.maxPerTenant) {
      throw new ApiError(409, 'subscription_limit_reached', `This tenant already has ${options.maxPerTenant} subscriptions`);
    }
    this.items.set(storeKey(s.tenantId, s.id), s);
  }
  async get(tenantId: string, id: string) {
    const s = this.items.get(storeKey(tenantId, id));
    return s && !s.deletedTime ? s : undefined;
  }
  async list(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
    return { items: (await this.listAll(tenantId)).slice(0, page.limit) };
  }
  async update(s: Subscription, options: { seenVerification?: Verification | null } = {}) {
    const seen = options.seenVerification;
    const stored = this.items.get(storeKey(s.tenantId, s.id))?.verification;
    if (
      seen !== undefined &&
      (seen === null ? stored !== undefined : stored?.status !== seen.status || stored.requestedTime !== seen.requestedTime)
    )
      throw new VerificationMoved(`the verification of subscription ${s.id} changed since it was read`);
    this.items.set(storeKey(s.tenantId, s.id), s);
    this.changes.set(s.tenantId, (this.changes.get(s.tenantId) ?? 0) + 1);
  }
  async listAll(tenantId: string) {
    return [...this.items.values()].filter((s) => s.tenantId === tenantId && !s.deletedTime);
  }
  /** Reads of listById, for tests that count the pages fan-out reads. */
  pageReads = 0;
  async listById(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
    this.pageReads++;
    return pageById(
      [...this.items.values()].filter((s) => s.tenantId === tenantId),
      page,
    );
  }
  /** The tenant's subscriptions-changed counter, as the table's: one more per update. */
  readonly changes = new Map<string, number>();
  readonly rotations = new Map<string, string>();
  async changeCount(tenantId: string): Promise<number> {
    return this.changes.get(tenantId) ?? 0;
  }
  async secretVersions(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of ids) {
      const s = this.items.get(storeKey(tenantId, id));
      if (s && !s.deletedTime) out.set(id, s.secretVersion ?? '');
    }
    return out;
  }
  async claimRotation(tenantId: string, id: string, at: string, since: string) {
    const last = this.rotations.get(storeKey(tenantId, id));
    if (last !== undefined && last > since) return { claimed: false as const, last };
    this.rotations.set(storeKey(tenantId, id), at);
    return { claimed: true as const };
  }
  async releaseRotation(tenantId: string, id: string, at: string) {
    if (this.rotations.get(storeKey(tenantId, id)) === at) this.rotations.delete(storeKey(tenantId, id));
  }
}

export class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async create(name: string, value: string) {
    this.values.set(name, value);
  }
  async get(name: string) {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`no secret ${name}`);
    return v;
  }
  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const n of names) {
      const v = this.values.get(n);
      if (v === undefined) throw new Error(`no secret ${n}`);
      out.set(n, v);
    }
    return out;
  }
  async put(name: string, value: string) {
    this.values.set(name, value);
  }
  async scheduleDeletion(name: string) {
    this.values.delete(name);
  }
}

export class MemoryDeliveryStore implements DeliveryStore {
  readonly events = new Map<string, StoredEvent>();
  readonly deliveries = new Map<string, Delivery>();
  /** The history index, in the order written. */
  readonly history: HistoryEntry[] = [];
  writes = 0;
  /** Every recorded attempt, delivery by delivery. */
  get attempts(): Attempt[] {
    return [...this.deliveries.values()].flatMap((d) => d.attemptLog ?? []);
  }
  async getEvents(keys: readonly { tenantId: string; eventId: string }[]) {
    return new Map(
      keys.flatMap((k) =>
        this.events.has(storeKey(k.tenantId, k.eventId))
          ? [[storeKey(k.tenantId, k.eventId), this.events.get(storeKey(k.tenantId, k.eventId))!] as const]
          : [],
      ),
    );
  }
  async getDeliveries(keys: readonly { tenantId: string; deliveryId: string }[]) {
    return new Map(
      keys.flatMap((k) =>
        this.deliveries.has(storeKey(k.tenantId, k.deliveryId))
          ? [[storeKey(k.tenantId, k.deliveryId), this.deliveries.get(storeKey(k.tenantId, k.deliveryId))!] as const]
          : [],
      ),
    );
  }
  /** Where getForSending finds subscriptions (the same table on AWS). */
  subscriptions?: MemorySubscriptions;
  async getForSending(keys: readonly { tenantId: string; deliveryId: string; subscriptionId: string }[]) {
    const deliveries = await this.getDeliveries(keys);
    const subscriptions = new Map<string, Subscription>();
    for (const k of keys) {
      const s = await this.subscriptions?.get(k.tenantId, k.subscriptionId);
      if (s && !s.deletedTime) subscriptions.set(storeKey(k.tenantId, k.subscriptionId), s);
    }
    return { deliveries, subscriptions };
  }
  async disableGoneSubscription(tenantId: string, subscriptionId: string, seenUpdatedTime: string, at: string) {
    const s = await this.subscriptions?.get(tenantId, subscriptionId);
    if (!s || s.updatedTime !== seenUpdatedTime) return false;
    await this.subscriptions!.update({ ...s, status: 'disabled', updatedTime: at });
    return true;
  }
  async settleVerification(tenantId: string, subscriptionId: string, requestId: string, outcome: Verification) {
    const s = await this.subscriptions?.get(tenantId, subscriptionId);
    if (!s || s.deletedTime || s.verification?.requestId !== requestId) return false;
    await this.subscriptions!.update({ ...s, verification: outcome });
    return true;
  }
  /** As on DynamoDB: the history index newest first, entries without a record yet pending; the cursor is an offset. */
  async listDeliveries(tenantId: string, subscriptionId: string, page: PageRequest, status?: string): Promise<Page<Delivery>> {
    const seen = new Set<string>();
    const all = this.history
      .map((e, n) => ({ e, n }))
      .filter(({ e }) => e.tenantId === tenantId && e.subscriptionId === subscriptionId)
      .sort((a, b) => b.e.createdTime.localeCompare(a.e.createdTime) || b.n - a.n)
      .map(({ e }) => {
        const id = deliveryIdFor(e.eventId, e.subscriptionId);
        return this.deliveries.get(storeKey(tenantId, id)) ?? pendingDelivery(e, id);
      })
      .filter((d) => !seen.has(d.id) && seen.add(d.id) && (!status || d.status === status));
    const from = page.cursor ? Number(page.cursor) : 0;
    const items = all.slice(from, from + page.limit);
    return from + page.limit < all.length ? { items, nextCursor: String(from + page.limit) } : { items };
  }
  async listAttempts(tenantId: string, deliveryId: string) {
    return this.deliveries.get(storeKey(tenantId, deliveryId))?.attemptLog ?? [];
  }
  async claimEvent(e: StoredEvent) {
    const existing = this.events.get(storeKey(e.tenantId, e.event.id));
    if (existing) return { claimed: false as const, existing };
    this.events.set(storeKey(e.tenantId, e.event.id), e);
    return { claimed: true as const };
  }
  async markPublished(tenantId: string, eventId: string) {
    const e = this.events.get(storeKey(tenantId, eventId));
    if (e) e.published = true;
  }
  async write(items: { events?: readonly StoredEvent[]; deliveries?: readonly Delivery[]; history?: readonly HistoryEntry[] }) {
    this.writes++;
    for (const e of items.events ?? []) this.events.set(storeKey(e.tenantId, e.event.id), e);
    for (const d of items.deliveries ?? []) this.deliveries.set(storeKey(d.tenantId, d.id), d);
    this.history.push(...(items.history ?? []));
  }
}

export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: 'sub_1',
    tenantId: 'tnt_1',
    url: 'https://hooks.example.com/in',
    description: '',
    events: ['card.created'],
    version: '0.1',
    status: 'enabled',
    secretName: 'webhooks/test/tnt_1/sub_1',
    createdTime: '2026-01-01T00:00:00.000Z',
    updatedTime: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** As DynamoDB's sort key orders them: by id (ASCII ids, so code-unit order is byte order); deleted ones examined, not answered. */
function pageById(all: Subscription[], page: PageRequest): Page<Subscription> {
  const after = all.filter((s) => page.cursor === undefined || s.id > page.cursor).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const examined = after.slice(0, page.limit);
  const items = examined.filter((s) => !s.deletedTime);
  return after.length > page.limit ? { items, nextCursor: examined.at(-1)!.id } : { items };
}

/** A queue in memory: keeps what was sent; `refuse` answers a reason for messages it will not take. */
export class MemoryQueue implements BatchQueue {
  readonly sent: QueueMessage[] = [];
  /** Every visibility change asked for, in order. */
  readonly changes: ChangeVisibility[] = [];
  refuse?: (message: QueueMessage) => string | undefined;
  async trySendAll(messages: readonly QueueMessage[]): Promise<SendFailure[]> {
    const failures: SendFailure[] = [];
    for (const m of messages) {
      const reason = this.refuse?.(m);
      if (reason !== undefined) failures.push({ id: m.id, reason });
      else this.sent.push(m);
    }
    return failures;
  }
  async sendAll(messages: readonly QueueMessage[]): Promise<void> {
    const failed = await this.trySendAll(messages);
    if (failed.length > 0) throw new Error(failed[0]!.reason);
  }
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    this.changes.push({ receiptHandle, seconds });
  }
  async changeVisibilities(changes: readonly ChangeVisibility[]): Promise<void> {
    this.changes.push(...changes);
  }
}

/** Lots in memory, as DynamoParkingStore keeps them (conditional transitions included); counts its reads. */
export class MemoryLots implements LotStore {
  readonly lots = new Map<string, Lot>();
  reads = 0;
  async getLot(tenantId: string, subscriptionId: string) {
    this.reads++;
    const lot = this.lots.get(storeKey(tenantId, subscriptionId));
    return lot ? { ...lot } : undefined;
  }
  async openLot(lot: Lot) {
    const key = storeKey(lot.tenantId, lot.subscriptionId);
    const existing = this.lots.get(key);
    if (existing?.state === 'open') return { ...existing };
    const opened = { ...lot };
    this.lots.set(key, opened);
    return { ...opened };
  }
  async probeFailed(tenantId: string, subscriptionId: string, at: Date) {
    const lot = this.lots.get(storeKey(tenantId, subscriptionId));
    if (lot?.state !== 'open') return;
    lot.probeSeconds = nextProbeSeconds(lot.probeSeconds, lot.probeMaxSeconds);
    lot.wakeTime = new Date(at.getTime() + lot.probeSeconds * 1000).toISOString();
  }
  cursor?: number;
  async ensureCursor(bucket: number) {
    this.cursor ??= bucket;
  }
  async recovered(tenantId: string, subscriptionId: string, at: Date) {
    const lot = this.lots.get(storeKey(tenantId, subscriptionId));
    if (lot?.state !== 'open') return undefined;
    const before = { ...lot };
    lot.state = 'draining';
    lot.wakeTime = at.toISOString();
    return before;
  }
}
