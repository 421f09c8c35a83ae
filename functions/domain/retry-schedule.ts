/**
 * When a delivery is retried. The schedule is the seconds to wait before each retry, so a
 * delivery gets 1 + schedule.length attempts. The delivery queue's maxReceiveCount and
 * retention are derived from it (lib/) so the two cannot drift apart.
 */

/** SQS caps a message's visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** SQS keeps a message at most 14 days. */
export const MAX_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Seed 003's spirit: seconds, then minutes, then hours. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 43200, 43200];

export const DEFAULT_JITTER = 0.1;

export function validateSchedule(schedule: readonly number[]): readonly number[] {
  if (schedule.length === 0) throw new Error('the retry schedule needs at least one step');
  for (const s of schedule) {
    if (!Number.isInteger(s) || s < 0 || s > MAX_VISIBILITY_SECONDS) {
      throw new Error(`retry schedule step ${s} must be a whole number of seconds from 0 to ${MAX_VISIBILITY_SECONDS}`);
    }
  }
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

/**
 * Retention long enough for a message to live through every step, plus a day's margin for
 * queue backlog, within SQS's 14-day cap.
 */
export function retentionSeconds(schedule: readonly number[]): number {
  const total = schedule.reduce((a, b) => a + b, 0);
  return Math.min(MAX_RETENTION_SECONDS, Math.max(4 * 24 * 60 * 60, total + 24 * 60 * 60));
}

/**
 * Seconds to wait after failed attempt number `attempt` (1-based), or undefined when it was
 * the last. Jitter only lengthens a step (up to `jitter` of it) so retries of many deliveries
 * to one endpoint spread out without ever coming sooner than scheduled; a receiver's
 * Retry-After lengthens it too. Both stay within SQS's 12 h.
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
  if (options.retryAfterSeconds !== undefined && options.retryAfterSeconds > delay) delay = Math.ceil(options.retryAfterSeconds);
  return Math.min(delay, MAX_VISIBILITY_SECONDS);
}
