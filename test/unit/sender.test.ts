import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import type { DeliveryMessage } from '../../functions/domain/model.js';
import { generateSecret } from '../../functions/domain/signing.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/** The sender handler with SQS mocked: the exact VisibilityTimeout of each attempt and the batch response. */

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-delivery';
const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 43200, 43200];
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

describe('sender handler', () => {
  let subs: MemorySubscriptions;
  let secrets: MemorySecrets;
  let store: MemoryDeliveryStore;
  let secret: string;
  let answers: AttemptResult[];
  let posts: { url: string; headers: Record<string, string>; body: string }[];
  let random: number;

  beforeEach(async () => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    subs = new MemorySubscriptions();
    secrets = new MemorySecrets();
    store = new MemoryDeliveryStore();
    secret = generateSecret();
    await subs.create(subscription());
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: secret }));
    answers = [];
    posts = [];
    random = 0;
  });

  const sender = () =>
    createSender({
      subscriptions: subs,
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
      client: {
        post: async (url, headers, body) => {
          posts.push({ url, headers, body });
          return answers.shift() ?? { kind: 'response', status: 200, latencyMs: 1, excerpt: '' };
        },
      },
      schedule: SCHEDULE,
      random: () => random,
      now: () => new Date(),
    });

  const visibilityCalls = () => sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input);

  it('on every failed attempt sets the visibility to that step of the schedule and reports the item failed', async () => {
    const handler = sender();
    const m = message(1);
    for (let attempt = 1; attempt <= SCHEDULE.length; attempt++) {
      sqs.resetHistory();
      answers.push({ kind: 'response', status: 500, latencyMs: 3, excerpt: 'oops' });
      const res = await handler({ Records: [record(m, attempt)] } as SQSEvent);
      expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
      expect(visibilityCalls()).toEqual([
        { QueueUrl: QUEUE_URL, Entries: [{ Id: '0', ReceiptHandle: `rh-0-${attempt}`, VisibilityTimeout: SCHEDULE[attempt - 1] }] },
      ]);
    }
    // The last attempt releases the message at once so SQS moves it to the DLQ.
    sqs.resetHistory();
    answers.push({ kind: 'error', error: 'connection', message: 'ECONNRESET', latencyMs: 2 });
    const last = await handler({ Records: [record(m, SCHEDULE.length + 1)] } as SQSEvent);
    expect(last).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(visibilityCalls()[0]!.Entries).toEqual([{ Id: '0', ReceiptHandle: `rh-0-${SCHEDULE.length + 1}`, VisibilityTimeout: 0 }]);
    const d = store.deliveries.get(`tnt_1/${m.deliveryId}`)!;
    expect(d).toMatchObject({ status: 'dead_lettered', attempts: 9, lastError: 'connection' });
    expect(store.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(posts.map((p) => p.headers['webhook-id']))).toEqual(new Set(['evt_1']));
    expect(new Set(posts.map((p) => p.body)).size).toBe(1);
  });

  it('adds up to 10 % jitter, honours Retry-After, and caps every step at 12 h', async () => {
    random = 1;
    answers.push({ kind: 'response', status: 503, latencyMs: 1, excerpt: '' });
    await sender()({ Records: [record(message(2), 2)] } as SQSEvent);
    expect(visibilityCalls()[0]!.Entries![0]!.VisibilityTimeout).toBe(330);
    sqs.resetHistory();
    random = 0;
    answers.push({ kind: 'response', status: 429, latencyMs: 1, excerpt: '', retryAfterSeconds: 900 });
    await sender()({ Records: [record(message(3), 1)] } as SQSEvent);
    expect(visibilityCalls()[0]!.Entries![0]!.VisibilityTimeout).toBe(900);
    sqs.resetHistory();
    answers.push({ kind: 'response', status: 429, latencyMs: 1, excerpt: '', retryAfterSeconds: 999_999 });
    await sender()({ Records: [record(message(4), 1)] } as SQSEvent);
    expect(visibilityCalls()[0]!.Entries![0]!.VisibilityTimeout).toBe(43200);
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

  it('signs so standardwebhooks verifies, with webhook-id the event id', async () => {
    await sender()({ Records: [record(message(20), 1)] } as SQSEvent);
    const p = posts[0]!;
    expect(p.url).toBe('https://hooks.example.com/in');
    expect(new Webhook(secret).verify(p.body, p.headers)).toEqual({
      id: 'evt_20',
      type: 'card.created',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { card_id: 'c20' },
    });
  });

  it('410 disables the subscription; a refused address is recorded and not retried', async () => {
    answers.push({ kind: 'response', status: 410, latencyMs: 1, excerpt: '' });
    const gone = await sender()({ Records: [record(message(30), 1)] } as SQSEvent);
    expect(gone.batchItemFailures).toEqual([]);
    expect((await subs.get('tnt_1', 'sub_1'))!.status).toBe('disabled');
    await subs.update(subscription());
    answers.push({ kind: 'error', error: 'refused', message: 'hooks.example.com resolves to 10.0.0.1 is a private address', latencyMs: 0 });
    const refused = await sender()({ Records: [record(message(31), 1)] } as SQSEvent);
    expect(refused.batchItemFailures).toEqual([]);
    expect(store.deliveries.get(`tnt_1/${message(31).deliveryId}`)).toMatchObject({
      status: 'skipped',
      lastError: expect.stringMatching(/^refused: .*private/),
    });
    expect(visibilityCalls()).toEqual([]);
  });

  it('skips deleted and disabled subscriptions without a POST, and skips a delivered duplicate', async () => {
    await subs.update(subscription({ status: 'disabled' }));
    expect((await sender()({ Records: [record(message(40), 1)] } as SQSEvent)).batchItemFailures).toEqual([]);
    expect(store.deliveries.get(`tnt_1/${message(40).deliveryId}`)).toMatchObject({
      status: 'skipped',
      lastError: 'subscription_disabled',
      attempts: 0,
    });
    expect((await sender()({ Records: [record(message(41, 'sub_gone'), 1)] } as SQSEvent)).batchItemFailures).toEqual([]);
    expect(store.deliveries.get(`tnt_1/${message(41, 'sub_gone').deliveryId}`)).toMatchObject({
      status: 'skipped',
      lastError: 'subscription_deleted',
    });
    expect(posts).toHaveLength(0);

    await subs.update(subscription());
    const handler = sender();
    await handler({ Records: [record(message(42), 1)] } as SQSEvent);
    await handler({ Records: [record(message(42), 1, 1), record(message(42), 1, 2)] } as SQSEvent);
    expect(posts).toHaveLength(1);
    // A manual retry (a newer generation) is sent even though the delivery succeeded.
    await handler({ Records: [record({ ...message(42), generation: 1 }, 1)] } as SQSEvent);
    expect(posts).toHaveLength(2);
    expect(store.deliveries.get(`tnt_1/${message(42).deliveryId}`)).toMatchObject({ status: 'succeeded', attempts: 2, generation: 1 });
  });

  it('leaves an unreadable message to fail (and reach the DLQ) rather than dropping it', async () => {
    const bad = { ...record(message(50), 1), body: 'not json' };
    expect((await sender()({ Records: [bad] } as SQSEvent)).batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
  });
});
