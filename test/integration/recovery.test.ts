import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { TABLE_DEFINITION } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DynamoRecoveryStore } from '../../functions/adapters/aws/dynamodb-recoveries.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { createRecoveryWorker } from '../../functions/app/recovery.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { HistoryEntry } from '../../functions/domain/delivery-record.js';
import type { Delivery, Subscription } from '../../functions/domain/model.js';
import { serializeEvent } from '../../functions/domain/webhook-body.js';
import type { Queue, QueueMessage } from '../../functions/ports.js';
import { type DynamoEmulator, startDynamo, untilActive } from '../../local/dynamodb-emulator.js';

/**
 * Recoveries against dynalite: the window read from the history index in pages, one conditional
 * claim per delivery (two recoveries at once queue each delivery once), the pace, and a page
 * whose send failed gone on with by the next worker, which sends what it had claimed.
 */
describe('recoveries on dynalite', () => {
  let db: DynamoEmulator;
  let table = 0;
  let store: DynamoDeliveryStore;
  let recoveries: DynamoRecoveryStore;
  let subscriptions: DynamoSubscriptionRepository;
  let clock: number;
  const T0 = Date.parse('2026-03-01T10:00:00.000Z');

  beforeAll(async () => {
    db = await startDynamo(undefined, 'recovery-0');
  });
  afterAll(async () => {
    await db?.stop();
  });
  beforeEach(async () => {
    const name = `recovery-${++table}`;
    const definition = structuredClone(TABLE_DEFINITION) as unknown as ConstructorParameters<typeof CreateTableCommand>[0];
    await db.client.send(new CreateTableCommand({ ...definition, TableName: name }));
    await untilActive(db.client, name);
    clock = T0;
    const now = () => new Date(clock);
    store = new DynamoDeliveryStore(db.doc, name, 30, now, 60);
    recoveries = new DynamoRecoveryStore(db.doc, name, 30, now, 60);
    subscriptions = new DynamoSubscriptionRepository(db.doc, name);
    await subscriptions.create(subscription);
  });

  const subscription: Subscription = {
    id: 'sub_r',
    tenantId: 't1',
    url: 'https://r.example/hook',
    description: '',
    events: ['card.created'],
    version: '1',
    status: 'enabled',
    secretName: 's',
    createdTime: '2026-02-01T00:00:00.000Z',
    updatedTime: '2026-02-01T00:00:00.000Z',
  };

  /** A delivery queue that keeps what it is sent (or refuses, while `failing`). */
  function queue() {
    const sent: QueueMessage[] = [];
    const q: Queue & { sent: QueueMessage[]; failing: boolean } = {
      sent,
      failing: false,
      async sendAll(messages) {
        if (q.failing) throw new Error('SQS refused the batch');
        sent.push(...messages);
      },
      async changeVisibility() {},
      async changeVisibilities() {},
    };
    return q;
  }

  /**
   * `n` deliveries of the subscription, one history item per 10 (as fan-out invocations list
   * them), created a second apart from 09:00: those with `status` dead-lettered, the rest succeeded.
   */
  async function seed(n: number, status: (i: number) => Delivery['status'] = () => 'dead_lettered') {
    const deliveries: Delivery[] = [];
    const history: HistoryEntry[] = [];
    for (let i = 0; i < n; i++) {
      const createdTime = new Date(Date.parse('2026-03-01T09:00:00.000Z') + Math.floor(i / 10) * 1000).toISOString();
      const event = { id: `evt_${String(i).padStart(4, '0')}`, type: 'card.created', timestamp: createdTime, data: { i } };
      deliveries.push({
        id: deliveryIdFor(event.id, subscription.id),
        tenantId: 't1',
        subscriptionId: subscription.id,
        eventId: event.id,
        eventType: event.type,
        status: status(i),
        attempts: 3,
        generation: 0,
        createdTime,
        updatedTime: createdTime,
        eventBody: serializeEvent(event),
      });
      history.push({ tenantId: 't1', subscriptionId: subscription.id, eventId: event.id, eventType: event.type, createdTime });
    }
    await store.write({ deliveries, history });
    return deliveries;
  }

  const worker = (q: Queue, over: Partial<Parameters<typeof createRecoveryWorker>[0]> = {}) =>
    createRecoveryWorker({
      recoveries,
      store,
      subscriptions,
      deliveries: q,
      now: () => new Date(clock),
      pageItems: 3,
      ratePerSecond: 1000,
      ...over,
    });
  const window = { since: '2026-03-01T09:00:00.000Z', until: '2026-03-01T10:00:00.000Z' };
  const ids = (messages: QueueMessage[]) => messages.map((m) => parseDeliveryMessage(m.body).deliveryId);

  it('reads only the window, in pages, and re-queues its dead letters with a new generation', async () => {
    const seeded = await seed(100, (i) => (i % 4 === 0 ? 'succeeded' : 'dead_lettered'));
    const q = queue();
    // 09:00:02 to 09:00:07: history items 2 to 7, 60 deliveries, of which 45 dead-lettered.
    const r = await worker(q).start(
      't1',
      subscription.id,
      { since: '2026-03-01T09:00:02.000Z', until: '2026-03-01T09:00:07.000Z' },
      60_000,
    );
    expect(r).toMatchObject({ state: 'done', found: 45, queued: 45, expired: 0 });
    const inWindow = seeded.slice(20, 80).filter((d) => d.status === 'dead_lettered');
    expect(ids(q.sent).sort()).toEqual(inWindow.map((d) => d.id).sort());
    for (const m of q.sent.map((x) => parseDeliveryMessage(x.body))) expect(m.generation).toBe(1);
    const after = await store.getDeliveries(inWindow.map((d) => ({ tenantId: 't1', deliveryId: d.id })));
    for (const d of after.values()) expect(d).toMatchObject({ status: 'pending', generation: 1, recovery: { id: r.id } });
    // Its own record, followed: as stored.
    expect(await recoveries.get('t1', r.id)).toMatchObject({ state: 'done', queued: 45, version: r.version });
    expect(await recoveries.running(10)).toEqual([]);
  });

  it('two recoveries of the same window at once queue each dead letter once between them', async () => {
    const seeded = await seed(300);
    const [qa, qb] = [queue(), queue()];
    const [a, b] = await Promise.all([
      worker(qa).start('t1', subscription.id, window, 60_000),
      worker(qb).start('t1', subscription.id, window, 60_000),
    ]);
    expect(a.queued + b.queued).toBe(300);
    const all = [...ids(qa.sent), ...ids(qb.sent)];
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    expect(new Set(all)).toEqual(new Set(seeded.map((d) => d.id)));
    // And a third, after them: nothing left.
    const qc = queue();
    expect(await worker(qc).start('t1', subscription.id, window, 60_000)).toMatchObject({ state: 'done', found: 0, queued: 0 });
    expect(qc.sent).toEqual([]);
  });

  it('a page whose send failed is gone on with by the next worker once the lease ends: what it claimed is sent, once', async () => {
    await seed(20);
    const q = queue();
    q.failing = true;
    const r = await worker(q).start('t1', subscription.id, window, 60_000);
    expect(r).toMatchObject({ state: 'running', queued: 0 });
    expect(await recoveries.running(10)).toEqual([{ tenantId: 't1', id: r.id }]);
    // Within the lease, the resumer leaves it alone.
    q.failing = false;
    expect(await worker(q).continueRunning(10_000)).toBe(0);
    expect(q.sent).toEqual([]);
    clock += 5 * 60_000;
    expect(await worker(q).continueRunning(10_000)).toBe(1);
    expect((await recoveries.get('t1', r.id))!).toMatchObject({ state: 'done' });
    expect(new Set(ids(q.sent)).size).toBe(20);
    expect(q.sent).toHaveLength(20);
  });

  it('spreads its messages at the rate with DelaySeconds', async () => {
    await seed(50);
    const q = queue();
    const r = await worker(q, { ratePerSecond: 10 }).start('t1', subscription.id, window, 60_000);
    expect(r.state).toBe('done');
    const delays = q.sent.map((m) => m.delaySeconds ?? 0);
    expect(delays).toEqual(Array.from({ length: 50 }, (_, i) => Math.floor(i / 10)));
  });

  it('sends what a disabled subscription skipped at fan-out (no record, a marked entry), and skipped records, once', async () => {
    const createdTime = '2026-03-01T09:30:00.000Z';
    const events = ['evt_s1', 'evt_s2'].map((id) => ({ id, type: 'card.created', timestamp: createdTime, data: { id } }));
    await store.write({
      events: events.map((event) => ({ tenantId: 't1', event, storedTime: createdTime, deliveries: 0 })),
      history: events.map((e) => ({
        tenantId: 't1',
        subscriptionId: subscription.id,
        eventId: e.id,
        eventType: e.type,
        createdTime,
        skipped: true,
      })),
    });
    const skipped = (await seed(3, () => 'skipped')).map((d) => ({ ...d, lastError: 'subscription_disabled' }));
    await store.write({ deliveries: skipped });
    // Listed as skipped before any record exists.
    const listed = await store.listDeliveries('t1', subscription.id, { limit: 10 });
    expect(listed.items.filter((d) => d.eventId.startsWith('evt_s')).map((d) => [d.status, d.lastError])).toEqual([
      ['skipped', 'subscription_disabled'],
      ['skipped', 'subscription_disabled'],
    ]);
    const q = queue();
    const r = await worker(q).start('t1', subscription.id, window, 60_000);
    expect(r).toMatchObject({ found: 5, queued: 5 });
    expect(ids(q.sent).sort()).toEqual([...events.map((e) => deliveryIdFor(e.id, subscription.id)), ...skipped.map((d) => d.id)].sort());
    const again = queue();
    expect(await worker(again).start('t1', subscription.id, window, 60_000)).toMatchObject({ queued: 0 });
  });
});
