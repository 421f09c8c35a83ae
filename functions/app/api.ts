import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT } from '../domain/subscription-cap.js';
import type { ApiContext, ApiDeps, ApiRoute } from './api-context.js';
import { DELIVERY_ROUTES } from './delivery-routes.js';
import { EVENT_ROUTES } from './event-routes.js';
import { errorResponse, json, Router } from './http.js';
import { buildOpenApiDocument } from './openapi.js';
import { guardPortalSession, type PortalScope, portalScope } from './portal-access.js';
import { PORTAL_ROUTES } from './portal-routes.js';
import { RECOVERY_ROUTES } from './recovery-routes.js';
import { route } from './route-table.js';
import { SOURCE_IP_ROUTES } from './source-ip-routes.js';
import { SUBSCRIPTION_V0_ROUTES, SUBSCRIPTION_V01_ROUTES } from './subscription-routes.js';
import { SubscriptionService } from './subscriptions.js';
import { VerificationRequests } from './verification.js';

export type { ApiContext, ApiDeps, ApiRoute } from './api-context.js';

const openApiDocuments = new WeakMap<ApiContext, object>();

export const META_ROUTES: ApiRoute[] = [
  // Public (no authorizer on AWS either): a client generator needs no credentials.
  route({
    method: 'GET',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['Meta'],
    summary: 'This OpenAPI document',
    public: true,
    response: { status: 200, description: 'The OpenAPI 3.1 document', schema: { type: 'object' } },
    errors: [],
    handler: async (_request, ctx) => {
      let doc = openApiDocuments.get(ctx);
      if (!doc) {
        doc = buildOpenApiDocument(ctx.deps.catalog, ctx.routes);
        openApiDocuments.set(ctx, doc);
      }
      return json(200, doc);
    },
  }),
];

/**
 * Every route the API serves, in matching order: the router and the OpenAPI document are both
 * built from this one table. A module adds its routes by exporting an array and listing it here.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  ...SUBSCRIPTION_V01_ROUTES,
  ...DELIVERY_ROUTES,
  ...RECOVERY_ROUTES,
  ...PORTAL_ROUTES,
  ...EVENT_ROUTES,
  ...SOURCE_IP_ROUTES,
  ...SUBSCRIPTION_V0_ROUTES,
  ...META_ROUTES,
];

/** Paths served without the authorizer (the local gateway reads this; the CDK stack declares the same). */
export const PUBLIC_PATHS: readonly string[] = API_ROUTES.filter((r) => r.public).map((r) => r.path);

/**
 * What a portal session may call (the routes that spread a `portalRouteKey`), from the table: the
 * api's view of the scope. The authorizer derives the same from portal-route-keys.ts alone.
 */
export const PORTAL_SCOPE: PortalScope = portalScope(API_ROUTES);

export function createApi(
  deps: ApiDeps,
  routes: readonly ApiRoute[] = API_ROUTES,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? (() => new Date());
  const service = new SubscriptionService({
    repo: deps.subscriptions,
    secrets: deps.secrets,
    catalog: deps.catalog,
    policy: deps.policy,
    secretNamePrefix: deps.secretNamePrefix,
    maxPerTenant: deps.maxSubscriptionsPerTenant ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT,
    ...(deps.listSecretCache ? { listSecrets: deps.listSecretCache } : {}),
    ...(deps.operational ? { operational: deps.operational } : {}),
    ...(deps.verificationMode
      ? {
          verification: {
            mode: deps.verificationMode,
            requests: new VerificationRequests({ store: deps.store, deliveries: deps.deliveries }),
          },
        }
      : {}),
    now,
  });
  const ctx: ApiContext = { deps, service, now, rotationOverlapSeconds: deps.rotationOverlapSeconds ?? 24 * 60 * 60, routes };
  const router = new Router(routes, ctx, (route, event) => guardPortalSession(event, route, now()));

  return async (event) => {
    try {
      return await router.handle(event);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      deps.log?.('error', 'unhandled API error', { error: (err as Error).message, stack: (err as Error).stack });
      return errorResponse(new ApiError(500, 'internal_error', 'Something went wrong on our side; the request may be retried'));
    }
  };
}
