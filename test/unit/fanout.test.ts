import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createFanout, eventFromEnvelope } from '../../functions/app/fanout.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { MemoryDeliveryStore, MemorySubscriptions, subscription } from '../support/memory-ports.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-delivery';
const INGEST_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-ingest';
const sqs = mockClient(SQSClient);

/** What EventBridge hands the ingest queue for a producer's PutEvents. */
function envelope(eventId: string, type = 'card.created', extra: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: `eb-${eventId}`,
    'detail-type': type,
    source: 'acme.cards',
    time: '2026-01-01T00:00:00Z',
    detail: { tenant_id: 'tnt_1', event: { id: eventId, type, timestamp: '2026-01-01T00:00:00.000Z', data: { card_id: 'c' } }, ...extra },
  };
}

const batch = (...bodies: unknown[]): SQSEvent =>
  ({
    Records: bodies.map((b, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: typeof b === 'string' ? b : JSON.stringify(b),
      attributes: { ApproximateReceiveCount: '1' },
    })),
  }) as unknown as SQSEvent;

describe('fan-out handler', () => {
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  beforeEach(async () => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    await subs.create(subscription({ id: 'exact', events: ['card.created'] }));
    await subs.create(subscription({ id: 'wild', events: ['card*'] }));
    await subs.create(subscription({ id: 'all', events: ['*'] }));
    await subs.create(subscription({ id: 'other', events: ['transactions'] }));
    await subs.create(subscription({ id: 'off', events: ['*'], status: 'disabled' }));
    await subs.create(subscription({ id: 'gone', events: ['*'], deletedTime: '2026-01-01T00:00:00.000Z' }));
    await subs.create(subscription({ id: 'foreign', tenantId: 'tnt_2', events: ['*'] }));
  });
  const fanout = () =>
    createFanout({
      subscriptions: subs,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
      ingest: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), INGEST_URL),
    });
  const sent = () =>
    sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => parseDeliveryMessage(e.MessageBody!)));

  it("sends one message per matching enabled subscription of the event's tenant, then stores the event", async () => {
    const res = await fanout()(batch(envelope('evt_1')));
    expect(res.batchItemFailures).toEqual([]);
    const messages = sent();
    expect(messages.map((m) => m.subscriptionId).sort()).toEqual(['all', 'exact', 'wild']);
    for (const m of messages) {
      expect(m).toMatchObject({
        tenantId: 'tnt_1',
        deliveryId: deliveryIdFor('evt_1', m.subscriptionId),
        event: { id: 'evt_1', type: 'card.created' },
      });
      // The body every attempt sends, serialized once here.
      expect(JSON.parse(m.body!)).toEqual({
        id: 'evt_1',
        type: 'card.created',
        timestamp: '2026-01-01T00:00:00.000Z',
        data: { card_id: 'c' },
      });
    }
    expect(store.events.get('tnt_1/evt_1')).toMatchObject({ deliveries: 3, published: true });
    // Listed in each subscription's history, in the same write as the event; the disabled one
    // that wants it lists it skipped (sent nothing), for a recovery once it is enabled again.
    expect(store.writes).toBe(1);
    expect(store.history.map((h) => [h.subscriptionId, h.eventId, h.eventType, h.skipped ?? false]).sort()).toEqual([
      ['all', 'evt_1', 'card.created', false],
      ['exact', 'evt_1', 'card.created', false],
      ['off', 'evt_1', 'card.created', true],
      ['wild', 'evt_1', 'card.created', false],
    ]);
    expect(new Set(store.history.map((h) => h.createdTime)).size).toBe(1);
    expect(messages.every((m) => m.listed === true)).toBe(true);
    // Each message names its tenant as its MessageGroupId: the delivery queue is a fair queue.
    const entries = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!);
    expect(entries.map((e) => e.MessageGroupId)).toEqual(['tnt_1', 'tnt_1', 'tnt_1']);
  });

  it('makes no second delivery when a producer puts the same event on the bus again', async () => {
    await fanout()(batch(envelope('evt_2')));
    sqs.resetHistory();
    await fanout()(batch(envelope('evt_2'), envelope('evt_2')));
    expect(sent()).toEqual([]);
  });

  it('keeps an event with one subscription in its delivery record: no event item, one message that says so, listed', async () => {
    const res = await fanout()(batch(envelope('evt_sole', 'card.created', { tenant_id: 'tnt_2' })));
    expect(res.batchItemFailures).toEqual([]);
    expect(sent().map((m) => [m.subscriptionId, m.eventInRecord])).toEqual([['foreign', true]]);
    expect(store.events.size).toBe(0);
    expect(store.history.map((h) => [h.subscriptionId, h.eventId])).toEqual([['foreign', 'evt_sole']]);
  });

  it("finds an event with one subscription again by its delivery's record, and lists it again beside the first", async () => {
    const again = () => fanout()(batch(envelope('evt_sole2', 'card.created', { tenant_id: 'tnt_2' })));
    await again();
    // Put on the bus again before any attempt: nothing records it yet, so it is sent again
    // (the sender keeps one of the two copies).
    await again();
    expect(sent()).toHaveLength(2);
    const [first] = sent();
    await store.write({
      deliveries: [
        {
          id: first!.deliveryId,
          tenantId: 'tnt_2',
          subscriptionId: 'foreign',
          eventId: 'evt_sole2',
          eventType: 'card.created',
          status: 'succeeded',
          attempts: 1,
          generation: 0,
          createdTime: first!.createdTime,
          updatedTime: first!.createdTime,
        },
      ],
    });
    sqs.resetHistory();
    const res = await again();
    expect(res.batchItemFailures).toEqual([]);
    expect(sent()).toEqual([]);
    // Its history entry again (a crash may have come before the first), at the delivery's time.
    expect(store.history.at(-1)).toMatchObject({ subscriptionId: 'foreign', eventId: 'evt_sole2', createdTime: first!.createdTime });
    expect(store.events.size).toBe(0);
  });

  it('a stale (eventually consistent) read makes at worst a second copy with its own time, never a lost delivery', async () => {
    // What DynamoDB may answer just after a write: the record is not there yet (dynalite never does this).
    store.getDeliveries = async () => new Map();
    const again = () => fanout()(batch(envelope('evt_stale', 'card.created', { tenant_id: 'tnt_2' })));
    await again();
    await new Promise((r) => setTimeout(r, 5));
    await again();
    const copies = sent();
    expect(copies.map((m) => m.deliveryId)).toEqual([copies[0]!.deliveryId, copies[0]!.deliveryId]);
    // Stamped apart, so the sender keeps the copy attempted first and drops the other.
    expect(copies[0]!.createdTime).not.toBe(copies[1]!.createdTime);
    expect(store.history.map((h) => h.eventId)).toEqual(['evt_stale', 'evt_stale']);
  });

  it('gives an event with one subscription an item of its own when its body is over 1 KB', async () => {
    const big = envelope('evt_big', 'card.created', { tenant_id: 'tnt_2' });
    big.detail.event.data = { card_id: 'x'.repeat(1024) };
    await fanout()(batch(big));
    expect(sent().map((m) => [m.subscriptionId, m.eventInRecord])).toEqual([['foreign', undefined]]);
    expect(store.events.get('tnt_2/evt_big')).toMatchObject({ deliveries: 1 });
  });

  it('counts an event twice in one batch once', async () => {
    await fanout()(batch(envelope('evt_3'), envelope('evt_3')));
    expect(sent()).toHaveLength(3);
  });

  it('batches messages in tens across the events of a batch', async () => {
    for (let i = 0; i < 5; i++) await subs.create(subscription({ id: `extra${i}`, events: ['card.created'] }));
    await fanout()(batch(envelope('evt_4'), envelope('evt_5')));
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 6]);
  });

  it('takes type, id and time from the EventBridge envelope when a producer leaves them out', () => {
    const e = eventFromEnvelope(
      JSON.stringify({
        id: 'eb-1',
        'detail-type': 'transactions',
        time: '2026-02-02T00:00:00Z',
        detail: { tenant_id: 't', event: { data: { x: 1 } } },
      }),
    );
    expect(e).toEqual({
      tenantId: 't',
      event: { id: 'eb-1', type: 'transactions', timestamp: '2026-02-02T00:00:00Z', data: { x: 1 } },
      stored: false,
    });
    expect(() => eventFromEnvelope(JSON.stringify({ detail: {} }))).toThrow(/tenant_id/);
  });

  it('carries the event body once, unescaped, after a one-line header', async () => {
    await fanout()(batch(envelope('evt_body')));
    const raw = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!.MessageBody!;
    const [header, ...rest] = raw.split('\n');
    expect(JSON.parse(header!)).not.toHaveProperty('body');
    expect(rest.join('\n')).toBe('{"id":"evt_body","type":"card.created","timestamp":"2026-01-01T00:00:00.000Z","data":{"card_id":"c"}}');
  });

  it('does not let a producer skip de-duplication with detail.unique', async () => {
    await fanout()(batch(envelope('evt_u', 'card.created', { unique: true })));
    sqs.resetHistory();
    const res = await fanout()(batch(envelope('evt_u', 'card.created', { unique: true })));
    expect(res.batchItemFailures).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it('batches by bytes as well as by count: SendMessageBatch takes 1 MiB at most', async () => {
    for (let i = 0; i < 7; i++) await subs.create(subscription({ id: `big${i}`, events: ['card.created'] }));
    const big = envelope('evt_big');
    (big.detail.event.data as Record<string, unknown>).blob = 'x'.repeat(300_000);
    const res = await fanout()(batch(big));
    expect(res.batchItemFailures).toEqual([]);
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.flat()).toHaveLength(10);
    for (const entries of calls) {
      expect(entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody!), 0)).toBeLessThanOrEqual(1024 * 1024);
      // The body is in the message once (about 300 KB), not escaped into a JSON string again.
      for (const e of entries) expect(Buffer.byteLength(e.MessageBody!)).toBeLessThan(301_000);
    }
    expect(calls.map((e) => e.length)).toEqual([3, 3, 3, 1]);
  });

  it('reads an event the API stored (too large for a PutEvents entry) from the table', async () => {
    const event = { id: 'evt_stored', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { card_id: 'from-table' } };
    await store.write({ events: [{ tenantId: 'tnt_1', event, storedTime: event.timestamp, published: true }] });
    const reference = envelope('evt_stored');
    reference.detail = { tenant_id: 'tnt_1', event: { id: event.id, type: event.type, timestamp: event.timestamp }, stored: true } as never;
    const res = await fanout()(batch(reference));
    expect(res.batchItemFailures).toEqual([]);
    expect(sent().map((m) => JSON.parse(m.body!).data)).toEqual([
      { card_id: 'from-table' },
      { card_id: 'from-table' },
      { card_id: 'from-table' },
    ]);
    expect(store.events.get('tnt_1/evt_stored')).toMatchObject({ deliveries: 3 });
  });

  it('fails only the event whose messages SQS refused; the others are done and stored', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => ({
      Successful: input.Entries.filter((e) => !e.MessageBody.includes('evt_bad')).map((e) => ({ Id: e.Id, MessageId: e.Id })),
      Failed: input.Entries.filter((e) => e.MessageBody.includes('evt_bad')).map((e) => ({
        Id: e.Id,
        SenderFault: true,
        Code: 'InvalidMessageContents',
      })),
    }));
    const res = await fanout()(batch(envelope('evt_ok1'), envelope('evt_bad'), envelope('evt_ok2')));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(store.events.has('tnt_1/evt_bad')).toBe(false);
    // Only what was sent is listed.
    expect(new Set(store.history.map((h) => h.eventId))).toEqual(new Set(['evt_ok1', 'evt_ok2']));
    expect(store.events.get('tnt_1/evt_ok1')).toMatchObject({ deliveries: 3 });
    expect(store.events.get('tnt_1/evt_ok2')).toMatchObject({ deliveries: 3 });
  });

  it('fails the batch (and stores nothing) when SQS does not take the messages, so it comes back', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    const res = await fanout()(batch(envelope('evt_6'), 'not json'));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m0', 'm1']);
    expect(store.events.has('tnt_1/evt_6')).toBe(false);
  });

  describe('payload filters', () => {
    const filtered = async (filter: Record<string, unknown>) => {
      subs.items.clear();
      await subs.create(subscription({ id: 'visa', events: ['card*'], filter: { brand: ['visa'] } }));
      await subs.create(subscription({ id: 'big', events: ['card*'], filter: filter as never }));
      await subs.create(subscription({ id: 'plain', events: ['transactions'] }));
    };
    const withData = (eventId: string, data: Record<string, unknown>) => {
      const e = envelope(eventId);
      e.detail.event.data = data as never;
      return e;
    };

    it('sends only to subscriptions whose filter the data passes, after their event types', async () => {
      await filtered({ amount: [{ numeric: ['>', 100] }] });
      const res = await fanout()(
        batch(withData('evt_f1', { brand: 'visa', amount: 100 }), withData('evt_f2', { brand: 'amex', amount: 101 })),
      );
      expect(res.batchItemFailures).toEqual([]);
      expect(
        sent()
          .map((m) => `${m.event.id}>${m.subscriptionId}`)
          .sort(),
      ).toEqual(['evt_f1>visa', 'evt_f2>big']);
    });

    it('makes no delivery of an event no filter matches: no message, no record, no history entry', async () => {
      await filtered({ amount: [{ numeric: ['>', 100] }] });
      const res = await fanout()(batch(withData('evt_none', { brand: 'amex', amount: 5 })));
      expect(res.batchItemFailures).toEqual([]);
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
      expect(store.deliveries.size).toBe(0);
      expect(store.events.get('tnt_1/evt_none')).toMatchObject({ deliveries: 0 });
    });

    it('reads the data of an event whose body is beside the table to evaluate filters', async () => {
      await filtered({ amount: [{ numeric: ['>=', 1000] }] });
      const event = {
        id: 'evt_beside',
        type: 'card.created',
        timestamp: '2026-01-01T00:00:00.000Z',
        data: { brand: 'amex', amount: 1000 },
      };
      const bodies = new Map([['bodies/evt_beside.json', JSON.stringify(event)]]);
      await store.write({
        events: [
          {
            tenantId: 'tnt_1',
            event: { ...event, data: {} },
            storedTime: event.timestamp,
            published: true,
            bodyKey: 'bodies/evt_beside.json',
          },
        ],
      });
      const reference = envelope('evt_beside');
      reference.detail = {
        tenant_id: 'tnt_1',
        event: { id: event.id, type: event.type, timestamp: event.timestamp },
        stored: true,
      } as never;
      const handler = createFanout({
        subscriptions: subs,
        store,
        deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
        ingest: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), INGEST_URL),
        bodies: { put: async () => undefined, get: async (key) => bodies.get(key) },
      });
      const res = await handler(batch(reference));
      expect(res.batchItemFailures).toEqual([]);
      expect(sent().map((m) => [m.subscriptionId, m.bodyKey])).toEqual([['big', 'bodies/evt_beside.json']]);
    });
  });
});
