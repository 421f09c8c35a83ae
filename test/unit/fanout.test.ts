import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createFanout, eventFromEnvelope } from '../../functions/app/fanout.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { MemoryDeliveryStore, MemorySubscriptions, subscription } from '../support/memory-ports.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Webhooks-delivery';
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
    createFanout({ subscriptions: subs, store, deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL) });
  const sent = () =>
    sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!)));

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
      expect(JSON.parse(m.body)).toEqual({
        id: 'evt_1',
        type: 'card.created',
        timestamp: '2026-01-01T00:00:00.000Z',
        data: { card_id: 'c' },
      });
    }
    expect(store.events.get('tnt_1/evt_1')).toMatchObject({ deliveries: 3, published: true });
  });

  it('makes no second delivery when a producer puts the same event on the bus again', async () => {
    await fanout()(batch(envelope('evt_2')));
    sqs.resetHistory();
    await fanout()(batch(envelope('evt_2'), envelope('evt_2')));
    expect(sent()).toEqual([]);
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
      unique: false,
    });
    expect(() => eventFromEnvelope(JSON.stringify({ detail: {} }))).toThrow(/tenant_id/);
  });

  it('fails the batch (and stores nothing) when SQS does not take the messages, so it comes back', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    const res = await fanout()(batch(envelope('evt_6'), 'not json'));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m0', 'm1']);
    expect(store.events.has('tnt_1/evt_6')).toBe(false);
  });
});
