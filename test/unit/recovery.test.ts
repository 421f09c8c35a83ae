import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../functions/domain/errors.js';
import type { Delivery } from '../../functions/domain/model.js';
import {
  autoDisableDue,
  claimedButUnsent,
  claimedDelivery,
  DEFAULT_AUTO_DISABLE_SECONDS,
  pacedDelays,
  pacedOut,
  recoverable,
  recoveryFree,
  recoveryWindow,
} from '../../functions/domain/recovery.js';

const NOW = new Date('2026-03-31T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function refused(input: { since: string; until?: string }, retentionDays = 30): ApiError {
  try {
    recoveryWindow(input, NOW, retentionDays);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('accepted');
}

describe('recovery window', () => {
  it('takes a window within the retention, until defaulting to now', () => {
    expect(recoveryWindow({ since: '2026-03-30T00:00:00Z' }, NOW, 30)).toEqual({
      since: '2026-03-30T00:00:00.000Z',
      until: NOW.toISOString(),
    });
    expect(recoveryWindow({ since: '2026-03-30T00:00:00+02:00', until: '2026-03-30T01:00:00Z' }, NOW, 30)).toEqual({
      since: '2026-03-29T22:00:00.000Z',
      until: '2026-03-30T01:00:00.000Z',
    });
    // An until in the future stops at now: nothing later exists yet.
    expect(recoveryWindow({ since: '2026-03-30T00:00:00Z', until: '2026-04-30T00:00:00Z' }, NOW, 30).until).toBe(NOW.toISOString());
  });

  it('refuses since after until, since in the future, and since past the retention, naming the field', () => {
    for (const [input, message] of [
      [{ since: '2026-03-30T02:00:00Z', until: '2026-03-30T01:00:00Z' }, 'after until'],
      [{ since: iso(NOW.getTime() + 1) }, 'future'],
      [{ since: iso(NOW.getTime() - 30 * 86_400_000 - 1) }, 'retention period (30 days)'],
      [{ since: 'not a time' }, 'ISO 8601'],
    ] as const) {
      const err = refused(input);
      expect(err.statusCode).toBe(400);
      expect(err.details?.[0]?.field).toBe('since');
      expect(err.message).toContain(message);
    }
    // Exactly the retention's start is still in.
    expect(recoveryWindow({ since: iso(NOW.getTime() - 30 * 86_400_000) }, NOW, 30).since).toBe(iso(NOW.getTime() - 30 * 86_400_000));
  });
});

describe('auto-disable', () => {
  it('is due at exactly the period of failing, not a millisecond before; Svix default of 5 days', () => {
    expect(DEFAULT_AUTO_DISABLE_SECONDS).toBe(5 * 86_400);
    const since = Date.parse('2026-03-01T00:00:00.000Z');
    const period = DEFAULT_AUTO_DISABLE_SECONDS;
    expect(autoDisableDue(since, since + period * 1000 - 1, period)).toBe(false);
    expect(autoDisableDue(since, since + period * 1000, period)).toBe(true);
    expect(autoDisableDue(since, since + period * 1000 + 1, period)).toBe(true);
  });
});

describe('claims', () => {
  const d: Delivery = {
    id: 'd1',
    tenantId: 't',
    subscriptionId: 's',
    eventId: 'e',
    eventType: 'card.created',
    status: 'dead_lettered',
    attempts: 9,
    generation: 2,
    createdTime: '2026-03-30T00:00:00.000Z',
    updatedTime: '2026-03-30T01:00:00.000Z',
    nextAttemptTime: '2026-03-30T02:00:00.000Z',
    park: { kind: 'held', token: 'tok', until: '2026-03-30T03:00:00.000Z' },
    carrier: { token: 'c', messageId: 'm' },
  };

  it('recovers dead letters and deliveries skipped because the subscription was disabled, nothing else', () => {
    expect(recoverable(d)).toBe(true);
    expect(recoverable({ status: 'skipped', lastError: 'subscription_disabled' })).toBe(true);
    expect(recoverable({ status: 'skipped', lastError: 'subscription_deleted' })).toBe(false);
    expect(recoverable({ status: 'skipped', lastError: 'refused: private address' })).toBe(false);
    expect(recoverable({ status: 'succeeded' })).toBe(false);
    expect(recoverable({ status: 'pending' })).toBe(false);
  });

  it('a claim is a new generation out of any park, owned by the recovery until a receive rewrites it', () => {
    const c = claimedDelivery(d, 'rcv_1', '2026-03-31T00:00:00.000Z');
    expect(c).toMatchObject({ status: 'pending', generation: 3, attempts: 9, recovery: { id: 'rcv_1', at: '2026-03-31T00:00:00.000Z' } });
    expect(c.park).toBeUndefined();
    expect(c.carrier).toBeUndefined();
    expect(c.nextAttemptTime).toBeUndefined();
    // Never attempted: the sender still sees a new round (generation past its round's), as for a manual retry.
    expect(claimedDelivery({ ...d, generation: 0 }, 'rcv_1', d.updatedTime)).toMatchObject({ generation: 1, roundGeneration: 0 });
    expect(claimedDelivery({ ...d, roundGeneration: 1 }, 'rcv_1', d.updatedTime)).toMatchObject({ generation: 3, roundGeneration: 1 });
    expect(
      claimedDelivery({ ...d, status: 'skipped', lastError: 'subscription_disabled' }, 'rcv_1', d.updatedTime).lastError,
    ).toBeUndefined();
    expect(claimedButUnsent(c, 'rcv_1')).toBe(true);
    expect(claimedButUnsent(c, 'rcv_2')).toBe(false);
    expect(claimedButUnsent({ ...c, updatedTime: '2026-03-31T00:00:01.000Z' }, 'rcv_1')).toBe(false);
  });

  it('a lease keeps other workers off until it ends', () => {
    const at = Date.parse('2026-03-31T00:00:00.000Z');
    expect(recoveryFree({ state: 'running' }, at)).toBe(true);
    expect(recoveryFree({ state: 'running', leaseUntil: iso(at + 1) }, at)).toBe(false);
    expect(recoveryFree({ state: 'running', leaseUntil: iso(at) }, at)).toBe(true);
    expect(recoveryFree({ state: 'done' }, at)).toBe(false);
  });
});

describe('pace', () => {
  it('spreads messages at the rate from where the recovery left off, within SQS 900 s delay', () => {
    const now = 1_000_000;
    expect(pacedDelays(5, now, undefined, 2)).toEqual({ delays: [0, 0, 1, 1, 2], paceMs: now + 2500 });
    // Going on from an earlier page's pace.
    expect(pacedDelays(2, now, now + 10_000, 1).delays).toEqual([10, 11]);
    // A pace in the past starts now.
    expect(pacedDelays(1, now, now - 60_000, 1).delays).toEqual([0]);
    expect(pacedDelays(1, now, now + 2_000_000, 1).delays).toEqual([900]);
    expect(pacedOut(now + 600_000, now)).toBe(false);
    expect(pacedOut(now + 600_001, now)).toBe(true);
    expect(pacedOut(undefined, now)).toBe(false);
  });
});
