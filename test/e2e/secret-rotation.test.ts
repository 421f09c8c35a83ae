import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const headersOf = (r: { headers: Record<string, unknown> }) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('signing secrets', () => {
  let p: TestPipeline;
  let receiver: Receiver;
  beforeAll(async () => {
    p = await startTestPipeline();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  it('signs with both secrets during the overlap window after a rotation', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription;
    const rotated = (await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`)).body.webhook_subscription;
    await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
    const [req] = await receiver.waitFor(1);
    const h = headersOf(req!);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(req!.body, h)).toBeTruthy();
    expect(new Webhook(created.secret).verify(req!.body, h)).toBeTruthy();
  });

  it('signs with the new secret alone once the window is over, and DELETE schedules the secret for deletion', async () => {
    const q = await startTestPipeline({ rotationOverlapSeconds: 0 });
    const r = await startReceiver();
    try {
      const created = (await q.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'] })).body.webhook_subscription;
      const rotated = (await q.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`)).body.webhook_subscription;
      await q.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
      const [req] = await r.waitFor(1);
      const h = headersOf(req!);
      expect(h['webhook-signature'].split(' ')).toHaveLength(1);
      expect(new Webhook(rotated.secret).verify(req!.body, h)).toBeTruthy();
      expect(() => new Webhook(created.secret).verify(req!.body, h)).toThrow();

      await q.call('DELETE', `/api/v0.1/webhooks/${created.id}`);
      const file = join(q.dataDir, 'secrets.json');
      expect(existsSync(file)).toBe(true);
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { deletedAt?: string; tags: Record<string, string> }>;
      const entry = Object.entries(stored).find(([, v]) => v.tags.subscription_id === created.id);
      expect(entry?.[0]).toMatch(new RegExp(`^webhooks/local/.+/${created.id}$`));
      expect(entry?.[1].deletedAt).toBeTruthy();
    } finally {
      await q.stop();
      await r.close();
    }
  });

  it('never stores the signing secret in DynamoDB', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['transactions'] })).body.webhook_subscription;
    const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({
      endpoint: p.endpoints.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const items = await client.send(new ScanCommand({ TableName: p.endpoints.tableName }));
    client.destroy();
    expect(JSON.stringify(items.Items)).toContain(created.id);
    expect(JSON.stringify(items.Items)).not.toContain(created.secret.slice(6));
  });
});
