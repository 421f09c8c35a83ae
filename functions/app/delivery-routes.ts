import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { contentOf, deliveryMessage, encodeDeliveryMessage } from '../domain/delivery-message.js';
import { eventOfRecord } from '../domain/delivery-record.js';
import { ApiError, notFound, validationError } from '../domain/errors.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { Delivery, DeliveryStatus, Subscription, WebhookEvent } from '../domain/model.js';
import { DELIVERY_STATUS_FILTERS } from '../domain/portal.js';
import { DeliveryList, DeliveryResponse, TestEventResponse } from '../domain/response-schemas.js';
import { toAttemptView, toDeliveryView } from '../domain/views.js';
import { storeKey } from '../ports.js';
import type { ApiContext, ApiRoute } from './api-context.js';
import { json } from './http.js';
import { portalRouteKey } from './portal-route-keys.js';
import { pageRequest } from './request-context.js';
import { idParam, PageQuery, route, SubscriptionIdParams } from './route-table.js';

/** Delivery history, manual retry and test events: `/api/v0.1/webhooks/{id}/...`. */

export const TEST_EVENT_TYPE = 'webhook.test';

const DeliveryParams = SubscriptionIdParams.extend({ delivery_id: idParam('The delivery id') });

const DeliveryListQuery = PageQuery.extend({
  status: z
    .enum(DELIVERY_STATUS_FILTERS satisfies readonly DeliveryStatus[])
    .optional()
    .meta({ description: 'Only deliveries in this status. A page may then hold fewer than `limit` items while `next_cursor` is set' }),
});

/** `?status=`, checked against the route's declared query. */
function statusFilter(event: APIGatewayProxyEvent): DeliveryStatus | undefined {
  const status = event.queryStringParameters?.status;
  if (status === undefined) return undefined;
  const parsed = DeliveryListQuery.shape.status.safeParse(status);
  if (!parsed.success) throw validationError([{ field: 'status', message: `must be one of ${DELIVERY_STATUS_FILTERS.join(', ')}` }]);
  return parsed.data;
}

async function subscriptionOf({ deps }: ApiContext, tenantId: string, id: string): Promise<Subscription> {
  const s = await deps.subscriptions.get(tenantId, id);
  if (!s) throw notFound(`Webhook subscription ${id}`);
  return s;
}

async function deliveryOf({ deps }: ApiContext, tenantId: string, subscriptionId: string, deliveryId: string): Promise<Delivery> {
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

const TAG = 'Deliveries';
const auth = ['Unauthorized', 'Forbidden'] as const;

export const DELIVERY_ROUTES: ApiRoute[] = [
  route({
    ...portalRouteKey('listDeliveries'),
    tags: [TAG],
    summary: 'List deliveries',
    description: 'Deliveries of events to this subscription, newest first.',
    params: SubscriptionIdParams,
    query: DeliveryListQuery,
    response: { status: 200, description: 'One page of deliveries', schema: DeliveryList },
    errors: ['ValidationFailed', ...auth, 'NotFound'],
    handler: async ({ event, params, tenantId }, ctx) => {
      await subscriptionOf(ctx, tenantId, params.id!);
      const page = await ctx.deps.store.listDeliveries(tenantId, params.id!, pageRequest(event), statusFilter(event));
      return json(200, { deliveries: page.items.map(toDeliveryView), next_cursor: page.nextCursor ?? null });
    },
  }),
  route({
    ...portalRouteKey('getDelivery'),
    tags: [TAG],
    summary: 'Get a delivery and its attempts',
    params: DeliveryParams,
    response: { status: 200, description: 'The delivery with every attempt recorded', schema: DeliveryResponse },
    errors: [...auth, 'NotFound'],
    handler: async ({ params, tenantId }, ctx) => {
      await subscriptionOf(ctx, tenantId, params.id!);
      const d = await deliveryOf(ctx, tenantId, params.id!, params.delivery_id!);
      const attempts = await ctx.deps.store.listAttempts(tenantId, d.id);
      return json(200, { delivery: { ...toDeliveryView(d), attempt_log: attempts.map(toAttemptView) } });
    },
  }),
  route({
    ...portalRouteKey('retryDelivery'),
    tags: [TAG],
    summary: 'Retry a delivery',
    description: 'Sends the same event again (same `webhook-id`), as a new attempt. 409 when the subscription is disabled.',
    params: DeliveryParams,
    response: { status: 202, description: 'The retry was queued', schema: DeliveryResponse },
    errors: [...auth, 'NotFound', 'Conflict'],
    handler: async ({ params, tenantId }, ctx) => {
      const { deps } = ctx;
      const s = await subscriptionOf(ctx, tenantId, params.id!);
      mustBeEnabled(s);
      const d = await deliveryOf(ctx, tenantId, s.id, params.delivery_id!);
      const inRecord = eventOfRecord(d);
      const stored = inRecord
        ? { event: inRecord }
        : (await deps.store.getEvents([{ tenantId, eventId: d.eventId }])).get(storeKey(tenantId, d.eventId));
      const event = stored?.event;
      if (!stored || !event)
        throw new ApiError(410, 'event_expired', `Event ${d.eventId} is past its retention period and can no longer be sent`);
      // A new generation: the sender will not take the retry for a duplicate of a delivered message.
      const retried: Delivery = { ...d, status: 'pending', generation: d.generation + 1, updatedTime: ctx.now().toISOString() };
      delete retried.nextAttemptTime;
      // Out of its park, and the retry's message carries it from now: a resume of it, or the
      // message that carried it so far, finds the record saying otherwise, and goes.
      delete retried.park;
      delete retried.carrier;
      await deps.store.write({ deliveries: [retried] });
      const message = deliveryMessage(tenantId, s.id, event, d.createdTime, retried.generation, contentOf(stored));
      try {
        await deps.deliveries.sendAll([
          { id: message.deliveryId, body: encodeDeliveryMessage(message), groupId: messageGroupOf(tenantId) },
        ]);
      } catch (err) {
        await deps.store.write({ deliveries: [d] });
        throw err;
      }
      return json(202, {
        delivery: { ...toDeliveryView(retried), attempt_log: (await deps.store.listAttempts(tenantId, d.id)).map(toAttemptView) },
      });
    },
  }),
  route({
    ...portalRouteKey('sendTestEvent'),
    tags: ['Subscriptions (v0.1)'],
    summary: 'Send a test event',
    description:
      'Queues a `webhook.test` event for this subscription only; it is signed and retried like any other. 409 when the subscription is disabled.',
    params: SubscriptionIdParams,
    response: { status: 202, description: 'The test event was queued', schema: TestEventResponse },
    errors: [...auth, 'NotFound', 'Conflict'],
    handler: async ({ params, tenantId }, ctx) => {
      const { deps } = ctx;
      const s = await subscriptionOf(ctx, tenantId, params.id!);
      mustBeEnabled(s);
      const at = ctx.now().toISOString();
      const test: WebhookEvent = {
        id: `evt_test_${randomUUID()}`,
        type: TEST_EVENT_TYPE,
        timestamp: at,
        data: { subscription_id: s.id, message: 'This is a test event from your webhook provider.' },
      };
      // Straight to this subscription's delivery, past fan-out and its filters; listed in its history.
      await deps.store.write({
        events: [{ tenantId, event: test, deliveries: 1, storedTime: at }],
        history: [{ tenantId, subscriptionId: s.id, eventId: test.id, eventType: test.type, createdTime: at }],
      });
      const message = deliveryMessage(tenantId, s.id, test, at);
      await deps.deliveries.sendAll([{ id: message.deliveryId, body: encodeDeliveryMessage(message), groupId: messageGroupOf(tenantId) }]);
      return json(202, { id: test.id, type: test.type, timestamp: test.timestamp });
    },
  }),
];
