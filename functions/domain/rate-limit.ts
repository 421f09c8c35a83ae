/**
 * A subscription's rate limit (issue 20 item 2; seed 004: receivers that can take only so many
 * POSTs a second): at most `perSecond` deliveries a second, after a burst of `burst`, across every
 * sender instance.
 *
 * The limit is a GCRA (the generic cell rate algorithm, a token bucket written as one time): a
 * shared item per subscription holds its theoretical arrival time (TAT), and a sender takes slots
 * from it, n at a time, in one conditional write. Each slot is a time: the delivery POSTs at it,
 * not before. A delivery whose slot is less than RATE_SLEEP_MAX_MS away waits in the instance; one
 * further away is sent again as a fresh message with DelaySeconds (up to SQS's 15 minutes) that
 * carries its slot, and its received message is deleted. So a delivery over the limit spends no
 * attempt and makes no POST, and its wait is out of the in-flight set: a delayed message is not in
 * flight (SQS's in-flight quota counts received messages only), whatever the backlog.
 *
 * Why slots rather than tokens: a token says only "none now", so a backlog of 1,000 at 1/s would
 * all come back in a second and try again (1,000 receives a second to send one). A slot says when,
 * so each delivery of the backlog waits once, for its own turn.
 *
 * Everything here is plain arithmetic; the shared item is the adapter's
 * (functions/adapters/aws/dynamodb-rate-limit.ts), the waits the sender's (functions/app/sender-rate.ts).
 */
export interface RateLimit {
  /** Deliveries a second, sustained. */
  perSecond: number;
  /** How many may go at once after a quiet spell (the bucket's size). */
  burst: number;
}

/**
 * The highest rate: the shared item is one DynamoDB item, and an item takes at most 1,000 write
 * units a second (its partition's limit). A sender takes a batch's slots in one write, but a
 * sparse stream is one delivery a batch; 500 keeps even that at half the item's limit.
 */
export const MAX_RATE_PER_SECOND = 500;
export const MIN_RATE_PER_SECOND = 1;
/** The largest burst: ten minutes of the highest rate is far past what a limit is for. */
export const MAX_RATE_BURST = 10_000;
export const MIN_RATE_BURST = 1;

/** A slot this close is waited for in the instance: about the granularity of DelaySeconds (whole seconds). */
export const RATE_SLEEP_MAX_MS = 1_000;
/** SQS's largest DelaySeconds: a slot further away is sent again more than once. */
export const RATE_MAX_DELAY_SECONDS = 900;
/**
 * A delivery that comes back this late for its slot still takes it. Later than that, its slot is
 * given up and a new one taken: late slots sent together would exceed the limit. So in any window
 * a receiver sees at most burst + perSecond × (window + this) + 1 deliveries, and over a long
 * window the rate is the limit's (slots stay 1/perSecond apart however late they are used). A
 * second: about what SQS's delay, the poll and a busy sender add; a shorter one (250 ms was
 * tried) renewed most slots of a 500/s backlog on a loaded machine, each renewal a slot unused.
 */
export const RATE_SLOT_LATE_MS = 1_000;
/**
 * The shared item is removed by the table's TTL this long after its last take: past SQS's 14-day
 * retention, so no slot it granted can still be waited for (its TAT is never further ahead than
 * the backlog a queue can keep).
 */
export const RATE_ITEM_TTL_SECONDS = 15 * 24 * 60 * 60;

/** The API's shape (requests.ts, RateLimitSchema, checks the bounds above) to the stored one. */
export function rateLimitFromApi(v: { per_second: number; burst: number }): RateLimit {
  return { perSecond: v.per_second, burst: v.burst };
}

export function rateLimitToApi(l: RateLimit): { per_second: number; burst: number } {
  return { per_second: l.perSecond, burst: l.burst };
}

export function sameRateLimit(a: RateLimit | undefined, b: RateLimit | undefined): boolean {
  return a?.perSecond === b?.perSecond && a?.burst === b?.burst;
}

/** Milliseconds between slots. */
export function slotIntervalMs(limit: RateLimit): number {
  return 1000 / limit.perSecond;
}

/**
 * The `n` slots granted by a write that moved the TAT to `tat` (ms) at `nowMs`: the i-th of them
 * had the TAT at tat - (n - i) × interval before it, and goes at that less the burst's tolerance,
 * never before now. The write itself is tat := max(tat, now) + n × interval.
 */
export function grantedSlots(tat: number, nowMs: number, limit: RateLimit, n: number): number[] {
  const interval = slotIntervalMs(limit);
  const tolerance = (limit.burst - 1) * interval;
  return Array.from({ length: n }, (_, i) => Math.max(nowMs, tat - (n - i) * interval - tolerance));
}

/** What a delivery does about its slot. */
export type SlotWait = { kind: 'go' } | { kind: 'sleep'; ms: number } | { kind: 'resend'; delaySeconds: number } | { kind: 'renew' };

/**
 * A slot now or past (within RATE_SLOT_LATE_MS) goes; one within RATE_SLEEP_MAX_MS is waited for
 * in the instance; a later one is sent again, delayed by its whole seconds (so it comes back
 * within a second before its slot, and sleeps the rest); one missed by more than the lateness is
 * given up for a new one.
 */
export function slotWait(slotMs: number, nowMs: number): SlotWait {
  const ahead = slotMs - nowMs;
  if (ahead < -RATE_SLOT_LATE_MS) return { kind: 'renew' };
  if (ahead <= 0) return { kind: 'go' };
  if (ahead <= RATE_SLEEP_MAX_MS) return { kind: 'sleep', ms: ahead };
  return { kind: 'resend', delaySeconds: resendDelaySeconds(slotMs, nowMs) };
}

/**
 * The DelaySeconds of a message sent again for its slot: its whole seconds ahead, counted when it
 * is sent (a batch's messages go when its last delivery is done, up to RATE_SLEEP_MAX_MS later),
 * so that it comes back within a second before its slot.
 */
export function resendDelaySeconds(slotMs: number, nowMs: number): number {
  return Math.max(0, Math.min(RATE_MAX_DELAY_SECONDS, Math.floor((slotMs - nowMs) / 1000)));
}

/**
 * The most deliveries a receiver may see in any window of `windowMs` under `limit`: the burst,
 * the rate over the window and the lateness a slot may be taken with, and one for the window's edge.
 */
export function maxInWindow(limit: RateLimit, windowMs: number): number {
  return limit.burst + Math.floor((limit.perSecond * (windowMs + RATE_SLOT_LATE_MS)) / 1000) + 1;
}
