import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { keyMatches } from '../domain/credentials.js';
import type { Tenant } from '../domain/model.js';
import { PORTAL_IDENTITY } from '../domain/portal.js';
import type { Metrics, PortalSessionStore, TenantRepository } from '../ports.js';
import { headerValue } from './header-value.js';
import { findPortalSession, PORTAL_SCOPE_CONTEXT, portalScope } from './portal-access.js';
import { PORTAL_ROUTES_KEYED } from './portal-route-keys.js';

/**
 * From the light list of portal route keys, not the route table (api.ts), whose zod schemas and
 * handlers would more than double this function's bundle and cold start; both read the same keys.
 */
const PORTAL_SCOPE = portalScope(PORTAL_ROUTES_KEYED);

/** API Gateway turns exactly this error message into a 401 (our UNAUTHORIZED gateway response); any other error is a 500. */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * Credentials that are missing, wrong, revoked, or a portal session that ended: a 401, never a
 * failure. Its name stays `Error`, so Lambda reports it to API Gateway as before.
 */
class Refusal extends Error {
  constructor() {
    super(UNAUTHORIZED);
  }
}

/**
 * Time left before the function's timeout for counting and logging a read that has not
 * answered: past it the authorizer fails on its own, so a hung read is a failure it reports
 * (`AuthorizerFailed`) rather than a timeout only Lambda sees.
 */
export const DEADLINE_MARGIN_MS = 1_000;

export class AuthorizerDeadlineError extends Error {
  override name = 'AuthorizerDeadlineError';
  constructor(ms: number) {
    super(`the credentials were not read within ${ms} ms`);
  }
}

/** What the authorizer reads of Lambda's context (API Gateway's local stand-in passes none). */
export interface DeadlineContext {
  getRemainingTimeInMillis(): number;
}

/** Null for missing, unknown, wrong or revoked credentials alike: callers learn nothing more. */
export async function authenticate(
  tenants: TenantRepository,
  identity: string | undefined,
  authorization: string | undefined,
): Promise<Tenant | null> {
  if (!identity || !authorization || identity.length > 200 || authorization.length > 500) return null;
  const tenant = await tenants.findByIdentity(identity);
  if (!tenant) {
    // Spend the same work as a real comparison so timing does not reveal which identities exist.
    keyMatches(authorization, '0'.repeat(64));
    return null;
  }
  if (!keyMatches(authorization, tenant.keyHash) || tenant.status !== 'active') return null;
  return tenant;
}

export interface AuthorizerOptions {
  now?: () => Date;
  /**
   * The API key answered for tenants (and portal sessions) without one of their own: those
   * created before per-tenant throttling. Its usage plan has the stage's limits, so their
   * requests go on as before until `npm run tenant -- backfill` gives each its own key.
   * Without it such tenants get no `usageIdentifierKey`, which API Gateway refuses.
   */
  sharedThrottleKey?: string;
  /**
   * Where each answer that is not an Allow is counted: `AuthorizerRefused` (a 401) or
   * `AuthorizerFailed` (a read that failed or outlasted the deadline, a bug: a 500). Lambda's
   * own Errors metric counts both, since a 401 is a thrown error too; the AuthorizerErrors
   * alarm watches `AuthorizerFailed` alone.
   */
  metrics?: Pick<Metrics, 'count'>;
  log?: (level: 'error', message: string, detail: Record<string, unknown>) => void;
}

/**
 * API Gateway REQUEST authorizer. For tenant credentials the policy allows every route of the
 * stage, because API Gateway caches it per Identity+Authorization pair and reuses it for other
 * routes. A portal session (Identity `portal-session`, `Bearer` token) gets only the portal's
 * routes (PORTAL_SCOPE, from portal-route-keys.ts), so a cached answer never opens any other.
 *
 * Either way the answer names the tenant's API key as `usageIdentifierKey` (the API's key source
 * is AUTHORIZER), so API Gateway throttles the request by that key's usage plan: the tenant's
 * own limits. The key comes from the item already read (the tenant, or the session, which
 * carries its tenant's key), so throttling costs no extra call, and it is cached with the answer.
 */
export function createAuthorizer(tenants: TenantRepository, portal?: PortalSessionStore, options: AuthorizerOptions = {}) {
  const now = options.now ?? (() => new Date());
  const usageKey = (own: string | undefined) => {
    const key = own ?? options.sharedThrottleKey;
    return key ? { usageIdentifierKey: key } : {};
  };
  const decide = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const identity = headerValue(event.headers, 'Identity');
    const authorization = headerValue(event.headers, 'Authorization');
    const [arnPrefix, stage] = splitMethodArn(event.methodArn);
    if (identity === PORTAL_IDENTITY && portal) {
      const session = authorization && authorization.length <= 500 ? await findPortalSession(portal, authorization, now()) : undefined;
      if (!session) throw new Refusal();
      return {
        principalId: session.tenantId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'execute-api:Invoke',
              Effect: 'Allow',
              Resource: PORTAL_SCOPE.map((r) => `${arnPrefix}/${stage}/${r.method}${r.path}`),
            },
          ],
        },
        context: { tenantId: session.tenantId, scope: PORTAL_SCOPE_CONTEXT, sessionExpires: session.expiresTime },
        ...usageKey(session.throttleKey),
      };
    }
    const tenant = await authenticate(tenants, identity, authorization);
    if (!tenant) throw new Refusal();
    const ownKey = tenant.throttleKey?.value;
    return {
      principalId: tenant.tenantId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*/*` }],
      },
      // The api function copies the key onto the portal links it issues (POST /portal/sessions).
      context: { tenantId: tenant.tenantId, ...(ownKey ? { throttleKey: ownKey } : {}) },
      ...usageKey(ownKey),
    };
  };
  return async (event: APIGatewayRequestAuthorizerEvent, context?: DeadlineContext): Promise<APIGatewayAuthorizerResult> => {
    try {
      return await withinDeadline(decide(event), context && context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
    } catch (err) {
      if (err instanceof Refusal) {
        options.metrics?.count('AuthorizerRefused');
      } else {
        options.metrics?.count('AuthorizerFailed');
        options.log?.('error', 'authorizer failed', { errorName: (err as Error).name, error: (err as Error).message });
      }
      throw err;
    }
  };
}

/** `work`, or an AuthorizerDeadlineError once `ms` have passed (no deadline without a context). */
async function withinDeadline<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AuthorizerDeadlineError(ms)), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD/path` -> [`arn:...:apiId`, `stage`]. */
function splitMethodArn(methodArn: string): [string, string] {
  const [prefix, stage] = methodArn.split('/');
  return [prefix ?? methodArn, stage ?? '*'];
}
