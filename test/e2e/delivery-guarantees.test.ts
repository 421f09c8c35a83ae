import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HOP_SECONDS, maxReceiveCount } from '../../functions/domain/retry-schedule.js';
import { Faults } from '../../local/faults.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * The delivery guarantees on the local twin, with AWS's rules enforced and faults injected:
 * throttles and timed-out invocations spend no attempt, a 2xx is never sent again, no visibility
 * change reaches past 12 h from its receive, changes apply to the next attempt, and a slow
 * endpoint does not hold a healthy one back.
 */

interface DeliveryView {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_time: string | null;
  attempt_log?: Array<{ attempt: number; status_code?: number | null }>;
}

const headersOf = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

const created: { p: TestPipeline; id: string }[] = [];

/** Every test subscribes its own receivers to card.created; afterEach deletes them again. */
async function subscribe(p: TestPipeline, url: string): Promise<{ id: string; secret: string }> {
  const res = await p.call('POST', '/api/v0.1/webhooks', { url, events: ['card.created'] });
  expect(res.status).toBe(201);
  created.push({ p, id: res.body.webhook_subscription.id });
  return { id: res.body.webhook_subscription.id, secret: res.body.webhook_subscription.secret };
}

async function publish(p: TestPipeline, n: number): Promise<string> {
  const res = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${n}`, customer_id: 'u' } });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function deliveryOf(p: TestPipeline, subscriptionId: string, eventId: string): Promise<DeliveryView | undefined> {
  const list = await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries`);
  const d = (list.body.deliveries as DeliveryView[]).find((x) => x.event_id === eventId);
  if (!d) return undefined;
  return (await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries/${d.id}`)).body.delivery as DeliveryView;
}

async function queueEmpty(p: TestPipeline, url: string): Promise<true | undefined> {
  const out = await p.sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages) +
    Number(a.ApproximateNumberOfMessagesNotVisible) +
    Number(a.ApproximateNumberOfMessagesDelayed) ===
    0
    ? true
    : undefined;
}

afterEach(async () => {
  for (const { p, id } of created.splice(0)) await p.call('DELETE', `/api/v0.1/webhooks/${id}`);
});

describe('delivery guarantees on the local twin', () => {
  const faults = new Faults();
  const logs: { message: string; detail: Record<string, unknown> }[] = [];
  let p: TestPipeline;
  beforeAll(async () => {
    // A short queue visibility timeout, so a throttled or timed-out batch comes back quickly,
    // yet longer than an invocation takes (on AWS, six times the function timeout).
    p = await startTestPipeline({
      retrySchedule: [1, 1],
      attemptTimeoutMs: 1000,
      processingVisibilitySeconds: 4,
      faults,
      log: (_l, message, detail) => void logs.push({ message, detail }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('throttled invocations spend no attempt: the delivery still gets all of its attempts', async () => {
    const receiver = await startReceiver((_r, _n, res) => void res.writeHead(500).end('boom'));
    try {
      const sub = await subscribe(p, receiver.url);
      // Lambda refuses the first three invocations: SQS counts three receives, no POST was made.
      faults.fail('throttle', 3);
      const eventId = await publish(p, 1);
      const dead = await eventually(
        'the delivery to be dead_lettered',
        async () => {
          const d = await deliveryOf(p, sub.id, eventId);
          return d?.status === 'dead_lettered' ? d : undefined;
        },
        45_000,
      );
      expect(faults.fired.get('throttle')).toBe(3);
      // 1 + 2 attempts, as the schedule says; with the old receive-count rule it got none.
      expect(dead.attempts).toBe(3);
      expect(dead.attempt_log!.map((a) => a.attempt).sort()).toEqual([1, 2, 3]);
      expect(receiver.requests).toHaveLength(3);
      // The sender releases it until SQS's maxReceiveCount moves it to the DLQ.
      await eventually('the message to leave the delivery queue', () => queueEmpty(p, p.sqs.delivery.url));
      expect(receiver.requests).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('an invocation that times out after its POSTs returns its batch, and the 2xx is not sent again', async () => {
    const receiver = await startReceiver();
    try {
      const sub = await subscribe(p, receiver.url);
      faults.fail('invocation-timeout', 1);
      const eventId = await publish(p, 2);
      await receiver.waitFor(1);
      await eventually('the returned message to be deleted', async () =>
        faults.fired.get('invocation-timeout') === 1 ? queueEmpty(p, p.sqs.delivery.url) : undefined,
      );
      expect(receiver.requests).toHaveLength(1);
      expect((await deliveryOf(p, sub.id, eventId))?.status).toBe('succeeded');
    } finally {
      await receiver.close();
    }
  });

  it('a history write that fails after a 2xx is retried, counted, and nothing is sent again', async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(p, receiver.url);
      const before = p.metrics.counts.get('HistoryWriteFailed') ?? 0;
      faults.fail('history-write', 3);
      await publish(p, 3);
      await receiver.waitFor(1);
      await eventually('the failed write to be counted', async () =>
        (p.metrics.counts.get('HistoryWriteFailed') ?? 0) > before ? true : undefined,
      );
      expect(faults.fired.get('history-write')).toBe(3);
      // The message was deleted (not returned to the queue): nothing can send it again.
      await eventually('the delivery queue to be empty', () => queueEmpty(p, p.sqs.delivery.url));
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a failed visibility change is counted, and the schedule still holds', async () => {
    const receiver = await startReceiver((_r, n, res) => void res.writeHead(n === 1 ? 500 : 200).end());
    try {
      const sub = await subscribe(p, receiver.url);
      const before = p.metrics.counts.get('VisibilityChangeFailed') ?? 0;
      faults.fail('visibility-change', 2);
      const eventId = await publish(p, 4);
      await eventually('the delivery to succeed on its second attempt', async () => {
        const d = await deliveryOf(p, sub.id, eventId);
        return d?.status === 'succeeded' ? d : undefined;
      });
      expect(p.metrics.counts.get('VisibilityChangeFailed')).toBe(before + 1);
      expect(receiver.requests).toHaveLength(2);
      // The retry came when the record said (1 s step), not before.
      expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(900);
    } finally {
      await receiver.close();
    }
  });

  it('a message nobody can read reaches the DLQ after a bounded number of receives, each logged', async () => {
    const sent = await p.sqs.client.send(new SendMessageCommand({ QueueUrl: p.sqs.delivery.url, MessageBody: 'poison: not a delivery' }));
    await eventually('the poison message to leave the delivery queue', () => queueEmpty(p, p.sqs.delivery.url));
    const inDlq = await eventually('the poison message in the DLQ', async () => {
      const got = await p.sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: p.sqs.deliveryDlq.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      return got.Messages?.find((m) => m.Body === 'poison: not a delivery');
    });
    expect(inDlq.MessageId).toBe(sent.MessageId);
    const logged = logs.filter((l) => l.message === 'unreadable delivery message' && l.detail.messageId === sent.MessageId);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThanOrEqual(maxReceiveCount([1, 1]));
    expect(logged.at(-1)!.detail).toMatchObject({ maxReceiveCount: maxReceiveCount([1, 1]) });
  });

  it('a secret rotation and a URL change apply to the very next attempt', async () => {
    const first = await startReceiver();
    const second = await startReceiver();
    try {
      const sub = await subscribe(p, first.url);
      await publish(p, 5);
      const [a] = await first.waitFor(1);
      expect(new Webhook(sub.secret).verify(a!.body, headersOf(a!))).toBeTruthy();

      const rotated = await p.call('POST', `/api/v0.1/webhooks/${sub.id}/secret/rotate`);
      expect(rotated.status).toBe(200);
      const newSecret: string = rotated.body.webhook_subscription.secret;
      await publish(p, 6);
      const [, b] = await first.waitFor(2);
      // A receiver that switched to the new secret at once accepts it.
      expect(new Webhook(newSecret).verify(b!.body, headersOf(b!))).toBeTruthy();

      const patched = await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { url: second.url });
      expect(patched.status).toBe(200);
      await publish(p, 7);
      const [c] = await second.waitFor(1);
      expect(new Webhook(newSecret).verify(c!.body, headersOf(c!))).toBeTruthy();
      expect(first.requests).toHaveLength(2);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('the 12-hour visibility rule', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    // One retry step of almost 28 hours: more than SQS lets one visibility change reach. Parking
    // off: the in-flight path, which a delivery falls back to when its park cannot be written (a
    // step this long is otherwise parked; test/e2e/parking.test.ts).
    p = await startTestPipeline({ retrySchedule: [100_000], parking: false });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('the twin refuses a change past 12 h from the receive, as SQS does', async () => {
    const client = p.sqs.client;
    const url = p.sqs.deliveryDlq.url;
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'rule probe' }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const handle = got.Messages![0]!.ReceiptHandle!;
    await new Promise((r) => setTimeout(r, 1100));
    await expect(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 43_200 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const batch = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'far', ReceiptHandle: handle, VisibilityTimeout: 43_199 },
          { Id: 'near', ReceiptHandle: handle, VisibilityTimeout: 43_000 },
        ],
      }),
    );
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'far', Code: 'InvalidParameterValue', SenderFault: true })]);
    expect(batch.Successful).toEqual([{ Id: 'near' }]);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }));
  });

  it('in flight, a step longer than 12 h is waited in hops: no change the sender asks for reaches past 12 h from its receive', async () => {
    const receiver = await startReceiver((_r, _n, res) => void res.writeHead(503).end());
    try {
      const sub = await subscribe(p, receiver.url);
      const before = p.visibilityRule.requests.length;
      const eventId = await publish(p, 1);
      const d = await eventually('the first attempt to be recorded', async () => {
        const x = await deliveryOf(p, sub.id, eventId);
        return x?.attempts === 1 ? x : undefined;
      });
      // Due in 100,000 s or more (jitter only lengthens), kept in the record...
      expect(Date.parse(d.next_attempt_time!) - receiver.requests[0]!.at).toBeGreaterThanOrEqual(99_990_000);
      // ...while the visibility asked for is one hop, within 12 h of the receive with the margin.
      await eventually('the visibility change', async () => (p.visibilityRule.requests.length > before ? true : undefined));
      const asked = p.visibilityRule.requests.slice(before);
      expect(asked.every((r) => r.accepted)).toBe(true);
      expect(Math.max(...asked.map((r) => r.seconds))).toBeLessThanOrEqual(MAX_HOP_SECONDS);
      expect(Math.max(...asked.map((r) => r.sinceReceiveSeconds))).toBeLessThanOrEqual(MAX_HOP_SECONDS + 5);
      // The only changes the twin ever refused are the two probes of the test above.
      expect(p.visibilityRule.rejected).toBe(2);
    } finally {
      await receiver.close();
    }
  });
});

describe('a slow endpoint', () => {
  let p: TestPipeline;
  let slow: Receiver;
  let healthy: Receiver;
  beforeAll(async () => {
    // The slow receiver never answers while the test runs: its POSTs hang (the attempt timeout is 2 minutes).
    p = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 120_000 });
    slow = await startReceiver(() => undefined);
    healthy = await startReceiver();
  });
  afterAll(async () => {
    await slow?.close();
    await p?.stop();
    await healthy?.close();
  });

  it('does not hold a healthy one back: every healthy delivery arrives while the slow POSTs still hang', async () => {
    await subscribe(p, slow.url);
    await subscribe(p, healthy.url);
    const events = 30;
    const ids = new Set<string>();
    for (let n = 0; n < events; n++) ids.add(await publish(p, n));
    const got = await healthy.waitFor(events, 60_000);
    expect(new Set(got.map((r) => String(r.headers['webhook-id'])))).toEqual(ids);
    // None of the slow endpoint's POSTs has ended (it answers none, and the timeout is 2 min),
    // and once its POSTs hung its other deliveries were deferred without one (the bulkhead).
    expect(slow.requests.length).toBeGreaterThan(0);
    expect(slow.requests.length).toBeLessThan(events);
    expect(p.metrics.counts.get('DeliveryDeferred')).toBeGreaterThan(0);
  }, 90_000);
});
