import { CURSOR_PATTERN, MAX_CURSOR_CHARS } from '../domain/api-limits.js';
import { ApiError, validationError } from '../domain/errors.js';
import type { SubscriptionStatus } from '../domain/model.js';
import {
  CreateSubscriptionV0,
  CreateSubscriptionV01,
  MAX_EVENTS,
  statusFromV0,
  UpdateSubscriptionV0,
  UpdateSubscriptionV01,
} from '../domain/requests.js';
import {
  RotateSecretResponse,
  SubscriptionV0,
  SubscriptionV0List,
  SubscriptionV01List,
  SubscriptionV01Response,
  UpdateSubscriptionV01Response,
} from '../domain/response-schemas.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS, ROTATION_RATE_LIMITED } from '../domain/secret-set.js';
import { VERIFICATION_EVENT_TYPE } from '../domain/verification.js';
import { seedTime, toV0View, toV01View } from '../domain/views.js';
import type { ApiContext, ApiRoute } from './api-context.js';
import { json } from './http.js';
import { portalRouteKey } from './portal-route-keys.js';
import { recoverHref } from './recovery-routes.js';
import { MAX_PAGE_LIMIT, pageRequest } from './request-context.js';
import { PageQuery, route, SubscriptionIdParams } from './route-table.js';
import type { WithSecret } from './subscriptions.js';

/** Subscriptions in both documented versions: seed 002's `/api/v0.1/webhooks`, seed 001's `/api/v0/webhooks`. */

const v01 = ({ subscription, secret, headers }: WithSecret) => toV01View(subscription, secret, headers);
const v0 = ({ subscription, secret, headers }: WithSecret) => toV0View(subscription, secret, headers);
const statusFromV01 = (s: 'STATUS_ENABLED' | 'STATUS_DISABLED' | undefined): SubscriptionStatus | undefined =>
  s === undefined ? undefined : s === 'STATUS_ENABLED' ? 'enabled' : 'disabled';

const V01 = 'Subscriptions (v0.1)';
const V0 = 'Subscriptions (v0)';

// Request bodies get component names here; requests.ts stays free of documentation concerns.
const CreateSubscriptionV01Request = CreateSubscriptionV01.meta({
  id: 'CreateSubscriptionV01Request',
  description: `Seed 002. \`events\` lists 1 to ${MAX_EVENTS} event types or prefix wildcards such as \`card*\`; \`url\` must be https and resolve to a public address.`,
});
const UpdateSubscriptionV01Request = UpdateSubscriptionV01.meta({
  id: 'UpdateSubscriptionV01Request',
  description:
    'Seed 002. Only the fields sent change; `events` replaces the whole list, `filter` the whole filter (null removes it), `headers` the whole set of custom headers (null or {} removes them), `rate_limit` the limit (null removes it); new headers are a new version of the stored secret, so they share the rotation window: within it, 429 `rotation_rate_limited` and nothing changes.',
});
const CreateSubscriptionV0Request = CreateSubscriptionV0.meta({
  id: 'CreateSubscriptionV0Request',
  description: 'Seed 001. `callback_url` must be https and resolve to a public address.',
});
const UpdateSubscriptionV0Request = UpdateSubscriptionV0.meta({
  id: 'UpdateSubscriptionV0Request',
  description:
    'Seed 001. Only the fields sent change. Without `action`, `events` replaces the list; with `action` `add_events` or `remove_events` it is added to or removed from it (`events` is then required). `status` takes `enabled` or `enable`, `disabled` or `disable` (the seed writes both). `filter` (beyond the seed) replaces the whole filter whatever the `action`; null removes it. `headers` (beyond the seed) replaces the whole set of custom headers; null or {} removes them; `rate_limit` (beyond the seed) replaces the limit; null removes it; new headers are a new version of the stored secret, so they share the rotation window: within it, 429 `rotation_rate_limited` and nothing changes.',
});

const V0ListQuery = PageQuery.extend({
  limit: PageQuery.shape.limit.optional().meta({
    description: 'Items per page, 1 to 100. Without it the answer holds every subscription of the tenant, as seed 001 lists "all".',
  }),
});

const withBody = ['ValidationFailed', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType'] as const;
const auth = ['Unauthorized', 'Forbidden'] as const;
/** Every subscription route reads or writes a signing secret: past Secrets Manager's account-wide quota, a 503. */
const secrets = 'SecretsBusy' as const;

export const SUBSCRIPTION_V01_ROUTES: ApiRoute[] = [
  route({
    ...portalRouteKey('createSubscriptionV01'),
    tags: [V01],
    summary: 'Create a subscription',
    description:
      'A tenant may have a limited number of live subscriptions (1,000 unless the operator set another); past it, 409 `subscription_limit_reached`.',
    body: { schema: CreateSubscriptionV01Request },
    response: { status: 201, description: 'The subscription, with its signing secret', schema: SubscriptionV01Response },
    errors: [...withBody, 'Conflict', secrets],
    handler: async ({ body, tenantId }, { service }) => {
      service.validate(body, { url: 'url', events: 'events' });
      const created = await service.create(tenantId, { ...body, rateLimit: body.rate_limit, status: statusFromV01(body.status) });
      return json(201, { webhook_subscription: v01(created) });
    },
  }),
  route({
    ...portalRouteKey('listSubscriptionsV01'),
    tags: [V01],
    summary: 'List subscriptions',
    query: PageQuery,
    response: { status: 200, description: 'One page of subscriptions, newest first', schema: SubscriptionV01List },
    errors: ['ValidationFailed', ...auth, secrets],
    handler: async ({ event, tenantId }, { service }) => {
      const page = await service.list(tenantId, pageRequest(event));
      return json(200, { webhook_subscriptions: page.items.map(v01), next_cursor: page.nextCursor ?? null });
    },
  }),
  route({
    ...portalRouteKey('getSubscriptionV01'),
    tags: [V01],
    summary: 'Get a subscription',
    params: SubscriptionIdParams,
    response: { status: 200, description: 'The subscription', schema: SubscriptionV01Response },
    errors: [...auth, 'NotFound', secrets],
    handler: async ({ params, tenantId }, { service }) => json(200, { webhook_subscription: v01(await service.get(tenantId, params.id!)) }),
  }),
  route({
    ...portalRouteKey('updateSubscriptionV01'),
    tags: [V01],
    summary: 'Update a subscription',
    params: SubscriptionIdParams,
    body: { schema: UpdateSubscriptionV01Request },
    response: { status: 200, description: 'The updated subscription', schema: UpdateSubscriptionV01Response },
    errors: [...withBody, 'NotFound', 'RotationRateLimited', secrets],
    handler: async ({ params, body, tenantId }, { service }) => {
      service.validate(body, { url: 'url', events: 'events' });
      const updated = await service.update(tenantId, params.id!, () => ({
        ...body,
        rateLimit: body.rate_limit,
        status: statusFromV01(body.status),
      }));
      const offer = updated.missedSince
        ? { recover_offer: { since: seedTime(updated.missedSince), method: 'POST', href: recoverHref(updated.subscription.id) } }
        : {};
      return json(200, { webhook_subscription: v01(updated), ...offer });
    },
  }),
  route({
    ...portalRouteKey('deleteSubscriptionV01'),
    tags: [V01],
    summary: 'Delete a subscription',
    description: 'It gets no new deliveries; deliveries already queued are skipped.',
    params: SubscriptionIdParams,
    response: { status: 200, description: 'The deleted subscription', schema: SubscriptionV01Response },
    errors: [...auth, 'NotFound', secrets],
    handler: async ({ params, tenantId }, { service }) =>
      json(200, { webhook_subscription: v01(await service.delete(tenantId, params.id!)) }),
  }),
  route({
    ...portalRouteKey('rotateSecret'),
    tags: [V01],
    summary: 'Rotate the signing secret',
    description: `Deliveries are signed with both the new and the previous secret until \`previous_secret_expires_time\`, so receivers can switch without losing events. At most one rotation per subscription every ${MIN_SECONDS_BETWEEN_ROTATIONS / 60} minutes; sooner, 429 \`${ROTATION_RATE_LIMITED}\` with Retry-After.`,
    params: SubscriptionIdParams,
    response: { status: 200, description: 'The subscription with its new secret', schema: RotateSecretResponse },
    errors: [...auth, 'NotFound', 'RotationRateLimited', secrets],
    handler: async ({ params, tenantId }, { service, rotationOverlapSeconds }) => {
      const rotated = await service.rotateSecret(tenantId, params.id!, rotationOverlapSeconds);
      return json(200, { webhook_subscription: v01(rotated), previous_secret_expires_time: seedTime(rotated.previousExpiresAt) });
    },
  }),
  route({
    ...portalRouteKey('verifySubscription'),
    tags: [V01],
    summary: 'Verify the endpoint again',
    description: `Sends a new \`${VERIFICATION_EVENT_TYPE}\` request to the subscription's URL (docs/tenants/api.md, "Endpoint verification"): \`verification.status\` is \`pending\` until the endpoint answers it, and the subscription's events wait unsent meanwhile; a request under way is superseded. Under the \`none\` setting the subscription is verified at once. 409 when the subscription is disabled.`,
    params: SubscriptionIdParams,
    response: { status: 202, description: 'The verification request was queued', schema: SubscriptionV01Response },
    errors: [...auth, 'NotFound', 'Conflict', secrets],
    handler: async ({ params, tenantId }, { service }) => {
      const current = await service.get(tenantId, params.id!);
      if (current.subscription.status !== 'enabled')
        throw new ApiError(
          409,
          'subscription_disabled',
          `Webhook subscription ${params.id} is disabled; enable it (status STATUS_ENABLED) to verify it`,
        );
      return json(202, { webhook_subscription: v01(await service.verify(tenantId, params.id!)) });
    },
  }),
];

/** Every subscription of the tenant, a page at a time: bounded by the per-tenant cap. */
async function listAll(tenantId: string, { service }: ApiContext): Promise<WithSecret[]> {
  const all: WithSecret[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.list(tenantId, { limit: MAX_PAGE_LIMIT, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export const SUBSCRIPTION_V0_ROUTES: ApiRoute[] = [
  route({
    method: 'POST',
    path: '/api/v0/webhooks',
    // Seed 001's samples write `/api/v0/webhooks/`.
    trailingSlash: true,
    operationId: 'createSubscriptionV0',
    tags: [V0],
    summary: 'Create a subscription',
    description:
      'A tenant may have a limited number of live subscriptions (1,000 unless the operator set another); past it, 409 `subscription_limit_reached`.',
    body: { schema: CreateSubscriptionV0Request },
    response: { status: 201, description: 'The subscription, with its signing secret', schema: SubscriptionV0 },
    errors: [...withBody, 'Conflict', secrets],
    handler: async ({ body, tenantId }, { service }) => {
      service.validate({ url: body.callback_url, events: body.events }, { url: 'callback_url', events: 'events' });
      const created = await service.create(tenantId, {
        url: body.callback_url,
        description: body.description,
        events: body.events,
        filter: body.filter,
        headers: body.headers,
        rateLimit: body.rate_limit,
      });
      return json(201, v0(created));
    },
  }),
  route({
    method: 'GET',
    path: '/api/v0/webhooks',
    // Seed 001's samples write `/api/v0/webhooks/`.
    trailingSlash: true,
    operationId: 'listSubscriptionsV0',
    tags: [V0],
    summary: 'List subscriptions',
    query: V0ListQuery,
    response: {
      status: 200,
      description: 'Every subscription, newest first; with `limit`, one page of them',
      schema: SubscriptionV0List,
      headers: {
        'x-next-cursor': {
          description: 'With `limit`: pass as `cursor` to fetch the next page; absent on the last page',
          schema: { type: 'string', maxLength: MAX_CURSOR_CHARS, pattern: CURSOR_PATTERN },
        },
      },
    },
    errors: ['ValidationFailed', ...auth, secrets],
    handler: async (request, ctx) => {
      const { event, tenantId } = request;
      // Seed 001's list is a bare array of "all" subscriptions; a page and its cursor (in a
      // header, as the array has no room for one) only when the client asks for a limit.
      if (event.queryStringParameters?.limit === undefined && !event.queryStringParameters?.cursor) {
        return json(200, (await listAll(tenantId, ctx)).map(v0));
      }
      const page = await ctx.service.list(tenantId, pageRequest(event));
      return json(200, page.items.map(v0), page.nextCursor ? { 'x-next-cursor': page.nextCursor } : {});
    },
  }),
  route({
    method: 'GET',
    path: '/api/v0/webhooks/{id}',
    operationId: 'getSubscriptionV0',
    tags: [V0],
    summary: 'Get a subscription',
    params: SubscriptionIdParams,
    response: { status: 200, description: 'The subscription', schema: SubscriptionV0 },
    errors: [...auth, 'NotFound', secrets],
    handler: async ({ params, tenantId }, { service }) => json(200, v0(await service.get(tenantId, params.id!))),
  }),
  route({
    method: 'PATCH',
    path: '/api/v0/webhooks/{id}',
    operationId: 'updateSubscriptionV0',
    tags: [V0],
    summary: 'Update a subscription',
    params: SubscriptionIdParams,
    body: { schema: UpdateSubscriptionV0Request },
    response: { status: 200, description: 'The updated subscription', schema: SubscriptionV0 },
    errors: [...withBody, 'NotFound', 'RotationRateLimited', secrets],
    handler: async ({ params, body, tenantId }, { service }) => {
      if (body.action && !body.events) throw validationError([{ field: 'events', message: `is required with action ${body.action}` }]);
      service.validate({ url: body.callback_url, events: body.events }, { url: 'callback_url', events: 'events' });
      const updated = await service.update(tenantId, params.id!, (current) => {
        let events = body.events;
        if (body.events && body.action === 'add_events') events = [...new Set([...current.events, ...body.events])];
        if (body.events && body.action === 'remove_events') {
          events = current.events.filter((e) => !body.events!.includes(e));
          if (events.length === 0)
            throw validationError([{ field: 'events', message: 'would remove every event; delete the subscription instead' }]);
        }
        return {
          url: body.callback_url,
          description: body.description,
          events,
          filter: body.filter,
          headers: body.headers,
          rateLimit: body.rate_limit,
          status: statusFromV0(body.status),
        };
      });
      return json(200, v0(updated));
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/v0/webhooks/{id}',
    operationId: 'deleteSubscriptionV0',
    tags: [V0],
    summary: 'Delete a subscription',
    description: 'Answers with `deleted_at` and `status: disabled`.',
    params: SubscriptionIdParams,
    response: { status: 200, description: 'The deleted subscription', schema: SubscriptionV0 },
    errors: [...auth, 'NotFound', secrets],
    handler: async ({ params, tenantId }, { service }) => json(200, v0(await service.delete(tenantId, params.id!))),
  }),
];
