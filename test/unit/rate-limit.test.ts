import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rateLimitedDeliveryCost } from '../../bench/cost-model.js';
import { DynamoRateSlots } from '../../functions/adapters/aws/dynamodb-rate-limit.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createSender } from '../../functions/app/sender.js';
import { SenderRate } from '../../functions/app/sender-rate.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { deliveryMessage, encodeDeliveryMessage, parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { planReceive } from '../../functions/domain/delivery-plan.js';
import type { Delivery, DeliveryMessage } from '../../functions/domain/model.js';
import {
  grantedSlots,
  MAX_RATE_PER_SECOND,
  maxInWindow,
  RATE_MAX_DELAY_SECONDS,
  RATE_SLEEP_MAX_MS,
  RATE_SLOT_LATE_MS,
  type RateLimit,
  slotWait,
} from '../../functions/domain/rate-limit.js';
import type { RateSlots } from '../../functions/ports.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/**
 * Rate limits (functions/domain/rate-limit.ts): the slot arithmetic, the shared item against
 * dynalite (two instances never get the same slot), and the sender's decision with its ports in
 * memory and SQS mocked: what goes, what waits, what is sent again, and what an unlimited
 * subscription costs (nothing).
 */

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

describe('what a rate limit costs (bench/cost-model.ts)', () => {
  it('prices a waiting delivery line by line: its slot take, its resend with receive and delete, its invocation share and its wait', () => {
    const c = rateLimitedDeliveryCost({ deliveriesPerTake: 10, messagesPerBatch: 10, resends: 1, sleepMs: 500, senderMemoryMb: 512 });
    expect(c.lines['DynamoDB writes (the slot take)']).toBeCloseTo(0.0625, 6);
    expect(c.lines['SQS (send again, receive, delete)']).toBeCloseTo(0.12, 6);
    expect(c.lines['Lambda requests']).toBeCloseTo(0.02, 6);
    expect(c.lines['Lambda duration (the wait for the slot)']).toBeCloseTo(0.1 * 0.5 * 0.5 * 0.0000133334 * 1e6, 6);
    // Under the limit only the take is paid.
    expect(
      rateLimitedDeliveryCost({ deliveriesPerTake: 1, messagesPerBatch: 1, resends: 0, sleepMs: 0, senderMemoryMb: 512 }).perMillion,
    ).toBeCloseTo(0.625, 6);
  });
});

describe('slots', () => {
  const limit: RateLimit = { perSecond: 5, burst: 3 };

  it('an idle limit grants its burst at once, then one slot every 1/rate seconds', () => {
    // The write moved the TAT from before now to now + 6 intervals.
    const slots = grantedSlots(T0 + 6 * 200, T0, limit, 6);
    expect(slots).toEqual([T0, T0, T0, T0 + 200, T0 + 400, T0 + 600]);
  });

  it('a busy limit grants slots after those it already granted', () => {
    // TAT was T0 + 1000: the next slot is at TAT less the burst's tolerance (2 intervals).
    expect(grantedSlots(T0 + 1000 + 2 * 200, T0, limit, 2)).toEqual([T0 + 600, T0 + 800]);
  });

  it('a slot goes now, waits in the instance, is sent again with its whole seconds, or is renewed when missed', () => {
    expect(slotWait(T0, T0)).toEqual({ kind: 'go' });
    expect(slotWait(T0 - RATE_SLOT_LATE_MS, T0)).toEqual({ kind: 'go' });
    expect(slotWait(T0 - RATE_SLOT_LATE_MS - 1, T0)).toEqual({ kind: 'renew' });
    expect(slotWait(T0 + RATE_SLEEP_MAX_MS, T0)).toEqual({ kind: 'sleep', ms: RATE_SLEEP_MAX_MS });
    expect(slotWait(T0 + 2_700, T0)).toEqual({ kind: 'resend', delaySeconds: 2 });
    expect(slotWait(T0 + 3_600_000, T0)).toEqual({ kind: 'resend', delaySeconds: RATE_MAX_DELAY_SECONDS });
  });

  it('bounds what a receiver sees in a window by the burst, the rate and the lateness a slot may go with', () => {
    // The burst, a second's lateness at 5/s, the window's edge.
    expect(maxInWindow({ perSecond: 5, burst: 1 }, 0)).toBe(1 + 5 + 1);
    expect(maxInWindow({ perSecond: 5, burst: 1 }, 10_000)).toBe(1 + 55 + 1);
    expect(maxInWindow({ perSecond: 500, burst: 20 }, 2_000)).toBe(20 + 1_500 + 1);
  });
});

describe('the shared slot item (DynamoDB, on dynalite)', () => {
  let dynamo: DynamoEmulator;
  beforeAll(async () => {
    dynamo = await startDynamo(undefined, 'webhooks');
  });
  afterAll(async () => dynamo.stop());

  it('grants consecutive, distinct slots to instances taking at once, at the limit’s rate', async () => {
    const a = new DynamoRateSlots(dynamo.doc, 'webhooks');
    const b = new DynamoRateSlots(dynamo.doc, 'webhooks');
    const limit: RateLimit = { perSecond: MAX_RATE_PER_SECOND, burst: 1 };
    const takes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).take('tnt_1', 'sub_busy', limit, 5, T0)));
    const slots = takes.flat().sort((x, y) => x - y);
    expect(slots).toHaveLength(100);
    // One slot every 2 ms from now, none twice.
    for (const [i, s] of slots.entries()) expect(s).toBeCloseTo(T0 + i * 2, 6);
  });

  it('starts again from now once the limit has been idle', async () => {
    const slots = new DynamoRateSlots(dynamo.doc, 'webhooks');
    const limit: RateLimit = { perSecond: 1, burst: 2 };
    expect(await slots.take('tnt_1', 'sub_idle', limit, 3, T0)).toEqual([T0, T0, T0 + 1000]);
    // Ten seconds on, the TAT (T0 + 3 s) is behind: a full burst again.
    expect(await slots.take('tnt_1', 'sub_idle', limit, 2, T0 + 10_000)).toEqual([T0 + 10_000, T0 + 10_000]);
  });
});

describe('the sender and a rate limit', () => {
  const sqs = mockClient(SQSClient);
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let secrets: MemorySecrets;
  let posts: number;
  let clock: number;
  let takes: { subscriptionId: string; n: number }[];
  let granted: number[];

  beforeEach(async () => {
    sqs.reset();
    sqs
      .on(SendMessageBatchCommand)
      .callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
    subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    secrets = new MemorySecrets();
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }));
    await secrets.create('webhooks/test/tnt_1/sub_2', JSON.stringify({ current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }));
    posts = 0;
    clock = T0;
    takes = [];
    granted = [];
  });

  const counting: RateSlots = {
    take: async (_t, subscriptionId, _l, n) => {
      takes.push({ subscriptionId, n });
      return granted.splice(0, n);
    },
  };

  const sender = () =>
    createSender({
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs.eu-west-1.amazonaws.com/123456789012/q'),
      client: {
        post: async () => {
          posts++;
          return { kind: 'response', status: 200, latencyMs: 1, excerpt: '' };
        },
      },
      schedule: [5, 300],
      now: () => new Date(clock),
      rateSlots: counting,
    });

  const message = (n: number, subscriptionId: string): DeliveryMessage & { body: string } => {
    const event = { id: `evt_${n}`, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { n } };
    return deliveryMessage('tnt_1', subscriptionId, event, '2026-01-01T00:00:00.000Z');
  };
  const record = (m: DeliveryMessage & { body: string }, id: string): SQSRecord => ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: encodeDeliveryMessage(m),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T0), SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
    awsRegion: 'eu-west-1',
  });
  const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
  const sent = () => sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);

  it('takes nothing for a subscription without a limit: no read, no write, no message', async () => {
    await subs.create(subscription());
    const out = await sender()(batch(...Array.from({ length: 10 }, (_, i) => record(message(i, 'sub_1'), `m${i}`))));
    expect(out.batchItemFailures).toEqual([]);
    expect(posts).toBe(10);
    expect(takes).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it("takes a batch's slots of a subscription in one take; those far off are sent again, delayed, with no POST and no attempt", async () => {
    await subs.create(subscription({ rateLimit: { perSecond: 1, burst: 1 } }));
    await subs.create(subscription({ id: 'sub_2', secretName: 'webhooks/test/tnt_1/sub_2' }));
    granted = [T0, T0 + 1000 + 500, T0 + 30_000, T0 + 2_000_000];
    const limited = [0, 1, 2, 3].map((i) => record(message(i, 'sub_1'), `m${i}`));
    const out = await sender()(batch(...limited, record(message(9, 'sub_2'), 'other')));
    // One take of four slots; the unlimited neighbour took none.
    expect(takes).toEqual([{ subscriptionId: 'sub_1', n: 4 }]);
    // The first slot and the neighbour go now; the others are deleted from the queue (not failures)
    // and sent again, delayed by their slots' whole seconds (at most SQS's 900).
    expect(posts).toBe(2);
    expect(out.batchItemFailures).toEqual([]);
    const again = sent();
    expect(again.map((e) => e.DelaySeconds)).toEqual([1, 30, RATE_MAX_DELAY_SECONDS]);
    expect(again.map((e) => parseDeliveryMessage(e.MessageBody!).rate?.slot)).toEqual([T0 + 1500, T0 + 30_000, T0 + 2_000_000]);
    expect(again.every((e) => e.MessageGroupId === 'tnt_1')).toBe(true);
    // No attempt was spent on the waiting ones: nothing written for them.
    for (const r of limited.slice(1)) expect(store.deliveries.get(`tnt_1/${parseDeliveryMessage(r.body).deliveryId}`)).toBeUndefined();
  });

  it('a delivery back for its slot goes without taking another; one that missed it by more than the lateness takes a new one', async () => {
    await subs.create(subscription({ rateLimit: { perSecond: 1, burst: 1 } }));
    const onTime = { ...message(1, 'sub_1'), rate: { slot: T0 } };
    await sender()(batch(record(onTime, 'a')));
    expect(takes).toEqual([]);
    expect(posts).toBe(1);
    granted = [T0 + 60_000];
    const late = { ...message(2, 'sub_1'), rate: { slot: T0 - RATE_SLOT_LATE_MS - 1 } };
    await sender()(batch(record(late, 'b')));
    expect(takes).toEqual([{ subscriptionId: 'sub_1', n: 1 }]);
    expect(posts).toBe(1);
    expect(sent().map((e) => e.DelaySeconds)).toEqual([60]);
  });

  it('a failed send of the delayed messages leaves them in flight for their wait instead (nothing lost)', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('SQS is down'));
    await subs.create(subscription({ rateLimit: { perSecond: 1, burst: 1 } }));
    granted = [T0 + 20_000];
    const out = await sender()(batch(record(message(1, 'sub_1'), 'x')));
    expect(posts).toBe(0);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
  });
});

describe("the sender's wait for a near slot", () => {
  it('takes a new slot when it wakes later than the lateness (a busy event loop), and goes at once on time', async () => {
    let clock = T0;
    const taken: number[] = [];
    const counted: string[] = [];
    const slots: RateSlots = {
      take: async (_t, _s, _l, n) => {
        taken.push(n);
        return [clock];
      },
    };
    const sleeps: number[] = [];
    const rate = new SenderRate(
      slots,
      () => clock,
      { count: (name) => void counted.push(name), latency: () => undefined },
      async (ms) => {
        sleeps.push(ms);
        // Woken 1.5 s after it should have been.
        clock += ms + RATE_SLOT_LATE_MS + 500;
      },
    );
    const s = subscription({ rateLimit: { perSecond: 1, burst: 1 } });
    const m = {
      ...deliveryMessage('tnt_1', 'sub_1', { id: 'evt_1', type: 'card.created', timestamp: '', data: {} }, ''),
      rate: { slot: T0 + 600 },
    };
    const r = { messageId: 'x' } as SQSRecord;
    expect(await rate.wait(s, m, r, 0)).toBeUndefined();
    expect(sleeps).toEqual([600]);
    expect(taken).toEqual([1]);
    expect(counted).toEqual(['RateSlotRenewed']);
  });
});

describe('a message sent again for its slot stands in for the one its record names', () => {
  const m = message();
  function message(): DeliveryMessage {
    const event = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z' };
    return {
      deliveryId: deliveryIdFor(event.id, 'sub_1'),
      tenantId: 'tnt_1',
      subscriptionId: 'sub_1',
      event,
      createdTime: '2026-01-01T00:00:00.000Z',
    };
  }
  const prior: Delivery = {
    id: m.deliveryId,
    tenantId: 'tnt_1',
    subscriptionId: 'sub_1',
    eventId: 'evt_1',
    eventType: 'card.created',
    status: 'pending',
    attempts: 1,
    generation: 0,
    createdTime: m.createdTime,
    updatedTime: m.createdTime,
    carrier: { token: 'tok', messageId: 'resumed-msg' },
  };
  const plan = (message: DeliveryMessage, messageId: string) =>
    planReceive({ message, messageId, receiveCount: 1, receiveLimit: 10, prior, nowMs: T0, atIso: new Date(T0).toISOString() }).action;

  it('goes when it replaces the carrier; any other new message is a stale copy', () => {
    const resumed = { ...m, resume: { token: 'tok', kind: 'due' as const } };
    expect(plan({ ...resumed, rate: { slot: T0, replaces: 'resumed-msg' } }, 'fresh-msg')).toBe('go');
    expect(plan({ ...resumed, rate: { slot: T0, replaces: 'another' } }, 'fresh-msg')).toBe('drop');
    expect(plan(resumed, 'fresh-msg')).toBe('drop');
  });
});
