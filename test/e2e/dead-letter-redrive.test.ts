import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../support/cli.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * A delivery that keeps failing uses up its retry schedule (1 + 2 attempts), lands in the
 * delivery DLQ and stays there; `npm run redrive`, run as an operator runs it against the
 * running local mode, puts it back, and it is delivered with the same id and body.
 */

const redrive = (dataDir: string, args: string[] = []): Promise<CliResult> => runCli('redrive', dataDir, args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

describe('dead letter and redrive in local mode', () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;
  let status = 500;
  let firstSubscriptionId: string | undefined;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 2000 });
    receiver = await startReceiver(
      (_req, _n, res) => void res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'boom'),
    );
  });
  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.close();
  });

  // GetQueueAttributes does not receive, so it cannot disturb a message's receive count or visibility.
  async function counts(url: string): Promise<QueueCounts> {
    const out = await pipeline.sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const a = out.Attributes ?? {};
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? NaN),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? NaN),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? NaN),
    };
  }
  const dlq = () => counts(pipeline.sqs.deliveryDlq.url);
  const deliveryQueue = () => counts(pipeline.sqs.delivery.url);

  async function delivery(subscriptionId: string, deliveryId: string) {
    const res = await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries/${deliveryId}`);
    expect(res.status).toBe(200);
    return res.body.delivery as {
      id: string;
      event_id: string;
      status: string;
      attempts: number;
      attempt_log: Array<{ attempt: number; status_code?: number | null }>;
    };
  }

  function verify(secret: string, req: ReceivedRequest): unknown {
    return new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    });
  }

  it('dead-letters after the last attempt, stays there, and npm run redrive delivers it again', async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    expect(created.status).toBe(201);
    const subscriptionId: string = created.body.webhook_subscription.id;
    const secret: string = created.body.webhook_subscription.secret;
    firstSubscriptionId = subscriptionId;

    const data = { card_id: 'c1', customer_id: 'u1' };
    const published = await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data });
    expect(published.status).toBe(202);
    const eventId: string = published.body.id;

    // 1 + 2 attempts, all with the same id and the same bytes.
    const first = await receiver.waitFor(3, 20_000);
    for (const req of first) {
      expect(req.method).toBe('POST');
      expect(req.headers['webhook-id']).toBe(eventId);
      expect(req.body).toBe(first[0]!.body);
      expect(verify(secret, req)).toEqual({ id: eventId, type: 'card.created', timestamp: published.body.timestamp, data });
    }

    const deliveryId = await eventually('the delivery to be dead_lettered with 3 attempts', async () => {
      const list = await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries`);
      expect(list.status).toBe(200);
      const d = (list.body.deliveries as Array<{ id: string; event_id: string; status: string; attempts: number }>).find(
        (x) => x.event_id === eventId,
      );
      return d?.status === 'dead_lettered' && d.attempts === 3 ? d.id : undefined;
    });
    const dead = await delivery(subscriptionId, deliveryId);
    expect(dead).toMatchObject({ status: 'dead_lettered', attempts: 3, event_id: eventId });
    expect(dead.attempt_log.map((a) => a.attempt).sort()).toEqual([1, 2, 3]);
    expect(dead.attempt_log.every((a) => a.status_code === 500)).toBe(true);

    // The sender released it with visibility 0; the poller's next receive moved it to the DLQ.
    await eventually('the message to reach the DLQ', async () => {
      const c = await dlq();
      return c.visible === 1 ? c : undefined;
    });
    expect(await deliveryQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    // Nothing is left to send it a 4th time: wait past a whole schedule step to be sure.
    await sleep(1500);
    expect(receiver.requests).toHaveLength(3);
    expect(await dlq()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect((await delivery(subscriptionId, deliveryId)).status).toBe('dead_lettered');

    // The receiver is fixed; the operator redrives.
    status = 200;
    const res = await redrive(pipeline.dataDir);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ mode: 'local', moved: 1 });

    const all = await receiver.waitFor(4, 20_000);
    const fourth = all[3]!;
    expect(fourth.headers['webhook-id']).toBe(eventId);
    expect(fourth.body).toBe(first[0]!.body);
    expect(verify(secret, fourth)).toEqual({ id: eventId, type: 'card.created', timestamp: published.body.timestamp, data });

    const done = await eventually('the delivery to succeed on its 4th attempt', async () => {
      const d = await delivery(subscriptionId, deliveryId);
      return d.status === 'succeeded' ? d : undefined;
    });
    expect(done.attempts).toBe(4);
    expect(done.attempt_log.map((a) => a.attempt).sort()).toEqual([1, 2, 3, 4]);
    expect(done.attempt_log.find((a) => a.attempt === 4)?.status_code).toBe(200);

    await eventually('both queues to be empty', async () => {
      const [d, q] = await Promise.all([dlq(), deliveryQueue()]);
      return d.visible + d.inFlight + d.delayed + q.visible + q.inFlight + q.delayed === 0 ? true : undefined;
    });
    expect(receiver.requests).toHaveLength(4);
  }, 90_000);

  it('a redriven message is a new message: it gets the whole retry schedule again', async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    expect(created.status).toBe(201);
    const subscriptionId: string = created.body.webhook_subscription.id;
    // Only this subscription gets the next event: the first test's one is deleted.
    if (firstSubscriptionId) expect((await pipeline.call('DELETE', `/api/v0.1/webhooks/${firstSubscriptionId}`)).status).toBe(200);
    const before = receiver.requests.length;
    // Fails its first 3 attempts (dead-lettered), then the first 2 after the redrive, then succeeds:
    // with maxReceiveCount 3, attempts 5 and 6 can only happen if the receive count restarted.
    receiver.respond((_req, n, res) => void res.writeHead(n - before <= 5 ? 500 : 200).end(n - before <= 5 ? 'boom' : 'ok'));

    const published = await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c2', customer_id: 'u2' } });
    expect(published.status).toBe(202);
    const eventId: string = published.body.id;
    await receiver.waitFor(before + 3, 20_000);
    await eventually('the message to reach the DLQ', async () => ((await dlq()).visible === 1 ? true : undefined));

    const res = await redrive(pipeline.dataDir);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ mode: 'local', moved: 1 });

    const all = await receiver.waitFor(before + 6, 20_000);
    expect(all.slice(before).map((r) => r.headers['webhook-id'])).toEqual(Array(6).fill(eventId));
    const list = await eventually('the delivery to succeed on its 6th attempt', async () => {
      const l = await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries`);
      const d = (l.body.deliveries as Array<{ event_id: string; status: string; attempts: number }>).find((x) => x.event_id === eventId);
      return d?.status === 'succeeded' ? d : undefined;
    });
    expect(list.attempts).toBe(6);
    expect(await dlq()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }, 90_000);

  it('a redrive of an empty DLQ moves nothing; bad usage exits 2, no local mode exits 1', async () => {
    expect(await dlq()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    // (Every refused flag is covered by the unit tests; here, one of each exit path of the real CLI.)
    const [empty, unknown, status, missing] = await Promise.all([
      redrive(pipeline.dataDir),
      redrive(pipeline.dataDir, ['--colour', 'blue']),
      redrive(pipeline.dataDir, ['--status']),
      redrive(join(pipeline.dataDir, 'nowhere')),
    ]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({ mode: 'local', moved: 0 });
    for (const res of [unknown, status]) {
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain('usage: npm run redrive');
      expect(res.stdout).toBe('');
    }
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('local mode is not running');
    expect(missing.stdout).toBe('');
  });
});
