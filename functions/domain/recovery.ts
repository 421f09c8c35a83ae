import { validationError } from './errors.js';
import type { Delivery } from './model.js';
import { SQS_MAX_DELAY_SECONDS } from './parking.js';

/**
 * Recover since a time (Svix's "recover"), and auto-disable of a subscription whose endpoint has
 * failed every delivery for a period. Plain decisions on times and records; the paging and the
 * claims are in functions/app/recovery.ts, the keys in the adapters.
 *
 * A recovery re-queues, once each, every delivery of one subscription created in a window that
 * ended without reaching it: dead-lettered, skipped because the subscription was disabled when
 * it was sent, or never sent because the subscription was disabled when the event was fanned out
 * (the fan-out lists those in the subscription's history marked skipped). Each is claimed by a
 * conditional write of its record (a new generation, as a manual retry), so two recoveries of
 * overlapping windows, at once or one after the other, queue each delivery once.
 */

/** Svix's default: an endpoint failing every message for 5 days is disabled. */
export const DEFAULT_AUTO_DISABLE_SECONDS = 5 * 24 * 60 * 60;

/** Every reason a disabled subscription may show ('unknown': disabled before reasons were recorded). */
export const DISABLED_REASONS = ['endpoint_failing', 'endpoint_gone', 'disabled_by_tenant', 'unknown'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/** The reason an auto-disabled subscription carries (and shows in both API versions and the portal). */
export const AUTO_DISABLED_REASON = 'endpoint_failing' satisfies DisabledReason;
/** The reason recorded when a receiver answered 410 (functions/app/sender.ts). */
export const GONE_DISABLED_REASON = 'endpoint_gone' satisfies DisabledReason;
/** The reason recorded when a person (API or portal) disabled it. */
export const MANUAL_DISABLED_REASON = 'disabled_by_tenant' satisfies DisabledReason;

/**
 * Whether a subscription whose endpoint has failed every delivery since `failingSinceMs` is due
 * to be disabled at `nowMs`: at exactly the period, not a millisecond before.
 */
export function autoDisableDue(failingSinceMs: number, nowMs: number, periodSeconds: number): boolean {
  return nowMs - failingSinceMs >= periodSeconds * 1000;
}

export type RecoveryState = 'running' | 'done';

export interface Recovery {
  id: string;
  tenantId: string;
  subscriptionId: string;
  since: string;
  until: string;
  state: RecoveryState;
  /** Deliveries in the window found recoverable so far (some may be queued by another recovery at once). */
  found: number;
  /** Deliveries this recovery claimed and queued. */
  queued: number;
  /** Found but whose event is past its retention: nothing left to send. */
  expired: number;
  /** The last history item done (its sort key); absent before the first page. */
  cursor?: string;
  /** Bumped by every save: a save is conditional on the version read, so two workers never both advance it. */
  version: number;
  /**
   * When the next message it sends is due at the endpoint: messages are spread at the
   * subscription's resume rate (parking.ts, as a recovered lot's drain) with DelaySeconds, so
   * thousands recovered at once do not knock the endpoint over again.
   */
  paceTime?: string;
  /**
   * Until when one worker (the API's request, or a resumer run) has it: another leaves it alone
   * until then, so no two page through it at once (each would send again what the other claimed).
   */
  leaseUntil?: string;
  createdTime: string;
  updatedTime: string;
  doneTime?: string;
}

/**
 * The DelaySeconds of each of `count` messages sent at `nowMs` by a recovery paced from
 * `paceMs` at `perSecond`, and where its pace stands after them. Delays stop at SQS's 900 s.
 */
export function pacedDelays(
  count: number,
  nowMs: number,
  paceMs: number | undefined,
  perSecond: number,
): { delays: number[]; paceMs: number } {
  let slot = Math.max(nowMs, paceMs ?? nowMs);
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    delays.push(Math.min(SQS_MAX_DELAY_SECONDS, Math.floor((slot - nowMs) / 1000)));
    slot += 1000 / Math.max(1, perSecond);
  }
  return { delays, paceMs: slot };
}

/** Whether a recovery's pace is so far ahead that its next page waits for a later run (its delays would pass SQS's 900 s). */
export function pacedOut(paceMs: number | undefined, nowMs: number): boolean {
  return paceMs !== undefined && paceMs - nowMs > (SQS_MAX_DELAY_SECONDS - 300) * 1000;
}

/** Whether a worker may take the recovery at `nowMs`: running, and nobody's lease still holds. */
export function recoveryFree(r: Pick<Recovery, 'state' | 'leaseUntil'>, nowMs: number): boolean {
  return r.state === 'running' && (r.leaseUntil === undefined || Date.parse(r.leaseUntil) <= nowMs);
}

export interface RecoveryWindow {
  since: string;
  until: string;
}

/**
 * The window a request asks for, checked: ISO times, `since` not in the future, not after
 * `until`, and within the retention period (what is older is gone: events and records expire).
 * `until` defaults to now. Throws a 400 naming the field.
 */
export function recoveryWindow(input: { since: string; until?: string | undefined }, now: Date, retentionDays: number): RecoveryWindow {
  const since = Date.parse(input.since);
  const until = input.until === undefined ? now.getTime() : Date.parse(input.until);
  if (!Number.isFinite(since)) throw validationError([{ field: 'since', message: 'must be an ISO 8601 time' }]);
  if (!Number.isFinite(until)) throw validationError([{ field: 'until', message: 'must be an ISO 8601 time' }]);
  if (since > now.getTime()) throw validationError([{ field: 'since', message: 'is in the future' }]);
  if (since > until) throw validationError([{ field: 'since', message: 'is after until' }]);
  const oldest = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
  if (since < oldest)
    throw validationError([
      {
        field: 'since',
        message: `is before the retention period (${retentionDays} days): deliveries and events older than ${new Date(oldest).toISOString()} are gone`,
      },
    ]);
  return { since: new Date(since).toISOString(), until: new Date(Math.min(until, now.getTime())).toISOString() };
}

/** Why a record of the window did not reach its endpoint, if it is one a recovery re-queues. */
export function recoverable(d: Pick<Delivery, 'status' | 'lastError'>): boolean {
  return d.status === 'dead_lettered' || (d.status === 'skipped' && d.lastError === 'subscription_disabled');
}

/** What a recovery writes on a delivery it claims: a new generation, as a manual retry, and its own id and time. */
export function claimedDelivery(d: Delivery, recoveryId: string, at: string): Delivery {
  const claimed: Delivery = {
    ...d,
    status: 'pending',
    generation: d.generation + 1,
    // The round it was in is the one before: the sender then takes this as a person's retry (a new
    // round, whole schedule, past the endpoint's circuit), also for a record never attempted.
    roundGeneration: d.roundGeneration ?? d.generation,
    updatedTime: at,
    recovery: { id: recoveryId, at },
  };
  delete claimed.nextAttemptTime;
  delete claimed.park;
  delete claimed.carrier;
  // Skipped no longer: its next attempt says how it went. A dead letter keeps its last error until then, as a manual retry does.
  if (d.status === 'skipped') delete claimed.lastError;
  return claimed;
}

/**
 * A delivery this recovery claimed whose message may not have gone (the page was not saved: a
 * crash or a failed send after the claim): nothing has touched it since, so it is sent again.
 */
export function claimedButUnsent(d: Delivery, recoveryId: string): boolean {
  return d.status === 'pending' && d.recovery?.id === recoveryId && d.updatedTime === d.recovery.at;
}
