import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { AddressPolicy } from '../domain/address-policy.js';
import type { Catalog } from '../domain/catalog.js';
import { ApiError, validationError } from '../domain/errors.js';
import type { WebhookEvent } from '../domain/model.js';
import { payloadDigest } from '../domain/payload-digest.js';
import {
  CreateSubscriptionV0,
  CreateSubscriptionV01,
  PublishEvent,
  parseBody,
  UpdateSubscriptionV0,
  UpdateSubscriptionV01,
} from '../domain/requests.js';
import { toV0View, toV01View } from '../domain/views.js';
import type { DeliveryStore, EventBus, PortalSessionStore, Queue, SecretStore, SubscriptionRepository } from '../ports.js';
import { registerDeliveryRoutes } from './delivery-routes.js';
import { errorResponse, header, json, Router, readJsonBody } from './http.js';
import { buildOpenApiDocument } from './openapi.js';
import { DEFAULT_PORTAL_LIFETIMES, guardPortalSession, type PortalLifetimes } from './portal-access.js';
import { registerPortalRoutes } from './portal-routes.js';
import { pageRequest, tenantOf } from './request-context.js';
import { SubscriptionService, type WithSecret } from './subscriptions.js';

export interface ApiDeps {
  subscriptions: SubscriptionRepository;
  secrets: SecretStore;
  bus: EventBus;
  store: DeliveryStore;
  /** The delivery queue: manual retries and test events skip fan-out. */
  deliveries: Queue;
  catalog: Catalog;
  policy: AddressPolicy;
  secretNamePrefix: string;
  /** How long a rotated-out secret keeps signing; 24 h unless configured. */
  rotationOverlapSeconds?: number;
  /** The tenant portal's links and sessions. */
  portal: PortalSessionStore;
  portalLifetimes?: PortalLifetimes;
  /** The API's public base URL; derived from the request on API Gateway. */
  baseUrl?: (event: APIGatewayProxyEvent) => string;
  now?: () => Date;
  log?: (level: 'error', message: string, detail: Record<string, unknown>) => void;
}

/** Longer than the API function's timeout: a claim older than this belongs to a request that died. */
const IN_PROGRESS_WINDOW_MS = 30_000;

const v01 = ({ subscription, secret }: WithSecret) => toV01View(subscription, secret);
const v0 = ({ subscription, secret }: WithSecret) => toV0View(subscription, secret);
const statusFromV01 = (s: 'STATUS_ENABLED' | 'STATUS_DISABLED' | undefined) =>
  s === undefined ? undefined : s === 'STATUS_ENABLED' ? ('enabled' as const) : ('disabled' as const);

export function createApi(deps: ApiDeps): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? (() => new Date());
  const service = new SubscriptionService({
    repo: deps.subscriptions,
    secrets: deps.secrets,
    catalog: deps.catalog,
    policy: deps.policy,
    secretNamePrefix: deps.secretNamePrefix,
    now,
  });
  const overlap = deps.rotationOverlapSeconds ?? 24 * 60 * 60;
  const router = new Router();

  // Seed 002: /api/v0.1/webhooks
  router
    .on('POST', '/api/v0.1/webhooks', async (event) => {
      const body = parseBody(CreateSubscriptionV01, readJsonBody(event));
      service.validate(body, { url: 'url', events: 'events' });
      const created = await service.create(tenantOf(event), { ...body, status: statusFromV01(body.status) });
      return json(201, { webhook_subscription: v01(created) });
    })
    .on('GET', '/api/v0.1/webhooks', async (event) => {
      const page = await service.list(tenantOf(event), pageRequest(event));
      return json(200, { webhook_subscriptions: page.items.map(v01), next_cursor: page.nextCursor ?? null });
    })
    .on('GET', '/api/v0.1/webhooks/{id}', async (event, p) =>
      json(200, { webhook_subscription: v01(await service.get(tenantOf(event), p.id!)) }),
    )
    .on('PATCH', '/api/v0.1/webhooks/{id}', async (event, p) => {
      const tenantId = tenantOf(event);
      const body = parseBody(UpdateSubscriptionV01, readJsonBody(event));
      service.validate(body, { url: 'url', events: 'events' });
      const updated = await service.update(tenantId, p.id!, () => ({ ...body, status: statusFromV01(body.status) }));
      return json(200, { webhook_subscription: v01(updated) });
    })
    .on('DELETE', '/api/v0.1/webhooks/{id}', async (event, p) =>
      json(200, { webhook_subscription: v01(await service.delete(tenantOf(event), p.id!)) }),
    )
    .on('POST', '/api/v0.1/webhooks/{id}/secret/rotate', async (event, p) => {
      const rotated = await service.rotateSecret(tenantOf(event), p.id!, overlap);
      return json(200, { webhook_subscription: v01(rotated), previous_secret_expires_time: rotated.previousExpiresAt });
    });

  // Seed 001: /api/v0/webhooks
  router
    .on('POST', '/api/v0/webhooks', async (event) => {
      const body = parseBody(CreateSubscriptionV0, readJsonBody(event));
      service.validate({ url: body.callback_url, events: body.events }, { url: 'callback_url', events: 'events' });
      const created = await service.create(tenantOf(event), { url: body.callback_url, description: body.description, events: body.events });
      return json(201, v0(created));
    })
    .on('GET', '/api/v0/webhooks', async (event) => {
      const page = await service.list(tenantOf(event), pageRequest(event));
      // Seed 001's list is a bare array, so the cursor travels in a header.
      return json(200, page.items.map(v0), page.nextCursor ? { 'x-next-cursor': page.nextCursor } : {});
    })
    .on('GET', '/api/v0/webhooks/{id}', async (event, p) => json(200, v0(await service.get(tenantOf(event), p.id!))))
    .on('PATCH', '/api/v0/webhooks/{id}', async (event, p) => {
      const tenantId = tenantOf(event);
      const body = parseBody(UpdateSubscriptionV0, readJsonBody(event));
      if (body.action && !body.events) throw validationError([{ field: 'events', message: `is required with action ${body.action}` }]);
      service.validate({ url: body.callback_url, events: body.events }, { url: 'callback_url', events: 'events' });
      const updated = await service.update(tenantId, p.id!, (current) => {
        let events = body.events;
        if (body.events && body.action === 'add_events') events = [...new Set([...current.events, ...body.events])];
        if (body.events && body.action === 'remove_events') {
          events = current.events.filter((e) => !body.events!.includes(e));
          if (events.length === 0)
            throw validationError([{ field: 'events', message: 'would remove every event; delete the subscription instead' }]);
        }
        return { url: body.callback_url, description: body.description, events, status: body.status };
      });
      return json(200, v0(updated));
    })
    .on('DELETE', '/api/v0/webhooks/{id}', async (event, p) => json(200, v0(await service.delete(tenantOf(event), p.id!))));

  router.on('GET', '/api/v0.1/event-types', async () =>
    json(200, {
      event_types: deps.catalog.entries.map((e) => ({ type: e.type, description: e.description, schema: e.schema, example: e.example })),
    }),
  );

  registerDeliveryRoutes(router, { subscriptions: deps.subscriptions, store: deps.store, deliveries: deps.deliveries, now });
  registerPortalRoutes(router, {
    portal: deps.portal,
    subscriptions: deps.subscriptions,
    store: deps.store,
    lifetimes: deps.portalLifetimes ?? DEFAULT_PORTAL_LIFETIMES,
    ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}),
    now,
  });

  // Public (no authorizer on AWS either): a client generator needs no credentials.
  let openApiDocument: object | undefined;
  router.on('GET', '/api/openapi.json', async () => {
    openApiDocument ??= buildOpenApiDocument(deps.catalog);
    return json(200, openApiDocument);
  });

  router.on('POST', '/api/v0.1/events', async (event) => {
    const tenantId = tenantOf(event);
    const body = parseBody(PublishEvent, readJsonBody(event));
    const idempotencyKey = header(event, 'Idempotency-Key');
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
      throw validationError([{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }]);
    }
    if (!deps.catalog.has(body.type)) {
      throw validationError([
        { field: 'type', message: `"${body.type}" is not an event type; valid types: ${deps.catalog.types.join(', ')}` },
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
      timestamp: now().toISOString(),
      data: body.data,
    };
    if (clientId) {
      const replay = await claimOrReplay(tenantId, published);
      if (replay) return json(202, { id: replay.id, type: replay.type, timestamp: replay.timestamp });
    }
    await deps.bus.publish(tenantId, published, { unique: true });
    if (clientId) await deps.store.markPublished(tenantId, published.id);
    return json(202, { id: published.id, type: published.type, timestamp: published.timestamp });
  });

  /** Undefined when this request claimed the id; otherwise the event to answer with. */
  async function claimOrReplay(tenantId: string, event: WebhookEvent): Promise<WebhookEvent | undefined> {
    const digest = payloadDigest(event.type, event.data);
    const claim = await deps.store.claimEvent({ tenantId, event, storedTime: event.timestamp, payloadHash: digest, published: false });
    if (claim.claimed) return undefined;
    const existing = claim.existing;
    if (existing.payloadHash && existing.payloadHash !== digest) {
      throw new ApiError(
        409,
        'idempotency_conflict',
        `Event ${event.id} was already published with a different type or data; use a new id`,
      );
    }
    if (existing.published !== false) return existing.event;
    // Claimed but not yet on the bus: another request is publishing it, or died doing so.
    if (now().getTime() - Date.parse(existing.storedTime) < IN_PROGRESS_WINDOW_MS) {
      throw new ApiError(409, 'idempotency_in_progress', `Event ${event.id} is being published by another request; retry in a few seconds`);
    }
    await deps.bus.publish(tenantId, existing.event, { unique: true });
    await deps.store.markPublished(tenantId, existing.event.id);
    return existing.event;
  }

  return async (event) => {
    try {
      guardPortalSession(event, now());
      return await router.handle(event);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      deps.log?.('error', 'unhandled API error', { error: (err as Error).message, stack: (err as Error).stack });
      return errorResponse(new ApiError(500, 'internal_error', 'Something went wrong on our side; the request may be retried'));
    }
  };
}
