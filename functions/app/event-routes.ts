import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { utf8Bytes } from '../domain/aws-limits.js';
import { bodyGoesBeside, fitsBusInline, MAX_EVENT_BYTES } from '../domain/bus-entry.js';
import type { Catalog } from '../domain/catalog.js';
import { bodyKeyFor } from '../domain/delivery-message.js';
import { ApiError, validationError } from '../domain/errors.js';
import type { WebhookEvent } from '../domain/model.js';
import { isOperationalType, OPERATIONAL_TYPE_PREFIX } from '../domain/operational-events.js';
import { payloadDigest } from '../domain/payload-digest.js';
import { PublishEvent } from '../domain/requests.js';
import { EventTypeList, PublishedEvent } from '../domain/response-schemas.js';
import { serializeEvent } from '../domain/webhook-body.js';
import type { ApiContext, ApiRoute } from './api-context.js';
import { header, json } from './http.js';
import { portalRouteKey } from './portal-route-keys.js';
import { route } from './route-table.js';

/** The event type catalog and tenant-scoped publishing. */

/** Longer than the API function's timeout: a claim older than this belongs to a request that died. */
const IN_PROGRESS_WINDOW_MS = 30_000;

const PublishEventRequest = PublishEvent.meta({
  id: 'PublishEventRequest',
  description:
    '`data` must match the JSON Schema of the event type (see `GET /api/v0.1/event-types`). `id` defaults to a new `evt_...` id.',
});

const PublishHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().meta({
    description: 'Makes the request safe to retry: a repeated publish with the same key is accepted once and answers with the same event',
  }),
});

const TAG = 'Events';

export const EVENT_ROUTES: ApiRoute[] = [
  route({
    ...portalRouteKey('listEventTypes'),
    tags: [TAG],
    summary: 'List the event types',
    description: 'The catalog: every event type with the JSON Schema of its `data` and an example.',
    response: { status: 200, description: 'The event type catalog', schema: EventTypeList },
    errors: ['Unauthorized', 'Forbidden'],
    handler: async (_request, { deps }) =>
      json(200, {
        event_types: deps.catalog.entries.map((e) => ({
          type: e.type,
          description: e.description,
          schema: e.schema,
          example: e.example,
          operational: e.operational === true,
          ...(e.subscribable === false ? { subscribable: false as const } : {}),
        })),
      }),
  }),
  route({
    method: 'POST',
    path: '/api/v0.1/events',
    operationId: 'publishEvent',
    tags: [TAG],
    summary: 'Publish an event',
    description:
      'Delivers the event to every subscription of this tenant whose `events` match its type. 409 when the id was published with other data.',
    headers: PublishHeaders,
    body: {
      schema: PublishEventRequest,
      // `PublishEventByType` (openapi.ts, from the catalog) says which `data` goes with which `type`.
      documentAs: { allOf: [{ $ref: '#/components/schemas/PublishEventRequest' }, { $ref: '#/components/schemas/PublishEventByType' }] },
      example: (catalog) => {
        const first = catalog.entries.find((e) => !e.operational);
        return first ? { type: first.type, data: structuredClone(first.example) } : undefined;
      },
    },
    response: { status: 202, description: 'The event was accepted for delivery', schema: PublishedEvent },
    errors: ['ValidationFailed', 'Unauthorized', 'Forbidden', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType'],
    handler: async ({ event, body, tenantId }, ctx) => {
      const { deps } = ctx;
      const idempotencyKey = header(event, 'Idempotency-Key');
      if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
        throw validationError([{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }]);
      }
      // The platform's own events (operational-events.ts) are the pipeline's to send: a tenant
      // publishing one could make its receivers believe an endpoint failed or was disabled.
      if (isOperationalType(body.type)) {
        throw validationError([
          {
            field: 'type',
            message: `"${body.type.slice(0, 200)}" is one of the platform's own event types (${OPERATIONAL_TYPE_PREFIX}*), which the pipeline sends and tenants cannot publish; subscribe to it instead`,
          },
        ]);
      }
      if (!deps.catalog.has(body.type)) {
        throw validationError([
          {
            field: 'type',
            message: `"${body.type.slice(0, 200)}" is not an event type; valid types: ${publishableTypes(deps.catalog).join(', ')}`,
          },
        ]);
      }
      const problems = deps.catalog.validateData(body.type, body.data);
      if (problems) throw validationError(problems.map((m) => ({ field: 'data', message: m })));
      // A client id (or one derived from the Idempotency-Key) is claimed in the table first, so
      // publishing it again, even concurrently, reaches the bus once. Generated ids need no claim.
      const clientId =
        body.id ?? (idempotencyKey ? `evt_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}` : undefined);
      const published: WebhookEvent = {
        id: clientId ?? `evt_${randomUUID()}`,
        type: body.type,
        timestamp: ctx.now().toISOString(),
        data: body.data,
      };
      // What can never be delivered is refused now, not accepted and dropped later.
      const delivered = serializeEvent(published);
      const size = utf8Bytes(delivered);
      if (size > MAX_EVENT_BYTES)
        throw new ApiError(413, 'payload_too_large', `The event is ${size} bytes as delivered; the limit is ${MAX_EVENT_BYTES} bytes`);
      // Too large for a PutEvents entry: stored first (as a claim), and only a reference goes on the bus.
      const stored = !fitsBusInline(tenantId, published);
      if (clientId || stored) {
        // Too large for the claim's item: the body goes beside the table first, the item keeps its key.
        let bodyKey: string | undefined;
        if (bodyGoesBeside(size)) {
          if (!deps.bodies) throw new Error('no body store: events over the table item limit cannot be stored');
          bodyKey = bodyKeyFor(tenantId, published.id, delivered);
          await deps.bodies.put(bodyKey, delivered);
        }
        const replay = await claimOrReplay(ctx, tenantId, published, bodyKey);
        if (replay) return json(202, { id: replay.id, type: replay.type, timestamp: replay.timestamp });
      }
      await deps.bus.publish(tenantId, published, { stored });
      if (clientId || stored) await deps.store.markPublished(tenantId, published.id);
      return json(202, { id: published.id, type: published.type, timestamp: published.timestamp });
    },
  }),
];

const publishableTypes = (catalog: Catalog) => catalog.types.filter((t) => !catalog.isOperational(t));

/** Undefined when this request claimed the id; otherwise the event to answer with. */
async function claimOrReplay(
  { deps, now }: ApiContext,
  tenantId: string,
  event: WebhookEvent,
  bodyKey: string | undefined,
): Promise<WebhookEvent | undefined> {
  const digest = payloadDigest(event.type, event.data);
  const claim = await deps.store.claimEvent({
    tenantId,
    event,
    storedTime: event.timestamp,
    payloadHash: digest,
    published: false,
    ...(bodyKey ? { bodyKey } : {}),
  });
  if (claim.claimed) return undefined;
  const existing = claim.existing;
  if (existing.payloadHash && existing.payloadHash !== digest) {
    throw new ApiError(409, 'idempotency_conflict', `Event ${event.id} was already published with a different type or data; use a new id`);
  }
  if (existing.published !== false) return existing.event;
  // Claimed but not yet on the bus: another request is publishing it, or died doing so.
  if (now().getTime() - Date.parse(existing.storedTime) < IN_PROGRESS_WINDOW_MS) {
    throw new ApiError(409, 'idempotency_in_progress', `Event ${event.id} is being published by another request; retry in a few seconds`);
  }
  // A body kept beside the table is not in `existing.event`: only the reference can go on the bus.
  await deps.bus.publish(tenantId, existing.event, { stored: existing.bodyKey !== undefined || !fitsBusInline(tenantId, existing.event) });
  await deps.store.markPublished(tenantId, existing.event.id);
  return existing.event;
}
