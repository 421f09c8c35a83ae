import { SourceIpList } from '../domain/response-schemas.js';
import { SOURCE_IPS_PATH } from '../domain/source-ips.js';
import type { ApiRoute } from './api-context.js';
import { json } from './http.js';
import { PORTAL_ROUTE_KEYS, portalRouteKey } from './portal-route-keys.js';
import { route } from './route-table.js';

// Declared once in the domain; the light key list (read by the authorizer) must say the same path.
if (PORTAL_ROUTE_KEYS.getSourceIps.path !== SOURCE_IPS_PATH) throw new Error('getSourceIps is not at SOURCE_IPS_PATH');

/**
 * The addresses deliveries come from, for receivers' allow lists (seed 003: "whitelist the
 * sender's IP addresses if available"). A route of its own, as GitHub's `GET /meta` (`hooks`):
 * a receiver's firewall script can read it with the tenant's credentials, and the portal shows it.
 */
export const SOURCE_IP_ROUTES: ApiRoute[] = [
  route({
    ...portalRouteKey('getSourceIps'),
    tags: ['Meta'],
    summary: 'The addresses webhooks come from',
    description:
      'The IPv4 addresses every delivery (retries and test events too) is sent from, when the operator fixed them (`staticSourceIps`); an empty list otherwise. They change only when the operator changes that setting.',
    response: { status: 200, description: 'The source addresses', schema: SourceIpList },
    errors: ['Unauthorized', 'Forbidden'],
    handler: async (_request, { deps }) => json(200, { source_ips: [...(deps.sourceIps ?? [])] }),
  }),
];
