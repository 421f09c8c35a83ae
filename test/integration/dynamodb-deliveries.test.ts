import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../functions/adapters/aws/cursor.js';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { historyPartition, keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { createFanout } from '../../functions/app/fanout.js';
import { RESPONSE_EXCERPT_BYTES } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { RECORD_BUDGET_BYTES } from '../../functions/domain/delivery-record.js';
import { dynamoItemBytes } from '../../functions/domain/dynamodb-item-size.js';
import type { Attempt, Delivery, StoredEvent } from '../../functions/domain/model.js';
import type { BatchQueue, QueueMessage } from '../../functions/ports.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { MemorySubscriptions, subscription } from '../support/memory-ports.js';

describe('DynamoDeliveryStore on dynalite', () => {
  let db: DynamoEmulator;
  let store: DynamoDeliveryStore;
  const now = new Date('2026-03-01T00:00:00.000Z');
  beforeAll(async () => {
    db = await startDynamo(undefined, 'deliveries-test');
    store = new DynamoDeliveryStore(db.doc, 'deliveries-test', 30, () => now);
  });
  afterAll(async () => db?.stop());

  const event = (tenantId: string, id: string): StoredEvent => ({
    tenantId,
    event: { id, type: 'card.created', timestamp: '2026-03-01T00:00:00.000Z', data: { card_id: id } },
    storedTime: '2026-03-01T00:00:00.000Z',
  });
  const delivery = (n: number, extra: Partial<Delivery> = {}): Delivery => ({
    id: `dlv_${n}`,
    tenantId: 't1',
    subscriptionId: 'sub_a',
    eventId: `evt_${n}`,
    eventType: 'card.created',
    status: 'pending',
    attempts: 0,
    generation: 0,
    createdTime: new Date(Date.UTC(2026, 2, 1, 0, 0, n)).toISOString(),
    updatedTime: new Date(Date.UTC(2026, 2, 1, 0, 0, n)).toISOString(),
    ...extra,
  });
  const attempt = (deliveryId: string, n: number): Attempt => ({
    tenantId: 't1',
    deliveryId,
    subscriptionId: 'sub_a',
    eventId: `evt_${deliveryId.slice('dlv_'.length)}`,
    attempt: n,
    time: new Date(Date.UTC(2026, 2, 1, 0, n)).toISOString(),
    statusCode: n < 3 ? 500 : 200,
    latencyMs: 12,
    responseExcerpt: 'x'.repeat(10),
  });

  it('claims an event id once; the loser reads what the winner stored', async () => {
    expect(await store.claimEvent({ ...event('t1', 'evt_c'), payloadHash: 'h1', published: false })).toEqual({ claimed: true });
    const second = await store.claimEvent({ ...event('t1', 'evt_c'), payloadHash: 'h2', published: false });
    expect(second).toMatchObject({ claimed: false, existing: { payloadHash: 'h1', published: false, event: { id: 'evt_c' } } });
    await store.markPublished('t1', 'evt_c');
    expect((await store.getEvents([{ tenantId: 't1', eventId: 'evt_c' }])).get('t1/evt_c')?.published).toBe(true);
    // Event ids are per tenant.
    expect(await store.claimEvent(event('t2', 'evt_c'))).toEqual({ claimed: true });
  });

  it('writes events and deliveries (attempts inline) in batches of 25 and reads them back in batches', async () => {
    const deliveries = Array.from({ length: 30 }, (_, n) => delivery(n));
    deliveries[1] = delivery(1, { attempts: 3, attemptLog: [attempt('dlv_1', 1), attempt('dlv_1', 2), attempt('dlv_1', 3)] });
    await store.write({ events: [event('t1', 'evt_w')], deliveries });
    const read = await store.getDeliveries(deliveries.map((d) => ({ tenantId: 't1', deliveryId: d.id })));
    expect(read.size).toBe(30);
    expect(read.get('t1/dlv_7')).toEqual(delivery(7));
    expect(read.get('t1/dlv_1')?.attemptLog).toEqual(deliveries[1]!.attemptLog);
    expect((await store.listAttempts('t1', 'dlv_1')).map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(
      (
        await store.getEvents([
          { tenantId: 't1', eventId: 'evt_w' },
          { tenantId: 't1', eventId: 'evt_missing' },
        ])
      ).size,
    ).toBe(1);
  });

  it('keeps tenants apart and sets a retention TTL', async () => {
    expect((await store.getDeliveries([{ tenantId: 't2', deliveryId: 'dlv_1' }])).size).toBe(0);
    expect(await store.listAttempts('t2', 'dlv_1')).toEqual([]);
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const items = (await db.doc.send(new ScanCommand({ TableName: 'deliveries-test' }))).Items ?? [];
    const expected = Math.floor(now.getTime() / 1000) + 30 * 24 * 3600;
    expect(items.length).toBeGreaterThan(30);
    for (const item of items) expect(item.ttl).toBe(expected);
  });

  it("lists a subscription's deliveries newest first, page by page", async () => {
    // As fan-out writes them: one index item per invocation, here of 1, 4 and 25 events.
    const entries = Array.from({ length: 30 }, (_, n) => ({
      tenantId: 't1',
      subscriptionId: 'sub_a',
      eventId: `evt_${n}`,
      eventType: 'card.created',
      createdTime: n === 0 ? '2026-03-01T00:00:00.000Z' : n < 5 ? '2026-03-01T00:00:01.000Z' : '2026-03-01T00:00:02.000Z',
    }));
    await store.write({ history: entries.slice(0, 1) });
    await store.write({ history: entries.slice(1, 5) });
    await store.write({ history: entries.slice(5) });
    const recorded = entries.slice(0, 20).map((e, n) =>
      delivery(n, {
        id: deliveryIdFor(e.eventId, 'sub_a'),
        eventId: e.eventId,
        createdTime: e.createdTime,
        status: 'succeeded',
        attempts: 1,
      }),
    );
    await store.write({ deliveries: recorded });
    const first = await store.listDeliveries('t1', 'sub_a', { limit: 12 });
    const second = await store.listDeliveries('t1', 'sub_a', { limit: 12, cursor: first.nextCursor! });
    const third = await store.listDeliveries('t1', 'sub_a', { limit: 12, cursor: second.nextCursor! });
    const all = [...first.items, ...second.items, ...third.items];
    expect(all.map((d) => d.eventId)).toHaveLength(30);
    expect(new Set(all.map((d) => d.id)).size).toBe(30);
    expect(third.nextCursor).toBeUndefined();
    // Newest first by created time; the last 4 + 1 fanned out earlier.
    expect(all.slice(25).map((d) => d.eventId)).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_0']);
    expect(all.map((d) => d.createdTime)).toEqual([...all.map((d) => d.createdTime)].sort().reverse());
    // Entries without a record yet (the sender has not taken them): pending, no attempt.
    expect(all.find((d) => d.eventId === 'evt_25')).toEqual({
      id: deliveryIdFor('evt_25', 'sub_a'),
      tenantId: 't1',
      subscriptionId: 'sub_a',
      eventId: 'evt_25',
      eventType: 'card.created',
      status: 'pending',
      attempts: 0,
      generation: 0,
      createdTime: '2026-03-01T00:00:02.000Z',
      updatedTime: '2026-03-01T00:00:02.000Z',
    });
    expect(all.find((d) => d.eventId === 'evt_7')).toEqual(recorded[7]);
    // Page sizes other than the index items' sizes, one entry at a time included.
    for (const limit of [1, 5, 29, 30, 100]) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listDeliveries('t1', 'sub_a', { limit, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        ids.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids).toEqual(all.map((d) => d.id));
    }
    expect((await store.listDeliveries('t1', 'sub_b', { limit: 10 })).items).toEqual([]);
    expect((await store.listDeliveries('t2', 'sub_a', { limit: 10 })).items).toEqual([]);
  });

  it('replaces a delivery record as it moves on', async () => {
    await store.write({ deliveries: [delivery(3, { status: 'succeeded', attempts: 2, lastStatusCode: 200, generation: 1 })] });
    expect((await store.getDeliveries([{ tenantId: 't1', deliveryId: 'dlv_3' }])).get('t1/dlv_3')).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      lastStatusCode: 200,
      generation: 1,
    });
  });

  it('reads deliveries with the change counter, then subscriptions it has not cached; a 410 disables only an unchanged subscription', async () => {
    const subs = new DynamoSubscriptionRepository(db.doc, 'deliveries-test');
    const sub = {
      id: 'sub_s',
      tenantId: 't1',
      url: 'https://hooks.example.com/in',
      description: '',
      events: ['card.created'],
      version: '0.1',
      status: 'enabled' as const,
      secretName: 'webhooks/t1/sub_s',
      secretVersion: 'v1',
      createdTime: '2026-03-01T00:00:00.000Z',
      updatedTime: '2026-03-01T00:00:00.000Z',
    };
    await subs.create(sub);
    await subs.create({ ...sub, id: 'sub_deleted', deletedTime: '2026-03-01T00:00:01.000Z' });
    await store.write({
      deliveries: [
        delivery(90, {
          subscriptionId: 'sub_s',
          nextAttemptTime: '2026-03-01T01:00:00.000Z',
          roundStart: 2,
          roundGeneration: 1,
          deadLetterReceive: 7,
        }),
      ],
    });
    const sent: string[] = [];
    const { BatchGetCommand } = await import('@aws-sdk/lib-dynamodb');
    const original = db.doc.send.bind(db.doc);
    db.doc.send = ((command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return original(command as never);
    }) as never;
    try {
      const read = await store.getForSending([
        { tenantId: 't1', deliveryId: 'dlv_90', subscriptionId: 'sub_s' },
        { tenantId: 't1', deliveryId: 'dlv_91', subscriptionId: 'sub_s' },
        { tenantId: 't1', deliveryId: 'dlv_92', subscriptionId: 'sub_deleted' },
      ]);
      // The deliveries and the tenant's change counter, then the two subscriptions (strongly consistent).
      expect(sent).toEqual([BatchGetCommand.name, BatchGetCommand.name]);
      expect([...read.deliveries.keys()]).toEqual(['t1/dlv_90']);
      expect(read.deliveries.get('t1/dlv_90')).toMatchObject({
        roundStart: 2,
        roundGeneration: 1,
        deadLetterReceive: 7,
        nextAttemptTime: '2026-03-01T01:00:00.000Z',
      });
      expect([...read.subscriptions.keys()]).toEqual(['t1/sub_s']);
      expect(read.subscriptions.get('t1/sub_s')).toEqual(sub);
      // Nothing changed since: the next batch reads only the deliveries and the counter.
      sent.length = 0;
      const again = await store.getForSending([
        { tenantId: 't1', deliveryId: 'dlv_93', subscriptionId: 'sub_s' },
        { tenantId: 't1', deliveryId: 'dlv_94', subscriptionId: 'sub_deleted' },
      ]);
      expect(sent).toEqual([BatchGetCommand.name]);
      expect(again.subscriptions.get('t1/sub_s')).toEqual(sub);
      expect(again.subscriptions.has('t1/sub_deleted')).toBe(false);
    } finally {
      db.doc.send = original as never;
    }
    // The tenant changed it since the sender read it: a 410 leaves it as it is.
    await subs.update({ ...sub, url: 'https://new.example.com/in', updatedTime: '2026-03-01T00:05:00.000Z' });
    expect(await store.disableGoneSubscription('t1', 'sub_s', sub.updatedTime, '2026-03-01T00:06:00.000Z')).toBe(false);
    expect(await subs.get('t1', 'sub_s')).toMatchObject({ status: 'enabled', url: 'https://new.example.com/in' });
    // The change moved the counter: the next batch reads the subscription afresh, in this store and in another container's.
    const other = new DynamoDeliveryStore(db.doc, 'deliveries-test');
    for (const s of [store, other])
      expect(
        (await s.getForSending([{ tenantId: 't1', deliveryId: 'dlv_95', subscriptionId: 'sub_s' }])).subscriptions.get('t1/sub_s'),
      ).toMatchObject({
        url: 'https://new.example.com/in',
      });
    expect(await store.disableGoneSubscription('t1', 'sub_s', '2026-03-01T00:05:00.000Z', '2026-03-01T00:06:00.000Z')).toBe(true);
    for (const s of [store, other])
      expect(
        (await s.getForSending([{ tenantId: 't1', deliveryId: 'dlv_95', subscriptionId: 'sub_s' }])).subscriptions.get('t1/sub_s'),
      ).toMatchObject({
        status: 'disabled',
      });
    // Deleted: gone at the next batch.
    await subs.update({
      ...sub,
      url: 'https://new.example.com/in',
      status: 'disabled',
      updatedTime: '2026-03-01T00:07:00.000Z',
      deletedTime: '2026-03-01T00:07:00.000Z',
    });
    for (const s of [store, other])
      expect(
        (await s.getForSending([{ tenantId: 't1', deliveryId: 'dlv_95', subscriptionId: 'sub_s' }])).subscriptions.has('t1/sub_s'),
      ).toBe(false);
    expect(
      await db.doc.send(new GetCommand({ TableName: 'deliveries-test', Key: { pk: 'TENANT#t1', sk: 'SUBSCRIPTIONS_CHANGED' } })),
    ).toMatchObject({
      Item: { changes: 3 },
    });
    await subs.create({ ...sub, id: 'sub_after' });
    expect(await subs.get('t1', 'sub_s')).toBeUndefined();
    expect(await store.disableGoneSubscription('t1', 'sub_after', sub.updatedTime, '2026-03-01T00:08:00.000Z')).toBe(true);
    expect(await subs.get('t1', 'sub_after')).toMatchObject({ status: 'disabled', updatedTime: '2026-03-01T00:08:00.000Z' });
    expect(await store.disableGoneSubscription('t1', 'sub_deleted', sub.updatedTime, '2026-03-01T00:06:00.000Z')).toBe(false);
  });
});

describe('one write per delivery, on dynalite', () => {
  let db: DynamoEmulator;
  let store: DynamoDeliveryStore;
  const table = 'delivery-storage-test';
  const now = new Date('2026-03-01T00:00:00.000Z');
  beforeAll(async () => {
    db = await startDynamo(undefined, table);
    store = new DynamoDeliveryStore(db.doc, table, 30, () => now);
  });
  afterAll(async () => db?.stop());

  /** Runs `fn` with every BatchWriteItem asking for ReturnConsumedCapacity; answers the units each consumed. */
  async function writeUnits(fn: () => Promise<void>): Promise<number[]> {
    const units: number[] = [];
    const original = db.doc.send.bind(db.doc);
    db.doc.send = (async (command: { input: Record<string, unknown> }) => {
      if (command instanceof BatchWriteCommand) command.input.ReturnConsumedCapacity = 'TOTAL';
      const out = (await original(command as never)) as { ConsumedCapacity?: { CapacityUnits?: number }[] };
      if (command instanceof BatchWriteCommand) units.push(...(out.ConsumedCapacity ?? []).map((c) => c.CapacityUnits ?? 0));
      return out;
    }) as never;
    try {
      await fn();
    } finally {
      db.doc.send = original as never;
    }
    return units;
  }

  const stored = async (pk: string) =>
    (await db.doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk } })))
      .Items ?? [];

  // Ids as long as the real ones: tenants `tnt_` + 24 hex, subscriptions UUIDs, events `evt_` + UUID.
  const tenantId = `tnt_${'a1'.repeat(12)}`;
  const subscriptionId = randomUUID();
  const eventId = `evt_${randomUUID()}`;
  const firstAttempt = (excerpt: string): Delivery => {
    const id = deliveryIdFor(eventId, subscriptionId);
    const time = '2026-03-01T00:00:01.234Z';
    return {
      id,
      tenantId,
      subscriptionId,
      eventId,
      eventType: 'kyc.verification.success',
      status: 'succeeded',
      attempts: 1,
      generation: 0,
      roundStart: 0,
      roundGeneration: 0,
      createdTime: '2026-03-01T00:00:00.987Z',
      updatedTime: time,
      lastStatusCode: 200,
      attemptLog: [
        { tenantId, deliveryId: id, subscriptionId, eventId, attempt: 1, time, statusCode: 200, latencyMs: 1234, responseExcerpt: excerpt },
      ],
    };
  };

  it('the common path (a first attempt answered 2xx with a short body) writes one item of under 1 KB: 1 write unit', async () => {
    for (const excerpt of ['ok', '{}', '{"received":true}']) {
      const d = firstAttempt(excerpt);
      const units = await writeUnits(() => store.write({ deliveries: [d] }));
      expect(units).toEqual([1]);
      const items = await stored(keys.delivery(tenantId, d.id).pk);
      expect(items).toHaveLength(1);
      expect(dynamoItemBytes(items[0]!)).toBeLessThan(1024);
      // It touches no index: no gsi1 keys.
      expect(items[0]!.gsi1pk).toBeUndefined();
      expect((await store.listAttempts(tenantId, d.id)).map((a) => [a.attempt, a.statusCode, a.responseExcerpt])).toEqual([
        [1, 200, excerpt],
      ]);
    }
  });

  it('keeps a delivery within the record budget: older response excerpts are trimmed, no attempt is dropped', async () => {
    const d = firstAttempt('');
    const log = Array.from({ length: 12 }, (_, n) => ({
      ...d.attemptLog![0]!,
      attempt: n + 1,
      statusCode: 500,
      responseExcerpt: `${n}:${'e'.repeat(RESPONSE_EXCERPT_BYTES - 4)}`,
    }));
    const units = await writeUnits(() => store.write({ deliveries: [{ ...d, status: 'pending', attempts: 12, attemptLog: log }] }));
    const [item] = await stored(keys.delivery(tenantId, d.id).pk);
    expect(dynamoItemBytes(item!)).toBeLessThanOrEqual(RECORD_BUDGET_BYTES);
    expect(units[0]).toBeLessThanOrEqual(RECORD_BUDGET_BYTES / 1024);
    const attempts = await store.listAttempts(tenantId, d.id);
    expect(attempts.map((a) => a.attempt)).toEqual(log.map((a) => a.attempt));
    expect(attempts.every((a) => a.statusCode === 500 && a.latencyMs === 1234)).toBe(true);
    // The newest keep their excerpts, the oldest lost theirs.
    expect(attempts.at(-1)!.responseExcerpt).toBe(log.at(-1)!.responseExcerpt);
    expect(attempts[0]!.responseExcerpt).toBe('');
    const kept = attempts.filter((a) => a.responseExcerpt !== '');
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.map((a) => a.attempt)).toEqual(log.slice(-kept.length).map((a) => a.attempt));
  });

  it('fan-out writes one history index item per subscription per invocation, in the one write of its events', async () => {
    const subs = new MemorySubscriptions();
    for (const id of ['sub_x', 'sub_y']) await subs.create(subscription({ id, tenantId: 't9', events: ['card*'] }));
    await subs.create(subscription({ id: 'sub_z', tenantId: 't9', events: ['kyc*'] }));
    const messages: QueueMessage[] = [];
    const queue: BatchQueue = {
      trySendAll: async (m) => {
        messages.push(...m);
        return [];
      },
      sendAll: async (m) => void messages.push(...m),
      changeVisibility: async () => undefined,
      changeVisibilities: async () => undefined,
    };
    let clock = '2026-03-01T00:10:00.000Z';
    // One page does it all: nothing goes on to the ingest queue.
    const fanout = createFanout({ subscriptions: subs, store, deliveries: queue, ingest: queue, now: () => new Date(clock) });
    const ingest = (ids: string[]) =>
      ({
        Records: ids.map((id, n) => ({
          messageId: `m${n}`,
          body: JSON.stringify({
            id: `eb-${id}`,
            'detail-type': 'card.created',
            time: '2026-03-01T00:09:59Z',
            detail: { tenant_id: 't9', event: { id, type: 'card.created', timestamp: '2026-03-01T00:09:59.000Z', data: {} } },
          }),
        })),
      }) as unknown as SQSEvent;
    const units = await writeUnits(async () => void (await fanout(ingest(['evt_f1', 'evt_f2', 'evt_f3']))));
    // 2 index items (1 unit each for their 3 deliveries), then the 3 events in a request of their own.
    expect(units).toEqual([2 * 1, 3 * 1]);
    expect(messages).toHaveLength(6);
    for (const sub of ['sub_x', 'sub_y']) {
      const index = await stored(historyPartition('t9', sub));
      expect(index).toHaveLength(1);
      expect(index[0]!.entries).toEqual([
        ['evt_f1', 'card.created'],
        ['evt_f2', 'card.created'],
        ['evt_f3', 'card.created'],
      ]);
      expect(index[0]!.sk).toMatch(/^2026-03-01T00:10:00\.000Z#/);
      const listed = await store.listDeliveries('t9', sub, { limit: 10 });
      expect(listed.items.map((d) => [d.id, d.status, d.attempts])).toEqual(
        ['evt_f1', 'evt_f2', 'evt_f3'].map((e) => [deliveryIdFor(e, sub), 'pending', 0]),
      );
    }
    expect(await stored(historyPartition('t9', 'sub_z'))).toEqual([]);
    // A second invocation adds a second item, listed first.
    clock = '2026-03-01T00:10:01.000Z';
    await fanout(ingest(['evt_f4']));
    expect(await stored(historyPartition('t9', 'sub_x'))).toHaveLength(2);
    expect((await store.listDeliveries('t9', 'sub_x', { limit: 2 })).items.map((d) => d.eventId)).toEqual(['evt_f4', 'evt_f1']);
  });

  it('writes history entries before the events they list, never in the same request: an event is never done without them', async () => {
    const original = db.doc.send.bind(db.doc);
    const requests: string[][] = [];
    // DynamoDB fails the request that holds the event (a throttle, a timeout, the function's end).
    db.doc.send = (async (command: { input: Record<string, unknown> }) => {
      if (command instanceof BatchWriteCommand) {
        const items = (command.input.RequestItems as Record<string, { PutRequest: { Item: { type: string } } }[]>)[table]!;
        requests.push(items.map((r) => r.PutRequest.Item.type));
        if (items.some((r) => r.PutRequest.Item.type === 'event')) throw new Error('ProvisionedThroughputExceededException');
      }
      return original(command as never);
    }) as never;
    const entry = { tenantId: 't10', subscriptionId: 'sub_h', eventId: 'evt_h', eventType: 'card.created', createdTime: now.toISOString() };
    try {
      const stored = {
        tenantId: 't10',
        event: { id: 'evt_h', type: 'card.created', timestamp: now.toISOString(), data: {} },
        storedTime: now.toISOString(),
        deliveries: 1,
      };
      await expect(store.write({ events: [stored], history: [entry] })).rejects.toThrow('ProvisionedThroughputExceededException');
    } finally {
      db.doc.send = original as never;
    }
    expect(requests).toEqual([['history'], ['event']]);
    // The event is not done, so the fan-out comes back to it; its entry is already listed.
    expect((await store.getEvents([{ tenantId: 't10', eventId: 'evt_h' }])).size).toBe(0);
    expect((await store.listDeliveries('t10', 'sub_h', { limit: 10 })).items.map((d) => d.eventId)).toEqual(['evt_h']);
  });

  it('splits a large fan-out index item at the record budget, and pages through it reading few items', async () => {
    const entries = Array.from({ length: 500 }, () => ({
      tenantId: 't6',
      subscriptionId: 'sub_big',
      eventId: `evt_${randomUUID()}`,
      eventType: 'kyc.verification.success',
      createdTime: '2026-03-01T00:20:00.000Z',
    }));
    const units = await writeUnits(() => store.write({ history: entries }));
    const index = await stored(historyPartition('t6', 'sub_big'));
    expect(index.length).toBeGreaterThanOrEqual(3);
    for (const item of index) expect(dynamoItemBytes(item)).toBeLessThanOrEqual(RECORD_BUDGET_BYTES);
    expect(
      index
        .flatMap((i) => i.entries as [string, string][])
        .map(([id]) => id)
        .sort(),
    ).toEqual(entries.map((e) => e.eventId).sort());
    // About 70 bytes an entry: 500 deliveries listed for well under 1 write unit each.
    expect(units.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(Math.ceil((500 * 75) / 1024) + index.length);

    const queries: { limit?: number; items: number }[] = [];
    const original = db.doc.send.bind(db.doc);
    db.doc.send = (async (command: { input: Record<string, unknown> }) => {
      const out = await original(command as never);
      if (command instanceof QueryCommand)
        queries.push({ limit: command.input.Limit as number, items: (out as { Items?: unknown[] }).Items?.length ?? 0 });
      return out;
    }) as never;
    const seen: string[] = [];
    try {
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listDeliveries('t6', 'sub_big', { limit: 100, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((d) => d.eventId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(5);
    } finally {
      db.doc.send = original as never;
    }
    expect(seen.sort()).toEqual(entries.map((e) => e.eventId).sort());
    // Each page read at most a few index items of up to 16 KB, never a hundred of them.
    const historyReads = queries.filter((q) => q.limit !== 1);
    for (const q of historyReads) expect(q.items).toBeLessThanOrEqual(4);
  });

  it('filters by status across pages, pending entries included, with a bounded number of reads a page', async () => {
    const statuses: (Delivery['status'] | undefined)[] = [
      'succeeded',
      undefined,
      'dead_lettered',
      'succeeded',
      undefined,
      'succeeded',
      'pending',
    ];
    const entries = statuses.map((_, n) => ({
      tenantId: 't3',
      subscriptionId: 'sub_s',
      eventId: `evt_s${n}`,
      eventType: 'card.created',
      createdTime: new Date(Date.UTC(2026, 2, 1, 0, 0, n)).toISOString(),
    }));
    for (const e of entries) await store.write({ history: [e] });
    await store.write({
      deliveries: entries.flatMap((e, n) => {
        const status = statuses[n];
        if (!status) return [];
        const d: Delivery = {
          id: deliveryIdFor(e.eventId, 'sub_s'),
          tenantId: 't3',
          subscriptionId: 'sub_s',
          eventId: e.eventId,
          eventType: e.eventType,
          status,
          attempts: 1,
          generation: 0,
          createdTime: e.createdTime,
          updatedTime: e.createdTime,
        };
        return [d];
      }),
    });
    const walk = async (status: string, limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listDeliveries('t3', 'sub_s', { limit, ...(cursor ? { cursor } : {}) }, status);
        for (const d of page.items) expect(d.status).toBe(status);
        seen.push(...page.items.map((d) => d.eventId));
        cursor = page.nextCursor;
      } while (cursor && ++pages < 20);
      return seen;
    };
    expect(await walk('succeeded', 1)).toEqual(['evt_s5', 'evt_s3', 'evt_s0']);
    expect(await walk('succeeded', 2)).toEqual(['evt_s5', 'evt_s3', 'evt_s0']);
    expect(await walk('pending', 1)).toEqual(['evt_s6', 'evt_s4', 'evt_s1']);
    expect(await walk('dead_lettered', 50)).toEqual(['evt_s2']);
    expect(await walk('skipped', 50)).toEqual([]);
    // At most 5 rounds of `limit` entries a page: a page may come back short, with a cursor.
    const sparse = await store.listDeliveries('t3', 'sub_s', { limit: 1 }, 'skipped');
    expect(sparse.items).toEqual([]);
    expect(sparse.nextCursor).toBeDefined();
  });

  it("refuses cursors it did not give out, and never leaves the caller's partition", async () => {
    for (const cursor of ['nope', encodeCursor({ h: '2026', i: '-1' }), encodeCursor({ h: '', i: '0' }), encodeCursor({ x: 'y' })]) {
      await expect(store.listDeliveries('t3', 'sub_s', { limit: 5, cursor })).rejects.toMatchObject({
        statusCode: 400,
        code: 'invalid_cursor',
      });
    }
    // Another tenant's position names only a sort key: read in the caller's own partition.
    const theirs = (await store.listDeliveries('t3', 'sub_s', { limit: 2 })).nextCursor!;
    expect((await store.listDeliveries('t4', 'sub_s', { limit: 5, cursor: theirs })).items).toEqual([]);
  });

  it('still reads records from before: ATTEMPT# items, and deliveries listed by gsi1, after the history index', async () => {
    const t = 't5';
    const sub = 'sub_l';
    const legacy = (n: number, status: Delivery['status']) => {
      const id = `dlv_old${n}`;
      const createdTime = new Date(Date.UTC(2026, 1, 1, 0, 0, n)).toISOString();
      return {
        ...keys.delivery(t, id),
        gsi1pk: `TENANT#${t}#SUB#${sub}#DELIVERIES`,
        gsi1sk: `${createdTime}#${id}`,
        type: 'delivery',
        id,
        tenant_id: t,
        subscription_id: sub,
        event_id: `evt_old${n}`,
        event_type: 'card.created',
        status,
        attempts: 2,
        generation: 0,
        created_time: createdTime,
        updated_time: createdTime,
        ttl: 1,
      };
    };
    const legacyAttempt = (n: number, attempt: number, statusCode: number) => ({
      pk: keys.delivery(t, `dlv_old${n}`).pk,
      sk: `ATTEMPT#2026-02-01T00:0${attempt}:00.000Z#${String(attempt).padStart(4, '0')}`,
      type: 'attempt',
      tenant_id: t,
      delivery_id: `dlv_old${n}`,
      subscription_id: sub,
      event_id: `evt_old${n}`,
      attempt,
      time: `2026-02-01T00:0${attempt}:00.000Z`,
      status_code: statusCode,
      latency_ms: 7,
      response_excerpt: 'old',
      ttl: 1,
    });
    for (let n = 0; n < 5; n++) await db.doc.send(new PutCommand({ TableName: table, Item: legacy(n, n % 2 ? 'succeeded' : 'pending') }));
    await db.doc.send(new PutCommand({ TableName: table, Item: legacyAttempt(1, 1, 500) }));
    await db.doc.send(new PutCommand({ TableName: table, Item: legacyAttempt(1, 2, 200) }));
    // After the upgrade: two deliveries in the new index.
    for (const n of [1, 2])
      await store.write({
        history: [
          {
            tenantId: t,
            subscriptionId: sub,
            eventId: `evt_new${n}`,
            eventType: 'card.created',
            createdTime: `2026-03-0${n}T00:00:00.000Z`,
          },
        ],
      });

    // Legacy attempts are read with the record; a rewrite (a manual retry, a further attempt)
    // adds inline and stays listed by gsi1.
    const [old] = (await store.getDeliveries([{ tenantId: t, deliveryId: 'dlv_old1' }])).values();
    expect(old).toMatchObject({ id: 'dlv_old1', status: 'succeeded', attempts: 2, legacyListing: true });
    const third = {
      tenantId: t,
      deliveryId: 'dlv_old1',
      subscriptionId: sub,
      eventId: 'evt_old1',
      attempt: 3,
      time: '2026-03-05T00:00:00.000Z',
      statusCode: 204,
      latencyMs: 3,
      responseExcerpt: '',
    };
    const units = await writeUnits(() => store.write({ deliveries: [{ ...old!, attempts: 3, generation: 1, attemptLog: [third] }] }));
    expect(units).toEqual([1]);
    expect((await store.listAttempts(t, 'dlv_old1')).map((a) => [a.attempt, a.statusCode, a.responseExcerpt])).toEqual([
      [1, 500, 'old'],
      [2, 200, 'old'],
      [3, 204, ''],
    ]);

    const expected = ['evt_new2', 'evt_new1', 'evt_old4', 'evt_old3', 'evt_old2', 'evt_old1', 'evt_old0'];
    for (const limit of [1, 2, 3, 7, 10]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listDeliveries(t, sub, { limit, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((d) => d.eventId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(expected);
    }
    const succeeded: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeliveries(t, sub, { limit: 1, ...(cursor ? { cursor } : {}) }, 'succeeded');
      succeeded.push(...page.items.map((d) => d.eventId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(succeeded).toEqual(['evt_old3', 'evt_old1']);
    // A cursor given out before the upgrade (the old format) goes on where it was.
    const oldCursor = encodeCursor({ gsi1sk: legacy(3, 'succeeded').gsi1sk, id: 'dlv_old3' });
    expect((await store.listDeliveries(t, sub, { limit: 5, cursor: oldCursor })).items.map((d) => d.eventId)).toEqual([
      'evt_old2',
      'evt_old1',
      'evt_old0',
    ]);
  });
});
