import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { keyMatches } from '../domain/credentials.js';
import type { TenantRepository } from '../ports.js';
import { headerValue } from './http.js';

/** Null for missing, unknown, wrong or revoked credentials alike: callers learn nothing more. */
export async function authenticate(
  tenants: TenantRepository,
  identity: string | undefined,
  authorization: string | undefined,
): Promise<string | null> {
  if (!identity || !authorization || identity.length > 200 || authorization.length > 500) return null;
  const tenant = await tenants.findByIdentity(identity);
  if (!tenant) {
    // Spend the same work as a real comparison so timing does not reveal which identities exist.
    keyMatches(authorization, '0'.repeat(64));
    return null;
  }
  if (!keyMatches(authorization, tenant.keyHash) || tenant.status !== 'active') return null;
  return tenant.tenantId;
}

/**
 * API Gateway REQUEST authorizer. The policy allows every route of the stage, because API
 * Gateway caches it per Identity+Authorization pair and reuses it for other routes.
 */
export function createAuthorizer(tenants: TenantRepository) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const tenantId = await authenticate(tenants, headerValue(event.headers, 'Identity'), headerValue(event.headers, 'Authorization'));
    // API Gateway turns exactly this error message into a 401 (our UNAUTHORIZED gateway response).
    if (!tenantId) throw new Error('Unauthorized');
    const [arnPrefix, stage] = splitMethodArn(event.methodArn);
    return {
      principalId: tenantId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*/*` }],
      },
      context: { tenantId },
    };
  };
}

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD/path` -> [`arn:...:apiId`, `stage`]. */
function splitMethodArn(methodArn: string): [string, string] {
  const [prefix, stage] = methodArn.split('/');
  return [prefix ?? methodArn, stage ?? '*'];
}
