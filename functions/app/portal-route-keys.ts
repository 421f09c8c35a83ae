import type { HttpMethod } from './route-table.js';

/**
 * The routes a tenant portal session may call: method and path, keyed by operationId, and
 * nothing else (no zod, no handler, no import that runs code). The authorizer builds a
 * session's policy from this module alone, so its bundle carries none of the route table.
 *
 * These facts are declared here only: each portal route in the table spreads its key
 * (`...portalRouteKey('listDeliveries')`), which gives it its operationId, method, path and
 * `portal: true`; the api's per-request guard reads that flag and the authorizer's policy reads
 * this list. A second list beside `portal: true` flags would have to be kept in step by hand.
 * test/unit/portal-route-keys.test.ts checks that the table's portal routes are exactly these,
 * in this order (the table's order, which the policy keeps).
 */
export const PORTAL_ROUTE_KEYS = {
  createSubscriptionV01: { method: 'POST', path: '/api/v0.1/webhooks' },
  listSubscriptionsV01: { method: 'GET', path: '/api/v0.1/webhooks' },
  getSubscriptionV01: { method: 'GET', path: '/api/v0.1/webhooks/{id}' },
  updateSubscriptionV01: { method: 'PATCH', path: '/api/v0.1/webhooks/{id}' },
  deleteSubscriptionV01: { method: 'DELETE', path: '/api/v0.1/webhooks/{id}' },
  rotateSecret: { method: 'POST', path: '/api/v0.1/webhooks/{id}/secret/rotate' },
  verifySubscription: { method: 'POST', path: '/api/v0.1/webhooks/{id}/verify' },
  listDeliveries: { method: 'GET', path: '/api/v0.1/webhooks/{id}/deliveries' },
  getDelivery: { method: 'GET', path: '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}' },
  retryDelivery: { method: 'POST', path: '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry' },
  sendTestEvent: { method: 'POST', path: '/api/v0.1/webhooks/{id}/test' },
  recoverSubscription: { method: 'POST', path: '/api/v0.1/webhooks/{id}/recover' },
  getRecovery: { method: 'GET', path: '/api/v0.1/webhooks/{id}/recoveries/{recovery_id}' },
  getDeliveryOutcomes: { method: 'GET', path: '/api/v0.1/webhooks/{id}/outcomes' },
  listEventTypes: { method: 'GET', path: '/api/v0.1/event-types' },
  getSourceIps: { method: 'GET', path: '/api/v0.1/source-ips' },
} as const satisfies Record<string, { method: HttpMethod; path: string }>;

export type PortalOperationId = keyof typeof PORTAL_ROUTE_KEYS;

export interface PortalRouteKey {
  operationId: PortalOperationId;
  method: HttpMethod;
  path: string;
  portal: true;
}

/** What a portal route of the table spreads in place of its own operationId, method, path and flag. */
export function portalRouteKey(operationId: PortalOperationId): PortalRouteKey {
  return { operationId, ...PORTAL_ROUTE_KEYS[operationId], portal: true };
}

/** Every portal route's key, in the table's order. */
export const PORTAL_ROUTES_KEYED: readonly PortalRouteKey[] = (Object.keys(PORTAL_ROUTE_KEYS) as PortalOperationId[]).map(portalRouteKey);
