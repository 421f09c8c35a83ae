import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import type { Tenant } from '../domain/model.js';
import {
  DEFAULT_PORTAL_LINK_TTL_SECONDS,
  DEFAULT_PORTAL_SESSION_TTL_SECONDS,
  isPortalToken,
  PORTAL_TTL_RANGE,
  portalLinkUrl,
} from '../domain/portal.js';
import { newPortalToken, portalTokenHash } from '../domain/portal-tokens.js';
import type { PortalGrant, PortalSessionStore } from '../ports.js';
import type { Route } from './route-table.js';

/** Issuing links, exchanging them for sessions and checking sessions: shared by the API, the authorizer and the CLI. */

export interface PortalLifetimes {
  linkTtlSeconds: number;
  sessionTtlSeconds: number;
}

export const DEFAULT_PORTAL_LIFETIMES: PortalLifetimes = {
  linkTtlSeconds: DEFAULT_PORTAL_LINK_TTL_SECONDS,
  sessionTtlSeconds: DEFAULT_PORTAL_SESSION_TTL_SECONDS,
};

export function validatePortalTtl(name: string, seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < PORTAL_TTL_RANGE.min || seconds > PORTAL_TTL_RANGE.max)
    throw new Error(`${name} must be a whole number of seconds from ${PORTAL_TTL_RANGE.min} to ${PORTAL_TTL_RANGE.max}, got ${seconds}`);
  return seconds;
}

export interface IssuedLink {
  url: string;
  expires_time: string;
}

/** Whose link: the tenant, and its throttling key so that its sessions are throttled as it is. */
export type PortalTenant = Pick<PortalGrant, 'tenantId' | 'throttleKey'>;

export const portalTenantOf = (t: Pick<Tenant, 'tenantId' | 'throttleKey'>): PortalTenant => ({
  tenantId: t.tenantId,
  ...(t.throttleKey ? { throttleKey: t.throttleKey.value } : {}),
});

export async function issuePortalLink(
  store: PortalSessionStore,
  tenant: PortalTenant,
  baseUrl: string,
  linkTtlSeconds: number,
  now: Date,
): Promise<IssuedLink> {
  const token = newPortalToken('link');
  const expiresTime = new Date(now.getTime() + linkTtlSeconds * 1000).toISOString();
  await store.putLink({
    tokenHash: portalTokenHash(token),
    tenantId: tenant.tenantId,
    expiresTime,
    ...(tenant.throttleKey ? { throttleKey: tenant.throttleKey } : {}),
  });
  return { url: portalLinkUrl(baseUrl, token), expires_time: expiresTime };
}

/** The one message a page shows for a link it cannot use, whatever the reason. */
export const LINK_UNUSABLE_MESSAGE = 'This link has expired or was already used. Ask for a new portal link.';

export async function exchangePortalLink(
  store: PortalSessionStore,
  linkToken: unknown,
  sessionTtlSeconds: number,
  now: Date,
): Promise<{ session_token: string; expires_time: string }> {
  const link = isPortalToken(linkToken, 'link') ? await store.takeLink(portalTokenHash(linkToken)) : undefined;
  if (!link || Date.parse(link.expiresTime) <= now.getTime()) throw new ApiError(401, 'link_expired', LINK_UNUSABLE_MESSAGE);
  const token = newPortalToken('session');
  const expiresTime = new Date(now.getTime() + sessionTtlSeconds * 1000).toISOString();
  await store.putSession({
    tokenHash: portalTokenHash(token),
    tenantId: link.tenantId,
    expiresTime,
    ...(link.throttleKey ? { throttleKey: link.throttleKey } : {}),
  });
  return { session_token: token, expires_time: expiresTime };
}

/** The live session for a `Bearer ps_...` Authorization value, or undefined. */
export async function findPortalSession(store: PortalSessionStore, authorization: string, now: Date): Promise<PortalGrant | undefined> {
  const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
  if (!isPortalToken(token, 'session')) return undefined;
  const session = await store.getSession(portalTokenHash(token));
  return session && Date.parse(session.expiresTime) > now.getTime() ? session : undefined;
}

/** The authorizer context of a portal session (API Gateway context values are strings). */
export const PORTAL_SCOPE_CONTEXT = 'portal';

type ScopedRoute = Pick<Route<unknown>, 'method' | 'path' | 'public' | 'portal'>;

/** Method and `execute-api` resource path (`*` wildcards) of each route a portal session may call. */
export type PortalScope = readonly { method: string; path: string }[];

/**
 * The routes a portal session may call (those declared `portal: true`), as `execute-api`
 * resource paths: each `{param}` becomes `*`, which in the policy matches any characters.
 */
export function portalScope(routes: readonly ScopedRoute[]): PortalScope {
  return routes.filter((r) => r.portal && !r.public).map((r) => ({ method: r.method, path: r.path.replace(/\{\w+\}/g, '*') }));
}

/**
 * Checked by the api function on every request a portal session makes, once the route is known:
 * API Gateway may reuse a cached authorizer answer past the session's end (and its policy's `*`
 * is wider than a path parameter), and local mode checks the scope only here.
 */
export function guardPortalSession(event: APIGatewayProxyEvent, route: ScopedRoute, now: Date): void {
  const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (route.public || context?.scope !== PORTAL_SCOPE_CONTEXT) return;
  const expires = Date.parse(String(context.sessionExpires));
  if (!(expires > now.getTime())) throw new ApiError(401, 'session_expired', 'The portal session has ended; open a new portal link');
  if (!route.portal) throw new ApiError(403, 'forbidden', 'A portal session may not use this route; use the tenant credentials');
}
