import { BEARER_PREFIX, PORTAL_EXCHANGE_PATH, PORTAL_IDENTITY } from '../../functions/domain/portal.js';

/**
 * Calls to the API from the page. The session token lives in this module's memory only: never
 * in localStorage, sessionStorage, a cookie or the URL, so a reload or a new tab needs a new link.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let session: { token: string; expiresTime: string } | undefined;

/** The API's base: this script is served at `<base>portal/app.js`, whatever the page's own URL. */
const apiBase = () => new URL('../', import.meta.url).href;

async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth) {
    if (!session) throw new ApiFailure(401, 'session_expired', 'The portal session has ended; open a new portal link.');
    headers.Identity = PORTAL_IDENTITY;
    headers.Authorization = `${BEARER_PREFIX}${session.token}`;
  }
  const res = await fetch(apiBase() + path.replace(/^\//, ''), {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiFailure(res.status, err?.code ?? 'error', err?.message ?? `The request failed (HTTP ${res.status})`);
  }
  return parsed as T;
}

export async function startSession(linkToken: string): Promise<string> {
  const out = await request<{ session_token: string; expires_time: string }>(
    'POST',
    PORTAL_EXCHANGE_PATH,
    { link_token: linkToken },
    false,
  );
  session = { token: out.session_token, expiresTime: out.expires_time };
  return out.expires_time;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

export interface RateLimit {
  per_second: number;
  burst: number;
}

export interface Subscription {
  id: string;
  url: string;
  description: string;
  events: string[];
  /** The payload filter on the events' data (an EventBridge pattern); absent when none. */
  filter?: Record<string, unknown>;
  /** The custom headers sent with every delivery, values masked by the API; absent when none. */
  headers?: Record<string, string>;
  /** The endpoint verification handshake; absent on subscriptions from before it (they count as verified). */
  verification?: {
    status: 'pending' | 'verified' | 'failed';
    mode: string;
    requested_time: string;
    verified_time: string | null;
    last_error: string | null;
  };
  /** At most `per_second` deliveries a second after a burst of `burst`; absent when none. */
  rate_limit?: RateLimit;
  secret: string;
  status: 'STATUS_ENABLED' | 'STATUS_DISABLED';
  /** Why and when it was disabled, while it is. */
  disabled_reason?: string;
  disabled_time?: string;
  created_time: string;
  updated_time: string;
}

/** A "retry all failed since" in progress (POST .../recover, followed at `href`). */
export interface Recovery {
  id: string;
  since: string;
  status: 'running' | 'done';
  found: number;
  queued: number;
  expired: number;
  href: string;
}

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  created_time: string;
  updated_time: string;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_time: string | null;
}

export interface Attempt {
  attempt: number;
  time: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string;
}

export interface EventType {
  type: string;
  description: string;
  schema: unknown;
  example: unknown;
  /** The platform's own event (`webhook.*`), about your subscriptions. */
  operational?: boolean;
  /** false for a platform type no subscription receives (the endpoint verification): left out of the picker. */
  subscribable?: false;
}

export interface HourOutcome {
  hour: string;
  succeeded: number;
  failed: number;
}
