import { describe, expect, it } from 'vitest';
import { API_ROUTES, PORTAL_SCOPE } from '../../functions/app/api.js';
import { portalScope } from '../../functions/app/portal-access.js';
import { PORTAL_ROUTE_KEYS, PORTAL_ROUTES_KEYED, portalRouteKey } from '../../functions/app/portal-route-keys.js';

/** The light list the authorizer reads and the route table the api serves must never drift apart. */
describe('portal route keys', () => {
  it('are exactly the route table portal routes, in the table order', () => {
    const fromTable = API_ROUTES.filter((r) => r.portal).map((r) => ({
      operationId: r.operationId,
      method: r.method,
      path: r.path,
      portal: r.portal,
    }));
    expect(fromTable).toEqual(PORTAL_ROUTES_KEYED);
    expect(Object.keys(PORTAL_ROUTE_KEYS)).toEqual(fromTable.map((r) => r.operationId));
  });

  it('each names one route of the table, which is not public', () => {
    for (const key of PORTAL_ROUTES_KEYED) {
      const routes = API_ROUTES.filter((r) => r.method === key.method && r.path === key.path);
      expect(
        routes.map((r) => r.operationId),
        `${key.method} ${key.path}`,
      ).toEqual([key.operationId]);
      expect(routes[0]!.public, key.operationId).toBeFalsy();
    }
  });

  it('give the authorizer the same scope as the route table gives the api', () => {
    expect(portalScope(PORTAL_ROUTES_KEYED)).toEqual(PORTAL_SCOPE);
    expect(portalScope(API_ROUTES)).toEqual(PORTAL_SCOPE);
  });

  it('spread into a route as its operationId, method, path and portal flag', () => {
    expect(portalRouteKey('retryDelivery')).toEqual({
      operationId: 'retryDelivery',
      method: 'POST',
      path: '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry',
      portal: true,
    });
  });
});
