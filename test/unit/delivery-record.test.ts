import { describe, expect, it } from 'vitest';
import {
  EVENT_IN_RECORD_MAX_BYTES,
  eventGoesInRecord,
  eventOfRecord,
  pendingDelivery,
  trimAttemptLog,
} from '../../functions/domain/delivery-record.js';
import type { Attempt } from '../../functions/domain/model.js';
import { serializeEvent } from '../../functions/domain/webhook-body.js';

const attempt = (n: number, extra: Partial<Attempt> = {}): Attempt => ({
  tenantId: 't',
  deliveryId: 'dlv_1',
  subscriptionId: 's',
  eventId: 'evt_1',
  attempt: n,
  time: `2026-03-01T00:00:0${n}.000Z`,
  statusCode: 500,
  latencyMs: 10,
  responseExcerpt: 'x'.repeat(100),
  ...extra,
});
/** A stand-in for the stored size: 10 bytes an attempt plus its excerpt and error message. */
const bytes = (log: readonly Attempt[]) => log.reduce((n, a) => n + 10 + a.responseExcerpt.length + (a.errorMessage?.length ?? 0), 0);

describe('trimAttemptLog', () => {
  it('leaves a log within the budget as it is', () => {
    const log = [attempt(1), attempt(2)];
    expect(trimAttemptLog(log, bytes, 220)).toEqual(log);
  });

  it('empties the oldest excerpts first, only as many as needed, and keeps every attempt', () => {
    const log = [attempt(1), attempt(2), attempt(3), attempt(4)];
    const out = trimAttemptLog(log, bytes, 250);
    expect(out.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(out.map((a) => a.responseExcerpt.length)).toEqual([0, 0, 100, 100]);
    expect(bytes(out)).toBeLessThanOrEqual(250);
    // The input is not changed.
    expect(log[0]!.responseExcerpt).toHaveLength(100);
  });

  it('then drops error messages, oldest first; past that the log stays whole even over budget', () => {
    const log = [
      attempt(1, { error: 'timeout', errorMessage: 'e'.repeat(50), responseExcerpt: '' }),
      attempt(2, { errorMessage: 'f'.repeat(50) }),
    ];
    const out = trimAttemptLog(log, bytes, 80);
    expect(out.map((a) => a.attempt)).toEqual([1, 2]);
    // Attempt 2's excerpt went first (attempt 1 had none), then attempt 1's error message.
    expect(out[1]!.responseExcerpt).toBe('');
    expect(out[0]).toMatchObject({ attempt: 1, error: 'timeout' });
    expect(out[0]!.errorMessage).toBeUndefined();
    expect(out[1]!.errorMessage).toBe('f'.repeat(50));
    expect(trimAttemptLog(log, bytes, 5).map((a) => [a.attempt, a.responseExcerpt, a.errorMessage])).toEqual([
      [1, '', undefined],
      [2, '', undefined],
    ]);
  });
});

describe('pendingDelivery', () => {
  it('is what a listed entry without a record shows: pending, no attempt, created when fanned out', () => {
    expect(
      pendingDelivery(
        { tenantId: 't', subscriptionId: 's', eventId: 'e', eventType: 'card.created', createdTime: '2026-03-01T00:00:00.000Z' },
        'dlv_x',
      ),
    ).toEqual({
      id: 'dlv_x',
      tenantId: 't',
      subscriptionId: 's',
      eventId: 'e',
      eventType: 'card.created',
      status: 'pending',
      attempts: 0,
      generation: 0,
      createdTime: '2026-03-01T00:00:00.000Z',
      updatedTime: '2026-03-01T00:00:00.000Z',
    });
  });
});

describe('an event kept in its delivery record', () => {
  it('goes there with exactly one subscription and a body of at most 1 KB', () => {
    expect(eventGoesInRecord(1, EVENT_IN_RECORD_MAX_BYTES)).toBe(true);
    expect(eventGoesInRecord(1, EVENT_IN_RECORD_MAX_BYTES + 1)).toBe(false);
    expect(eventGoesInRecord(0, 10)).toBe(false);
    expect(eventGoesInRecord(2, 10)).toBe(false);
  });

  it('comes back from the record as it was sent', () => {
    const event = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { n: 1, s: 'é\u2028' } };
    const d = pendingDelivery(
      { tenantId: 't', subscriptionId: 's', eventId: 'evt_1', eventType: 'card.created', createdTime: event.timestamp },
      'dlv_1',
    );
    expect(eventOfRecord(d)).toBeUndefined();
    const kept = { ...d, eventBody: serializeEvent(event) };
    expect(eventOfRecord(kept)).toEqual(event);
    expect(serializeEvent(eventOfRecord(kept)!)).toBe(kept.eventBody);
  });
});
