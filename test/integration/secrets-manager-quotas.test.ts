import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCallBudget } from '../../functions/adapters/aws/dynamodb-call-budget.js';
import { keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { SECRETS_MANAGER_BUDGETS, SecretsManagerStore } from '../../functions/adapters/aws/secrets-manager-store.js';
import { SECRETS_MANAGER_RATE_QUOTAS } from '../../functions/domain/aws-limits.js';
import { CallCounter } from '../../local/call-counter.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { LocalSecretsManager } from '../../local/secrets-manager-emulator.js';

/**
 * Local mode's Secrets Manager fails where AWS would (BatchGetSecretValue's 20 ids, the account's
 * request quotas, secrets marked for deletion), and the account-wide budget on dynalite keeps our
 * calls within the quotas however many callers take from it at once.
 */

const dir = mkdtempSync(join(tmpdir(), 'sm-quotas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the local Secrets Manager', () => {
  // A clock the test moves, so a second's quota is one the test owns.
  let now = Date.UTC(2026, 0, 1, 0, 0, 0, 100);
  const emulator = new LocalSecretsManager(join(dir, 'secrets.json'), () => now);
  const sm = emulator.client({ maxAttempts: 1 });
  const names = Array.from({ length: 21 }, (_, i) => `webhooks/local/t/s${i}`);

  beforeAll(async () => {
    for (const n of names) await sm.send(new CreateSecretCommand({ Name: n, SecretString: `{"current":"whsec_${n.slice(-3)}"}` }));
  });

  it('reads at most 20 secrets per BatchGetSecretValue, and reports each it cannot read in Errors', async () => {
    await expect(sm.send(new BatchGetSecretValueCommand({ SecretIdList: names }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    const out = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: [...names.slice(0, 19), 'webhooks/local/t/missing'] }));
    expect(out.SecretValues?.map((v) => v.Name)).toEqual(names.slice(0, 19));
    expect(out.Errors).toEqual([expect.objectContaining({ SecretId: 'webhooks/local/t/missing', ErrorCode: 'ResourceNotFoundException' })]);
  });

  it('throttles past 100 BatchGetSecretValue and 50 PutSecretValue in a second, and takes them again the next second', async () => {
    now = Date.UTC(2026, 0, 1, 0, 1, 0, 0);
    const batch = () => sm.send(new BatchGetSecretValueCommand({ SecretIdList: [names[0]!] }));
    for (let i = 0; i < SECRETS_MANAGER_RATE_QUOTAS.BatchGetSecretValue; i++) await batch();
    await expect(batch()).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    const put = () => sm.send(new PutSecretValueCommand({ SecretId: names[0], SecretString: '{"current":"whsec_p"}' }));
    for (let i = 0; i < SECRETS_MANAGER_RATE_QUOTAS.PutSecretValue; i++) await put();
    await expect(put()).rejects.toMatchObject({ name: 'ThrottlingException' });
    now += 1_000;
    await expect(batch()).resolves.toBeTruthy();
    await expect(put()).resolves.toBeTruthy();
  });

  it('counts every client of the account together, and the SDK retries a throttle before giving up', async () => {
    now = Date.UTC(2026, 0, 1, 0, 2, 0, 0);
    const other = emulator.client({ maxAttempts: 1 });
    for (let i = 0; i < SECRETS_MANAGER_RATE_QUOTAS.BatchGetSecretValue; i++)
      await other.send(new BatchGetSecretValueCommand({ SecretIdList: [names[0]!] }));
    const retrying = emulator.client({ maxAttempts: 2 });
    const err = await retrying.send(new BatchGetSecretValueCommand({ SecretIdList: [names[0]!] })).catch((e: { $metadata: unknown }) => e);
    expect(err).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 2 } });
  });

  it('neither reads nor writes a secret marked for deletion', async () => {
    await sm.send(new DeleteSecretCommand({ SecretId: names[20], RecoveryWindowInDays: 7 }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: names[20] }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await expect(sm.send(new PutSecretValueCommand({ SecretId: names[20], SecretString: '{}' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'webhooks/local/none' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(sm.send(new CreateSecretCommand({ Name: names[0], SecretString: '{}' }))).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });
  });
});

describe('DynamoCallBudget on dynalite', () => {
  const TABLE = 'budget-test';
  let db: DynamoEmulator;
  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
  });
  afterAll(async () => db?.stop());

  it('grants no second more than its limit, however many take at once, and refuses the rest with 503 and Retry-After', async () => {
    const at = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
    // No waiting: the clock is fixed, so every take is in the same second.
    const budget = new DynamoCallBudget({ doc: db.doc, tableName: TABLE, limits: { X: 10 }, maxWaitMs: 0, now: () => at });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => budget.take('X', 3)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        statusCode: 503,
        code: 'temporarily_unavailable',
        headers: { 'Retry-After': '1' },
      });
    await expect(budget.take('X', 1)).resolves.toBeUndefined();
    await expect(budget.take('X', 1)).rejects.toMatchObject({ statusCode: 503 });
    // A call it has no limit for is not budgeted.
    await expect(budget.take('Y', 1_000)).resolves.toBeUndefined();
  });

  it('takes again a grant that came back after its second ended: calls are made in the second granted for them', async () => {
    let now = Date.UTC(2026, 0, 1, 0, 5, 0, 990);
    const budget = new DynamoCallBudget({
      doc: {
        send: async (command: unknown) => {
          // The write takes 20 ms: the first grant comes back in the next second.
          now += 20;
          return db.doc.send(command as never);
        },
      } as unknown as typeof db.doc,
      tableName: TABLE,
      limits: { W: 5 },
      now: () => now,
    });
    await budget.take('W', 5);
    const used = async (second: number) =>
      (await db.doc.send(new GetCommand({ TableName: TABLE, Key: keys.callBudget('W', second) }))).Item?.used;
    const first = Math.floor(Date.UTC(2026, 0, 1, 0, 5, 0, 990) / 1000);
    expect([await used(first), await used(first + 1)]).toEqual([5, 5]);
  });

  it("waits for the next second's budget rather than refusing at once", async () => {
    const budget = new DynamoCallBudget({ doc: db.doc, tableName: TABLE, limits: { Z: 2 } });
    const started = Date.now();
    await Promise.all([budget.take('Z', 2), budget.take('Z', 2)]);
    // The second take found this second spent and went into the next one.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(Math.floor(started / 1000));
  });

  it("keeps the store behind it within the quota: 25 page reads of 100 secrets in one second make the budget's 80 calls, the rest are refused", async () => {
    const emulator = new LocalSecretsManager(join(dir, 'budgeted.json'));
    const calls = new CallCounter();
    const client = calls.instrument('SecretsManager', emulator.client());
    const names = Array.from({ length: 100 }, (_, i) => `webhooks/local/t/b${i}`);
    for (const n of names) await client.send(new CreateSecretCommand({ Name: n, SecretString: '{"current":"whsec_b"}' }));
    const at = Date.now();
    const store = new SecretsManagerStore(client, {
      budget: new DynamoCallBudget({ doc: db.doc, tableName: TABLE, limits: SECRETS_MANAGER_BUDGETS, maxWaitMs: 0, now: () => at }),
    });
    calls.reset();
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => store.getMany(names)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(16);
    expect(new Set(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.statusCode))).toEqual(
      new Set([503]),
    );
    expect(calls.snapshot()).toEqual({ 'SecretsManager.BatchGetSecretValue': 80 });
    expect(emulator.throttled).toEqual({});
  });
});
