import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryMessage, encodeDeliveryMessage } from '../domain/delivery-message.js';
import { anyFilterMatches } from '../domain/event-matching.js';
import type { StoredEvent, Subscription, WebhookEvent } from '../domain/model.js';
import { payloadDigest } from '../domain/payload-digest.js';
import { serializeEvent } from '../domain/webhook-body.js';
import {
  type BatchQueue,
  type DeliveryStore,
  type Metrics,
  NO_METRICS,
  type QueueMessage,
  type SubscriptionRepository,
  storeKey,
} from '../ports.js';

export { deliveryMessage } from '../domain/delivery-message.js';

/**
 * Ingest queue -> one delivery message per (event, matching enabled subscription).
 *
 * Per batch: one read of the events already fanned out (so an event put on the bus twice, or
 * an ingest message that comes back, makes no second delivery; the API parks events too large
 * for a PutEvents entry in the same table, and this read fetches them too), one subscription
 * query per tenant, the messages in batches within SQS's limits, then one batched write
 * storing the events. The events are stored after their messages are sent: a crash in between
 * sends them again (at least once), never zero times.
 *
 * Failures are per event: an event whose messages could not all be sent, whose tenant's
 * subscriptions could not be read, or that could not be stored is reported failed on its own
 * (partial batch response) and comes back alone; the others are done and never sent again.
 */

export interface FanoutDeps {
  subscriptions: SubscriptionRepository;
  deliveries: BatchQueue;
  store: DeliveryStore;
  metrics?: Metrics;
  now?: () => Date;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

/** How many delivery-message bytes are built before they are sent: bounds memory for large events. */
const SEND_GROUP_BYTES = 16 * 1024 * 1024;

interface BusEnvelope {
  id?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { tenant_id?: unknown; event?: Partial<WebhookEvent>; stored?: unknown };
}

export interface IngestedEvent {
  tenantId: string;
  event: WebhookEvent;
  /** The event's data is in the table (the API stored it); `event.data` is empty until read. */
  stored: boolean;
}

/** Producers may put events on the bus themselves; what they leave out comes from the envelope. */
export function eventFromEnvelope(body: string): IngestedEvent {
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
    stored: detail.stored === true,
  };
}

interface EventWork extends IngestedEvent {
  key: string;
  /** Every ingest message of the batch that carries this event. */
  messageIds: string[];
}

export function createFanout(deps: FanoutDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log ?? (() => undefined);

  return async (sqsEvent: SQSEvent): Promise<SQSBatchResponse> => {
    const failures = new Set<string>();
    const fail = (w: EventWork, error: string) => {
      log('error', 'event not fanned out; it will come back', { eventId: w.event.id, tenantId: w.tenantId, error });
      for (const id of w.messageIds) failures.add(id);
    };

    // The same event twice in one batch is one piece of work; its messages share its outcome.
    const work = new Map<string, EventWork>();
    for (const record of sqsEvent.Records) {
      let ingested: IngestedEvent;
      try {
        ingested = eventFromEnvelope(record.body);
      } catch (err) {
        // It can never succeed: left to fail until the ingest DLQ keeps it for a person to read.
        log('error', 'unreadable bus event', { messageId: record.messageId, error: (err as Error).message });
        failures.add(record.messageId);
        continue;
      }
      const key = storeKey(ingested.tenantId, ingested.event.id);
      const existing = work.get(key);
      if (existing) existing.messageIds.push(record.messageId);
      else work.set(key, { ...ingested, key, messageIds: [record.messageId] });
    }
    const events = [...work.values()];

    let seen: Map<string, StoredEvent>;
    try {
      seen = await deps.store.getEvents(events.map((w) => ({ tenantId: w.tenantId, eventId: w.event.id })));
    } catch (err) {
      // Nothing was sent yet: the whole batch comes back and nothing is duplicated.
      for (const w of events) fail(w, `could not read the events table: ${(err as Error).message}`);
      return response(failures);
    }

    const byTenant = new Map<string, Promise<Subscription[]>>();
    const subscriptionsOf = (tenantId: string) => {
      if (!byTenant.has(tenantId)) byTenant.set(tenantId, deps.subscriptions.listAll(tenantId));
      return byTenant.get(tenantId)!;
    };
    const createdTime = now().toISOString();
    const sent: { work: EventWork; stored: StoredEvent; subscriptionIds: string[] }[] = [];
    let duplicates = 0;
    let deliveriesCreated = 0;

    let group: { work: EventWork; stored: StoredEvent; subscriptionIds: string[]; messages: QueueMessage[] }[] = [];
    let groupBytes = 0;
    const flush = async () => {
      const batch = group;
      group = [];
      groupBytes = 0;
      const failed = new Map((await deps.deliveries.trySendAll(batch.flatMap((g) => g.messages))).map((f) => [f.id, f.reason]));
      for (const g of batch) {
        const refused = g.messages.filter((m) => failed.has(m.id));
        if (refused.length > 0)
          fail(g.work, `${refused.length} of ${g.messages.length} delivery messages not sent: ${failed.get(refused[0]!.id)}`);
        else {
          sent.push(g);
          deliveriesCreated += g.messages.length;
        }
      }
    };

    for (const w of events) {
      const prior = seen.get(w.key);
      if (prior?.deliveries !== undefined) {
        duplicates += w.messageIds.length;
        continue;
      }
      try {
        let event = w.event;
        if (w.stored) {
          if (!prior) throw new Error('the bus names a stored event that is not in the table (yet)');
          event = prior.event;
        }
        const targets = (await subscriptionsOf(w.tenantId)).filter((s) => s.status === 'enabled' && anyFilterMatches(s.events, event.type));
        const body = serializeEvent(event);
        const messages = targets.map((s) => {
          const m = deliveryMessage(w.tenantId, s.id, event, createdTime, 0, body);
          return { id: m.deliveryId, body: encodeDeliveryMessage(m) };
        });
        group.push({
          work: w,
          messages,
          subscriptionIds: targets.map((s) => s.id),
          stored: {
            tenantId: w.tenantId,
            event,
            deliveries: targets.length,
            storedTime: createdTime,
            payloadHash: prior?.payloadHash ?? payloadDigest(event.type, event.data),
            published: true,
          },
        });
        groupBytes += messages.reduce((n, m) => n + m.body.length, 0);
      } catch (err) {
        fail(w, (err as Error).message);
        continue;
      }
      if (groupBytes >= SEND_GROUP_BYTES) await flush();
    }
    if (group.length > 0) await flush();

    // One batched write, with one history index item per subscription listing what it was sent;
    // if it fails, each event on its own, so only the ones that cannot be stored come back (and
    // only their deliveries are sent again).
    const historyOf = (s: (typeof sent)[number]) =>
      s.subscriptionIds.map((subscriptionId) => ({
        tenantId: s.stored.tenantId,
        subscriptionId,
        eventId: s.stored.event.id,
        eventType: s.stored.event.type,
        createdTime,
      }));
    const stored: StoredEvent[] = [];
    try {
      if (sent.length > 0) await deps.store.write({ events: sent.map((s) => s.stored), history: sent.flatMap(historyOf) });
      stored.push(...sent.map((s) => s.stored));
    } catch (err) {
      log('warn', 'batched event write failed; writing one by one', { error: (err as Error).message });
      await Promise.all(
        sent.map(async (s) => {
          try {
            await deps.store.write({ events: [s.stored], history: historyOf(s) });
            stored.push(s.stored);
          } catch (e) {
            fail(s.work, `could not store the fanned-out event: ${(e as Error).message}`);
          }
        }),
      );
    }

    metrics.count('EventsFannedOut', stored.length);
    metrics.count('DeliveriesCreated', deliveriesCreated);
    for (const s of stored)
      log('debug', 'event fanned out', { eventId: s.event.id, eventType: s.event.type, tenantId: s.tenantId, deliveries: s.deliveries });
    if (duplicates > 0) log('info', 'duplicate events skipped', { count: duplicates });
    return response(failures);
  };
}

function response(failures: Set<string>): SQSBatchResponse {
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}
