/**
 * When a delivery is retried. The schedule is the seconds to wait before each retry, so a
 * delivery gets 1 + schedule.length attempts. The delivery queue's maxReceiveCount and
 * retention are derived from it (lib/ and local/) so the two cannot drift apart.
 *
 * Attempts are counted by the delivery record, not by SQS's receive count: a receive that
 * makes no POST (a throttled or failed invocation, a store read failing, a step done in
 * several visibility hops, an endpoint whose circuit is open) spends no attempt. Receives
 * still count toward maxReceiveCount, so it has headroom for them.
 */

/** SQS caps a message's visibility at 12 hours, counted from the receive. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/**
 * Kept clear of the 12 h: a record reaches the handler after the event source mapping's
 * batching window (at most 300 s) and the handler runs up to its timeout (at most 900 s).
 */
export const VISIBILITY_SAFETY_SECONDS = 30 * 60;
/** The longest single visibility change the sender asks for; a longer step takes several hops. */
export const MAX_HOP_SECONDS = MAX_VISIBILITY_SECONDS - VISIBILITY_SAFETY_SECONDS;
/** SQS keeps a message at most 14 days; the delivery queue keeps them that long. */
export const MAX_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** A step is due within the schedule's whole span, a day short of retention (backlog margin). */
export const MAX_SCHEDULE_SECONDS = MAX_RETENTION_SECONDS - 24 * 60 * 60;
/** SQS's largest maxReceiveCount. */
export const MAX_RECEIVE_COUNT = 1000;
/**
 * Receives without a POST a delivery may take besides its attempts and hops: throttled or
 * failed invocations, visibility changes that SQS refused, circuit-breaker deferrals.
 */
export const RECEIVE_HEADROOM = 30;

/** Seed 004: receivers answer within 5 seconds. The stack, the handler and local mode default to it. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;

/** Seed 003's spirit: seconds, then minutes, then hours. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 43200, 43200];

export const DEFAULT_JITTER = 0.1;
/** A Retry-After longer than this is not honoured past it. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

export function validateSchedule(schedule: readonly number[]): readonly number[] {
  if (schedule.length === 0) throw new Error('the retry schedule needs at least one step');
  for (const s of schedule) {
    if (!Number.isInteger(s) || s < 0 || s > MAX_SCHEDULE_SECONDS) {
      throw new Error(`retry schedule step ${s} must be a whole number of seconds from 0 to ${MAX_SCHEDULE_SECONDS}`);
    }
  }
  const total = schedule.reduce((a, b) => a + b, 0) * (1 + DEFAULT_JITTER);
  if (total > MAX_SCHEDULE_SECONDS)
    throw new Error(`the retry schedule spans ${Math.round(total)} s with jitter; SQS keeps a message ${MAX_RETENTION_SECONDS} s at most`);
  if (maxReceiveCount(schedule) > MAX_RECEIVE_COUNT) throw new Error('the retry schedule needs more receives than SQS allows (1000)');
  return schedule;
}

/** `WEBHOOKS_RETRY_SCHEDULE="1,2,4"`: seconds before each retry. */
export function parseSchedule(text: string): readonly number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new Error(`WEBHOOKS_RETRY_SCHEDULE must be comma-separated whole seconds, got "${text}"`);
  return validateSchedule(parts.map(Number));
}

export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/** Receives one step takes: one per visibility hop, jitter included. */
export function hopsFor(stepSeconds: number): number {
  return Math.max(1, Math.ceil((stepSeconds * (1 + DEFAULT_JITTER)) / MAX_HOP_SECONDS));
}

/**
 * Receives the remaining schedule needs from attempt `attempt` (1-based, within the current
 * round) on: the receive of that attempt and every hop of the steps after it.
 */
export function receivesNeeded(schedule: readonly number[], attempt: number): number {
  let n = 1;
  for (let i = Math.max(0, attempt - 1); i < schedule.length; i++) n += hopsFor(schedule[i]!);
  return n;
}

/**
 * The delivery queue's maxReceiveCount: every attempt, every hop, and headroom for receives
 * that make no POST. The sender moves a delivery to the DLQ itself after its last attempt
 * (by releasing it until SQS's count runs out), so the headroom never lets a delivery past
 * its schedule.
 */
export function maxReceiveCount(schedule: readonly number[]): number {
  return receivesNeeded(schedule, 1) + RECEIVE_HEADROOM;
}

/**
 * 14 days, SQS's maximum: it costs nothing, and a Retry-After, a hop or a deferral can stretch
 * the schedule.
 */
export function retentionSeconds(_schedule: readonly number[]): number {
  return MAX_RETENTION_SECONDS;
}

/**
 * Seconds to wait after failed attempt number `attempt` (1-based), or undefined when it was
 * the last. Jitter only lengthens a step (up to `jitter` of it) so retries of many deliveries
 * to one endpoint spread out without ever coming sooner than scheduled; a receiver's
 * Retry-After lengthens it too (up to a day). A step longer than one visibility hop is done in
 * several (see `visibilityHop`).
 */
export function nextDelaySeconds(
  schedule: readonly number[],
  attempt: number,
  options: { retryAfterSeconds?: number; jitter?: number; random?: () => number } = {},
): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  const jitter = options.jitter ?? DEFAULT_JITTER;
  const random = options.random ?? Math.random;
  let delay = Math.round(base * (1 + jitter * random()));
  if (options.retryAfterSeconds !== undefined && options.retryAfterSeconds > delay)
    delay = Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(options.retryAfterSeconds));
  return delay;
}

/**
 * The visibility to ask for now to wait `remainingSeconds`, `elapsedSeconds` after the
 * handler started (so after the receive): never past 12 h from the receive, with the margin.
 * When the answer is shorter than the wait, the message comes back early and the sender
 * defers it again without an attempt (the due time lives in the delivery record).
 */
export function visibilityHop(remainingSeconds: number, elapsedSeconds: number): number {
  const limit = Math.max(0, Math.floor(MAX_HOP_SECONDS - elapsedSeconds));
  return Math.max(0, Math.min(Math.ceil(remainingSeconds), limit));
}
