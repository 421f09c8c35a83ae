import * as z from 'zod';
import { MAX_TIME_CHARS } from '../domain/api-limits.js';
import { ApiError, notFound } from '../domain/errors.js';
import type { Recovery } from '../domain/recovery.js';
import { recoveryWindow } from '../domain/recovery.js';
import { RecoveryResponse } from '../domain/response-schemas.js';
import { seedTime } from '../domain/views.js';
import type { ApiContext, ApiRoute } from './api-context.js';
import { json } from './http.js';
import { PORTAL_ROUTE_KEYS, portalRouteKey } from './portal-route-keys.js';
import { createRecoveryWorker } from './recovery.js';
import { idParam, route, SubscriptionIdParams } from './route-table.js';

/** Recover since a time: `/api/v0.1/webhooks/{id}/recover`, followed at `.../recoveries/{recovery_id}`. */

const requestTime = z.iso
  .datetime({ offset: true })
  .max(MAX_TIME_CHARS, `must be at most ${MAX_TIME_CHARS} characters (as 2026-03-01T00:00:00.123456789+05:30)`);

const RecoverRequest = z
  .object({
    since: requestTime.meta({ description: 'Deliveries created at or after this time (ISO 8601), within the retention period' }),
    until: requestTime.optional().meta({ description: 'And at or before this time; now when absent' }),
  })
  .meta({
    id: 'RecoverRequest',
    description:
      'Sends again, once each, every delivery of the subscription created in the window that did not reach it: dead-lettered, or skipped while the subscription was disabled.',
  });

const RecoveryParams = SubscriptionIdParams.extend({ recovery_id: idParam('The recovery id') });

const TAG = 'Deliveries';
const auth = ['Unauthorized', 'Forbidden'] as const;

function recoveriesOf({ deps }: ApiContext) {
  if (!deps.recoveries) throw new ApiError(501, 'not_configured', 'Recoveries are not configured on this API');
  return deps.recoveries;
}

/** The routes' own paths, filled in: declared once, in portal-route-keys.ts. */
export const recoveryHref = (r: Pick<Recovery, 'subscriptionId' | 'id'>) =>
  PORTAL_ROUTE_KEYS.getRecovery.path.replace('{id}', r.subscriptionId).replace('{recovery_id}', r.id);
export const recoverHref = (subscriptionId: string) => PORTAL_ROUTE_KEYS.recoverSubscription.path.replace('{id}', subscriptionId);

export function toRecoveryView(r: Recovery) {
  return {
    id: r.id,
    subscription_id: r.subscriptionId,
    since: seedTime(r.since),
    until: seedTime(r.until),
    status: r.state,
    found: r.found,
    queued: r.queued,
    expired: r.expired,
    created_time: seedTime(r.createdTime),
    updated_time: seedTime(r.updatedTime),
    ...(r.doneTime ? { done_time: seedTime(r.doneTime) } : {}),
    href: recoveryHref(r),
  };
}

export const RECOVERY_ROUTES: ApiRoute[] = [
  route({
    ...portalRouteKey('recoverSubscription'),
    tags: [TAG],
    summary: 'Recover failed deliveries since a time',
    description:
      'Queues again every dead-lettered delivery of the subscription created in the window, and every one skipped while it was disabled, each once however often this is called (at once or in turn). Answered 202 after a first share of the work; follow `href` until `status` is `done`. 409 when the subscription is disabled (enable it first).',
    params: SubscriptionIdParams,
    body: { schema: RecoverRequest, example: () => ({ since: '2026-03-01T00:00:00Z' }) },
    response: {
      status: 202,
      description: 'The recovery, running or done',
      schema: RecoveryResponse,
      headers: { Location: { description: 'Where to follow the recovery', required: true, schema: { type: 'string' } } },
    },
    errors: ['ValidationFailed', ...auth, 'NotFound', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType'],
    handler: async ({ body, params, tenantId }, ctx) => {
      const { store, retentionDays, ratePerSecond } = recoveriesOf(ctx);
      const s = await ctx.deps.subscriptions.get(tenantId, params.id!);
      if (!s) throw notFound(`Webhook subscription ${params.id}`);
      const window = recoveryWindow(body, ctx.now(), retentionDays);
      if (s.status !== 'enabled')
        throw new ApiError(
          409,
          'subscription_disabled',
          `Webhook subscription ${s.id} is disabled; enable it (status STATUS_ENABLED) first`,
        );
      const worker = createRecoveryWorker({
        recoveries: store,
        store: ctx.deps.store,
        subscriptions: ctx.deps.subscriptions,
        deliveries: ctx.deps.deliveries,
        now: ctx.now,
        ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
      });
      const r = await worker.start(tenantId, s.id, window);
      return json(202, { recovery: toRecoveryView(r) }, { Location: recoveryHref(r) });
    },
  }),
  route({
    ...portalRouteKey('getRecovery'),
    tags: [TAG],
    summary: 'Follow a recovery',
    params: RecoveryParams,
    response: { status: 200, description: 'The recovery and its counts so far', schema: RecoveryResponse },
    errors: [...auth, 'NotFound'],
    handler: async ({ params, tenantId }, ctx) => {
      const { store } = recoveriesOf(ctx);
      const r = await store.get(tenantId, params.recovery_id!);
      if (!r || r.subscriptionId !== params.id) throw notFound(`Recovery ${params.recovery_id}`);
      return json(200, { recovery: toRecoveryView(r) });
    },
  }),
];
