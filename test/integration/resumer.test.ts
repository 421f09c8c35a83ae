import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoParkingStore } from '../../functions/adapters/aws/dynamodb-parking.js';
import { DynamoRecoveryStore } from '../../functions/adapters/aws/dynamodb-recoveries.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createResumer, type ResumerDeps } from '../../functions/app/resumer.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { Delivery, Subscription, WebhookEvent } from '../../functions/domain/model.js';
import { DUE_SHARDS_PER_MINUTE as DUE_SHARDS, dueBucket, LOT_FINAL_CHECK_SECONDS, type Lot } from '../../functions/domain/parking.js';
import { serializeEvent } from '../../functions/domain/webhook-body.js';
import { type DynamoEmulator, startDynamo, untilActive } from '../../local/dynamodb-emulator.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';

/**
 * The resumer against dynalite and fauxqs, with a clock the test moves: what it sends for the
 * due-time index's buckets and for lots, what its cursor does, and what a crash before the cursor
 * moves costs (the bucket again, never a bucket skipped).
 */
describe('resumer on dynalite and fauxqs', () => {
  let db: DynamoEmulator;
  let sqs: SqsEmulator;
  let store: DynamoDeliveryStore;
  let parking: DynamoParkingStore;
  let queue: SqsQueue;
  let clock: number;
  let table = 0;
  let tableName = '';
  const T0 = Date.parse('2026-03-01T10:00:30.000Z');

  beforeAll(async () => {
    db = await startDynamo(undefined, 'resumer-0');
    sqs = await startSqs({ schedule: [5, 3600] });
    queue = new SqsQueue(sqs.client, sqs.delivery.url, { astral: true });
  });
  afterAll(async () => {
    await db?.stop();
    await sqs?.stop();
  });
  beforeEach(async () => {
    // A fresh table for each case (dynalite creates it at once), and an empty queue.
    const name = `resumer-${++table}`;
    tableName = name;
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    const { TABLE_DEFINITION } = await import('../../functions/adapters/aws/dynamodb-keys.js');
    const definition = structuredClone(TABLE_DEFINITION) as unknown as ConstructorParameters<typeof CreateTableCommand>[0];
    await db.client.send(new CreateTableCommand({ ...definition, TableName: name }));
    await untilActive(db.client, name);
    clock = T0;
    store = new DynamoDeliveryStore(db.doc, name, 30, () => new Date(clock), 60);
    parking = new DynamoParkingStore(db.doc, name, 60);
    while ((await receiveAll()).length > 0);
  });

  const resumer = (over: Partial<ResumerDeps> = {}) =>
    createResumer({ parking, store, deliveries: queue, dueBucketSeconds: 60, now: () => new Date(clock), ...over });

  async function receiveAll() {
    const out = [];
    for (;;) {
      const res = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: sqs.delivery.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }),
      );
      if (!res.Messages?.length) return out;
      out.push(...res.Messages.map((m) => parseDeliveryMessage(m.Body!)));
    }
  }

  const event = (id: string): WebhookEvent => ({ id, type: 'card.created', timestamp: '2026-03-01T09:59:00.000Z', data: { card_id: id } });
  const record = (id: string, over: Partial<Delivery> = {}): Delivery => ({
    id,
    tenantId: 't1',
    subscriptionId: 'sub_a',
    eventId: `evt_${id}`,
    eventType: 'card.created',
    status: 'pending',
    attempts: 3,
    generation: 1,
    createdTime: '2026-03-01T09:59:00.000Z',
    updatedTime: '2026-03-01T10:00:00.000Z',
    ...over,
  });
  const due = (token: string, at = '2026-03-01T10:31:00.000Z') => ({ kind: 'due' as const, token, until: at });

  it('sends a fresh message for each parked record once its bucket has ended, and moves its cursor past it', async () => {
    await store.write({ events: [{ tenantId: 't1', event: event('evt_a'), storedTime: '2026-03-01T09:59:00.000Z' }] });
    const inRecord = serializeEvent(event('evt_b'));
    await store.write({
      deliveries: [record('a', { park: due('tokA') }), record('b', { eventId: 'evt_b', eventBody: inRecord, park: due('tokB') })],
    });
    const run = resumer();
    // The bucket has not ended: nothing yet.
    clock = Date.parse('2026-03-01T10:31:30.000Z');
    expect((await run()).resumed).toBe(0);
    clock = Date.parse('2026-03-01T10:32:06.000Z');
    const report = await run();
    expect(report).toMatchObject({ resumed: 2, caughtUp: true });
    const messages = await receiveAll();
    expect(messages.map((m) => [m.deliveryId, m.resume, m.generation, m.createdTime, m.eventInRecord]).sort()).toEqual([
      ['a', { token: 'tokA', kind: 'due' }, 1, '2026-03-01T09:59:00.000Z', undefined],
      ['b', { token: 'tokB', kind: 'due' }, 1, '2026-03-01T09:59:00.000Z', true],
    ]);
    expect(messages.find((m) => m.deliveryId === 'a')!.body).toBe(serializeEvent(event('evt_a')));
    expect(messages.find((m) => m.deliveryId === 'b')!.body).toBe(inRecord);
    expect((await parking.readCursor())!.bucket).toBe(dueBucket(Date.parse('2026-03-01T10:31:00.000Z'), 60) + 60);
    // Swept: another run sends nothing for it.
    expect((await run()).resumed).toBe(0);
    expect(await receiveAll()).toEqual([]);
  });

  it('skips entries whose record was written since (another token, no park, not pending)', async () => {
    await store.write({
      deliveries: [
        record('c', { eventBody: serializeEvent(event('evt_c')), park: due('tokC') }),
        record('d', { eventBody: serializeEvent(event('evt_d')), park: due('tokD') }),
      ],
    });
    // The index is eventually consistent: a record rewritten a moment ago may still be listed under its old park.
    await store.write({
      deliveries: [record('c', { eventBody: serializeEvent(event('evt_c')), park: due('tokC2', '2026-03-01T10:31:01.000Z') })],
    });
    clock = Date.parse('2026-03-01T10:32:06.000Z');
    await resumer()();
    expect((await receiveAll()).map((m) => [m.deliveryId, m.resume?.token]).sort()).toEqual([
      ['c', 'tokC2'],
      ['d', 'tokD'],
    ]);
  });

  it('records a parked delivery whose event is gone as skipped rather than sending nothing for ever', async () => {
    await store.write({ deliveries: [record('e', { park: due('tokE') })] });
    clock = Date.parse('2026-03-01T10:32:06.000Z');
    const counts = new Map<string, number>();
    await resumer({ metrics: { count: (n, k = 1) => void counts.set(n, k), latency: () => undefined } })();
    expect(await receiveAll()).toEqual([]);
    const d = (await store.getDeliveries([{ tenantId: 't1', deliveryId: 'e' }])).get('t1/e')!;
    expect(d).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^event_expired/) });
    expect(d.park).toBeUndefined();
    expect(counts.get('ResumeEventMissing')).toBe(1);
  });

  it('sends a bucket again after a crash before its cursor moved, never skips one', async () => {
    await store.write({ deliveries: [record('f', { eventBody: serializeEvent(event('evt_f')), park: due('tokF') })] });
    clock = Date.parse('2026-03-01T10:32:06.000Z');
    const crashing = Object.create(parking) as DynamoParkingStore;
    // It crashes once it has sent the bucket's messages, before the cursor moves past that bucket.
    const target = dueBucket(Date.parse('2026-03-01T10:31:00.000Z'), 60);
    crashing.writeCursor = async (cursor) => {
      if (cursor.bucket > target) throw new Error('the run crashed before its cursor moved');
      await parking.writeCursor(cursor);
    };
    await expect(resumer({ parking: crashing })()).rejects.toThrow(/crashed/);
    await resumer()();
    const messages = await receiveAll();
    // At least once: both copies carry the park's token, and the sender takes the first only (delivery-plan.ts).
    expect(messages.map((m) => [m.deliveryId, m.resume?.token])).toEqual([
      ['f', 'tokF'],
      ['f', 'tokF'],
    ]);
  });

  it('goes on where a run out of time left a bucket: shards it finished are not read again', async () => {
    const until = '2026-03-01T10:31:00.000Z';
    const ids = Array.from({ length: 64 }, (_, i) => `g${i}`);
    await store.write({
      deliveries: ids.map((id) => record(id, { eventBody: serializeEvent(event(`evt_${id}`)), park: due(`t${id}`, until) })),
    });
    const bucket = dueBucket(Date.parse(until), 60);
    // As a run that ran out of time leaves it: half the shards done.
    const done = Object.fromEntries(Array.from({ length: DUE_SHARDS / 2 }, (_, s) => [String(s), '-']));
    await parking.writeCursor({ bucket, shards: done });
    clock = Date.parse('2026-03-01T10:32:06.000Z');
    const report = await resumer()();
    const { dueShard } = await import('../../functions/domain/parking.js');
    const expected = ids.filter((id) => dueShard(id, 60) >= DUE_SHARDS / 2).sort();
    expect((await receiveAll()).map((m) => m.deliveryId).sort()).toEqual(expected);
    // Counted across shards read at the same time.
    expect(report.resumed).toBe(expected.length);
    expect(await parking.readCursor()).toEqual({ bucket: bucket + 60 });
  });

  describe('lots', () => {
    const openLot = (over: Partial<Lot> = {}): Lot => ({
      tenantId: 't1',
      subscriptionId: 'sub_a',
      state: 'open',
      url: 'https://a.example/hook',
      openedTime: '2026-03-01T10:00:00.000Z',
      wakeTime: '2026-03-01T10:01:00.000Z',
      probeSeconds: 60,
      probeMaxSeconds: 900,
      ...over,
    });
    const heldRecords = async (n: number) => {
      const ds = Array.from({ length: n }, (_, i) =>
        record(`h${String(i).padStart(3, '0')}`, {
          eventBody: serializeEvent(event(`evt_h${i}`)),
          // Deadlines a day away, in the order of the ids.
          park: { kind: 'held', token: `th${i}`, until: new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 1000).toISOString() },
        }),
      );
      for (let i = 0; i < ds.length; i += 100) await store.write({ deliveries: ds.slice(i, i + 100) });
      return ds;
    };

    describe('auto-disable at exactly the period of every delivery failing', () => {
      const PERIOD = 3600;
      const subscription = (): Subscription => ({
        id: 'sub_a',
        tenantId: 't1',
        url: 'https://a.example/hook',
        description: '',
        events: ['card.created'],
        version: '1',
        status: 'enabled',
        secretName: 's',
        createdTime: '2026-03-01T09:00:00.000Z',
        updatedTime: '2026-03-01T09:00:00.000Z',
      });
      const run = (openedMs: number) => async () => {
        const subscriptions = new DynamoSubscriptionRepository(db.doc, tableName);
        await subscriptions.create(subscription());
        await heldRecords(2);
        await parking.openLot(openLot({ openedTime: new Date(openedMs).toISOString() }));
        const report = await resumer({
          autoDisable: { afterSeconds: PERIOD, store: new DynamoRecoveryStore(db.doc, tableName) },
        })();
        return { report, s: (await subscriptions.get('t1', 'sub_a'))!, lot: (await parking.readLot('t1', 'sub_a'))! };
      };
      const at = Date.parse('2026-03-01T10:02:06.000Z');

      it('a millisecond short of it: still enabled, the lot is probed', async () => {
        clock = at;
        const { report, s, lot } = await run(at - PERIOD * 1000 + 1)();
        expect(s.status).toBe('enabled');
        expect(s.disabledReason).toBeUndefined();
        expect(report.probes).toBe(1);
        expect(lot.state).toBe('open');
      });

      it('at it: disabled with its reason and time, no probe, and the lot drains (its held deliveries to be skipped)', async () => {
        clock = at;
        const { report, s, lot } = await run(at - PERIOD * 1000)();
        expect(s).toMatchObject({ status: 'disabled', disabledReason: 'endpoint_failing', disabledTime: new Date(at).toISOString() });
        expect(report.probes).toBe(0);
        expect(lot.state).toBe('draining');
        expect(await receiveAll()).toEqual([]);
      });
    });

    it('sends an open lot one probe when it wakes: its oldest held delivery; the lot wakes again after its wait', async () => {
      await heldRecords(5);
      await parking.openLot(openLot());
      clock = Date.parse('2026-03-01T10:02:06.000Z');
      const report = await resumer()();
      expect(report).toMatchObject({ probes: 1, lots: 1 });
      expect((await receiveAll()).map((m) => [m.deliveryId, m.resume])).toEqual([['h000', { token: 'th0', kind: 'probe' }]]);
      expect((await parking.readLot('t1', 'sub_a'))!.wakeTime).toBe(new Date(clock + 60_000).toISOString());
      // Nothing more until it wakes again.
      clock += 30_000;
      expect((await resumer()()).probes).toBe(0);
    });

    it('drains a recovered lot at its rate, spread over DelaySeconds, oldest deadline first; then closes it, checks once more, and deletes it', async () => {
      await heldRecords(30);
      await parking.openLot(openLot());
      await parking.recovered('t1', 'sub_a', new Date(T0));
      clock = Date.parse('2026-03-01T10:02:06.000Z');
      // 10 a second for a 60 s bucket: all 30 in the first round, 10 a second.
      await resumer({ resumeRatePerSecond: 10 })();
      const state = sqs.inspect(sqs.delivery);
      expect(state.ready + state.delayed).toBe(30);
      expect(state.delayed).toBe(20);
      const lot = (await parking.readLot('t1', 'sub_a'))!;
      expect(lot).toMatchObject({ state: 'closed', closedTime: new Date(clock).toISOString() });
      expect(lot.wakeTime).toBe(new Date(clock + LOT_FINAL_CHECK_SECONDS * 1000).toISOString());
      // A delivery held in the lot after it closed (an instance that read it open a moment before) is found by the final check.
      await store.write({
        deliveries: [
          record('late', {
            eventBody: serializeEvent(event('evt_late')),
            park: { kind: 'held', token: 'tl', until: '2026-03-04T00:00:00.000Z' },
          }),
        ],
      });
      clock += (LOT_FINAL_CHECK_SECONDS + 70) * 1000;
      await resumer({ resumeRatePerSecond: 10 })();
      expect((await parking.readLot('t1', 'sub_a'))!.state).toBe('closed');
      clock += (LOT_FINAL_CHECK_SECONDS + 70) * 1000;
      await resumer({ resumeRatePerSecond: 10 })();
      expect(await parking.readLot('t1', 'sub_a')).toBeUndefined();
      // Delayed messages become visible within their DelaySeconds (at most 2 s here).
      const { eventually } = await import('../support/wait.js');
      const all: string[] = [];
      await eventually('every held delivery resumed', async () => {
        all.push(...(await receiveAll()).map((m) => m.deliveryId));
        return all.length >= 31 ? all : undefined;
      });
      expect(all.sort()).toEqual([...Array.from({ length: 30 }, (_, i) => `h${String(i).padStart(3, '0')}`), 'late'].sort());
    });

    it('probes past the entries whose deadline has passed (the due-time index dead-letters those), however many', async () => {
      const past = Array.from({ length: 150 }, (_, i) =>
        record(`p${String(i).padStart(3, '0')}`, {
          eventBody: serializeEvent(event(`evt_p${i}`)),
          park: { kind: 'held', token: `tp${i}`, until: new Date(Date.parse('2026-03-01T09:00:00.000Z') + i * 1000).toISOString() },
        }),
      );
      for (let i = 0; i < past.length; i += 100) await store.write({ deliveries: past.slice(i, i + 100) });
      await heldRecords(1);
      await parking.openLot(openLot());
      clock = Date.parse('2026-03-01T10:02:06.000Z');
      expect((await resumer()()).probes).toBe(1);
      const sent = await receiveAll();
      // The probe is the first delivery still inside its schedule; the others come back through the index, to be dead-lettered.
      expect(sent.filter((m) => m.resume?.kind === 'probe').map((m) => m.deliveryId)).toEqual(['h000']);
      expect(sent.filter((m) => m.resume?.kind === 'due').every((m) => m.deliveryId.startsWith('p'))).toBe(true);
    });

    it('probes with a delivery its deadline passed a moment ago, still held (a short schedule can end before the first probe)', async () => {
      const just = record('j000', {
        eventBody: serializeEvent(event('evt_j0')),
        // A minute before the probe: the due-time index has not dead-lettered it yet.
        park: { kind: 'held', token: 'tj0', until: '2026-03-01T10:01:06.000Z' },
      });
      await store.write({ deliveries: [just] });
      await parking.openLot(openLot());
      clock = Date.parse('2026-03-01T10:02:06.000Z');
      expect((await resumer()()).probes).toBe(1);
      const sent = await receiveAll();
      expect(sent.filter((m) => m.resume?.kind === 'probe').map((m) => m.deliveryId)).toEqual(['j000']);
    });

    it('closes an open lot that has nothing left to probe', async () => {
      await parking.openLot(openLot());
      clock = Date.parse('2026-03-01T10:02:06.000Z');
      expect((await resumer()()).probes).toBe(0);
      expect((await parking.readLot('t1', 'sub_a'))!.state).toBe('closed');
    });
  });
});
