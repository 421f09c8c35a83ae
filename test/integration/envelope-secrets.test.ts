import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeSecretStore } from '../../functions/adapters/aws/dynamodb-envelope-secrets.js';
import { keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { newKeyringText } from '../../functions/domain/envelope.js';
import { CallCounter } from '../../local/call-counter.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

/** EnvelopeSecretStore against dynalite, with the table definition the stack uses. */
describe('EnvelopeSecretStore on dynalite', () => {
  const TABLE = 'webhooks-envelope-test';
  let db: DynamoEmulator;
  let ring = newKeyringText();
  let ringReads = 0;
  let now = Date.UTC(2026, 0, 1);
  let store: EnvelopeSecretStore;
  const calls = new CallCounter();
  const item = async (tenant: string, sub: string) =>
    (await db.doc.send(new GetCommand({ TableName: TABLE, Key: keys.subscriptionSecret(tenant, sub) }))).Item;

  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
    calls.instrument('DynamoDB', db.client);
    store = new EnvelopeSecretStore({
      doc: db.doc,
      tableName: TABLE,
      namePrefix: 'webhooks/test/',
      readKeyring: async () => {
        ringReads++;
        return ring;
      },
      now: () => now,
    });
  });
  afterAll(async () => db?.stop());

  it('creates once, reads, replaces, and seals with the key ring (no value in the clear)', async () => {
    await store.create('webhooks/test/t1/s1', '{"current":"whsec_one"}', {});
    await expect(store.create('webhooks/test/t1/s1', '{"current":"whsec_x"}', {})).rejects.toThrow(/already exists/);
    expect(await store.get('webhooks/test/t1/s1')).toBe('{"current":"whsec_one"}');
    await store.put('webhooks/test/t1/s1', '{"current":"whsec_two"}');
    expect(await store.get('webhooks/test/t1/s1')).toBe('{"current":"whsec_two"}');
    const stored = await item('t1', 's1');
    expect(stored).toMatchObject({ type: 'secret', kid: 'k1' });
    expect(JSON.stringify(stored)).not.toContain('whsec_two');
    await expect(store.put('webhooks/test/t1/missing', 'x')).rejects.toThrow(/not found/);
    await expect(store.get('webhooks/test/t1/missing')).rejects.toThrow(/not found/);
    await expect(store.get('webhooks/other/t1/s1')).rejects.toThrow(/is not <prefix><tenant>\/<subscription>/);
  });

  it('refuses an item moved to another subscription (the owner is the AAD)', async () => {
    await store.create('webhooks/test/t1/s2', 'x', {});
    const sealed = await item('t1', 's1');
    await db.doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keys.subscriptionSecret('t1', 's2'),
        UpdateExpression: 'SET box = :b',
        ExpressionAttributeValues: { ':b': sealed!.box },
      }),
    );
    await expect(store.get('webhooks/test/t1/s2')).rejects.toThrow(/failed authentication/);
  });

  it('reads 250 secrets in batches of 100, with one ring read per ring TTL', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `webhooks/test/t2/s${i}`);
    for (const n of names) await store.create(n, `{"current":"${n}"}`, {});
    const before = ringReads;
    calls.reset();
    const values = await store.getMany([...names, names[0]!]);
    expect(calls.snapshot()).toEqual({ 'DynamoDB.BatchGetItem': 3 });
    expect(values.size).toBe(250);
    for (const n of names) expect(values.get(n)).toBe(`{"current":"${n}"}`);
    expect(ringReads).toBe(before);
    await expect(store.getMany([names[0]!, 'webhooks/test/t2/none'])).rejects.toThrow(/webhooks\/test\/t2\/none not found/);
  });

  it('after the ring gains a new current key, re-seals old items when they are read', async () => {
    await store.create('webhooks/test/t3/s1', 'old', {});
    const parsed = JSON.parse(ring) as Record<string, string>;
    ring = JSON.stringify({ ...parsed, current: 'k2', k2: 'z'.repeat(40) });
    now += 5 * 60_000; // the cached ring expires
    expect((await item('t3', 's1'))?.kid).toBe('k1');
    expect((await store.getMany(['webhooks/test/t3/s1'])).get('webhooks/test/t3/s1')).toBe('old');
    expect((await item('t3', 's1'))?.kid).toBe('k2');
    expect(await store.get('webhooks/test/t3/s1')).toBe('old');
    await store.create('webhooks/test/t3/s2', 'new', {});
    expect((await item('t3', 's2'))?.kid).toBe('k2');
  });

  it('schedules deletion: unreadable and unwritable at once, removed by TTL after 7 days', async () => {
    await store.create('webhooks/test/t4/s1', 'x', {});
    await store.scheduleDeletion('webhooks/test/t4/s1');
    await expect(store.get('webhooks/test/t4/s1')).rejects.toThrow(/not found/);
    await expect(store.put('webhooks/test/t4/s1', 'y')).rejects.toThrow(/not found/);
    const stored = await item('t4', 's1');
    expect(stored?.ttl).toBe(Math.floor(now / 1000) + 7 * 86_400);
    expect(stored?.deleted_time).toBe(new Date(now).toISOString());
    await expect(store.scheduleDeletion('webhooks/test/t4/none')).rejects.toThrow(/not found/);
  });
});
