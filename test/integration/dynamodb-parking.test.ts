import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { duePartition, GSI2, keys, TABLE_DEFINITION } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DynamoParkingStore } from '../../functions/adapters/aws/dynamodb-parking.js';
import type { Delivery } from '../../functions/domain/model.js';
import { dueBucket, dueShard, type Lot, lotPosition } from '../../functions/domain/parking.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { eventually } from '../support/wait.js';

/** Parking's storage on dynalite: park attributes on delivery records, the due-time index (gsi2), lots and their entries. */
describe('parking on dynalite', () => {
  let db: DynamoEmulator;
  let store: DynamoDeliveryStore;
  let parking: DynamoParkingStore;
  const TABLE = 'parking-test';
  const now = new Date('2026-03-01T10:00:30.000Z');
  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
    store = new DynamoDeliveryStore(db.doc, TABLE, 30, () => now, 60);
    parking = new DynamoParkingStore(db.doc, TABLE, 60);
  });
  afterAll(async () => db?.stop());

  const delivery = (id: string, extra: Partial<Delivery> = {}): Delivery => ({
    id,
    tenantId: 't1',
    subscriptionId: 'sub_a',
    eventId: `evt_${id}`,
    eventType: 'card.created',
    status: 'pending',
    attempts: 1,
    generation: 0,
    createdTime: '2026-03-01T10:00:00.000Z',
    updatedTime: '2026-03-01T10:00:00.000Z',
    ...extra,
  });
  const lot = (over: Partial<Lot> = {}): Lot => ({
    tenantId: 't1',
    subscriptionId: 'sub_a',
    state: 'open',
    url: 'https://a.example/hook',
    openedTime: now.toISOString(),
    wakeTime: new Date(now.getTime() + 60_000).toISOString(),
    probeSeconds: 60,
    probeMaxSeconds: 900,
    ...over,
  });
  const allDue = async (bucket: number) => {
    const out = [];
    for (let shard = 0; shard < 16; shard++) out.push(...(await parking.dueIn(bucket, shard)).entries);
    return out;
  };

  it('indexes a parked record by the bucket of its due time, and drops it from the index once written without its park', async () => {
    const until = '2026-03-01T10:31:10.000Z';
    const bucket = dueBucket(Date.parse(until), 60);
    await store.write({ deliveries: [delivery('dlv_p1', { park: { kind: 'due', token: 'tokA', until } })] });
    const item = (await db.doc.send(new GetCommand({ TableName: TABLE, Key: keys.delivery('t1', 'dlv_p1') }))).Item!;
    expect(item).toMatchObject({
      park_kind: 'due',
      park_token: 'tokA',
      park_until: until,
      gsi2pk: duePartition(bucket, dueShard('dlv_p1', 60)),
      gsi2sk: `${Date.parse(until)}#tokA`,
    });
    expect(await allDue(bucket)).toEqual([{ kind: 'delivery', tenantId: 't1', deliveryId: 'dlv_p1', token: 'tokA' }]);
    // Read back with its park.
    const read = (await store.getDeliveries([{ tenantId: 't1', deliveryId: 'dlv_p1' }])).get('t1/dlv_p1')!;
    expect(read.park).toEqual({ kind: 'due', token: 'tokA', until });
    // Attempted again (the record rewritten without a park): out of the index.
    await store.write({ deliveries: [delivery('dlv_p1', { status: 'succeeded', attempts: 2 })] });
    expect(await allDue(bucket)).toEqual([]);
  });

  it("writes a held delivery's lot entry with its record, ordered by deadline", async () => {
    const late = '2026-03-03T00:00:00.000Z';
    const early = '2026-03-02T00:00:00.000Z';
    await store.write({
      deliveries: [
        delivery('dlv_h2', { park: { kind: 'held', token: 't2', until: late, lotWake: '2026-03-01T10:01:30.000Z' } }),
        delivery('dlv_h1', { park: { kind: 'held', token: 't1', until: early } }),
      ],
    });
    const entries = await parking.lotEntries('t1', 'sub_a', undefined, 10);
    expect(entries.map((e) => [e.deliveryId, e.token, e.position])).toEqual([
      ['dlv_h1', 't1', lotPosition(Date.parse(early), 'dlv_h1')],
      ['dlv_h2', 't2', lotPosition(Date.parse(late), 'dlv_h2')],
    ]);
    expect(await parking.lotEntries('t1', 'sub_a', entries[0]!.position, 10)).toHaveLength(1);
    expect(await parking.lotEntries('t1', 'sub_a', entries[1]!.position, 10)).toEqual([]);
    expect(await parking.countLotEntries('t1', 'sub_a', undefined, 100)).toBe(2);
    expect(await parking.countLotEntries('t1', 'sub_a', undefined, 1)).toBe(1);
    // Held records are in the due-time index too, at their deadline: that is how they expire.
    expect(await allDue(dueBucket(Date.parse(early), 60))).toEqual([
      { kind: 'delivery', tenantId: 't1', deliveryId: 'dlv_h1', token: 't1' },
    ]);
    const read = (await store.getDeliveries([{ tenantId: 't1', deliveryId: 'dlv_h2' }])).get('t1/dlv_h2')!;
    expect(read.park?.lotWake).toBe('2026-03-01T10:01:30.000Z');
  });

  it('opens a lot once, moves it on only from the state it expects, and puts its wake-up in the index', async () => {
    const opened = await parking.openLot(lot({ subscriptionId: 'sub_l' }));
    expect(opened).toMatchObject({ state: 'open', probeSeconds: 60 });
    // Opened again by another instance: the first stands.
    const again = await parking.openLot(lot({ subscriptionId: 'sub_l', openedTime: '2026-03-01T11:00:00.000Z' }));
    expect(again.openedTime).toBe(opened.openedTime);
    const wakeBucket = dueBucket(Date.parse(opened.wakeTime), 60);
    expect(await allDue(wakeBucket)).toContainEqual({ kind: 'lot', tenantId: 't1', subscriptionId: 'sub_l' });

    await parking.probeFailed('t1', 'sub_l', now);
    const afterProbe = (await parking.readLot('t1', 'sub_l'))!;
    expect(afterProbe).toMatchObject({ state: 'open', probeSeconds: 120, wakeTime: new Date(now.getTime() + 120_000).toISOString() });
    expect(await allDue(wakeBucket)).not.toContainEqual({ kind: 'lot', tenantId: 't1', subscriptionId: 'sub_l' });

    // A stale expectation changes nothing.
    expect(await parking.saveLot({ ...afterProbe, state: 'closed' }, { state: 'open', wakeTime: opened.wakeTime })).toBe(false);
    await parking.recovered('t1', 'sub_l', now);
    const draining = (await parking.readLot('t1', 'sub_l'))!;
    // Drained from the resumer's next run: the next bucket.
    expect(draining).toMatchObject({ state: 'draining', wakeTime: '2026-03-01T10:01:00.000Z' });
    // recovered() only moves an open lot.
    await parking.recovered('t1', 'sub_l', new Date('2026-03-01T12:00:00.000Z'));
    expect((await parking.readLot('t1', 'sub_l'))!.wakeTime).toBe(draining.wakeTime);

    // Opened again while draining: its next drain starts from the beginning (what it holds now may sort before).
    expect(await parking.saveLot({ ...draining, drainedTo: 'pos-1', drainedTime: draining.wakeTime }, draining)).toBe(true);
    const reopened = await parking.openLot(lot({ subscriptionId: 'sub_l' }));
    expect(reopened).toMatchObject({ state: 'open' });
    expect(reopened.drainedTo).toBeUndefined();
    expect(reopened.drainedTime).toBeUndefined();

    expect(await parking.deleteLot(reopened, { state: 'draining', wakeTime: reopened.wakeTime })).toBe(false);
    expect(await parking.deleteLot(reopened, reopened)).toBe(true);
    expect(await parking.getLot('t1', 'sub_l')).toBeUndefined();
  });

  it('adds the due-time index to a data directory from before it, as a stack update adds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhooks-upgrade-'));
    try {
      // The table as the version before parking created it: gsi1 only.
      const server = dynalite({ path: dir, createTableMs: 0 });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      const def = structuredClone(TABLE_DEFINITION) as unknown as ConstructorParameters<typeof CreateTableCommand>[0];
      await client.send(
        new CreateTableCommand({
          ...def,
          TableName: 'upgrade',
          AttributeDefinitions: def.AttributeDefinitions!.filter((a) => !a.AttributeName!.startsWith('gsi2')),
          GlobalSecondaryIndexes: def.GlobalSecondaryIndexes!.filter((g) => g.IndexName === 'gsi1'),
        }),
      );
      await eventually('the old table', async () =>
        (await client.send(new DescribeTableCommand({ TableName: 'upgrade' }))).Table?.TableStatus === 'ACTIVE' ? true : undefined,
      );
      const items = Array.from({ length: 60 }, (_, i) => ({
        pk: { S: `TENANT#t1#DELIVERY#dlv_${i}` },
        sk: { S: 'DELIVERY' },
        n: { N: String(i) },
      }));
      for (let i = 0; i < items.length; i += 25)
        await client.send(
          new BatchWriteItemCommand({ RequestItems: { upgrade: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
        );
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));

      const upgraded = await startDynamo(dir, 'upgrade');
      const after = await upgraded.client.send(new DescribeTableCommand({ TableName: 'upgrade' }));
      expect(after.Table!.GlobalSecondaryIndexes!.map((g) => [g.IndexName, g.IndexStatus]).sort()).toEqual([
        ['gsi1', 'ACTIVE'],
        ['gsi2', 'ACTIVE'],
      ]);
      // Every item kept.
      const scanned = await upgraded.client.send(new ScanCommand({ TableName: 'upgrade' }));
      expect(scanned.Items!.map((i) => Number(i.n!.N)).sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
      expect(existsSync(join(dir, 'table-migration.json'))).toBe(false);
      await upgraded.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pages a busy bucket and keeps the cursor', async () => {
    const until = '2026-03-01T12:00:30.000Z';
    const ids = Array.from({ length: 1500 }, (_, i) => `dlv_many_${i}`);
    for (let i = 0; i < ids.length; i += 100)
      await store.write({ deliveries: ids.slice(i, i + 100).map((id) => delivery(id, { park: { kind: 'due', token: 'k', until } })) });
    const bucket = dueBucket(Date.parse(until), 60);
    let seen = 0;
    for (let shard = 0; shard < 16; shard++) {
      let start: string | undefined;
      do {
        const page = await parking.dueIn(bucket, shard, start);
        seen += page.entries.length;
        start = page.next;
      } while (start);
    }
    expect(seen).toBe(1500);
    // KEYS_ONLY: the index holds keys, not records.
    const raw = await db.doc.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: GSI2,
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': duePartition(bucket, dueShard(ids[0]!, 60)) },
        Limit: 1,
      }),
    );
    expect(Object.keys(raw.Items![0]!).sort()).toEqual(['gsi2pk', 'gsi2sk', 'pk', 'sk']);

    expect(await parking.readCursor()).toBeUndefined();
    await parking.writeCursor({ bucket, shards: { '3': 'abc', '4': '-' } });
    expect(await parking.readCursor()).toEqual({ bucket, shards: { '3': 'abc', '4': '-' } });
  });
});
