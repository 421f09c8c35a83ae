import { deliveryIdFor } from '../functions/domain/delivery-id.js';
import { type HistoryEntry, pendingDelivery } from '../functions/domain/delivery-record.js';
import type { Attempt, Delivery, StoredEvent, Subscription } from '../functions/domain/model.js';
import {
  type ChangeVisibility,
  type DeliveryStore,
  type Page,
  type PageRequest,
  type Queue,
  type QueueMessage,
  type SecretStore,
  type SubscriptionRepository,
  storeKey,
} from '../functions/ports.js';

/**
 * The sender's ports answered from memory, so the throughput figure measures the sender itself
 * (parse, cache, sign, POST, attempt records) and not DynamoDB or SQS. Every write is kept.
 */

export class MemorySubscriptions implements SubscriptionRepository {
  readonly items = new Map<string, Subscription>();
  gets = 0;

  async create(s: Subscription): Promise<void> {
    this.items.set(storeKey(s.tenantId, s.id), s);
  }
  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    this.gets++;
    return this.items.get(storeKey(tenantId, id));
  }
  async list(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
    return { items: (await this.listAll(tenantId)).slice(0, page.limit) };
  }
  async update(s: Subscription): Promise<void> {
    this.items.set(storeKey(s.tenantId, s.id), s);
    this.changes.set(s.tenantId, (this.changes.get(s.tenantId) ?? 0) + 1);
  }
  async listAll(tenantId: string): Promise<Subscription[]> {
    return [...this.items.values()].filter((s) => s.tenantId === tenantId);
  }
  async listById(tenantId: string, page: PageRequest): Promise<Page<Subscription>> {
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
  gets = 0;

  async create(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async get(name: string): Promise<string> {
    this.gets++;
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
  async put(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async scheduleDeletion(name: string): Promise<void> {
    this.values.delete(name);
  }
}

/** Sends nothing; records the visibility changes the sender asks for. */
export class RecordingQueue implements Queue {
  readonly sent: QueueMessage[] = [];
  readonly visibilityChanges: ChangeVisibility[] = [];

  async sendAll(messages: readonly QueueMessage[]): Promise<void> {
    this.sent.push(...messages);
  }
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    this.visibilityChanges.push({ receiptHandle, seconds });
  }
  async changeVisibilities(changes: readonly ChangeVisibility[]): Promise<void> {
    this.visibilityChanges.push(...changes);
  }
}

/** Deliveries by key (each with its attempt log) and the history index, in memory. */
export class MemoryDeliveryStore implements DeliveryStore {
  readonly events = new Map<string, StoredEvent>();
  readonly deliveries = new Map<string, Delivery>();
  readonly history: HistoryEntry[] = [];
  /** Attempts recorded, counted as delivery records grow. */
  attemptCount = 0;
  writes = 0;

  async getEvents(keys: readonly { tenantId: string; eventId: string }[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    for (const k of keys) {
      const e = this.events.get(storeKey(k.tenantId, k.eventId));
      if (e) out.set(storeKey(k.tenantId, k.eventId), e);
    }
    return out;
  }
  async getDeliveries(keys: readonly { tenantId: string; deliveryId: string }[]): Promise<Map<string, Delivery>> {
    const out = new Map<string, Delivery>();
    for (const k of keys) {
      const d = this.deliveries.get(storeKey(k.tenantId, k.deliveryId));
      if (d) out.set(storeKey(k.tenantId, k.deliveryId), d);
    }
    return out;
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
  /** Newest first from the history index (the bench reads no lists: no cursor). */
  async listDeliveries(tenantId: string, subscriptionId: string, page: PageRequest): Promise<Page<Delivery>> {
    const items = this.history
      .filter((e) => e.tenantId === tenantId && e.subscriptionId === subscriptionId)
      .reverse()
      .map((e) => {
        const id = deliveryIdFor(e.eventId, e.subscriptionId);
        return this.deliveries.get(storeKey(tenantId, id)) ?? pendingDelivery(e, id);
      });
    return { items: items.slice(0, page.limit) };
  }
  async listAttempts(tenantId: string, deliveryId: string): Promise<Attempt[]> {
    return this.deliveries.get(storeKey(tenantId, deliveryId))?.attemptLog ?? [];
  }
  async claimEvent(event: StoredEvent): Promise<{ claimed: true } | { claimed: false; existing: StoredEvent }> {
    const key = storeKey(event.tenantId, event.event.id);
    const existing = this.events.get(key);
    if (existing) return { claimed: false, existing };
    this.events.set(key, event);
    return { claimed: true };
  }
  async markPublished(tenantId: string, eventId: string): Promise<void> {
    const e = this.events.get(storeKey(tenantId, eventId));
    if (e) e.published = true;
  }
  async write(items: {
    events?: readonly StoredEvent[];
    deliveries?: readonly Delivery[];
    history?: readonly HistoryEntry[];
  }): Promise<void> {
    this.writes++;
    for (const e of items.events ?? []) this.events.set(storeKey(e.tenantId, e.event.id), e);
    for (const d of items.deliveries ?? []) {
      const key = storeKey(d.tenantId, d.id);
      this.attemptCount += (d.attemptLog?.length ?? 0) - (this.deliveries.get(key)?.attemptLog?.length ?? 0);
      this.deliveries.set(key, d);
    }
    this.history.push(...(items.history ?? []));
  }
}

/** As DynamoDB's sort key orders them: by id (ASCII ids, so code-unit order is byte order); deleted ones examined, not answered. */
function pageById(all: Subscription[], page: PageRequest): Page<Subscription> {
  const after = all.filter((s) => page.cursor === undefined || s.id > page.cursor).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const examined = after.slice(0, page.limit);
  const items = examined.filter((s) => !s.deletedTime);
  return after.length > page.limit ? { items, nextCursor: examined.at(-1)!.id } : { items };
}
