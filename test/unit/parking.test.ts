import { describe, expect, it } from 'vitest';
import {
  DUE_INDEX_LAG_SECONDS,
  DUE_SHARDS_PER_MINUTE,
  drainDelaySeconds,
  drainRoundSize,
  dueBucket,
  dueShard,
  dueShards,
  FRESH_MESSAGE_MAX_AGE_SECONDS,
  IN_FLIGHT_WAIT_MAX_SECONDS,
  lastEndedBucket,
  lotPosition,
  minRetentionDays,
  nextProbeSeconds,
  PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS,
  parkUntilMs,
  probeWaits,
  remainingScheduleSeconds,
  SQS_MAX_DELAY_SECONDS,
  underPressure,
  waitPlacement,
} from '../../functions/domain/parking.js';
import { DEFAULT_RETRY_SCHEDULE, MAX_RETENTION_SECONDS, nextDelaySeconds } from '../../functions/domain/retry-schedule.js';

const T = Date.parse('2026-03-01T10:00:30.000Z');

describe('where a wait is spent', () => {
  const place = (waitSeconds: number, o: Partial<Parameters<typeof waitPlacement>[0]> = {}) =>
    waitPlacement({ waitSeconds, underPressure: false, messageAgeSeconds: 10, parking: true, ...o });

  it("keeps the schedule's short steps in flight and parks the long ones", () => {
    expect(place(5)).toBe('in-flight');
    // The default schedule's 5-minute step, however its jitter falls, stays in flight.
    expect(IN_FLIGHT_WAIT_MAX_SECONDS).toBe(330);
    for (const r of [0, 0.5, 0.9999]) expect(place(nextDelaySeconds(DEFAULT_RETRY_SCHEDULE, 2, { random: () => r })!)).toBe('in-flight');
    expect(place(IN_FLIGHT_WAIT_MAX_SECONDS)).toBe('in-flight');
    expect(place(IN_FLIGHT_WAIT_MAX_SECONDS + 1)).toBe('park');
    expect(place(43_200)).toBe('park');
    expect(DEFAULT_RETRY_SCHEDULE.filter((s) => place(s) === 'in-flight')).toEqual([5, 300]);
  });

  it('parks all but the shortest waits when the queue is under pressure', () => {
    expect(place(PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS, { underPressure: true })).toBe('in-flight');
    expect(place(PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS + 1, { underPressure: true })).toBe('park');
    expect(place(5, { underPressure: true })).toBe('in-flight');
  });

  it('parks any wait of a message too old to stay in the queue (so a dead letter is redrivable for 13 days)', () => {
    expect(FRESH_MESSAGE_MAX_AGE_SECONDS).toBe(MAX_RETENTION_SECONDS - 13 * 86_400);
    expect(place(1, { messageAgeSeconds: FRESH_MESSAGE_MAX_AGE_SECONDS })).toBe('in-flight');
    expect(place(1, { messageAgeSeconds: FRESH_MESSAGE_MAX_AGE_SECONDS + 1 })).toBe('park');
  });

  it('keeps everything in flight without parking (the engine before it)', () => {
    expect(place(43_200, { parking: false })).toBe('in-flight');
    expect(place(1, { parking: false, messageAgeSeconds: 10 * 86_400 })).toBe('in-flight');
  });

  it('is under pressure from 40 % of the budget', () => {
    expect(underPressure(23_999, 60_000)).toBe(false);
    expect(underPressure(24_000, 60_000)).toBe(true);
  });
});

describe('the due-time index', () => {
  it('puts a time in the bucket that starts at or before it', () => {
    expect(dueBucket(T, 60)).toBe(Date.parse('2026-03-01T10:00:00.000Z') / 1000);
    expect(dueBucket(Date.parse('2026-03-01T10:00:59.999Z'), 60)).toBe(Date.parse('2026-03-01T10:00:00.000Z') / 1000);
    expect(dueBucket(Date.parse('2026-03-01T10:01:00.000Z'), 60)).toBe(Date.parse('2026-03-01T10:01:00.000Z') / 1000);
  });

  it('sweeps a bucket only once it has ended and the index has had its lag', () => {
    const start = Date.parse('2026-03-01T10:00:00.000Z');
    expect(lastEndedBucket(start + 60_000 + DUE_INDEX_LAG_SECONDS * 1000 - 1, 60)).toBe(start / 1000 - 60);
    expect(lastEndedBucket(start + 60_000 + DUE_INDEX_LAG_SECONDS * 1000, 60)).toBe(start / 1000);
  });

  it('never parks into the current bucket, which the resumer may be sweeping', () => {
    const nextBucket = Date.parse('2026-03-01T10:01:00.000Z');
    expect(parkUntilMs(T, 0, 60)).toBe(nextBucket);
    expect(parkUntilMs(T, 10, 60)).toBe(nextBucket);
    expect(parkUntilMs(T, 1800, 60)).toBe(T + 1_800_000);
  });

  it("spreads keys over a minute bucket's shards, and over fewer for shorter buckets", () => {
    const counts = new Array(DUE_SHARDS_PER_MINUTE).fill(0);
    for (let i = 0; i < 16_000; i++) counts[dueShard(`dlv_${i}`, 60)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
    expect(dueShard('dlv_x', 60)).toBe(dueShard('dlv_x', 60));
    expect([1, 4, 15, 30, 60, 600].map(dueShards)).toEqual([1, 2, 4, 8, 16, 16]);
    expect(dueShard('dlv_x', 1)).toBe(0);
  });

  it('orders lot entries by deadline, then delivery, as strings', () => {
    const a = lotPosition(9_999_999_999_999, 'dlv_b');
    const b = lotPosition(10_000_000_000_000, 'dlv_a');
    expect(a < b).toBe(true);
    expect(lotPosition(5, 'dlv_a') < lotPosition(5, 'dlv_b')).toBe(true);
  });
});

describe("a held delivery's deadline", () => {
  it('is what remains of its schedule, jitter included', () => {
    const total = DEFAULT_RETRY_SCHEDULE.reduce((a, b) => a + b, 0);
    expect(remainingScheduleSeconds(DEFAULT_RETRY_SCHEDULE, 0)).toBe(Math.ceil(total * 1.1));
    // After its first attempt every step is still ahead; after its second, all but the 5 s one.
    expect(remainingScheduleSeconds(DEFAULT_RETRY_SCHEDULE, 1)).toBe(Math.ceil(total * 1.1));
    expect(remainingScheduleSeconds(DEFAULT_RETRY_SCHEDULE, 2)).toBe(Math.ceil((total - 5) * 1.1));
    expect(remainingScheduleSeconds(DEFAULT_RETRY_SCHEDULE, 9)).toBe(0);
  });

  it('needs the table to keep events a day past the schedule', () => {
    // 1.8 days with jitter: 3 days.
    expect(minRetentionDays(DEFAULT_RETRY_SCHEDULE)).toBe(3);
    expect(minRetentionDays([13 * 86_400 * 0.9])).toBe(14);
  });
});

describe('a lot', () => {
  it("probes after the schedule's first step, then twice as long after each failure, up to its longest step or 15 minutes", () => {
    expect(probeWaits(DEFAULT_RETRY_SCHEDULE)).toEqual({ first: 5, max: 900 });
    expect(probeWaits([1, 2, 3])).toEqual({ first: 1, max: 3 });
    expect(probeWaits([600, 30])).toEqual({ first: 60, max: 600 });
    expect(probeWaits([0, 0])).toEqual({ first: 1, max: 1 });
    const { first, max } = probeWaits(DEFAULT_RETRY_SCHEDULE);
    const waits = [first];
    for (let i = 0; i < 9; i++) waits.push(nextProbeSeconds(waits.at(-1)!, max));
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
  });

  it('drains at its rate, spread over DelaySeconds', () => {
    expect([0, 19, 20, 39, 40].map((i) => drainDelaySeconds(i, 20))).toEqual([0, 0, 1, 1, 2]);
    expect(drainDelaySeconds(1_000_000, 20)).toBe(SQS_MAX_DELAY_SECONDS);
    // A bucket's worth on the first round; then what the rate allows since the last one.
    expect(drainRoundSize(20, T, undefined, 60)).toBe(1200);
    expect(drainRoundSize(20, T, T - 125_000, 60)).toBe(2500);
    expect(drainRoundSize(20, T, T - 10_000, 60)).toBe(1200);
    expect(drainRoundSize(20, T, T - 86_400_000, 60)).toBe(20 * SQS_MAX_DELAY_SECONDS);
  });
});
