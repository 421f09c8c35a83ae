import { createHash } from 'node:crypto';
import { DEFAULT_JITTER, MAX_RETENTION_SECONDS } from './retry-schedule.js';

/**
 * Where a delivery waits between attempts, and how parked deliveries come back.
 *
 * SQS caps a standard queue's in-flight messages at about 120,000, and at the cap a long-poll
 * receive (the event source mapping's) returns nothing, with no error: every tenant stalls. So
 * only short waits stay in flight (the message's own visibility timeout, the design card's
 * backoff). A longer wait is **parked**: the delivery record says when it is due and carries the
 * keys of a due-time index, and the message is deleted; the resumer, run every minute, sends a
 * fresh message when the record comes due. Deliveries to a subscription whose endpoint keeps
 * failing are **held** in the subscription's lot: no POST, no message, one probe at a time on the
 * lot's own schedule, and the lot is drained at a bounded rate once a probe succeeds.
 *
 * Everything here is plain arithmetic on times and schedules; the keys and I/O live in the
 * adapters (functions/adapters/aws/dynamodb-parking.ts) and the handlers (sender, resumer).
 */

/** SQS's in-flight quota for a standard queue ("approximately 120,000"). */
export const SQS_IN_FLIGHT_QUOTA = 120_000;
/** The delivery queue's in-flight budget by default: half SQS's quota, the rest is headroom. */
export const DEFAULT_IN_FLIGHT_BUDGET = 60_000;
/**
 * Share of the budget past which the sender parks waits it would otherwise keep in flight.
 * Below the in-flight alarm (half the budget), so the alarm pages only when parking cannot keep up.
 */
export const IN_FLIGHT_PRESSURE_SHARE = 0.4;
/** How long a sender instance trusts its reading of the queue's in-flight count. */
export const IN_FLIGHT_GAUGE_TTL_MS = 30_000;

/**
 * A wait up to this long stays in flight (the default schedule's 5 s and 5 min steps, the latter
 * with its jitter: up to 10 % longer, 330 s); longer ones are parked. A bare 300 s parked 98 % of
 * the 5-minute steps, at twice a step in flight's cost (docs/operators/cost.md).
 */
export const IN_FLIGHT_WAIT_MAX_SECONDS = Math.ceil(5 * 60 * (1 + DEFAULT_JITTER));
/** Under in-flight pressure only waits this short stay in flight. */
export const PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS = 30;

/**
 * A message older than this is parked, so a fresh one carries the delivery on: SQS counts a
 * message's retention from its first send, in the DLQ too, so a dead letter must be at most this
 * old to stay redrivable for 13 of the DLQ's 14 days, and no delivery may expire in the queue.
 */
export const DEAD_LETTER_REDRIVE_WINDOW_SECONDS = 13 * 24 * 60 * 60;
export const FRESH_MESSAGE_MAX_AGE_SECONDS = MAX_RETENTION_SECONDS - DEAD_LETTER_REDRIVE_WINDOW_SECONDS;

/** The due-time index is bucketed by minute on AWS: the resumer runs once a minute and sweeps the buckets that ended. */
export const DEFAULT_DUE_BUCKET_SECONDS = 60;
/**
 * A minute's bucket is split over this many index partitions, so parking stays under a
 * partition's 1,000 writes a second; shorter buckets (local mode's) take proportionally fewer,
 * so the resumer's reads per second stay the same.
 */
export const DUE_SHARDS_PER_MINUTE = 16;

/** How many index partitions a bucket of `bucketSeconds` is split over. */
export function dueShards(bucketSeconds: number): number {
  return Math.max(1, Math.min(DUE_SHARDS_PER_MINUTE, Math.ceil((bucketSeconds * DUE_SHARDS_PER_MINUTE) / 60)));
}
/** The resumer leaves the newest seconds of a bucket to the index's propagation (a GSI is eventually consistent). */
export const DUE_INDEX_LAG_SECONDS = 5;

/**
 * A lot's first probe comes its schedule's first step after it opens (at most a minute), and each
 * failed probe doubles the wait, up to the schedule's longest step (at most 15 minutes): an open
 * lot tries its endpoint about as often as the deliveries' own retries would have. On AWS the
 * resumer's minute is the shortest wait in practice.
 */
export const LOT_FIRST_PROBE_MAX_SECONDS = 60;
export const LOT_PROBE_MAX_SECONDS = 900;
/** How long a sender instance trusts what it read of a lot. */
export const LOT_CACHE_TTL_MS = 30_000;
/**
 * A drained lot is kept this long before it is deleted, then checked once more: a sender instance
 * that read it open just before it closed may still hold a delivery there within LOT_CACHE_TTL_MS.
 */
export const LOT_FINAL_CHECK_SECONDS = 120;
/** How fast a recovered endpoint's held deliveries are resumed, per subscription. */
export const DEFAULT_RESUME_RATE_PER_SECOND = 20;
/** SQS's largest DelaySeconds: resumed messages are spread over the run's minute with it. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** Why a delivery is parked: its next attempt is due later, or its endpoint's lot is open. */
export type ParkKind = 'due' | 'held';

/** What a parked delivery's record carries: a token its resume message must bring back, and when it comes out. */
export interface Park {
  kind: ParkKind;
  /** Changes with every park: a message without the record's token is a copy the park owns. */
  token: string;
  /** When the resumer sends it again: its next attempt ('due'), or the end of its schedule ('held'). */
  until: string;
  /** Held: when its lot was to be probed next as it was held (what lists show as its next attempt). */
  lotWake?: string;
}

/** How a resumed message came back (it carries its park's token). */
export type ResumeKind = 'due' | 'drain' | 'probe';

export interface WaitPlacementInput {
  waitSeconds: number;
  /** Whether the queue's in-flight count is past IN_FLIGHT_PRESSURE_SHARE of the budget. */
  underPressure: boolean;
  /** Seconds since the message was first sent (SentTimestamp). */
  messageAgeSeconds: number;
  /** Parking can be turned off (the engine without it, kept to show what it prevents). */
  parking: boolean;
}

/** Where a wait of `waitSeconds` is spent: in flight (visibility timeout) or parked. */
export function waitPlacement(w: WaitPlacementInput): 'in-flight' | 'park' {
  if (!w.parking) return 'in-flight';
  if (needsFreshMessage(w.messageAgeSeconds)) return 'park';
  const limit = w.underPressure ? PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS : IN_FLIGHT_WAIT_MAX_SECONDS;
  return w.waitSeconds > limit ? 'park' : 'in-flight';
}

export function needsFreshMessage(messageAgeSeconds: number): boolean {
  return messageAgeSeconds > FRESH_MESSAGE_MAX_AGE_SECONDS;
}

export function underPressure(inFlight: number, budget: number): boolean {
  return inFlight >= budget * IN_FLIGHT_PRESSURE_SHARE;
}

/**
 * Seconds of the schedule still ahead of a delivery that has made `attemptsInRound` attempts in
 * its round, jitter included: a delivery held by an open lot is dead-lettered once they pass.
 */
export function remainingScheduleSeconds(schedule: readonly number[], attemptsInRound: number): number {
  let total = 0;
  for (let i = Math.max(0, attemptsInRound - 1); i < schedule.length; i++) total += schedule[i]!;
  return Math.ceil(total * (1 + DEFAULT_JITTER));
}

/**
 * The shortest retention (days) the table may keep events and records for this schedule: a parked
 * or held delivery is rebuilt from them, up to its schedule's end (with jitter), plus a day.
 */
export function minRetentionDays(schedule: readonly number[]): number {
  return Math.ceil(remainingScheduleSeconds(schedule, 0) / 86_400) + 1;
}

/**
 * When a park comes out of the index, in ms: never before the next bucket starts (a bucket the
 * resumer has swept is never read again), however early the wait would end.
 */
export function parkUntilMs(nowMs: number, waitSeconds: number, bucketSeconds: number): number {
  const nextBucket = (dueBucket(nowMs, bucketSeconds) + bucketSeconds) * 1000;
  return Math.max(nowMs + waitSeconds * 1000, nextBucket);
}

/** The bucket (its start, in epoch seconds) a time falls in. */
export function dueBucket(ms: number, bucketSeconds: number): number {
  const s = Math.floor(ms / 1000);
  return s - (s % bucketSeconds);
}

/** The last bucket that has ended, with the index's lag, at `nowMs`. */
export function lastEndedBucket(nowMs: number, bucketSeconds: number): number {
  return dueBucket(nowMs - DUE_INDEX_LAG_SECONDS * 1000, bucketSeconds) - bucketSeconds;
}

/** Which of a bucket's index partitions a key goes to: stable, spread evenly. */
export function dueShard(key: string, bucketSeconds: number): number {
  return createHash('sha1').update(key).digest().readUInt16BE(0) % dueShards(bucketSeconds);
}

/** The first and the longest wait between a lot's probes, for a retry schedule. */
export function probeWaits(schedule: readonly number[]): { first: number; max: number } {
  const first = Math.max(1, Math.min(LOT_FIRST_PROBE_MAX_SECONDS, schedule[0] ?? LOT_FIRST_PROBE_MAX_SECONDS));
  return { first, max: Math.max(first, Math.min(LOT_PROBE_MAX_SECONDS, Math.max(...schedule))) };
}

/** A lot's next wait after a failed probe: twice the last, up to its longest. */
export function nextProbeSeconds(previous: number, maxSeconds: number): number {
  return Math.max(previous, Math.min(maxSeconds, previous * 2));
}

/**
 * How many held deliveries a drain round resumes: what `perSecond` allows since the last round
 * (rounds come a bucket or two apart), at least one bucket's worth, at most what DelaySeconds can
 * spread (SQS_MAX_DELAY_SECONDS).
 */
export function drainRoundSize(perSecond: number, nowMs: number, lastRoundMs: number | undefined, bucketSeconds: number): number {
  const since = lastRoundMs === undefined ? bucketSeconds : Math.max(0, (nowMs - lastRoundMs) / 1000);
  return Math.max(1, Math.floor(perSecond * Math.min(SQS_MAX_DELAY_SECONDS, Math.max(bucketSeconds, since))));
}

/**
 * The DelaySeconds of the `index`-th message of a lot's drain, at `perSecond`: spread over the
 * run's interval, so a recovered endpoint gets a steady stream, not one burst.
 */
export function drainDelaySeconds(index: number, perSecond: number): number {
  return Math.min(SQS_MAX_DELAY_SECONDS, Math.floor(index / Math.max(1, perSecond)));
}

/** A subscription's lot: whether its deliveries are held, and when the resumer looks at it next. */
export type LotState = 'open' | 'draining' | 'closed';

export interface Lot {
  tenantId: string;
  subscriptionId: string;
  state: LotState;
  /** The URL its endpoint had when it opened: a changed URL is worth trying at once. */
  url: string;
  openedTime: string;
  /** When the resumer acts on it next: a probe (open), a drain round (draining), the final check (closed). */
  wakeTime: string;
  /** The wait before the next probe after a failed one. */
  probeSeconds: number;
  /** The longest wait between probes (probeWaits). */
  probeMaxSeconds: number;
  /** The last held entry the drain has resumed (entries sort by deadline, then delivery). */
  drainedTo?: string;
  /** When the drain's last round ran: the next resumes what the rate allows since. */
  drainedTime?: string;
  closedTime?: string;
  /**
   * Opened while delivering an operational event: neither its opening nor its recovery is
   * announced with one (functions/domain/operational-events.ts, rule 2).
   */
  quiet?: true;
}

/** A held delivery's place in its lot: sorted by deadline, so a drain resumes the oldest first. */
export interface LotEntry {
  tenantId: string;
  subscriptionId: string;
  deliveryId: string;
  /** `<deadline ms, zero-padded>#<delivery id>`: its sort key, and what `drainedTo` compares to. */
  position: string;
  token: string;
}

export function lotPosition(deadlineMs: number, deliveryId: string): string {
  return `${String(deadlineMs).padStart(15, '0')}#${deliveryId}`;
}

/**
 * How long past its deadline a held entry can still be the lot's probe. Its due-time index entry
 * dead-letters it within a bucket and the index's lag of its deadline; until then it is held, and a
 * probe always POSTs, so an endpoint back in time still gets it (a short schedule's deliveries
 * can reach their deadline before the first probe). Entries further past are skipped unread.
 */
export const PROBE_PAST_DEADLINE_SECONDS = 5 * 60;

/** Where a lot's probe starts reading its entries (they sort by deadline): past the long-expired ones. */
export function probeStart(atMs: number, drainedTo: string | undefined): string {
  const from = lotPosition(atMs - PROBE_PAST_DEADLINE_SECONDS * 1000, '');
  return drainedTo !== undefined && drainedTo > from ? drainedTo : from;
}
