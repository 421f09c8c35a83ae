import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { deliveryMessage } from '../../functions/domain/delivery-message.js';
import type { DeliveryMessage, WebhookEvent } from '../../functions/domain/model.js';
import { generateSecret, verifySignature } from '../../functions/domain/signing.js';
import { startVerification, VERIFICATION_EVENT_TYPE, type Verification } from '../../functions/domain/verification.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/**
 * The sender's side of endpoint verification, with a clock the test moves and SQS mocked: a
 * verification request is judged and settled only while the subscription awaits it; anything
 * else to an unverified endpoint is deferred without a POST or an attempt.
 */

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-delivery';
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const AT = new Date(T0).toISOString();
const URL_ = 'https://hooks.example.com/in';
const sqs = mockClient(SQSClient);

function record(m: DeliveryMessage, receiveCount = 1, n = 0): SQSRecord {
  return {
    messageId: `msg-${n}`,
    receiptHandle: `rh-${n}-${receiveCount}`,
    body: JSON.stringify(m),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(T0),
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:Webhooks-delivery',
    awsRegion: 'eu-west-1',
  };
}

const verificationEvent = (id: string, challenge: string): WebhookEvent => ({
  id,
  type: VERIFICATION_EVENT_TYPE,
  timestamp: AT,
  data: { subscription_id: 'sub_1', url: URL_, challenge },
});
const cardEvent: WebhookEvent = { id: 'evt_card', type: 'card.created', timestamp: AT, data: { card_id: 'c' } };

describe('sender, endpoint verification', () => {
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let secrets: MemorySecrets;
  let secret: string;
  let answers: AttemptResult[];
  let posts: { url: string; headers: Record<string, string>; body: string }[];
  let clock: number;

  const withVerification = async (v: Verification | undefined) => {
    await subs.update({ ...subscription(), ...(v ? { verification: v } : {}) });
  };
  const verificationOf = async () => (await subs.get('tnt_1', 'sub_1'))!.verification;
  const send = (m: DeliveryMessage, receiveCount = 1) =>
    createSender({
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
      client: {
        post: async (url, headers, body) => {
          posts.push({ url, headers, body });
          return answers.shift() ?? { kind: 'response', status: 200, latencyMs: 1, excerpt: '' };
        },
      },
      schedule: [5, 300],
      verificationSchedule: [5, 30],
      random: () => 0,
      now: () => new Date(clock),
    })({ Records: [record(m, receiveCount)] });
  const deliveryOf = (m: DeliveryMessage) => store.deliveries.get(`tnt_1/${m.deliveryId}`);
  const visibilities = () =>
    sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries?.[0]?.VisibilityTimeout);

  beforeEach(async () => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    secrets = new MemorySecrets();
    secret = generateSecret();
    await subs.create(subscription());
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: secret }));
    answers = [];
    posts = [];
    clock = T0;
  });

  it('POSTs the request signed like any delivery, and an echo verifies the subscription', async () => {
    await withVerification(startVerification('challenge', URL_, AT, 'evt_verify_1'));
    const m = deliveryMessage('tnt_1', 'sub_1', verificationEvent('evt_verify_1', 'ch4llenge'), AT);
    answers.push({ kind: 'response', status: 200, latencyMs: 1, excerpt: '{"challenge":"ch4llenge"}' });
    const out = await send(m);
    expect(out.batchItemFailures).toEqual([]);
    expect(posts).toHaveLength(1);
    expect(() => verifySignature(secret, posts[0]!.headers, posts[0]!.body, { nowSeconds: T0 / 1000 })).not.toThrow();
    expect(await verificationOf()).toMatchObject({ status: 'verified', verifiedTime: AT, requestId: 'evt_verify_1' });
    expect(deliveryOf(m)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('keeps it pending with the reason after a wrong echo, retries on the verification schedule, then fails it', async () => {
    await withVerification(startVerification('challenge', URL_, AT, 'evt_verify_1'));
    const m = deliveryMessage('tnt_1', 'sub_1', verificationEvent('evt_verify_1', 'ch4llenge'), AT);
    answers.push({ kind: 'response', status: 200, latencyMs: 1, excerpt: 'ok' });
    await send(m);
    expect(await verificationOf()).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/without the challenge/) });
    // The verification schedule's first step, not the delivery schedule's.
    expect(visibilities().at(-1)).toBe(5);
    expect(deliveryOf(m)).toMatchObject({ status: 'pending', attempts: 1 });

    clock = T0 + 5_000;
    answers.push({ kind: 'response', status: 302, latencyMs: 1, excerpt: '' });
    await send(m, 2);
    expect(visibilities().at(-1)).toBe(30);
    expect(await verificationOf()).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/^answered 302, a redirect/) });

    clock = T0 + 35_000;
    answers.push({ kind: 'error', error: 'timeout', message: 'no answer in 5000 ms', latencyMs: 5000 });
    await send(m, 3);
    expect(posts).toHaveLength(3);
    expect(await verificationOf()).toMatchObject({ status: 'failed', lastError: 'no answer within the attempt timeout' });
    expect(deliveryOf(m)).toMatchObject({ status: 'skipped', attempts: 3 });
  });

  it('settles nothing for a request the subscription no longer awaits, and sends it nowhere', async () => {
    // A URL change started a newer request since this one was queued.
    await withVerification(startVerification('challenge', URL_, AT, 'evt_verify_2'));
    const m = deliveryMessage('tnt_1', 'sub_1', verificationEvent('evt_verify_1', 'old'), AT);
    await send(m);
    expect(posts).toEqual([]);
    expect(deliveryOf(m)).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^superseded/) });
    expect(await verificationOf()).toMatchObject({ status: 'pending', requestId: 'evt_verify_2' });
  });

  it('defers anything else to an unverified endpoint, without a POST or an attempt', async () => {
    await withVerification(startVerification('challenge', URL_, AT, 'evt_verify_1'));
    const m = deliveryMessage('tnt_1', 'sub_1', cardEvent, AT);
    const out = await send(m);
    expect(posts).toEqual([]);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['msg-0']);
    // A young delivery looks again after the verification's first wait.
    expect(visibilities().at(-1)).toBe(5);
    expect(deliveryOf(m)?.attempts ?? 0).toBe(0);
  });

  it('sends to a subscription with no verification field (stored before it) as before', async () => {
    await withVerification(undefined);
    const m = deliveryMessage('tnt_1', 'sub_1', cardEvent, AT);
    await send(m);
    expect(posts).toHaveLength(1);
    expect(deliveryOf(m)).toMatchObject({ status: 'succeeded' });
    expect(deliveryIdFor(cardEvent.id, 'sub_1')).toBe(m.deliveryId);
  });
});
