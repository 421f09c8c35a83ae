import type { APIGatewayProxyEvent } from 'aws-lambda';
import { notFound } from '../domain/errors.js';
import type { Delivery } from '../domain/model.js';
import { hourlyOutcomes, outcomesSince } from '../domain/outcomes.js';
import { PORTAL_EXCHANGE_PATH, PORTAL_SESSIONS_PATH } from '../domain/portal.js';
import {
  ExchangeLinkRequest,
  MAX_OUTCOME_DELIVERIES,
  OUTCOME_HOURS,
  OutcomesResponse,
  PortalLinkResponse,
  PortalSessionResponse,
} from '../domain/portal-schemas.js';
import type { PortalSessionStore } from '../ports.js';
import type { ApiContext, ApiRoute } from './api-context.js';
import { json } from './http.js';
import { DEFAULT_PORTAL_LIFETIMES, exchangePortalLink, issuePortalLink } from './portal-access.js';
import { pathPrefixOf } from './portal-assets.js';
import { portalRouteKey } from './portal-route-keys.js';
import { throttleKeyOf } from './request-context.js';
import { route, SubscriptionIdParams } from './route-table.js';

/**
 * The tenant portal's routes: links (tenant credentials), their exchange for a session (public)
 * and the per-hour outcome summary its chart draws. The page itself uses the v0.1 routes whose
 * keys are in portal-route-keys.ts (each spreads its `portalRouteKey`).
 */

/** The API's public base URL on API Gateway (https, the stage or base path mapping included). */
export function baseUrlOf(event: APIGatewayProxyEvent): string {
  const host = event.requestContext?.domainName ?? event.headers?.Host ?? event.headers?.host;
  return `https://${host}${pathPrefixOf(event)}/`;
}

function portalStore({ deps }: ApiContext): PortalSessionStore {
  // Every wiring (the api function, local mode) passes one; an API built without it serves no portal.
  if (!deps.portal) throw new Error('the API was built without a portal session store (ApiDeps.portal)');
  return deps.portal;
}

const lifetimes = ({ deps }: ApiContext) => deps.portalLifetimes ?? DEFAULT_PORTAL_LIFETIMES;

export const PORTAL_ROUTES: ApiRoute[] = [
  route({
    method: 'POST',
    path: PORTAL_SESSIONS_PATH,
    operationId: 'createPortalLink',
    tags: ['Portal'],
    summary: 'Create a portal link',
    description:
      'A link to the tenant portal for people at the tenant. The one-time token is in the fragment; the page exchanges it for a session token that works only on the portal routes of this tenant.',
    response: {
      status: 201,
      description: 'The link and when it stops working',
      schema: PortalLinkResponse,
      headers: { 'referrer-policy': { description: 'Always `no-referrer`', schema: { type: 'string', const: 'no-referrer' } } },
    },
    errors: ['Unauthorized', 'Forbidden'],
    handler: async ({ event, tenantId }, ctx) => {
      const throttleKey = throttleKeyOf(event);
      const link = await issuePortalLink(
        portalStore(ctx),
        { tenantId, ...(throttleKey ? { throttleKey } : {}) },
        (ctx.deps.baseUrl ?? baseUrlOf)(event),
        lifetimes(ctx).linkTtlSeconds,
        ctx.now(),
      );
      return json(201, link, { 'referrer-policy': 'no-referrer' });
    },
  }),
  route({
    method: 'POST',
    path: PORTAL_EXCHANGE_PATH,
    operationId: 'exchangePortalLink',
    tags: ['Portal'],
    summary: 'Exchange a portal link for a session',
    description:
      'Public: the link token is the credential, and works once. Answers 401 `link_expired` for a used, expired or unknown link.',
    public: true,
    body: { schema: ExchangeLinkRequest },
    response: { status: 201, description: "A session token for the portal routes of the link's tenant", schema: PortalSessionResponse },
    errors: ['ValidationFailed', 'Unauthorized', 'PayloadTooLarge', 'UnsupportedMediaType'],
    handler: async ({ body }, ctx) =>
      json(201, await exchangePortalLink(portalStore(ctx), body.link_token, lifetimes(ctx).sessionTtlSeconds, ctx.now())),
  }),
  route({
    ...portalRouteKey('getDeliveryOutcomes'),
    tags: ['Deliveries'],
    summary: 'Outcomes per hour',
    description: `Of the deliveries created in each of the last ${OUTCOME_HOURS} hours, how many succeeded and how many failed.`,
    params: SubscriptionIdParams,
    response: { status: 200, description: 'Succeeded and failed deliveries per hour', schema: OutcomesResponse },
    errors: ['Unauthorized', 'Forbidden', 'NotFound'],
    handler: async ({ params, tenantId }, { deps, now: clock }) => {
      const id = params.id!;
      if (!(await deps.subscriptions.get(tenantId, id))) throw notFound(`Webhook subscription ${id}`);
      const now = clock();
      const since = outcomesSince(now, OUTCOME_HOURS);
      const read: Delivery[] = [];
      let cursor: string | undefined;
      let truncated = false;
      // Newest first: stop at the first delivery older than the window.
      for (;;) {
        const page = await deps.store.listDeliveries(tenantId, id, { limit: 100, ...(cursor ? { cursor } : {}) });
        const inWindow = page.items.filter((d) => d.createdTime >= since);
        read.push(...inWindow);
        if (inWindow.length < page.items.length || !page.nextCursor) break;
        if (read.length >= MAX_OUTCOME_DELIVERIES) {
          truncated = true;
          break;
        }
        cursor = page.nextCursor;
      }
      return json(200, { hours: hourlyOutcomes(read, now, OUTCOME_HOURS), truncated });
    },
  }),
];
