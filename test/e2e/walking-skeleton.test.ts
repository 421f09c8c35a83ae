import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { queuesSettled } from '../support/wait.js';

describe('walking skeleton: publish -> fan-out -> signed POST, in local mode', () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;

  beforeAll(async () => {
    pipeline = await startTestPipeline();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.close();
  });

  it('delivers exactly one POST that standardwebhooks verifies, with the event as JSON', async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', {
      events: [
        'card.created',
        'kyc.verification.success',
        'kyc.verification.failure',
        'kyc.verification.error',
        'kyc.verification.timeout',
      ],
      url: receiver.url,
      description: 'KYC state changes.',
      version: '0.1',
      status: 'STATUS_ENABLED',
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.webhook_subscription.secret;
    expect(secret).toMatch(/^whsec_/);

    const listed = await pipeline.call('GET', '/api/v0.1/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.webhook_subscriptions.map((s: { id: string }) => s.id)).toEqual([created.body.webhook_subscription.id]);

    const data = { customer_id: '931e2341-c3eb-4681-97d4-f6e09d90da14', status: 'success' };
    const published = await pipeline.call('POST', '/api/v0.1/events', { type: 'kyc.verification.success', data });
    expect(published.status).toBe(202);
    const eventId: string = published.body.id;
    expect(eventId).toBeTruthy();

    const [request] = await receiver.waitFor(1);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toBe(eventId);
    const verified = new Webhook(secret).verify(request!.body, {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    });
    expect(verified).toEqual({ id: eventId, type: 'kyc.verification.success', timestamp: published.body.timestamp, data });

    // Exactly one: nothing is left that could (wrongly) send a second.
    await queuesSettled(pipeline);
    expect(receiver.requests).toHaveLength(1);
  });

  it('answers 401 without credentials and delivers nothing for an unsubscribed type', async () => {
    const res = await fetch(`${pipeline.url}/api/v0.1/webhooks`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const before = receiver.requests.length;
    const published = await pipeline.call('POST', '/api/v0.1/events', {
      type: 'transactions',
      data: { transaction_id: 't', account_id: 'a', amount: '1.00', currency: 'USD', state: 'completed' },
    });
    expect(published.status).toBe(202);
    await queuesSettled(pipeline);
    expect(receiver.requests.length).toBe(before);
  });
});
