import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStorage } from '../../functions/domain/secret-storage.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

const signatureHeaders = (r: { headers: Record<string, unknown> }) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

async function scanTable(p: TestPipeline) {
  const client = new DynamoDBClient({
    endpoint: p.endpoints.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  try {
    return (await client.send(new ScanCommand({ TableName: p.endpoints.tableName }))).Items ?? [];
  } finally {
    client.destroy();
  }
}

const API_KEY = 'k_live_5f2b9c1e7a0d4b8f';
const NEXT_KEY = 'k_live_second_0e6a1f9c';

describe.each<SecretStorage>(['per-subscription', 'envelope'])('custom headers, in local mode, %s storage', (secretStorage) => {
  let p: TestPipeline;
  let receiver: Receiver;
  let id: string;
  let secret: string;

  beforeAll(async () => {
    p = await startTestPipeline({ secretStorage });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  const publish = async () => {
    const res = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const received = async (n: number) => (await receiver.waitFor(n))[n - 1]!;
  const receivedEvent = (r: Receiver, eventId: string) =>
    eventually(`event ${eventId} at the receiver`, async () => r.requests.find((q) => q.headers['webhook-id'] === eventId));

  it('creates a subscription with headers and answers them masked in both versions, never in full', async () => {
    const created = await p.call('POST', '/api/v0.1/webhooks', {
      url: receiver.url,
      events: ['card.created'],
      headers: { 'X-Api-Key': API_KEY, 'X-Tenant': 'acme' },
    });
    expect(created.status).toBe(201);
    const masked = { 'X-Api-Key': 'k_li…', 'X-Tenant': '…' };
    expect(created.body.webhook_subscription.headers).toEqual(masked);
    id = created.body.webhook_subscription.id;
    secret = created.body.webhook_subscription.secret;
    const answers = [
      created.body,
      (await p.call('GET', `/api/v0.1/webhooks/${id}`)).body,
      (await p.call('GET', `/api/v0/webhooks/${id}`)).body,
      (await p.call('GET', '/api/v0.1/webhooks')).body,
      (await p.call('GET', '/api/v0/webhooks')).body,
    ];
    expect(answers[1].webhook_subscription.headers).toEqual(masked);
    expect(answers[2].headers).toEqual(masked);
    for (const a of answers) expect(JSON.stringify(a)).not.toContain(API_KEY.slice(0, 6));
    // Stored with the secret, not on the subscription's record; sealed in the table under envelope storage.
    expect(JSON.stringify(await scanTable(p))).not.toContain(API_KEY);

    // Without headers, no field: seed clients that send none see exactly the seed's fields.
    const plain = await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/plain', events: ['card.created'] });
    expect('headers' in plain.body).toBe(false);
    expect((await p.call('DELETE', `/api/v0/webhooks/${plain.body.webhook_id}`)).status).toBe(200);
  });

  it('refuses a header named webhook-signature, or a hop-by-hop one, with a 400 in each version, and changes nothing', async () => {
    const before = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length;
    const v01 = await p.call('POST', '/api/v0.1/webhooks', {
      url: receiver.url,
      events: ['card.created'],
      headers: { 'webhook-signature': 'v1,forged' },
    });
    expect(v01.status).toBe(400);
    expect(v01.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ field: 'headers.webhook-signature', message: expect.stringContaining('sender sets') }],
    });
    const v0 = await p.call('POST', '/api/v0/webhooks', {
      callback_url: receiver.url,
      events: ['card.created'],
      headers: { 'Transfer-Encoding': 'chunked' },
    });
    expect(v0.status).toBe(400);
    expect(v0.body.error.details[0].field).toBe('headers.Transfer-Encoding');
    const patch = await p.call('PATCH', `/api/v0/webhooks/${id}`, {
      headers: { 'X-Api-Key': 'a\r\nInjected: 1' },
      description: 'changed?',
    });
    expect(patch.status).toBe(400);
    expect(patch.body.error.details[0].field).toBe('headers.X-Api-Key');
    expect((await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length).toBe(before);
    const after = (await p.call('GET', `/api/v0/webhooks/${id}`)).body;
    expect(after.description).toBe('');
    expect(after.headers).toEqual({ 'X-Api-Key': 'k_li…', 'X-Tenant': '…' });
  });

  it('sends the headers with every POST, signed as before', async () => {
    const eventId = await publish();
    const req = await received(1);
    expect(req.headers['webhook-id']).toBe(eventId);
    expect(req.headers['x-api-key']).toBe(API_KEY);
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(req.body, signatureHeaders(req))).toBeTruthy();
  });

  it('keeps them through a rotation, and then refuses new ones inside its window with a 429 that changes nothing', async () => {
    const rotated = await p.call('POST', `/api/v0.1/webhooks/${id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook_subscription.headers).toEqual({ 'X-Api-Key': 'k_li…', 'X-Tenant': '…' });
    const next = rotated.body.webhook_subscription.secret as string;
    const eventId = await publish();
    const afterRotation = await receivedEvent(receiver, eventId);
    expect(afterRotation.headers['x-api-key']).toBe(API_KEY);
    expect(new Webhook(next).verify(afterRotation.body, signatureHeaders(afterRotation))).toBeTruthy();

    const tooSoon = await p.call('PATCH', `/api/v0.1/webhooks/${id}`, { headers: { 'X-Api-Key': NEXT_KEY }, description: 'changed?' });
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.body.error.code).toBe('rotation_rate_limited');
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    const after = (await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription;
    expect(after.description).toBe('');
    expect(after.headers).toEqual({ 'X-Api-Key': 'k_li…', 'X-Tenant': '…' });
    // The same headers again write nothing, so they need no window.
    const same = await p.call('PATCH', `/api/v0.1/webhooks/${id}`, { headers: { 'X-Api-Key': API_KEY, 'X-Tenant': 'acme' } });
    expect(same.status).toBe(200);
  });

  it('sends new headers from the next POST on after a PATCH, and none after null', async () => {
    const other = await startReceiver();
    try {
      const replacedSub = (
        await p.call('POST', '/api/v0/webhooks', { callback_url: other.url, events: ['card.created'], headers: { 'X-Api-Key': API_KEY } })
      ).body;
      const replaced = await p.call('PATCH', `/api/v0/webhooks/${replacedSub.webhook_id}`, {
        headers: { Authorization: `Bearer ${NEXT_KEY}` },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body.headers).toEqual({ Authorization: 'Bear…' });
      expect(replaced.body.secret).toBe(replacedSub.secret);
      const first = await publish();
      const afterPatch = await receivedEvent(other, first);
      expect(afterPatch.headers.authorization).toBe(`Bearer ${NEXT_KEY}`);
      expect(afterPatch.headers['x-api-key']).toBeUndefined();
      expect(new Webhook(replacedSub.secret).verify(afterPatch.body, signatureHeaders(afterPatch))).toBeTruthy();
      expect((await p.call('DELETE', `/api/v0/webhooks/${replacedSub.webhook_id}`)).status).toBe(200);

      const removedSub = (
        await p.call('POST', '/api/v0.1/webhooks', { url: other.url, events: ['card.created'], headers: { 'X-Api-Key': API_KEY } })
      ).body.webhook_subscription;
      const removed = await p.call('PATCH', `/api/v0.1/webhooks/${removedSub.id}`, { headers: null });
      expect(removed.status).toBe(200);
      expect('headers' in removed.body.webhook_subscription).toBe(false);
      const second = await publish();
      const afterRemoval = await receivedEvent(other, second);
      expect(afterRemoval.headers['x-api-key']).toBeUndefined();
      expect(new Webhook(removedSub.secret).verify(afterRemoval.body, signatureHeaders(afterRemoval))).toBeTruthy();
    } finally {
      await other.close();
    }
  });
});
