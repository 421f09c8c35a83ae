import { deliveryIdFor } from '../functions/domain/delivery-id.js';
import { type HistoryEntry, pendingDelivery } from '../functions/domain/delivery-record.js';
import type { Attempt, Delivery, StoredEvent, Subscription } from '../functions/domain/model.js';
import type { Verification } from '../functions/domain/verification.js';
import {
  type ChangeVisibility,
  type DeliveryStore,
  type Page,
  type PageRequest,
  type Queue,
  type QueueMessage,
  type SecretStore,
  storeKey,
} from '../functions/ports.js';
import { MemorySubscriptions } from '../test/support/memory-ports.js';

/**
 * The sender's ports answered from memory, so the throughput figure measures the sender itself
 * (parse, cache, sign, POST, attempt records) and not DynamoDB or SQS. Every write is kept.
 */

// The same Map-backed repository the handlers' unit tests use.
export { MemorySubscriptions };

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
  async settleVerification(tenantId: string, subscriptionId: string, requestId: string, outcome: Verification) {
    const s = await this.subscriptions?.get(tenantId, subscriptionId);
    if (!s || s.deletedTime || s.verification?.requestId !== requestId) return false;
    await this.subscriptions!.update({ ...s, verification: outcome });
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
