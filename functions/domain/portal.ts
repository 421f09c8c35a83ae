/**
 * The tenant portal's access rules. A tenant (or an operator) asks for a link; the link carries a
 * one-time token in its fragment, which the page exchanges for a session token that works only on
 * the portal's routes of that tenant. Free of Node APIs: the page (portal/) imports it too.
 */

export const DEFAULT_PORTAL_LINK_TTL_SECONDS = 15 * 60;
export const DEFAULT_PORTAL_SESSION_TTL_SECONDS = 60 * 60;
/** Bounds of both settings: a minute to a day. */
/** The functions' settings for the two lifetimes (functions/runtime/config.ts reads them). */
export const PORTAL_LINK_TTL_ENV = 'WEBHOOKS_PORTAL_LINK_TTL_SECONDS';
export const PORTAL_SESSION_TTL_ENV = 'WEBHOOKS_PORTAL_SESSION_TTL_SECONDS';
export const PORTAL_TTL_RANGE = { min: 60, max: 24 * 60 * 60 } as const;

/**
 * The page sends this as its Identity header and `Bearer <session token>` as Authorization: API
 * Gateway's authorizer identity sources are those two headers, and both must be present.
 */
export const PORTAL_IDENTITY = 'portal-session';
export const BEARER_PREFIX = 'Bearer ';
/** Where the page is served, relative to the API's base URL. */
export const PORTAL_PATH = 'portal/';
/** The fragment parameter that carries the link token: `.../portal/#link=pl_...`. */
export const LINK_FRAGMENT_PARAM = 'link';

export type PortalTokenKind = 'link' | 'session';

/** Shape check before any lookup: `pl_` or `ps_` and 43 base64url characters. */
export function isPortalToken(token: unknown, kind: PortalTokenKind): token is string {
  return typeof token === 'string' && new RegExp(`^${kind === 'link' ? 'pl' : 'ps'}_[A-Za-z0-9_-]{43}$`).test(token);
}

/** `baseUrl` is the API's base (ends with `/` on AWS: the stage). */
export function portalLinkUrl(baseUrl: string, linkToken: string): string {
  return `${baseUrl.replace(/\/*$/, '/')}${PORTAL_PATH}#${LINK_FRAGMENT_PARAM}=${linkToken}`;
}

/** Tenant credentials ask for a link here. */
export const PORTAL_SESSIONS_PATH = '/api/v0.1/portal/sessions';
/** Public (the page has only the link token): exchanges a link token for a session token. */
export const PORTAL_EXCHANGE_PATH = '/api/v0.1/portal/session-tokens';

/** The statuses the delivery list can be filtered by (and the page offers). */
export const DELIVERY_STATUS_FILTERS = ['succeeded', 'pending', 'dead_lettered', 'skipped'] as const;

/**
 * The receiver guide (docs/receiving-webhooks.md), which the page links to beside a subscription's
 * signing secret. The portal serves it beside the page, as plain text, at `<ApiUrl>portal/` + this
 * name, unless the operator names another address (their documentation site).
 */
export const RECEIVER_GUIDE_FILE = 'receiving-webhooks.md';
/** The portal function's setting (and local mode's) for that other address. */
export const RECEIVER_GUIDE_URL_ENV = 'WEBHOOKS_RECEIVER_GUIDE_URL';

/** An absolute http(s) URL, or undefined (the guide the portal serves); anything else throws, naming `what`. */
export function validateReceiverGuideUrl(what: string, url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    throw new Error(`${what} must be an absolute http or https URL, got "${url}"`);
  return url;
}
