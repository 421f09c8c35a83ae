import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { bodyKeyFor, deliveryMessage, encodeDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { Delivery, DeliveryMessage } from '../../functions/domain/model.js';
import { MAX_HOP_SECONDS, MAX_VISIBILITY_SECONDS, maxReceiveCount } from '../../functions/domain/retry-schedule.js';
import { generateSecret } from '../../functions/domain/signing.js';
import type { BodyStore, Metrics } from '../../functions/ports.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/**
 * The sender handler with SQS mocked and a clock the test moves: the exact VisibilityTimeout of
 * each receive, the batch response, and the delivery record that counts the attempts.
 */

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-delivery';
const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 43200, 43200];
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const sqs = mockClient(SQSClient);

function message(n: number, subscriptionId = 'sub_1'): DeliveryMessage {
  const event = { id: `evt_${n}`, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { card_id: `c${n}` } };
  return {
    deliveryId: deliveryIdFor(event.id, subscriptionId),
    tenantId: 'tnt_1',
    subscriptionId,
    event,
    createdTime: '2026-01-01T00:00:00.000Z',
  };
}

function record(m: DeliveryMessage, receiveCount: number, n = 0): SQSRecord {
  return {
    messageId: `msg-${n}`,
    receiptHandle: `rh-${n}-${receiveCount}`,
    body: JSON.stringify(m),
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:Webhooks-delivery',
    awsRegion: 'eu-west-1',
  };
}

const fail500: AttemptResult = { kind: 'response', status: 500, latencyMs: 3, excerpt: 'oops' };

describe('sender handler', () => {
  let subs: MemorySubscriptions;
  let secrets: MemorySecrets;
  let store: MemoryDeliveryStore;
  let secret: string;
  let answers: AttemptResult[];
  let posts: { url: string; headers: Record<string, string>; body: string }[];
  let random: number;
  let clock: number;
  let counts: Map<string, number>;
  let logs: { level: string; message: string; detail: Record<string, unknown> }[];

  beforeEach(async () => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    subs = new MemorySubscriptions();
    secrets = new MemorySecrets();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    secret = generateSecret();
    await subs.create(subscription());
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: secret }));
    answers = [];
    posts = [];
    random = 0;
    clock = T0;
    counts = new Map();
    logs = [];
  });

  const metrics: Metrics = {
    count: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n),
    latency: () => undefined,
  };

  const sender = (bodies?: BodyStore) =>
    createSender({
      secrets,
      store,
      ...(bodies ? { bodies } : {}),
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
      client: {
        post: async (url, headers, body) => {
          posts.push({ url, headers, body });
          return answers.shift() ?? { kind: 'response', status: 200, latencyMs: 1, excerpt: '' };
        },
      },
      schedule: SCHEDULE,
      random: () => random,
      now: () => new Date(clock),
      metrics,
      log: (level, message, detail) => void logs.push({ level, message, detail }),
    });

  const visibilityCalls = () => sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input);
  const lastVisibility = () => visibilityCalls().at(-1)?.Entries?.[0]?.VisibilityTimeout;
  const deliveryOf = (m: DeliveryMessage) => store.deliveries.get(`tnt_1/${m.deliveryId}`)!;
  const seed = (m: DeliveryMessage, d: Partial<Delivery>) =>
    store.write({
      deliveries: [
        {
          id: m.deliveryId,
          tenantId: 'tnt_1',
          subscriptionId: m.subscriptionId,
          eventId: m.event.id,
          eventType: m.event.type,
          status: 'pending',
          attempts: 0,
          generation: 0,
          createdTime: m.createdTime,
          updatedTime: m.createdTime,
          ...d,
        },
      ],
    });

  it('waits each step of the schedule, in hops that stay within 12 h of the receive, then dead-letters', async () => {
    const handler = sender();
    const m = message(1);
    let receive = 0;
    const requested: number[] = [];
    for (let attempt = 1; attempt <= SCHEDULE.length; attempt++) {
      // Every receive until the step is over: only the last one POSTs.
      for (;;) {
        sqs.resetHistory();
        const postsBefore = posts.length;
        answers.push(fail500);
        const res = await handler({ Records: [record(m, ++receive)] } as SQSEvent);
        expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
        const v = lastVisibility()!;
        requested.push(v);
        clock += v * 1000;
        if (posts.length > postsBefore) break;
        answers.shift();
      }
      expect(deliveryOf(m)).toMatchObject({ status: 'pending', attempts: attempt });
      expect(Date.parse(deliveryOf(m).nextAttemptTime!)).toBe(clock - requested.at(-1)! * 1000 + SCHEDULE[attempt - 1]! * 1000);
      // Wait out the rest of the step in further receives that POST nothing.
      while (Date.parse(deliveryOf(m).nextAttemptTime!) > clock) {
        sqs.resetHistory();
        const res = await handler({ Records: [record(m, ++receive)] } as SQSEvent);
        expect(res.batchItemFailures).toHaveLength(1);
        requested.push(lastVisibility()!);
        clock += lastVisibility()! * 1000;
      }
    }
    // Never past 12 h from a receive, with the margin; the two 12 h steps took two hops each.
    expect(Math.max(...requested)).toBe(MAX_HOP_SECONDS);
    expect(requested.every((v) => v <= MAX_VISIBILITY_SECONDS - 1800)).toBe(true);
    expect(requested).toEqual([
      5,
      300,
      1800,
      7200,
      18000,
      36000,
      MAX_HOP_SECONDS,
      43200 - MAX_HOP_SECONDS,
      MAX_HOP_SECONDS,
      43200 - MAX_HOP_SECONDS,
    ]);
    expect(receive).toBe(SCHEDULE.length + 2);
    expect(posts).toHaveLength(SCHEDULE.length);

    // The last attempt: dead_lettered, released at once, and every later receive releases it
    // again (no POST) until SQS's maxReceiveCount moves it to the DLQ.
    sqs.resetHistory();
    answers.push({ kind: 'error', error: 'connection', message: 'ECONNRESET', latencyMs: 2 });
    const last = await handler({ Records: [record(m, ++receive)] } as SQSEvent);
    expect(last).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(visibilityCalls()[0]!.Entries).toEqual([{ Id: '0', ReceiptHandle: `rh-0-${receive}`, VisibilityTimeout: 0 }]);
    expect(deliveryOf(m)).toMatchObject({ status: 'dead_lettered', attempts: 9, lastError: 'connection', deadLetterReceive: receive });
    expect(store.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    sqs.resetHistory();
    expect(await handler({ Records: [record(m, receive + 1)] } as SQSEvent)).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(lastVisibility()).toBe(0);
    expect(posts).toHaveLength(9);
    expect(receive + 1).toBeLessThan(maxReceiveCount(SCHEDULE));
    expect(new Set(posts.map((p) => p.headers['webhook-id']))).toEqual(new Set(['evt_1']));
    expect(new Set(posts.map((p) => p.body)).size).toBe(1);
  });

  it('a receive that made no POST (throttle, failed invocation) spends no attempt and skips no step', async () => {
    const handler = sender();
    const m = message(2);
    // Its first receives were throttled: SQS counts 4, the delivery has made no attempt.
    answers.push(fail500);
    await handler({ Records: [record(m, 5)] } as SQSEvent);
    expect(deliveryOf(m)).toMatchObject({ attempts: 1 });
    expect(lastVisibility()).toBe(5);
    // Back early (an invocation that timed out never changed its visibility): deferred, no POST.
    clock += 2000;
    sqs.resetHistory();
    expect((await handler({ Records: [record(m, 6)] } as SQSEvent)).batchItemFailures).toHaveLength(1);
    expect(lastVisibility()).toBe(3);
    expect(posts).toHaveLength(1);
    // On time: the second attempt, followed by the second step, not the sixth.
    clock += 3000;
    answers.push(fail500);
    await handler({ Records: [record(m, 7)] } as SQSEvent);
    expect(posts).toHaveLength(2);
    expect(deliveryOf(m)).toMatchObject({ attempts: 2 });
    expect(lastVisibility()).toBe(300);
    expect(counts.get('DeliveryDeferred')).toBe(1);
  });

  it('adds up to 10 % jitter and honours Retry-After, still in hops within 12 h', async () => {
    random = 1;
    await seed(message(3), { attempts: 1, nextAttemptTime: new Date(T0).toISOString() });
    answers.push({ kind: 'response', status: 503, latencyMs: 1, excerpt: '' });
    await sender()({ Records: [record(message(3), 2)] } as SQSEvent);
    expect(lastVisibility()).toBe(330);
    random = 0;
    answers.push({ kind: 'response', status: 429, latencyMs: 1, excerpt: '', retryAfterSeconds: 900 });
    await sender()({ Records: [record(message(4), 1)] } as SQSEvent);
    expect(lastVisibility()).toBe(900);
    answers.push({ kind: 'response', status: 429, latencyMs: 1, excerpt: '', retryAfterSeconds: 999_999 });
    await sender()({ Records: [record(message(5), 1)] } as SQSEvent);
    expect(lastVisibility()).toBe(MAX_HOP_SECONDS);
    expect(Date.parse(deliveryOf(message(5)).nextAttemptTime!) - T0).toBe(24 * 60 * 60 * 1000);
  });

  it('reports only the failed items of a mixed batch, with one visibility call and one store write', async () => {
    answers.push(
      { kind: 'response', status: 200, latencyMs: 1, excerpt: '' },
      { kind: 'response', status: 500, latencyMs: 1, excerpt: '' },
      { kind: 'error', error: 'timeout', message: 'slow', latencyMs: 10_000 },
      { kind: 'response', status: 204, latencyMs: 1, excerpt: '' },
    );
    // Concurrent POSTs answer in call order here, so record i gets answers[i].
    const res = await sender()({ Records: [1, 2, 3, 4].map((n) => record(message(10 + n), 1, n)) } as SQSEvent);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-2', 'msg-3']);
    expect(visibilityCalls()).toHaveLength(1);
    expect(visibilityCalls()[0]!.Entries!.map((e) => e.VisibilityTimeout)).toEqual([5, 5]);
    expect(store.writes).toBe(1);
    expect(store.attempts).toHaveLength(4);
  });

  it('a history write that keeps failing after the POSTs is retried, logged and counted, and the 2xx is not sent again', async () => {
    let tries = 0;
    store.write = async () => {
      tries++;
      throw new Error('ProvisionedThroughputExceededException');
    };
    answers.push({ kind: 'response', status: 200, latencyMs: 1, excerpt: '' }, fail500);
    const res = await sender()({ Records: [record(message(20), 1, 0), record(message(21), 1, 1)] } as SQSEvent);
    // The handler resolved: only the failed delivery comes back; the 2xx is deleted from the queue.
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect(tries).toBe(3);
    expect(counts.get('HistoryWriteFailed')).toBe(2);
    expect(logs.some((l) => l.level === 'error' && /history write failed/.test(l.message))).toBe(true);
    expect(visibilityCalls()).toHaveLength(1);
  });

  it('a refused visibility change is logged and counted; the early receive is deferred to the due time', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('InvalidParameterValue'));
    const handler = sender();
    answers.push(fail500);
    const res = await handler({ Records: [record(message(30), 1)] } as SQSEvent);
    expect(res.batchItemFailures).toHaveLength(1);
    expect(counts.get('VisibilityChangeFailed')).toBe(1);
    // The queue's own timeout (say 60 s) brought it back before its 300 s... here 5 s step, at 1 s.
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.resetHistory();
    clock += 1000;
    await seed(message(30), { ...deliveryOf(message(30)), nextAttemptTime: new Date(T0 + 300_000).toISOString() });
    await handler({ Records: [record(message(30), 2)] } as SQSEvent);
    expect(posts).toHaveLength(1);
    expect(lastVisibility()).toBe(299);
  });

  it('stops POSTing an endpoint that keeps failing, without spending attempts, and probes it after a cool-off', async () => {
    const handler = sender();
    answers.push(fail500, fail500, fail500, fail500, fail500);
    for (let n = 0; n < 5; n++) await handler({ Records: [record(message(30 + n), 1)] } as SQSEvent);
    expect(posts).toHaveLength(5);
    // The circuit is open: deferred for the cool-off, no POST, no attempt.
    sqs.resetHistory();
    const res = await handler({ Records: [record(message(43), 1)] } as SQSEvent);
    expect(res.batchItemFailures).toHaveLength(1);
    expect(posts).toHaveLength(5);
    expect(lastVisibility()).toBe(5);
    expect(store.deliveries.has(`tnt_1/${message(43).deliveryId}`)).toBe(false);
    // After the cool-off one delivery probes it; a success closes the circuit.
    clock += 5000;
    await handler({ Records: [record(message(43), 2)] } as SQSEvent);
    expect(posts).toHaveLength(6);
    expect(deliveryOf(message(43))).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('signs so standardwebhooks verifies, with webhook-id the event id', async () => {
    clock = Date.now();
    await sender()({ Records: [record(message(100), 1)] } as SQSEvent);
    const p = posts[0]!;
    expect(p.url).toBe('https://hooks.example.com/in');
    expect(new Webhook(secret).verify(p.body, p.headers)).toEqual({
      id: 'evt_100',
      type: 'card.created',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { card_id: 'c100' },
    });
  });

  it('410 disables the subscription unless it changed since it was read; a refused address is not retried', async () => {
    answers.push({ kind: 'response', status: 410, latencyMs: 1, excerpt: '' });
    const gone = await sender()({ Records: [record(message(50), 1)] } as SQSEvent);
    expect(gone.batchItemFailures).toEqual([]);
    expect((await subs.get('tnt_1', 'sub_1'))!.status).toBe('disabled');

    // The tenant changes the URL while the 410 is on its way: the change stands.
    await subs.update(subscription());
    const handler = createSender({
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
      client: {
        post: async () => {
          await subs.update(subscription({ url: 'https://new.example.com/in', updatedTime: '2026-02-01T00:00:00.000Z' }));
          return { kind: 'response', status: 410, latencyMs: 1, excerpt: '' };
        },
      },
      schedule: SCHEDULE,
    });
    await handler({ Records: [record(message(51), 1)] } as SQSEvent);
    expect(await subs.get('tnt_1', 'sub_1')).toMatchObject({ status: 'enabled', url: 'https://new.example.com/in' });
    expect(deliveryOf(message(51)).lastError).toMatch(/changed meanwhile/);

    answers.push({ kind: 'error', error: 'refused', message: 'hooks.example.com resolves to 10.0.0.1 is a private address', latencyMs: 0 });
    const refused = await sender()({ Records: [record(message(52), 1)] } as SQSEvent);
    expect(refused.batchItemFailures).toEqual([]);
    expect(deliveryOf(message(52))).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^refused: .*private/) });
    expect(visibilityCalls()).toEqual([]);
  });

  it('applies a disable, a URL change and a secret rotation to the very next attempt', async () => {
    clock = Date.now();
    const handler = sender();
    await handler({ Records: [record(message(60), 1)] } as SQSEvent);
    await subs.update(subscription({ status: 'disabled', updatedTime: '2026-02-01T00:00:00.000Z' }));
    await handler({ Records: [record(message(61), 1)] } as SQSEvent);
    expect(deliveryOf(message(61))).toMatchObject({ status: 'skipped', lastError: 'subscription_disabled', attempts: 0 });
    const rotated = generateSecret();
    await secrets.put('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: rotated }));
    await subs.update(subscription({ url: 'https://moved.example.com/in', secretVersion: 'v2', updatedTime: '2026-02-02T00:00:00.000Z' }));
    await handler({ Records: [record(message(62), 1)] } as SQSEvent);
    expect(posts.map((p) => p.url)).toEqual(['https://hooks.example.com/in', 'https://moved.example.com/in']);
    expect(() => new Webhook(secret).verify(posts[1]!.body, posts[1]!.headers)).toThrow();
    expect(new Webhook(rotated).verify(posts[1]!.body, posts[1]!.headers)).toBeTruthy();
  });

  it('skips deleted and disabled subscriptions without a POST, and skips a delivered duplicate', async () => {
    await subs.update(subscription({ status: 'disabled' }));
    expect((await sender()({ Records: [record(message(70), 1)] } as SQSEvent)).batchItemFailures).toEqual([]);
    expect(deliveryOf(message(70))).toMatchObject({ status: 'skipped', lastError: 'subscription_disabled', attempts: 0 });
    expect((await sender()({ Records: [record(message(71, 'sub_gone'), 1)] } as SQSEvent)).batchItemFailures).toEqual([]);
    expect(deliveryOf(message(71, 'sub_gone'))).toMatchObject({ status: 'skipped', lastError: 'subscription_deleted' });
    expect(posts).toHaveLength(0);

    await subs.update(subscription());
    const handler = sender();
    await handler({ Records: [record(message(72), 1)] } as SQSEvent);
    await handler({ Records: [record(message(72), 1, 1), record(message(72), 1, 2)] } as SQSEvent);
    expect(posts).toHaveLength(1);
    // A manual retry (a newer generation) is sent even though the delivery succeeded.
    await handler({ Records: [record({ ...message(72), generation: 1 }, 1)] } as SQSEvent);
    expect(posts).toHaveLength(2);
    expect(deliveryOf(message(72))).toMatchObject({ status: 'succeeded', attempts: 2, generation: 1 });
  });

  it('a redriven delivery gets the whole schedule again, its attempts numbered on from its history', async () => {
    const m = message(80);
    await seed(m, { status: 'dead_lettered', attempts: 9, deadLetterReceive: 11, nextAttemptTime: new Date(T0 + 3_600_000).toISOString() });
    answers.push(fail500);
    // A redriven message is new to SQS: its receive count starts again.
    const res = await sender()({ Records: [record(m, 1)] } as SQSEvent);
    expect(res.batchItemFailures).toHaveLength(1);
    expect(posts).toHaveLength(1);
    expect(lastVisibility()).toBe(SCHEDULE[0]);
    expect(deliveryOf(m)).toMatchObject({ status: 'pending', attempts: 10, roundStart: 9 });
    expect(store.attempts.map((a) => a.attempt)).toEqual([10]);
  });

  it('writes each attempt into its delivery record, one item per delivery; a deferral or a repeated skip writes nothing', async () => {
    const handler = sender();
    const m = { ...message(100), listed: true };
    answers.push(fail500);
    await handler({ Records: [record(m, 1)] } as SQSEvent);
    expect(store.writes).toBe(1);
    expect(deliveryOf(m).attemptLog?.map((a) => [a.attempt, a.statusCode, a.responseExcerpt])).toEqual([[1, 500, 'oops']]);
    // Listed by the history index fan-out wrote: not by the old per-delivery index.
    expect(deliveryOf(m).legacyListing).toBe(false);
    // Back before its due time: deferred without a POST and without a write.
    clock += 1000;
    await handler({ Records: [record(m, 2)] } as SQSEvent);
    expect(store.writes).toBe(1);
    clock += 5000;
    answers.push({ kind: 'response', status: 200, latencyMs: 4, excerpt: 'ok' });
    await handler({ Records: [record(m, 3)] } as SQSEvent);
    expect(store.writes).toBe(2);
    expect(deliveryOf(m)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(deliveryOf(m).attemptLog?.map((a) => [a.attempt, a.statusCode, a.responseExcerpt])).toEqual([
      [1, 500, 'oops'],
      [2, 200, 'ok'],
    ]);
    // A disabled subscription: skipped once; the same message again changes nothing and writes nothing.
    await subs.update(subscription({ status: 'disabled' }));
    const skipped = { ...message(101), listed: true };
    await handler({ Records: [record(skipped, 1)] } as SQSEvent);
    expect(store.writes).toBe(3);
    await handler({ Records: [record(skipped, 2)] } as SQSEvent);
    expect(store.writes).toBe(3);
    expect(deliveryOf(skipped)).toMatchObject({ status: 'skipped', lastError: 'subscription_disabled' });
  });

  it('stamps each attempt and record with the clock of its own attempt, to the millisecond, whichever way the clock moves', async () => {
    const handler = sender();
    const times: number[] = [];
    for (const [n, at] of [T0, T0, T0 + 1, T0 - 5, T0 + 60_000].entries()) {
      clock = at;
      times.push(at);
      await handler({ Records: [record(message(200 + n), 1, n)] } as SQSEvent);
    }
    const iso = times.map((t) => new Date(t).toISOString());
    expect(times.map((_, n) => deliveryOf(message(200 + n)).updatedTime)).toEqual(iso);
    expect(times.map((_, n) => deliveryOf(message(200 + n)).attemptLog?.[0]?.time)).toEqual(iso);
  });

  it('keeps the event in the record when the fan-out stored none, through every attempt', async () => {
    const handler = sender();
    const m = { ...message(120), listed: true, eventInRecord: true };
    answers.push(fail500);
    await handler({ Records: [record(m, 1)] } as SQSEvent);
    expect(deliveryOf(m).eventBody).toBe(posts[0]!.body);
    clock += 6000;
    await handler({ Records: [record({ ...m, eventInRecord: undefined }, 2)] } as SQSEvent);
    expect(deliveryOf(m)).toMatchObject({ status: 'succeeded', attempts: 2, eventBody: posts[0]!.body });
    // A message whose event has an item of its own leaves the record without it.
    await handler({ Records: [record({ ...message(121), listed: true }, 1)] } as SQSEvent);
    expect(deliveryOf(message(121)).eventBody).toBeUndefined();
  });

  it('drops a copy of a delivery under way that another fan-out sent; a redriven or retried message goes on', async () => {
    const handler = sender();
    const m = { ...message(130), listed: true };
    answers.push(fail500);
    await handler({ Records: [record(m, 1)] } as SQSEvent);
    expect(posts).toHaveLength(1);
    // The producer put the event on the bus again before it was delivered: a second fan-out
    // sent a message of its own, stamped with its own time. It is deleted, without a POST.
    clock += 6000;
    const copy = { ...m, createdTime: '2026-01-01T00:00:09.000Z' };
    const res = await handler({ Records: [record(copy, 1, 1)] } as SQSEvent);
    expect(res.batchItemFailures).toEqual([]);
    expect(posts).toHaveLength(1);
    expect(deliveryOf(m)).toMatchObject({ attempts: 1, createdTime: m.createdTime });
    // The original carries on, and so does a redriven one (its time is the record's).
    await handler({ Records: [record(m, 2)] } as SQSEvent);
    expect(posts).toHaveLength(2);
    expect(deliveryOf(m)).toMatchObject({ status: 'succeeded', attempts: 2 });
    await handler({ Records: [record({ ...m, generation: 1 }, 1)] } as SQSEvent);
    expect(posts).toHaveLength(3);
  });

  it('keeps a delivery fanned out before the history index listed the old way, and its earlier attempts', async () => {
    await seed(message(110), { status: 'pending', attempts: 1, legacyListing: true, nextAttemptTime: new Date(T0).toISOString() });
    // A message from before the index (no `listed`), never attempted: listed by gsi1 too.
    await sender()({ Records: [record(message(111), 1, 1), record(message(110), 2, 0)] } as SQSEvent);
    expect(deliveryOf(message(110))).toMatchObject({ attempts: 2, legacyListing: true });
    expect(deliveryOf(message(110)).attemptLog?.map((a) => a.attempt)).toEqual([2]);
    expect(deliveryOf(message(111))).toMatchObject({ attempts: 1, legacyListing: true });
  });

  it('releases an unreadable message at once and logs it, so it reaches the DLQ after maxReceiveCount receives', async () => {
    const bad = { ...record(message(90), 3), body: 'not json' };
    expect((await sender()({ Records: [bad] } as SQSEvent)).batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(lastVisibility()).toBe(0);
    expect(logs).toContainEqual({
      level: 'error',
      message: 'unreadable delivery message',
      detail: expect.objectContaining({ messageId: 'msg-0', receiveCount: 3, maxReceiveCount: maxReceiveCount(SCHEDULE) }),
    });
    expect(counts.get('UnreadableMessage')).toBe(1);
  });

  describe('a body kept beside the table (over the item limit, up to 1 MiB)', () => {
    const event = { id: 'evt_big', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { blob: 'x'.repeat(1000) } };
    const body = JSON.stringify(event);
    const key = bodyKeyFor('tnt_1', event.id, body);
    const keyed = (subscriptionId: string, n: number) => {
      const m = deliveryMessage('tnt_1', subscriptionId, event, '2026-01-01T00:00:00.000Z', 0, { bodyKey: key });
      return { ...record(m, 1, n), body: encodeDeliveryMessage(m) };
    };
    /** A body store that counts its reads and answers as told. */
    const bodies = (answer: () => Promise<string | undefined>) => {
      const reads: string[] = [];
      const get = async (k: string) => {
        reads.push(k);
        return answer();
      };
      return { reads, store: { put: async () => undefined, get } satisfies BodyStore };
    };

    beforeEach(async () => {
      for (const id of ['sub_2', 'sub_3']) {
        await subs.create(subscription({ id, secretName: `webhooks/test/tnt_1/${id}` }));
        await secrets.create(`webhooks/test/tnt_1/${id}`, JSON.stringify({ current: secret }));
      }
    });

    it("is read once for all of a batch's deliveries of the event, and POSTed signed as it was stored", async () => {
      // Signed now, so that the receiver's check of the timestamp passes.
      clock = Date.now();
      const b = bodies(async () => body);
      const res = await sender(b.store)({ Records: [keyed('sub_1', 0), keyed('sub_2', 1), keyed('sub_3', 2)] } as SQSEvent);
      expect(res.batchItemFailures).toEqual([]);
      expect(b.reads).toEqual([key]);
      expect(posts.map((p) => p.body)).toEqual([body, body, body]);
      const wh = new Webhook(secret);
      for (const p of posts) expect(wh.verify(p.body, p.headers)).toEqual(event);
      // A later batch finds it kept: no second read.
      await sender(b.store)({ Records: [keyed('sub_1', 3)] } as SQSEvent);
      expect(b.reads).toHaveLength(1);
    });

    it('that cannot be read costs no POST and no attempt: the message comes back', async () => {
      const b = bodies(async () => {
        throw new Error('SlowDown');
      });
      const m = keyed('sub_1', 0);
      const res = await sender(b.store)({ Records: [m] } as SQSEvent);
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
      expect(posts).toEqual([]);
      expect(store.deliveries.get(`tnt_1/${deliveryIdFor(event.id, 'sub_1')}`)?.attempts ?? 0).toBe(0);
    });

    it('that is gone (expired with its event) is recorded as skipped, not retried', async () => {
      const b = bodies(async () => undefined);
      const res = await sender(b.store)({ Records: [keyed('sub_1', 0)] } as SQSEvent);
      expect(res.batchItemFailures).toEqual([]);
      expect(posts).toEqual([]);
      expect(store.deliveries.get(`tnt_1/${deliveryIdFor(event.id, 'sub_1')}`)).toMatchObject({
        status: 'skipped',
        lastError: expect.stringMatching(/^event_expired/),
      });
    });
  });
});
