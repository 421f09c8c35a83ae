import { type CustomHeaders, maskHeaders } from './custom-headers.js';
import type { Attempt, Delivery, DeliveryStatus, Subscription } from './model.js';
import type { PayloadFilter } from './payload-filter.js';
import { rateLimitToApi } from './rate-limit.js';
import { DISABLED_REASONS, type DisabledReason } from './recovery.js';
import type { Verification, VerificationMode, VerificationStatus } from './verification.js';

/**
 * Times as the seeds write them: six fraction digits (`2022-06-09T18:23:37.585421Z`). Stored times
 * have milliseconds, so the last three digits are zeros; the zone stays `Z`.
 */
export function seedTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

const seedTimeOrNull = (iso: string | undefined) => (iso === undefined ? null : seedTime(iso));

/** The two documented API versions are two views of one stored subscription. */

export interface SubscriptionV01View {
  id: string;
  url: string;
  description: string;
  events: string[];
  /** Beyond the seed: the payload filter, absent when none (a subscription without one answers the seed's fields exactly). */
  filter?: PayloadFilter;
  /** Beyond the seed: the custom headers' names with masked values, absent when none. */
  headers?: CustomHeaders;
  /** Beyond the seed: the endpoint's verification, absent on subscriptions from before it (they count as verified). */
  verification?: VerificationView;
  /** Beyond the seed: the rate limit, absent when none. */
  rate_limit?: { per_second: number; burst: number };
  version: string;
  secret: string;
  status: 'STATUS_ENABLED' | 'STATUS_DISABLED';
  /** Beyond the seed: why and when it was disabled, while it is (absent when enabled). */
  disabled_reason?: DisabledReason;
  disabled_time?: string;
  created_time: string;
  updated_time: string;
}

export interface SubscriptionV0View {
  date_created: string;
  date_updated: string;
  webhook_id: string;
  callback_url: string;
  description: string;
  events: string[];
  /** Beyond the seed: the payload filter, absent when none (a subscription without one answers the seed's fields exactly). */
  filter?: PayloadFilter;
  /** Beyond the seed: the custom headers' names with masked values, absent when none. */
  headers?: CustomHeaders;
  /** Beyond the seed: as in v0.1. */
  verification?: VerificationView;
  /** Beyond the seed: the rate limit, absent when none. */
  rate_limit?: { per_second: number; burst: number };
  status: 'enabled' | 'disabled';
  /** Beyond the seed: why and when it was disabled, while it is (absent when enabled). */
  disabled_reason?: DisabledReason;
  disabled_time?: string;
  secret: string;
  deleted_at?: string;
}

export interface VerificationView {
  status: VerificationStatus;
  mode: VerificationMode;
  requested_time: string;
  verified_time: string | null;
  last_error: string | null;
}

const verificationView = (v: Verification | undefined) =>
  v
    ? {
        verification: {
          status: v.status,
          mode: v.mode,
          requested_time: seedTime(v.requestedTime),
          verified_time: seedTimeOrNull(v.verifiedTime),
          last_error: v.lastError ?? null,
        } satisfies VerificationView,
      }
    : {};

/** Why and when a disabled subscription was disabled; nothing for an enabled one. */
const disabledView = (s: Subscription) =>
  s.status === 'disabled' && s.disabledTime
    ? { disabled_reason: DISABLED_REASONS.find((r) => r === s.disabledReason) ?? 'unknown', disabled_time: seedTime(s.disabledTime) }
    : {};

/** The custom headers as answers show them: names, masked values; nothing when none. */
const headersView = (headers: CustomHeaders | undefined) =>
  headers && Object.keys(headers).length > 0 ? { headers: maskHeaders(headers) } : {};

export function toV01View(s: Subscription, secret: string, headers?: CustomHeaders): SubscriptionV01View {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    events: [...s.events],
    ...(s.filter ? { filter: s.filter } : {}),
    ...headersView(headers),
    ...verificationView(s.verification),
    ...(s.rateLimit ? { rate_limit: rateLimitToApi(s.rateLimit) } : {}),
    version: s.version,
    secret,
    status: s.status === 'enabled' ? 'STATUS_ENABLED' : 'STATUS_DISABLED',
    ...disabledView(s),
    created_time: seedTime(s.createdTime),
    updated_time: seedTime(s.updatedTime),
  };
}

/** Seed 001 writes times without a zone ("2020-11-17T11:13:06.568119"); we keep the six digits and add Z (UTC). */
export function toV0View(s: Subscription, secret: string, headers?: CustomHeaders): SubscriptionV0View {
  const view: SubscriptionV0View = {
    date_created: seedTime(s.createdTime),
    date_updated: seedTime(s.updatedTime),
    webhook_id: s.id,
    callback_url: s.url,
    description: s.description,
    events: [...s.events],
    ...(s.filter ? { filter: s.filter } : {}),
    ...headersView(headers),
    ...verificationView(s.verification),
    ...(s.rateLimit ? { rate_limit: rateLimitToApi(s.rateLimit) } : {}),
    status: s.deletedTime ? 'disabled' : s.status,
    ...disabledView(s),
    secret,
  };
  if (s.deletedTime) view.deleted_at = seedTime(s.deletedTime);
  return view;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  created_time: string;
  updated_time: string;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_time: string | null;
}

export interface AttemptView {
  attempt: number;
  time: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string;
}

export function toDeliveryView(d: Delivery): DeliveryView {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    created_time: seedTime(d.createdTime),
    updated_time: seedTime(d.updatedTime),
    last_status_code: d.lastStatusCode ?? null,
    last_error: d.lastError ?? null,
    next_attempt_time: d.status === 'pending' ? seedTimeOrNull(nextAttemptOf(d)) : null,
  };
}

/** A held delivery goes no sooner than its lot's next probe, whatever its own schedule says (parking.ts). */
function nextAttemptOf(d: Delivery): string | undefined {
  const wake = d.park?.kind === 'held' ? d.park.lotWake : undefined;
  if (!wake) return d.nextAttemptTime;
  return d.nextAttemptTime && d.nextAttemptTime > wake ? d.nextAttemptTime : wake;
}

export function toAttemptView(a: Attempt): AttemptView {
  return {
    attempt: a.attempt,
    time: seedTime(a.time),
    status_code: a.statusCode ?? null,
    error: a.error
      ? a.errorMessage
        ? `${a.error}: ${a.errorMessage}`
        : a.error
      : a.statusCode !== undefined && (a.statusCode < 200 || a.statusCode >= 300)
        ? `HTTP ${a.statusCode}`
        : null,
    latency_ms: a.latencyMs,
    response_excerpt: a.responseExcerpt,
  };
}
