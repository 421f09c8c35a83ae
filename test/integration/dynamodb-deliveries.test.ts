import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import type { Attempt, Delivery, StoredEvent } from '../../functions/domain/model.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

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
    eventId: 'evt',
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

  it('writes events, deliveries and attempts in batches of 25 and reads them back in batches', async () => {
    const deliveries = Array.from({ length: 30 }, (_, n) => delivery(n));
    const attempts = [attempt('dlv_1', 1), attempt('dlv_1', 2), attempt('dlv_1', 3)];
    await store.write({ events: [event('t1', 'evt_w')], deliveries, attempts });
    const read = await store.getDeliveries(deliveries.map((d) => ({ tenantId: 't1', deliveryId: d.id })));
    expect(read.size).toBe(30);
    expect(read.get('t1/dlv_7')).toEqual(delivery(7));
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
    const first = await store.listDeliveries('t1', 'sub_a', { limit: 12 });
    expect(first.items.map((d) => d.id).slice(0, 3)).toEqual(['dlv_29', 'dlv_28', 'dlv_27']);
    const second = await store.listDeliveries('t1', 'sub_a', { limit: 12, cursor: first.nextCursor! });
    const third = await store.listDeliveries('t1', 'sub_a', { limit: 12, cursor: second.nextCursor! });
    const all = [...first.items, ...second.items, ...third.items].map((d) => d.id);
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    expect(third.nextCursor).toBeUndefined();
    expect((await store.listDeliveries('t1', 'sub_b', { limit: 10 })).items).toEqual([]);
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

  it('reads deliveries and their subscriptions in one BatchGetItem; a 410 disables only an unchanged subscription', async () => {
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
      expect(sent).toEqual([BatchGetCommand.name]);
      expect([...read.deliveries.keys()]).toEqual(['t1/dlv_90']);
      expect(read.deliveries.get('t1/dlv_90')).toMatchObject({
        roundStart: 2,
        roundGeneration: 1,
        deadLetterReceive: 7,
        nextAttemptTime: '2026-03-01T01:00:00.000Z',
      });
      expect([...read.subscriptions.keys()]).toEqual(['t1/sub_s']);
      expect(read.subscriptions.get('t1/sub_s')).toEqual(sub);
    } finally {
      db.doc.send = original as never;
    }
    // The tenant changed it since the sender read it: a 410 leaves it as it is.
    await subs.update({ ...sub, url: 'https://new.example.com/in', updatedTime: '2026-03-01T00:05:00.000Z' });
    expect(await store.disableGoneSubscription('t1', 'sub_s', sub.updatedTime, '2026-03-01T00:06:00.000Z')).toBe(false);
    expect(await subs.get('t1', 'sub_s')).toMatchObject({ status: 'enabled', url: 'https://new.example.com/in' });
    expect(await store.disableGoneSubscription('t1', 'sub_s', '2026-03-01T00:05:00.000Z', '2026-03-01T00:06:00.000Z')).toBe(true);
    expect(await subs.get('t1', 'sub_s')).toMatchObject({
      status: 'disabled',
      url: 'https://new.example.com/in',
      updatedTime: '2026-03-01T00:06:00.000Z',
    });
    expect(await store.disableGoneSubscription('t1', 'sub_deleted', sub.updatedTime, '2026-03-01T00:06:00.000Z')).toBe(false);
  });
});
