import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStorage } from '../../functions/domain/secret-storage.js';
import { LOCAL_KEK_NAME } from '../../local/pipeline.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const headersOf = (r: { headers: Record<string, unknown> }) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

type Stored = Record<string, { value: string; deletedAt?: string; tags: Record<string, string> }>;
const secretsFile = (p: TestPipeline) => join(p.dataDir, 'secrets.json');
const readSecretsFile = (p: TestPipeline): Stored => JSON.parse(readFileSync(secretsFile(p), 'utf8')) as Stored;

function dynamo(p: TestPipeline) {
  return new DynamoDBClient({
    endpoint: p.endpoints.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

async function scan(p: TestPipeline) {
  const client = dynamo(p);
  try {
    return (await client.send(new ScanCommand({ TableName: p.endpoints.tableName }))).Items ?? [];
  } finally {
    client.destroy();
  }
}

async function tenantOf(p: TestPipeline, subscriptionId: string): Promise<string> {
  const sub = (await scan(p)).find((i) => i.sk?.S === `SUB#${subscriptionId}`);
  return sub!.tenant_id!.S!;
}

async function sealedItem(p: TestPipeline, subscriptionId: string) {
  const client = dynamo(p);
  try {
    const key = { pk: { S: `TENANT#${await tenantOf(p, subscriptionId)}` }, sk: { S: `SECRET#${subscriptionId}` } };
    return (await client.send(new GetItemCommand({ TableName: p.endpoints.tableName, Key: key, ConsistentRead: true }))).Item;
  } finally {
    client.destroy();
  }
}

/** The same behaviour from both storages; only where the secret sits differs. */
describe.each<SecretStorage>(['per-subscription', 'envelope'])('signing secrets, %s storage', (secretStorage) => {
  let p: TestPipeline;
  let receiver: Receiver;
  beforeAll(async () => {
    p = await startTestPipeline({ secretStorage });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  it('creates, reveals (one and in a list), rotates with an overlap and deletes a secret', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription;
    expect(created.secret).toMatch(/^whsec_/);
    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(created.secret);
    const listed = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions as { id: string; secret: string }[];
    expect(listed.find((s) => s.id === created.id)?.secret).toBe(created.secret);

    const rotated = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const next = rotated.body.webhook_subscription.secret as string;
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(created.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_time)).toBeGreaterThan(Date.now());
    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(next);

    const deleted = await p.call('DELETE', `/api/v0.1/webhooks/${created.id}`);
    expect(deleted.body.webhook_subscription.secret).toBe(next);
    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).status).toBe(404);
    expect((await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`)).status).toBe(404);
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
    await p.call('DELETE', `/api/v0.1/webhooks/${created.id}`);
  });

  it('signs with the new secret alone once the window is over, and DELETE schedules the secret for deletion', async () => {
    const q = await startTestPipeline({ rotationOverlapSeconds: 0, secretStorage });
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
      if (secretStorage === 'per-subscription') {
        expect(existsSync(secretsFile(q))).toBe(true);
        const entry = Object.entries(readSecretsFile(q)).find(([, v]) => v.tags.subscription_id === created.id);
        expect(entry?.[0]).toMatch(new RegExp(`^webhooks/local/.+/${created.id}$`));
        expect(entry?.[1].deletedAt).toBeTruthy();
      } else {
        // Unreadable at once, removed by the table's TTL after Secrets Manager's 7-day window.
        const item = await sealedItem(q, created.id);
        expect(item?.deleted_time?.S).toBeTruthy();
        expect(Number(item?.ttl?.N)).toBeGreaterThan(Date.now() / 1000 + 6 * 86_400);
        expect(Object.keys(readSecretsFile(q))).toEqual([LOCAL_KEK_NAME]);
      }
    } finally {
      await q.stop();
      await r.close();
    }
  });

  it('never stores a signing secret in the clear in DynamoDB', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['transactions'] })).body.webhook_subscription;
    const items = JSON.stringify(await scan(p));
    expect(items).toContain(created.id);
    expect(items).not.toContain(created.secret.slice(6));
    await p.call('DELETE', `/api/v0.1/webhooks/${created.id}`);
  });

  it('lists a page of subscriptions without one secret read per subscription', async () => {
    for (let i = 0; i < 3; i++) await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    p.calls.reset();
    const list = await p.call('GET', '/api/v0.1/webhooks');
    expect(list.body.webhook_subscriptions.length).toBeGreaterThanOrEqual(3);
    const calls = p.calls.snapshot();
    expect(calls['SecretsManager.GetSecretValue'] ?? 0).toBe(0);
    if (secretStorage === 'per-subscription') {
      // This container made them and keeps what it wrote (a cold one reads them in batches of
      // 20: test/e2e/secret-quotas.test.ts).
      expect(calls['SecretsManager.BatchGetSecretValue'] ?? 0).toBe(0);
    } else {
      // The key ring is cached; the sealed secrets come in one BatchGetItem.
      expect(calls['SecretsManager.BatchGetSecretValue'] ?? 0).toBe(0);
      expect(calls['DynamoDB.BatchGetItem']).toBe(1);
    }
  });
});

describe('envelope storage: rotating the key-encryption key', () => {
  it('keeps every secret readable and re-seals each under the new key when next read', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-kek-'));
    try {
      const p = await startTestPipeline({ secretStorage: 'envelope', dataDir });
      let created: { id: string; secret: string };
      try {
        created = (await p.call('POST', '/api/v0.1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['card.created'] })).body
          .webhook_subscription;
        expect((await sealedItem(p, created.id))?.kid?.S).toBe('k1');
      } finally {
        await p.stop();
      }

      // An operator adds a key and makes it current (a new start reads the ring again).
      const file = join(dataDir, 'secrets.json');
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
      const ring = JSON.parse(stored[LOCAL_KEK_NAME]!.value) as Record<string, string>;
      stored[LOCAL_KEK_NAME]!.value = JSON.stringify({ ...ring, current: 'k2', k2: 'b'.repeat(43) });
      writeFileSync(file, JSON.stringify(stored));

      const q = await startTestPipeline({ secretStorage: 'envelope', dataDir });
      try {
        expect((await q.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(created.secret);
        expect((await sealedItem(q, created.id))?.kid?.S).toBe('k2');
        const rotated = (await q.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`)).body.webhook_subscription;
        expect((await sealedItem(q, created.id))?.kid?.S).toBe('k2');
        expect((await q.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(rotated.secret);
      } finally {
        await q.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
