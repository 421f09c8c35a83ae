import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryIdFor } from '../domain/delivery-id.js';
import { anyFilterMatches } from '../domain/event-matching.js';
import type { DeliveryMessage, StoredEvent, Subscription, WebhookEvent } from '../domain/model.js';
import { payloadDigest } from '../domain/payload-digest.js';
import { serializeEvent } from '../domain/webhook-body.js';
import { type DeliveryStore, type Metrics, NO_METRICS, type Queue, type SubscriptionRepository, storeKey } from '../ports.js';

/**
 * Ingest queue -> one delivery message per (event, matching enabled subscription).
 *
 * Per batch: one read of the events already fanned out (so an event a producer put on the
 * bus twice makes no second delivery; the API claims its events' ids itself and marks them
 * `unique`), one subscription query per tenant, the messages in
 * batches of ten, then one batched write storing the events. The events are stored after
 * their messages are sent: a crash in between sends them again (at least once), never zero times.
 */

export interface FanoutDeps {
  subscriptions: SubscriptionRepository;
  deliveries: Queue;
  store: DeliveryStore;
  metrics?: Metrics;
  now?: () => Date;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

interface BusEnvelope {
  id?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { tenant_id?: unknown; event?: Partial<WebhookEvent> };
}

/** Producers may put events on the bus themselves; what they leave out comes from the envelope. */
export function eventFromEnvelope(body: string): { tenantId: string; event: WebhookEvent; unique: boolean } {
  const envelope = JSON.parse(body) as BusEnvelope;
  const detail = envelope.detail;
  if (!detail || typeof detail.tenant_id !== 'string' || !detail.tenant_id) throw new Error('bus event has no detail.tenant_id');
  const e = detail.event ?? {};
  const type = e.type ?? envelope['detail-type'];
  const id = e.id ?? envelope.id;
  if (typeof type !== 'string' || !type) throw new Error('bus event has no type (detail.event.type or detail-type)');
  if (typeof id !== 'string' || !id) throw new Error('bus event has no id');
  const data = e.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('bus event data must be a JSON object');
  return {
    tenantId: detail.tenant_id,
    event: { id, type, timestamp: e.timestamp ?? envelope.time ?? new Date().toISOString(), data },
    unique: (detail as { unique?: unknown }).unique === true,
  };
}

export function deliveryMessage(
  tenantId: string,
  subscriptionId: string,
  event: WebhookEvent,
  createdTime: string,
  generation = 0,
  body = serializeEvent(event),
): DeliveryMessage {
  const m: DeliveryMessage = {
    deliveryId: deliveryIdFor(event.id, subscriptionId),
    tenantId,
    subscriptionId,
    event: { id: event.id, type: event.type, timestamp: event.timestamp },
    body,
    createdTime,
  };
  if (generation) m.generation = generation;
  return m;
}

export function createFanout(deps: FanoutDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log ?? (() => undefined);

  return async (sqsEvent: SQSEvent): Promise<SQSBatchResponse> => {
    const failures = new Set<string>();
    const parsed: { messageId: string; tenantId: string; event: WebhookEvent; unique: boolean }[] = [];
    for (const record of sqsEvent.Records) {
      try {
        parsed.push({ messageId: record.messageId, ...eventFromEnvelope(record.body) });
      } catch (err) {
        // It can never succeed: left to fail until the ingest DLQ keeps it for a person to read.
        log('error', 'unreadable bus event', { messageId: record.messageId, error: (err as Error).message });
        failures.add(record.messageId);
      }
    }

    // The same event twice in one batch counts once.
    const firstOf = new Map<string, (typeof parsed)[number]>();
    for (const p of parsed) if (!firstOf.has(storeKey(p.tenantId, p.event.id))) firstOf.set(storeKey(p.tenantId, p.event.id), p);

    try {
      // Only events of unknown origin are looked up: the API marks the ones it made sure of.
      const unknown = [...firstOf.values()].filter((p) => !p.unique);
      const seen = await deps.store.getEvents(unknown.map((p) => ({ tenantId: p.tenantId, eventId: p.event.id })));
      const fresh = [...firstOf.values()].filter((p) => seen.get(storeKey(p.tenantId, p.event.id))?.deliveries === undefined);
      const byTenant = new Map<string, Promise<Subscription[]>>();
      const createdTime = now().toISOString();
      const stored: StoredEvent[] = [];
      const messages: { id: string; body: string }[] = [];
      for (const p of fresh) {
        if (!byTenant.has(p.tenantId)) byTenant.set(p.tenantId, deps.subscriptions.listAll(p.tenantId));
        const targets = (await byTenant.get(p.tenantId)!).filter((s) => s.status === 'enabled' && anyFilterMatches(s.events, p.event.type));
        const body = serializeEvent(p.event);
        for (const s of targets) {
          const m = deliveryMessage(p.tenantId, s.id, p.event, createdTime, 0, body);
          messages.push({ id: m.deliveryId, body: JSON.stringify(m) });
        }
        stored.push({
          tenantId: p.tenantId,
          event: p.event,
          deliveries: targets.length,
          storedTime: createdTime,
          payloadHash: payloadDigest(p.event.type, p.event.data),
          published: true,
        });
      }
      await deps.deliveries.sendAll(messages);
      await deps.store.write({ events: stored });
      metrics.count('EventsFannedOut', stored.length);
      metrics.count('DeliveriesCreated', messages.length);
      for (const s of stored)
        log('debug', 'event fanned out', { eventId: s.event.id, eventType: s.event.type, tenantId: s.tenantId, deliveries: s.deliveries });
      const skipped = parsed.length - fresh.length;
      if (skipped > 0) log('info', 'duplicate events skipped', { count: skipped });
    } catch (err) {
      // Nothing was marked fanned out: the whole batch comes back and is fanned out again.
      log('error', 'fan-out failed', { error: (err as Error).message });
      for (const p of parsed) failures.add(p.messageId);
    }
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
