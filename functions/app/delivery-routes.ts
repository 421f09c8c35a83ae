import { randomUUID } from 'node:crypto';
import { ApiError, notFound } from '../domain/errors.js';
import type { Delivery, Subscription, WebhookEvent } from '../domain/model.js';
import { toAttemptView, toDeliveryView } from '../domain/views.js';
import { type DeliveryStore, type Queue, type SubscriptionRepository, storeKey } from '../ports.js';
import { deliveryMessage } from './fanout.js';
import { json, type Router } from './http.js';
import { deliveryStatusFilter } from './portal-routes.js';
import { pageRequest, tenantOf } from './request-context.js';

/** Delivery history, manual retry and test events: `/api/v0.1/webhooks/{id}/...`. */

export const TEST_EVENT_TYPE = 'webhook.test';

export interface DeliveryRouteDeps {
  subscriptions: SubscriptionRepository;
  store: DeliveryStore;
  deliveries: Queue;
  now: () => Date;
}

export function registerDeliveryRoutes(router: Router, deps: DeliveryRouteDeps): void {
  async function subscriptionOf(tenantId: string, id: string): Promise<Subscription> {
    const s = await deps.subscriptions.get(tenantId, id);
    if (!s) throw notFound(`Webhook subscription ${id}`);
    return s;
  }

  async function deliveryOf(tenantId: string, subscriptionId: string, deliveryId: string): Promise<Delivery> {
    const d = (await deps.store.getDeliveries([{ tenantId, deliveryId }])).get(storeKey(tenantId, deliveryId));
    if (!d || d.subscriptionId !== subscriptionId) throw notFound(`Delivery ${deliveryId}`);
    return d;
  }

  function mustBeEnabled(s: Subscription): void {
    if (s.status !== 'enabled') {
      throw new ApiError(
        409,
        'subscription_disabled',
        `Webhook subscription ${s.id} is disabled; enable it (status STATUS_ENABLED) to send to it`,
      );
    }
  }

  router
    .on('GET', '/api/v0.1/webhooks/{id}/deliveries', async (event, p) => {
      const tenantId = tenantOf(event);
      await subscriptionOf(tenantId, p.id!);
      const status = deliveryStatusFilter(event);
      const page = await deps.store.listDeliveries(tenantId, p.id!, pageRequest(event), status);
      return json(200, { deliveries: page.items.map(toDeliveryView), next_cursor: page.nextCursor ?? null });
    })
    .on('GET', '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}', async (event, p) => {
      const tenantId = tenantOf(event);
      await subscriptionOf(tenantId, p.id!);
      const d = await deliveryOf(tenantId, p.id!, p.delivery_id!);
      const attempts = await deps.store.listAttempts(tenantId, d.id);
      return json(200, { delivery: { ...toDeliveryView(d), attempt_log: attempts.map(toAttemptView) } });
    })
    .on('POST', '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry', async (event, p) => {
      const tenantId = tenantOf(event);
      const s = await subscriptionOf(tenantId, p.id!);
      mustBeEnabled(s);
      const d = await deliveryOf(tenantId, s.id, p.delivery_id!);
      const stored = (await deps.store.getEvents([{ tenantId, eventId: d.eventId }])).get(storeKey(tenantId, d.eventId));
      if (!stored) throw new ApiError(410, 'event_expired', `Event ${d.eventId} is past its retention period and can no longer be sent`);
      // A new generation: the sender will not take the retry for a duplicate of a delivered message.
      const retried: Delivery = { ...d, status: 'pending', generation: d.generation + 1, updatedTime: deps.now().toISOString() };
      delete retried.nextAttemptTime;
      await deps.store.write({ deliveries: [retried] });
      const message = deliveryMessage(tenantId, s.id, stored.event, d.createdTime, retried.generation);
      try {
        await deps.deliveries.sendAll([{ id: message.deliveryId, body: JSON.stringify(message) }]);
      } catch (err) {
        await deps.store.write({ deliveries: [d] });
        throw err;
      }
      return json(202, {
        delivery: { ...toDeliveryView(retried), attempt_log: (await deps.store.listAttempts(tenantId, d.id)).map(toAttemptView) },
      });
    })
    .on('POST', '/api/v0.1/webhooks/{id}/test', async (event, p) => {
      const tenantId = tenantOf(event);
      const s = await subscriptionOf(tenantId, p.id!);
      mustBeEnabled(s);
      const at = deps.now().toISOString();
      const test: WebhookEvent = {
        id: `evt_test_${randomUUID()}`,
        type: TEST_EVENT_TYPE,
        timestamp: at,
        data: { subscription_id: s.id, message: 'This is a test event from your webhook provider.' },
      };
      // Straight to this subscription's delivery, past fan-out and its filters.
      await deps.store.write({ events: [{ tenantId, event: test, deliveries: 1, storedTime: at }] });
      const message = deliveryMessage(tenantId, s.id, test, at);
      await deps.deliveries.sendAll([{ id: message.deliveryId, body: JSON.stringify(message) }]);
      return json(202, { id: test.id, type: test.type, timestamp: test.timestamp });
    });
}
