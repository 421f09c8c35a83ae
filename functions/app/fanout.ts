import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deliveryIdFor } from '../domain/delivery-id.js';
import { anyFilterMatches } from '../domain/event-matching.js';
import type { DeliveryMessage, Subscription, WebhookEvent } from '../domain/model.js';
import type { Queue, SubscriptionRepository } from '../ports.js';

/** Ingest queue -> one delivery message per (event, matching enabled subscription). */

export interface FanoutDeps {
  subscriptions: SubscriptionRepository;
  deliveries: Queue;
  now?: () => Date;
  log?: (level: 'info' | 'error', message: string, detail: Record<string, unknown>) => void;
}

interface BusEnvelope {
  id?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { tenant_id?: unknown; event?: Partial<WebhookEvent> };
}

/** Producers may put events on the bus themselves; what they leave out comes from the envelope. */
export function eventFromEnvelope(body: string): { tenantId: string; event: WebhookEvent } {
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
  return { tenantId: detail.tenant_id, event: { id, type, timestamp: e.timestamp ?? envelope.time ?? new Date().toISOString(), data } };
}

export function createFanout(deps: FanoutDeps) {
  const now = deps.now ?? (() => new Date());
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    // One read of a tenant's subscriptions per batch, however many of its events it holds.
    const byTenant = new Map<string, Promise<Subscription[]>>();
    await Promise.all(
      event.Records.map(async (record: SQSRecord) => {
        try {
          const { tenantId, event: published } = eventFromEnvelope(record.body);
          if (!byTenant.has(tenantId)) byTenant.set(tenantId, deps.subscriptions.listAll(tenantId));
          const targets = (await byTenant.get(tenantId)!).filter((s) => s.status === 'enabled' && anyFilterMatches(s.events, published.type));
          const createdTime = now().toISOString();
          await deps.deliveries.sendAll(
            targets.map((s) => {
              const message: DeliveryMessage = {
                deliveryId: deliveryIdFor(published.id, s.id),
                tenantId,
                subscriptionId: s.id,
                event: published,
                createdTime,
              };
              return { id: message.deliveryId, body: JSON.stringify(message) };
            }),
          );
          deps.log?.('info', 'event fanned out', { eventId: published.id, eventType: published.type, tenantId, deliveries: targets.length });
        } catch (err) {
          // Left on the queue: retried, then kept in the ingest DLQ. Never dropped.
          deps.log?.('error', 'fan-out failed', { messageId: record.messageId, error: (err as Error).message });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
