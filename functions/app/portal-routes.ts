import type { APIGatewayProxyEvent } from 'aws-lambda';
import { notFound, validationError } from '../domain/errors.js';
import type { Delivery } from '../domain/model.js';
import { hourlyOutcomes, outcomesSince } from '../domain/outcomes.js';
import { PORTAL_EXCHANGE_PATH, PORTAL_SESSIONS_PATH } from '../domain/portal.js';
import {
  DELIVERY_STATUSES,
  DeliveryListQuery,
  ExchangeLinkRequest,
  MAX_OUTCOME_DELIVERIES,
  OUTCOME_HOURS,
} from '../domain/portal-schemas.js';
import { parseBody } from '../domain/requests.js';
import type { DeliveryStore, PortalSessionStore, SubscriptionRepository } from '../ports.js';
import { json, type Router, readJsonBody } from './http.js';
import { exchangePortalLink, issuePortalLink, type PortalLifetimes } from './portal-access.js';
import { pathPrefixOf } from './portal-assets.js';
import { tenantOf } from './request-context.js';

/**
 * The tenant portal's routes: links (tenant credentials), their exchange for a session (public)
 * and the per-hour outcome summary its chart draws. The page itself uses the v0.1 routes.
 */

export interface PortalRouteDeps {
  portal: PortalSessionStore;
  subscriptions: SubscriptionRepository;
  store: DeliveryStore;
  lifetimes: PortalLifetimes;
  /** The API's public base URL for this request (the portal is at `<base>portal/`). */
  baseUrl?: (event: APIGatewayProxyEvent) => string;
  now: () => Date;
}

/** The API's public base URL on API Gateway (https, the stage or base path mapping included). */
export function baseUrlOf(event: APIGatewayProxyEvent): string {
  const host = event.requestContext?.domainName ?? event.headers?.Host ?? event.headers?.host;
  return `https://${host}${pathPrefixOf(event)}/`;
}

export function deliveryStatusFilter(event: APIGatewayProxyEvent): string | undefined {
  const status = event.queryStringParameters?.status;
  if (status === undefined) return undefined;
  const parsed = DeliveryListQuery.shape.status.safeParse(status);
  if (!parsed.success) throw validationError([{ field: 'status', message: `must be one of ${DELIVERY_STATUSES.join(', ')}` }]);
  return parsed.data;
}

export function registerPortalRoutes(router: Router, deps: PortalRouteDeps): void {
  router
    .on('POST', PORTAL_SESSIONS_PATH, async (event) => {
      const link = await issuePortalLink(
        deps.portal,
        tenantOf(event),
        (deps.baseUrl ?? baseUrlOf)(event),
        deps.lifetimes.linkTtlSeconds,
        deps.now(),
      );
      return json(201, link, { 'referrer-policy': 'no-referrer' });
    })
    .on('POST', PORTAL_EXCHANGE_PATH, async (event) => {
      const body = parseBody(ExchangeLinkRequest, readJsonBody(event));
      return json(201, await exchangePortalLink(deps.portal, body.link_token, deps.lifetimes.sessionTtlSeconds, deps.now()));
    })
    .on('GET', '/api/v0.1/webhooks/{id}/outcomes', async (event, p) => {
      const tenantId = tenantOf(event);
      if (!(await deps.subscriptions.get(tenantId, p.id!))) throw notFound(`Webhook subscription ${p.id}`);
      const now = deps.now();
      const since = outcomesSince(now, OUTCOME_HOURS);
      const read: Delivery[] = [];
      let cursor: string | undefined;
      let truncated = false;
      // Newest first: stop at the first delivery older than the window.
      for (;;) {
        const page = await deps.store.listDeliveries(tenantId, p.id!, { limit: 100, ...(cursor ? { cursor } : {}) });
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
    });
}
