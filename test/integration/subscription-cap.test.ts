import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { ApiError } from '../../functions/domain/errors.js';
import type { Subscription } from '../../functions/domain/model.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

/** The per-tenant subscription cap in the DynamoDB repository, on dynalite. */
describe('subscription cap', () => {
  let db: DynamoEmulator;
  let subs: DynamoSubscriptionRepository;
  const TABLE = 'cap-test';

  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
    subs = new DynamoSubscriptionRepository(db.doc, TABLE);
  });
  afterAll(async () => db?.stop());

  let n = 0;
  const sub = (tenantId: string): Subscription => {
    n++;
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    return {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      tenantId,
      url: `https://example.com/${n}`,
      description: '',
      events: ['card.created'],
      version: '0.1',
      status: 'enabled',
      secretName: `s/${n}`,
      createdTime: at,
      updatedTime: at,
    };
  };
  const count = async (tenantId: string) =>
    (await db.doc.send(new GetCommand({ TableName: TABLE, Key: keys.subscriptionCount(tenantId) }))).Item?.live as number | undefined;

  it('lets exactly the cap in under concurrency, and answers the rest 409 subscription_limit_reached', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => subs.create(sub('t1'), { maxPerTenant: 7 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      const err = (r as PromiseRejectedResult).reason as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect([err.statusCode, err.code]).toEqual([409, 'subscription_limit_reached']);
    }
    expect(await subs.listAll('t1')).toHaveLength(7);
    expect(await count('t1')).toBe(7);
    // Another tenant has its own count.
    await subs.create(sub('t2'), { maxPerTenant: 7 });
    expect(await count('t2')).toBe(1);
  });

  it('gives the slot back on delete (once) and when the write of the subscription fails', async () => {
    const [first] = await subs.listAll('t1');
    const deleted = { ...first!, deletedTime: '2026-02-01T00:00:00.000Z', status: 'disabled' as const };
    await subs.update(deleted);
    expect(await count('t1')).toBe(6);
    await expect(subs.update(deleted)).rejects.toMatchObject({ statusCode: 404 });
    expect(await count('t1')).toBe(6);
    // A duplicate id fails its write after the slot was taken: the slot comes back.
    const again = (await subs.listAll('t1'))[0]!;
    await expect(subs.create(again, { maxPerTenant: 7 })).rejects.toThrow(/conditional/i);
    expect(await count('t1')).toBe(6);
    await subs.create(sub('t1'), { maxPerTenant: 7 });
    await expect(subs.create(sub('t1'), { maxPerTenant: 7 })).rejects.toMatchObject({ code: 'subscription_limit_reached' });
  });

  it('never counts below zero (subscriptions made before the count existed)', async () => {
    const old = sub('t3');
    await subs.create(old);
    expect(await count('t3')).toBeUndefined();
    await subs.update({ ...old, deletedTime: '2026-02-01T00:00:00.000Z' });
    expect(await count('t3')).toBeUndefined();
    await subs.create(sub('t3'), { maxPerTenant: 1 });
    expect(await count('t3')).toBe(1);
  });
});
