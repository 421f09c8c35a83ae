import { describe, expect, it } from 'vitest';
import { classifyAttempt, endpointHealthy, holdsInLot, planReceive, type ReceiveInput } from '../../functions/domain/delivery-plan.js';
import type { Delivery, DeliveryMessage } from '../../functions/domain/model.js';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const CREATED = '2026-03-01T09:00:00.000Z';

const message = (over: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  deliveryId: 'dlv_1',
  tenantId: 'tnt_1',
  subscriptionId: 'sub_1',
  event: { id: 'evt_1', type: 'card.created', timestamp: CREATED },
  body: '{"id":"evt_1","type":"card.created","timestamp":"2026-03-01T09:00:00.000Z","data":{}}',
  createdTime: CREATED,
  listed: true,
  ...over,
});

const record = (over: Partial<Delivery> = {}): Delivery => ({
  id: 'dlv_1',
  tenantId: 'tnt_1',
  subscriptionId: 'sub_1',
  eventId: 'evt_1',
  eventType: 'card.created',
  status: 'pending',
  attempts: 2,
  generation: 0,
  createdTime: CREATED,
  updatedTime: CREATED,
  lastStatusCode: 503,
  ...over,
});

const plan = (over: Partial<ReceiveInput> = {}) =>
  planReceive({
    message: message(),
    messageId: 'm-1',
    receiveCount: 1,
    receiveLimit: 41,
    prior: undefined,
    nowMs: NOW,
    atIso: new Date(NOW).toISOString(),
    ...over,
  });

describe('planReceive', () => {
  it('goes on with a first receive: no record yet', () => {
    const p = plan();
    expect(p).toMatchObject({ action: 'go', newRound: false, lastReceive: false, expired: false });
    if (p.action !== 'go') throw new Error();
    expect(p.delivery).toMatchObject({ id: 'dlv_1', attempts: 0, status: 'pending', createdTime: CREATED, legacyListing: false });
    expect(p.earlyByMs).toBeUndefined();
  });

  it("drops a delivered message, and another fan-out's copy", () => {
    expect(plan({ prior: record({ status: 'succeeded' }) })).toEqual({ action: 'drop', reason: 'duplicate' });
    expect(plan({ prior: record(), message: message({ createdTime: '2026-03-01T09:00:01.000Z' }) })).toEqual({
      action: 'drop',
      reason: 'duplicate',
    });
  });

  it("drops any copy but the park's own resume while the delivery is parked", () => {
    const parked = record({ park: { kind: 'due', token: 'tok', until: '2026-03-01T10:30:00.000Z' } });
    // The message that was parked, come back (its deletion was lost).
    expect(plan({ prior: parked })).toEqual({ action: 'drop', reason: 'stale_copy' });
    // A resume of an older park.
    expect(plan({ prior: parked, message: message({ resume: { token: 'old', kind: 'due' } }) })).toEqual({
      action: 'drop',
      reason: 'stale_copy',
    });
    // The park's own resume goes on.
    expect(plan({ prior: parked, message: message({ resume: { token: 'tok', kind: 'due' } }) })).toMatchObject({
      action: 'go',
      resume: 'due',
    });
    // A person's retry (a new generation) goes on whatever is parked.
    expect(plan({ prior: parked, message: message({ generation: 1 }) })).toMatchObject({ action: 'go', newRound: true });
  });

  it('drops a resume when the record is no longer parked (it was resumed already, or retried)', () => {
    expect(plan({ prior: record(), message: message({ resume: { token: 'tok', kind: 'due' } }) })).toEqual({
      action: 'drop',
      reason: 'stale_copy',
    });
    expect(plan({ message: message({ resume: { token: 'tok', kind: 'due' } }) })).toEqual({ action: 'drop', reason: 'stale_copy' });
  });

  it('lets the resumed message carry the delivery on after its park, and no other copy', () => {
    const carried = record({ carrier: { token: 'tok', messageId: 'm-resumed' } });
    const resumed = message({ resume: { token: 'tok', kind: 'due' } });
    // Its own later receives (a short wait in flight) go on, and it stays the carrier.
    const again = plan({ prior: carried, message: resumed, messageId: 'm-resumed', receiveCount: 2 });
    expect(again).toMatchObject({ action: 'go' });
    if (again.action !== 'go') throw new Error();
    expect(again.delivery.carrier).toEqual({ token: 'tok', messageId: 'm-resumed' });
    // A second copy of the same resume (the resumer sent the bucket again after a crash) goes.
    expect(plan({ prior: carried, message: resumed, messageId: 'm-copy' })).toEqual({ action: 'drop', reason: 'stale_copy' });
    // So does the fan-out's message, had its deletion been lost before the delivery was parked.
    expect(plan({ prior: carried })).toEqual({ action: 'drop', reason: 'stale_copy' });
    // A dead letter it carried is released under its id; redriven (a new id, the same body) it starts a new round.
    const dead = record({ status: 'dead_lettered', carrier: { token: 'tok', messageId: 'm-resumed' }, deadLetterMessageId: 'm-resumed' });
    expect(plan({ prior: dead, message: resumed, messageId: 'm-resumed', receiveCount: 5 })).toEqual({ action: 'release' });
    expect(plan({ prior: dead, message: resumed, messageId: 'm-redriven' })).toMatchObject({ action: 'go', newRound: true });
    // A manual retry takes over: the route writes the new generation without park or carrier.
    expect(plan({ prior: record({ generation: 1 }), message: message({ generation: 1 }), messageId: 'm-retry' })).toMatchObject({
      action: 'go',
    });
  });

  it('releases a dead letter until SQS moves it; a redrive (a new message id) starts a new round', () => {
    const dead = record({ status: 'dead_lettered', attempts: 9, deadLetterMessageId: 'm-dead', deadLetterReceive: 20 });
    expect(plan({ prior: dead, messageId: 'm-dead', receiveCount: 30 })).toEqual({ action: 'release' });
    const redriven = plan({ prior: dead, messageId: 'm-redriven', receiveCount: 1 });
    expect(redriven).toMatchObject({ action: 'go', newRound: true });
    if (redriven.action !== 'go') throw new Error();
    expect(redriven.delivery).toMatchObject({ roundStart: 9, attempts: 9 });
    // A record from before the message id: told by the receive count, as before.
    const old = record({ status: 'dead_lettered', attempts: 9, deadLetterReceive: 20 });
    expect(plan({ prior: old, receiveCount: 21 })).toEqual({ action: 'release' });
    expect(plan({ prior: old, receiveCount: 1 })).toMatchObject({ action: 'go', newRound: true });
  });

  it('says how early a receive is, except for a probe', () => {
    const waiting = record({ nextAttemptTime: new Date(NOW + 60_000).toISOString() });
    expect(plan({ prior: waiting })).toMatchObject({ action: 'go', earlyByMs: 60_000 });
    expect(plan({ prior: record({ nextAttemptTime: new Date(NOW + 100).toISOString() }) })).not.toHaveProperty('earlyByMs');
    const held = record({
      nextAttemptTime: new Date(NOW + 60_000).toISOString(),
      park: { kind: 'held', token: 'tok', until: '2026-03-03T00:00:00.000Z' },
    });
    const probe = plan({ prior: held, message: message({ resume: { token: 'tok', kind: 'probe' } }) });
    expect(probe).toMatchObject({ action: 'go', resume: 'probe' });
    expect(probe).not.toHaveProperty('earlyByMs');
  });

  it('expires a held delivery that comes back from the due-time index (its deadline)', () => {
    const held = record({ park: { kind: 'held', token: 'tok', until: '2026-03-01T10:00:00.000Z' } });
    expect(plan({ prior: held, message: message({ resume: { token: 'tok', kind: 'due' } }) })).toMatchObject({
      action: 'go',
      expired: true,
    });
    expect(plan({ prior: held, message: message({ resume: { token: 'tok', kind: 'drain' } }) })).toMatchObject({
      action: 'go',
      expired: false,
    });
  });

  it('keeps what the record said when this receive makes no attempt', () => {
    const p = plan({ prior: record({ lastError: 'timeout', nextAttemptTime: '2026-03-01T09:59:00.000Z' }) });
    if (p.action !== 'go') throw new Error();
    expect(p.delivery).toMatchObject({ lastStatusCode: 503, lastError: 'timeout', nextAttemptTime: '2026-03-01T09:59:00.000Z' });
    expect(p.delivery.park).toBeUndefined();
  });

  it('knows the last receive before SQS dead-letters the message', () => {
    expect(plan({ receiveCount: 41 })).toMatchObject({ lastReceive: true });
    expect(plan({ receiveCount: 40 })).toMatchObject({ lastReceive: false });
  });
});

describe('holdsInLot', () => {
  const lot = { state: 'open' as const, url: 'https://a.example/hook' };
  it("holds deliveries to an open lot's URL, never a probe or a retry", () => {
    expect(holdsInLot(lot, 'https://a.example/hook', false)).toBe(true);
    expect(holdsInLot(lot, 'https://a.example/hook', true)).toBe(false);
    expect(holdsInLot(lot, 'https://b.example/hook', false)).toBe(false);
    expect(holdsInLot({ ...lot, state: 'draining' }, 'https://a.example/hook', false)).toBe(false);
    expect(holdsInLot(undefined, 'https://a.example/hook', false)).toBe(false);
  });
});

describe('classifyAttempt', () => {
  it('tells delivered, gone, refused and retried apart', () => {
    expect(classifyAttempt({ kind: 'response', status: 204 })).toBe('succeeded');
    expect(classifyAttempt({ kind: 'response', status: 410 })).toBe('gone');
    expect(classifyAttempt({ kind: 'response', status: 404 })).toBe('failed');
    expect(classifyAttempt({ kind: 'error', error: 'refused' })).toBe('refused');
    expect(classifyAttempt({ kind: 'error', error: 'timeout' })).toBe('failed');
    expect(endpointHealthy({ kind: 'response', status: 404 })).toBe(true);
    expect(endpointHealthy({ kind: 'response', status: 429 })).toBe(false);
    expect(endpointHealthy({ kind: 'error' })).toBe(false);
  });
});
