import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { encodeDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { Delivery, DeliveryMessage } from '../../functions/domain/model.js';
import { FRESH_MESSAGE_MAX_AGE_SECONDS, type Lot, remainingScheduleSeconds } from '../../functions/domain/parking.js';
import { maxReceiveCount } from '../../functions/domain/retry-schedule.js';
import { generateSecret } from '../../functions/domain/signing.js';
import type { Metrics } from '../../functions/ports.js';
import { MemoryDeliveryStore, MemoryLots, MemoryQueue, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/**
 * The sender with parking (functions/domain/parking.ts), on in-memory ports and a clock the test
 * moves: which waits stay in flight and which are parked, what a lot holds, what its probes and
 * drains do, and what a park write that fails falls back to.
 */

const SCHEDULE = [5, 300, 1800, 7200];
const T0 = Date.parse('2026-03-01T00:00:10.000Z');
const URL_1 = 'https://hooks.example.com/in';
const fail503: AttemptResult = { kind: 'response', status: 503, latencyMs: 3, excerpt: 'down' };
const ok: AttemptResult = { kind: 'response', status: 200, latencyMs: 1, excerpt: 'ok' };

function message(n: number, over: Partial<DeliveryMessage> = {}): DeliveryMessage & { body: string } {
  const event = { id: `evt_${n}`, type: 'card.created', timestamp: '2026-03-01T00:00:00.000Z' };
  return {
    deliveryId: deliveryIdFor(event.id, 'sub_1'),
    tenantId: 'tnt_1',
    subscriptionId: 'sub_1',
    event,
    body: JSON.stringify({ ...event, data: { n } }),
    createdTime: '2026-03-01T00:00:00.000Z',
    listed: true,
    ...over,
  };
}

describe('sender with parking', () => {
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let secrets: MemorySecrets;
  let queue: MemoryQueue;
  let lots: MemoryLots;
  let clock: number;
  let answers: AttemptResult[];
  let posts: string[];
  let inFlight: number;
  let gaugeReads: number;
  let counts: Map<string, number>;
  let receives: number;

  beforeEach(async () => {
    subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    secrets = new MemorySecrets();
    queue = new MemoryQueue();
    lots = new MemoryLots();
    await subs.create(subscription({ url: URL_1 }));
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: generateSecret() }));
    clock = T0;
    answers = [];
    posts = [];
    inFlight = 0;
    gaugeReads = 0;
    counts = new Map();
    receives = 0;
  });

  const metrics: Metrics = { count: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n), latency: () => undefined };

  const sender = () =>
    createSender({
      secrets,
      store,
      deliveries: queue,
      client: {
        post: async (_url, headers) => {
          posts.push(headers['webhook-id']!);
          return answers.shift() ?? ok;
        },
      },
      schedule: SCHEDULE,
      random: () => 0,
      now: () => new Date(clock),
      metrics,
      parking: {
        lots,
        gauge: {
          inFlight: async () => {
            gaugeReads++;
            return inFlight;
          },
        },
        inFlightBudget: 60_000,
        dueBucketSeconds: 60,
      },
    });

  /** One SQS record of `m`; `sentMs` is its SentTimestamp (fresh by default). */
  function record(
    m: DeliveryMessage & { body: string },
    o: { receiveCount?: number; messageId?: string; sentMs?: number } = {},
  ): SQSRecord {
    receives++;
    return {
      messageId: o.messageId ?? `msg-${m.deliveryId}`,
      receiptHandle: `rh-${receives}`,
      body: encodeDeliveryMessage(m),
      attributes: {
        ApproximateReceiveCount: String(o.receiveCount ?? 1),
        SentTimestamp: String(o.sentMs ?? clock - 1000),
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: String(clock),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:delivery',
      awsRegion: 'eu-west-1',
    };
  }
  const run = (handler: ReturnType<typeof sender>, ...records: SQSRecord[]) => handler({ Records: records } as SQSEvent);
  const recordOf = (m: DeliveryMessage): Delivery => store.deliveries.get(`tnt_1/${m.deliveryId}`)!;
  const held = (m: DeliveryMessage, over: Partial<Delivery> = {}) =>
    store.write({
      deliveries: [
        {
          id: m.deliveryId,
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          eventId: m.event.id,
          eventType: m.event.type,
          status: 'pending',
          attempts: 1,
          generation: 0,
          createdTime: m.createdTime,
          updatedTime: m.createdTime,
          eventBody: m.body,
          park: { kind: 'held', token: 'tok', until: new Date(clock + 86_400_000).toISOString() },
          ...over,
        },
      ],
    });
  const openLot = (over: Partial<Lot> = {}) =>
    lots.lots.set('tnt_1/sub_1', {
      tenantId: 'tnt_1',
      subscriptionId: 'sub_1',
      state: 'open',
      url: URL_1,
      openedTime: new Date(clock).toISOString(),
      wakeTime: new Date(clock + 60_000).toISOString(),
      probeSeconds: 60,
      probeMaxSeconds: 900,
      ...over,
    });

  it('waits the short steps in flight, then parks the long one: the message goes, the record says when it is due', async () => {
    const handler = sender();
    const m = message(1);
    answers.push(fail503, fail503, fail503);
    expect(await run(handler, record(m))).toEqual({ batchItemFailures: [{ itemIdentifier: `msg-${m.deliveryId}` }] });
    expect(queue.changes.at(-1)!.seconds).toBe(5);
    clock += 5_000;
    await run(handler, record(m, { receiveCount: 2 }));
    expect(queue.changes.at(-1)!.seconds).toBe(300);
    clock += 300_000;
    const changesBefore = queue.changes.length;
    // The 30 min step: parked. Nothing comes back, no visibility is changed, the record holds the park.
    expect(await run(handler, record(m, { receiveCount: 3 }))).toEqual({ batchItemFailures: [] });
    expect(queue.changes).toHaveLength(changesBefore);
    const d = recordOf(m);
    expect(d).toMatchObject({ status: 'pending', attempts: 3, park: { kind: 'due' } });
    expect(d.park!.until).toBe(new Date(clock + 1_800_000).toISOString());
    expect(d.nextAttemptTime).toBe(d.park!.until);
    expect(counts.get('DeliveryParked')).toBe(1);
    // The gauge was read once: for the 5 min step (a wait that pressure could park), not for 5 s or 30 min.
    expect(gaugeReads).toBe(1);
  });

  it('parks a five-minute wait too while the queue is under pressure (40 % of the budget in flight)', async () => {
    const handler = sender();
    const m = message(2);
    inFlight = 24_000;
    answers.push(fail503, fail503);
    await run(handler, record(m));
    expect(queue.changes.at(-1)!.seconds).toBe(5);
    clock += 5_000;
    expect(await run(handler, record(m, { receiveCount: 2 }))).toEqual({ batchItemFailures: [] });
    expect(recordOf(m).park).toMatchObject({ kind: 'due', until: new Date(clock + 300_000).toISOString() });
  });

  it('reads neither a lot nor the queue on the common path', async () => {
    const handler = sender();
    for (let i = 0; i < 20; i++) expect(await run(handler, record(message(100 + i)))).toEqual({ batchItemFailures: [] });
    expect(posts).toHaveLength(20);
    expect(lots.reads).toBe(0);
    expect(gaugeReads).toBe(0);
  });

  it('parks a Retry-After of a day, and a 12-hour step, without ever asking SQS for a long visibility', async () => {
    const handler = sender();
    const m = message(3);
    answers.push({ kind: 'response', status: 429, latencyMs: 1, excerpt: '', retryAfterSeconds: 86_400 });
    await run(handler, record(m));
    expect(recordOf(m).park!.until).toBe(new Date(clock + 86_400_000).toISOString());
    expect(queue.changes.every((c) => c.seconds <= 300)).toBe(true);
  });

  it('opens the lot when the circuit opens; what follows waits there, no POST, until the end of its schedule', async () => {
    const handler = sender();
    const first = [1, 2, 3, 4, 5].map((n) => message(10 + n));
    answers.push(fail503, fail503, fail503, fail503, fail503);
    await run(handler, ...first.map((m) => record(m)));
    expect(posts).toHaveLength(5);
    const lot = lots.lots.get('tnt_1/sub_1');
    // Probed after the schedule's first step, then twice as long each time, up to its longest step (15 min at most).
    expect(lot).toMatchObject({ state: 'open', url: URL_1, probeSeconds: 5, probeMaxSeconds: 900 });
    expect(counts.get('LotOpened')).toBeGreaterThanOrEqual(1);
    // Later deliveries are held on arrival: no POST, the message goes.
    const later = [6, 7, 8].map((n) => message(10 + n));
    expect(await run(handler, ...later.map((m) => record(m)))).toEqual({ batchItemFailures: [] });
    expect(posts).toHaveLength(5);
    for (const m of later) {
      const d = recordOf(m);
      expect(d).toMatchObject({ status: 'pending', attempts: 0, park: { kind: 'held', lotWake: lot!.wakeTime } });
      // Never attempted: the whole schedule is still ahead of it.
      expect(Date.parse(d.park!.until)).toBeGreaterThanOrEqual(clock + remainingScheduleSeconds(SCHEDULE, 0) * 1000);
    }
  });

  it("sends a lot's probe to the endpoint; an answer starts the drain", async () => {
    openLot();
    const m = message(20);
    await held(m);
    const handler = sender();
    expect(await run(handler, record({ ...m, resume: { token: 'tok', kind: 'probe' } }))).toEqual({ batchItemFailures: [] });
    expect(posts).toEqual(['evt_20']);
    expect(recordOf(m)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(recordOf(m).park).toBeUndefined();
    expect(lots.lots.get('tnt_1/sub_1')!.state).toBe('draining');
  });

  it('holds a failed probe again, and the lot waits twice as long for the next', async () => {
    openLot();
    const m = message(21);
    await held(m);
    answers.push(fail503);
    await run(sender(), record({ ...m, resume: { token: 'tok', kind: 'probe' } }));
    expect(posts).toHaveLength(1);
    expect(lots.lots.get('tnt_1/sub_1')).toMatchObject({ state: 'open', probeSeconds: 120 });
    const d = recordOf(m);
    expect(d).toMatchObject({ status: 'pending', attempts: 2, park: { kind: 'held' } });
    expect(d.park!.token).not.toBe('tok');
  });

  it('sends what a drain resumes, even to an instance that last saw the lot open', async () => {
    const handler = sender();
    openLot();
    // This instance learns the lot is open from a failure, and holds the next delivery.
    answers.push(fail503);
    await run(handler, record(message(30)));
    await run(handler, record(message(31)));
    expect(posts).toHaveLength(1);
    expect(recordOf(message(31)).park?.kind).toBe('held');
    // The lot drains; its resume comes to this instance, whose cache still says open.
    lots.lots.get('tnt_1/sub_1')!.state = 'draining';
    const m = message(31);
    const token = recordOf(m).park!.token;
    expect(await run(handler, record({ ...m, resume: { token, kind: 'drain' } }))).toEqual({ batchItemFailures: [] });
    expect(posts).toEqual(['evt_30', 'evt_31']);
    expect(recordOf(m).status).toBe('succeeded');
  });

  it('deletes a copy its park owns without a POST', async () => {
    const m = message(40);
    await held(m, { park: { kind: 'due', token: 'tok', until: new Date(clock + 600_000).toISOString() } });
    expect(await run(sender(), record(m))).toEqual({ batchItemFailures: [] });
    expect(posts).toHaveLength(0);
    expect(recordOf(m).park!.token).toBe('tok');
  });

  it('dead-letters a held delivery whose schedule ended, without a POST', async () => {
    openLot();
    const m = message(41);
    await held(m);
    const res = await run(sender(), record({ ...m, resume: { token: 'tok', kind: 'due' } }, { messageId: 'm-expiring' }));
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-expiring' }] });
    expect(queue.changes.at(-1)!.seconds).toBe(0);
    expect(posts).toHaveLength(0);
    expect(recordOf(m)).toMatchObject({ status: 'dead_lettered', deadLetterMessageId: 'm-expiring', attempts: 1 });
    expect(recordOf(m).lastError).toMatch(/^endpoint_unavailable/);
    expect(counts.get('DeliveryExpired')).toBe(1);
  });

  it('sends a held delivery whose schedule ended when its lot recovered meanwhile (the drain had not reached it)', async () => {
    openLot({ state: 'draining' });
    const m = message(42);
    await held(m);
    await run(sender(), record({ ...m, resume: { token: 'tok', kind: 'due' } }));
    expect(posts).toEqual(['evt_42']);
    expect(recordOf(m)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('keeps a delivery in flight when its park cannot be written', async () => {
    const handler = sender();
    const m = message(50);
    answers.push(fail503, fail503, fail503);
    await run(handler, record(m));
    clock += 5_000;
    await run(handler, record(m, { receiveCount: 2 }));
    clock += 300_000;
    const write = store.write.bind(store);
    store.write = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const res = await run(handler, record(m, { receiveCount: 3 }));
    store.write = write;
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: `msg-${m.deliveryId}` }] });
    expect(queue.changes.at(-1)!.seconds).toBe(1800);
    expect(counts.get('ParkWriteFailed')).toBe(1);
  });

  it('parks a message too old for the queue instead of attempting it, so a fresh one carries it on', async () => {
    const m = message(60);
    const res = await run(sender(), record(m, { sentMs: clock - (FRESH_MESSAGE_MAX_AGE_SECONDS + 60) * 1000 }));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(posts).toHaveLength(0);
    expect(recordOf(m)).toMatchObject({ status: 'pending', attempts: 0, park: { kind: 'due' } });
  });

  it('parks the last receive before the DLQ rather than losing the steps left', async () => {
    const m = message(61);
    answers.push(fail503);
    const res = await run(sender(), record(m, { receiveCount: maxReceiveCount(SCHEDULE) }));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(recordOf(m)).toMatchObject({ status: 'pending', attempts: 1, park: { kind: 'due' } });
  });

  it("sends a person's retry of a held delivery to the endpoint", async () => {
    openLot();
    const m = message(62);
    await held(m);
    await run(sender(), record({ ...m, generation: 1 }));
    expect(posts).toEqual(['evt_62']);
    expect(recordOf(m)).toMatchObject({ status: 'succeeded', generation: 1 });
    expect(lots.lots.get('tnt_1/sub_1')!.state).toBe('draining');
  });

  it('tries a changed URL at once, even while the lot for the old one is open', async () => {
    openLot({ url: 'https://old.example.com/in' });
    await run(sender(), record(message(63)));
    expect(posts).toEqual(['evt_63']);
  });
});
