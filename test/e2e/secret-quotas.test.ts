import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { SECRETS_MANAGER_BUDGETS } from '../../functions/adapters/aws/secrets-manager-store.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS } from '../../functions/domain/secret-set.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/**
 * Secrets Manager's account-wide quotas on the list and rotation paths, in local mode (whose
 * Secrets Manager counts one BatchGetSecretValue per 20 secrets and throttles past 100 a second,
 * as AWS does): what a list costs cold and warm, a rotation showing at once, the rotation limit,
 * and the 503 when the account's budget is spent.
 */

const BATCH = 'SecretsManager.BatchGetSecretValue';
const smCalls = (p: TestPipeline) =>
  Object.fromEntries(Object.entries(p.calls.snapshot()).filter(([k]) => k.startsWith('SecretsManager.')));

/** Another container's use of this second and the next few (as other api containers would take it). */
async function spendBudget(p: TestPipeline, call: string, seconds: number) {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: p.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const now = Math.floor(Date.now() / 1000);
  const limit = SECRETS_MANAGER_BUDGETS[call]!;
  for (let s = now; s <= now + seconds; s++)
    await doc.send(new PutCommand({ TableName: p.endpoints.tableName, Item: { ...keys.callBudget(call, s), used: limit, ttl: s + 120 } }));
  doc.destroy();
  return (now + seconds + 1) * 1000;
}

const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now()) + 20));

describe('list requests and their Secrets Manager calls', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-secret-quotas-'));
  let p: TestPipeline;
  /** A new api container: the same data, nothing cached. */
  const coldStart = async () => {
    await p?.stop();
    p = await startTestPipeline({ dataDir });
  };
  beforeAll(async () => {
    await coldStart();
    for (let i = 0; i < 120; i++) {
      const res = await p.call('POST', '/api/v0.1/webhooks', { url: `https://hooks.example.com/${i}`, events: ['card.created'] });
      expect(res.status).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await p?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('costs one BatchGetSecretValue per 20 secrets cold, then nothing while warm: v0 list of all, v0.1 page', async () => {
    await coldStart();
    p.calls.reset();
    const all = await p.call('GET', '/api/v0/webhooks');
    expect(all.body).toHaveLength(120);
    // Two pages of the table (100 + 20): 5 + 1 calls.
    expect(smCalls(p)).toEqual({ [BATCH]: 6 });
    p.calls.reset();
    const again = await p.call('GET', '/api/v0/webhooks');
    expect(again.body.map((s: { secret: string }) => s.secret)).toEqual(all.body.map((s: { secret: string }) => s.secret));
    const page = await p.call('GET', '/api/v0.1/webhooks?limit=100');
    expect(page.body.webhook_subscriptions).toHaveLength(100);
    expect(smCalls(p)).toEqual({});

    await coldStart();
    p.calls.reset();
    await p.call('GET', '/api/v0.1/webhooks?limit=100');
    expect(smCalls(p)).toEqual({ [BATCH]: 5 });
  });

  it('shows a rotation in the very next list of either version, and after a cold start', async () => {
    const page = (await p.call('GET', '/api/v0.1/webhooks?limit=100')).body.webhook_subscriptions as { id: string; secret: string }[];
    const target = page[7]!;
    const rotated = await p.call('POST', `/api/v0.1/webhooks/${target.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const next = rotated.body.webhook_subscription.secret as string;
    expect(next).not.toBe(target.secret);
    p.calls.reset();
    const v01 = (await p.call('GET', '/api/v0.1/webhooks?limit=100')).body.webhook_subscriptions as { id: string; secret: string }[];
    expect(v01.find((s) => s.id === target.id)?.secret).toBe(next);
    expect(v01.filter((s) => s.id !== target.id)).toEqual(page.filter((s) => s.id !== target.id).map((s) => expect.objectContaining(s)));
    // The container that rotated keeps what it wrote: no read for it.
    expect(smCalls(p)).toEqual({});
    const v0 = (await p.call('GET', '/api/v0/webhooks')).body as { webhook_id: string; secret: string }[];
    expect(v0.find((s) => s.webhook_id === target.id)?.secret).toBe(next);

    await coldStart();
    const cold = (await p.call('GET', '/api/v0.1/webhooks?limit=100')).body.webhook_subscriptions as { id: string; secret: string }[];
    expect(cold.find((s) => s.id === target.id)?.secret).toBe(next);
  });

  it("answers 503 with Retry-After when the account's BatchGetSecretValue budget is spent, calling nothing, and lists again after", async () => {
    await coldStart();
    const free = await spendBudget(p, BATCH, 2);
    p.calls.reset();
    const refused = await p.call('GET', '/api/v0.1/webhooks?limit=100');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error.code).toBe('temporarily_unavailable');
    expect(smCalls(p)).toEqual({});
    const v0 = await p.call('GET', '/api/v0/webhooks');
    expect(v0.status).toBe(503);
    await until(free);
    const listed = await p.call('GET', '/api/v0.1/webhooks?limit=100');
    expect(listed.status).toBe(200);
    expect(smCalls(p)).toEqual({ [BATCH]: 5 });
  });
});

describe('the rotation limit', () => {
  let offsetMs = 0;
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline({ clock: () => new Date(Date.now() + offsetMs) });
  });
  afterAll(async () => p?.stop());
  const secretsFile = () => readFileSync(join(p.dataDir, 'secrets.json'), 'utf8');

  it('answers a second rotation within 10 minutes 429 rotation_rate_limited with Retry-After, changing nothing, and allows it after', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: 'https://hooks.example.com/r', events: ['card.created'] })).body
      .webhook_subscription;
    const first = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(first.status).toBe(200);
    const before = secretsFile();

    offsetMs = 60_000;
    const refused = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rotation_rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(MIN_SECONDS_BETWEEN_ROTATIONS - 62);
    expect(retryAfter).toBeLessThanOrEqual(MIN_SECONDS_BETWEEN_ROTATIONS - 60);
    expect(secretsFile()).toBe(before);
    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(
      first.body.webhook_subscription.secret,
    );
    // The other version reads the same subscription and the same secret.
    expect((await p.call('GET', `/api/v0/webhooks/${created.id}`)).body.secret).toBe(first.body.webhook_subscription.secret);

    offsetMs = 60_000 + retryAfter * 1000;
    const allowed = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(allowed.status).toBe(200);
    expect(allowed.body.webhook_subscription.secret).not.toBe(first.body.webhook_subscription.secret);
  });

  it("answers 503 when the account's PutSecretValue budget is spent, and that spends no rotation: the next one goes through", async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: 'https://hooks.example.com/b', events: ['card.created'] })).body
      .webhook_subscription;
    const free = await spendBudget(p, 'SecretsManager.PutSecretValue', 2);
    const before = secretsFile();
    const refused = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(secretsFile()).toBe(before);
    await until(free);
    expect((await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`)).status).toBe(200);
  });
});
