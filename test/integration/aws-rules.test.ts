import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { keys } from '../../functions/adapters/aws/dynamodb-keys.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { QueueEventBus } from '../../functions/adapters/local/queue-event-bus.js';
import { createFanout } from '../../functions/app/fanout.js';
import { PUT_EVENTS_MAX_ENTRY_BYTES } from '../../functions/domain/aws-limits.js';
import { busEntry, EVENT_BODY_IN_ITEM_MAX_BYTES, eventBytes } from '../../functions/domain/bus-entry.js';
import { bodyKeyFor, parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { serializeEvent } from '../../functions/domain/webhook-body.js';
import { enforceDynamoRules } from '../../local/aws-rules/dynamodb.js';
import { enforceSqsRules } from '../../local/aws-rules/sqs.js';
import { type BodyBucket, LOCAL_BODY_BUCKET, startBodyBucket } from '../../local/body-bucket.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { Faults } from '../../local/faults.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { MemorySubscriptions, subscription } from '../support/memory-ports.js';

/**
 * The twin's rule layer on the real emulators: what fauxqs and dynalite enforce themselves is
 * kept (and shown here), what they do not is added by local/aws-rules/, and the fan-out, on
 * fauxqs and dynalite, fails only the events it could not send.
 */

const TABLE = 'rules-test';
let sqs: SqsEmulator;
let db: DynamoEmulator;
let bodies: BodyBucket;
const faults = new Faults();

beforeAll(async () => {
  [sqs, db] = await Promise.all([startSqs({ schedule: [1, 1] }), startDynamo(undefined, TABLE)]);
  enforceSqsRules(sqs.client, faults);
  enforceDynamoRules(db.client);
  bodies = await startBodyBucket(sqs.endpoint, 30);
});
afterAll(async () => {
  bodies?.stop();
  await sqs?.stop();
  await db?.stop();
});

/** A card.created event whose body, as receivers get it, is `bytes` long. */
function eventOf(id: string, bytes: number) {
  const e = { id, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { card_id: id, blob: '' } };
  e.data.blob = 'x'.repeat(bytes - eventBytes(e));
  return e;
}

describe('S3 (the body store) on fauxqs', () => {
  it("keeps a 1 MiB body, answers undefined for a key it does not have, and has the stack's lifecycle rule", async () => {
    const body = serializeEvent(eventOf('evt_s3', 1024 * 1024));
    const key = bodyKeyFor('t', 'evt_s3', body);
    await bodies.store.put(key, body);
    expect(await bodies.store.get(key)).toBe(body);
    expect(await bodies.store.get('bodies/none/none.json')).toBeUndefined();
    const lifecycle = await bodies.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: LOCAL_BODY_BUCKET }));
    expect(lifecycle.Rules?.[0]).toMatchObject({ Status: 'Enabled', Expiration: { Days: 30 } });
  });
});
beforeEach(() => faults.clear());

async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return bodies;
    bodies.push(...out.Messages.map((m) => m.Body!));
  }
}

describe('SQS on fauxqs with the rule layer', () => {
  it('keeps fauxqs refusing a batch over 1 MiB in total (BatchRequestTooLong) and over 10 entries', async () => {
    const body = 'x'.repeat(300 * 1024);
    await expect(
      sqs.client.send(
        new SendMessageBatchCommand({ QueueUrl: sqs.delivery.url, Entries: [0, 1, 2, 3].map((n) => ({ Id: `m${n}`, MessageBody: body })) }),
      ),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    await expect(
      sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl: sqs.delivery.url,
          Entries: Array.from({ length: 11 }, (_, n) => ({ Id: `m${n}`, MessageBody: 'x' })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
  });

  it('refuses more than 10 message attributes, as SQS does', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, n) => [`a${n}`, { DataType: 'String', StringValue: 'v' }]));
    await expect(
      sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.delivery.url, MessageBody: 'x', MessageAttributes: attributes })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('SqsQueue splits by bytes, so four 300 KB messages go in two requests and all arrive', async () => {
    const queue = new SqsQueue(sqs.client, sqs.delivery.url);
    const failed = await queue.trySendAll([0, 1, 2, 3].map((n) => ({ id: `m${n}`, body: `${n}${'x'.repeat(300 * 1024)}` })));
    expect(failed).toEqual([]);
    expect((await drain(sqs.delivery.url)).map((b) => b[0]).sort()).toEqual(['0', '1', '2', '3']);
  });

  it('retries entries SendMessageBatch reports failed, and names those that never went', async () => {
    const queue = new SqsQueue(sqs.client, sqs.delivery.url);
    faults.failSendEntries({ queueUrl: sqs.delivery.url, match: (b) => b === 'flaky', times: 2 });
    faults.failSendEntries({
      queueUrl: sqs.delivery.url,
      match: (b) => b === 'refused',
      senderFault: true,
      code: 'InvalidMessageContents',
    });
    const failed = await queue.trySendAll([
      { id: 'a', body: 'fine' },
      { id: 'b', body: 'flaky' },
      { id: 'c', body: 'refused' },
    ]);
    expect(failed).toEqual([{ id: 'c', reason: 'InvalidMessageContents injected fault' }]);
    expect((await drain(sqs.delivery.url)).sort()).toEqual(['fine', 'flaky']);
    expect(faults.injected).toBe(3);
  });
});

describe('the EventBridge stand-in', () => {
  it('takes 1 to 10 entries, each and all together under 1 MB (1,000,000 bytes)', async () => {
    const bus = new QueueEventBus(new SqsQueue(sqs.client, sqs.ingest.url));
    const event = (n: number, bytes = 10) => ({
      id: `e${n}`,
      type: 'card.created',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { blob: 'x'.repeat(bytes) },
    });
    await expect(bus.putEvents(Array.from({ length: 11 }, (_, n) => busEntry('t', event(n))))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(bus.putEvents([busEntry('t', event(1, PUT_EVENTS_MAX_ENTRY_BYTES))])).rejects.toThrow(/over EventBridge's limit/);
    await expect(bus.putEvents([0, 1, 2].map((n) => busEntry('t', event(n, 400 * 1024))))).rejects.toThrow(/Total size of the entries/);
    await bus.putEvents([busEntry('t', event(1, 1000))]);
    expect(await drain(sqs.ingest.url)).toHaveLength(1);
  });

  it("gives each event its detail.tenant_id as MessageGroupId, as the rule target does; one SQS refuses goes to the target's DLQ", async () => {
    const bus = new QueueEventBus(new SqsQueue(sqs.client, sqs.ingest.url), 'us-east-1', new SqsQueue(sqs.client, sqs.busTargetDlq.url));
    const event = { id: 'e_group', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: {} };
    await bus.putEvents([busEntry('tnt_g', event), busEntry('tnt_h', { ...event, id: 'e_group2' })]);
    const received = async (url: string) =>
      (
        await sqs.client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['MessageGroupId'],
          }),
        )
      ).Messages ?? [];
    const ingested = await received(sqs.ingest.url);
    expect(ingested.map((m) => [JSON.parse(m.Body!).detail.tenant_id, m.Attributes?.MessageGroupId]).sort()).toEqual([
      ['tnt_g', 'tnt_g'],
      ['tnt_h', 'tnt_h'],
    ]);
    // A producer's tenant id that is no MessageGroupId: SQS refuses it, EventBridge gives up on the target.
    await bus.putEvents([busEntry('not a group id', { ...event, id: 'e_bad' })]);
    expect(await received(sqs.ingest.url)).toEqual([]);
    const parked = await received(sqs.busTargetDlq.url);
    expect(parked.map((m) => [JSON.parse(m.Body!).detail.tenant_id, m.Attributes?.MessageGroupId])).toEqual([
      ['not a group id', undefined],
    ]);
  });

  it("sends the ingest queue what concurrent PutEvents calls put, together; only a refused event goes to the target's DLQ", async () => {
    const ingest = new SqsQueue(sqs.client, sqs.ingest.url);
    const sends: number[] = [];
    const counted = Object.assign(Object.create(ingest), {
      trySendAll: (m: Parameters<SqsQueue['trySendAll']>[0]) => {
        sends.push(m.length);
        return ingest.trySendAll(m);
      },
    }) as SqsQueue;
    const bus = new QueueEventBus(counted, 'us-east-1', new SqsQueue(sqs.client, sqs.busTargetDlq.url));
    const event = (n: number) => ({ id: `e_many_${n}`, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: {} });
    await Promise.all(Array.from({ length: 25 }, (_, n) => bus.putEvents([busEntry(n === 7 ? 'not a group id' : `tnt_${n}`, event(n))])));
    // Every call returned once its event was on a queue: nothing is left in flight here.
    expect(sends).toEqual([25]);
    const ingested = await drain(sqs.ingest.url);
    expect(ingested.map((b) => JSON.parse(b).detail.event.id).sort()).toEqual(
      Array.from({ length: 25 }, (_, n) => `e_many_${n}`)
        .filter((id) => id !== 'e_many_7')
        .sort(),
    );
    const parked = await drain(sqs.busTargetDlq.url);
    expect(parked.map((b) => JSON.parse(b).detail.event.id)).toEqual(['e_many_7']);
  });
});

describe('DynamoDB on dynalite with the rule layer', () => {
  it('keeps dynalite refusing an item over 400 KB', async () => {
    await expect(
      db.client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'p' }, sk: { S: 's' }, v: { S: 'x'.repeat(401 * 1024) } } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses maps nested deeper than 32 levels, as DynamoDB does', async () => {
    let value: Record<string, unknown> = { S: 'leaf' };
    for (let i = 0; i < 33; i++) value = { M: { k: value } };
    await expect(
      db.client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'p' }, sk: { S: 'deep' }, v: value as never } })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Nesting') });
  });

  it('keeps only the key of a body beside the table: the item stays small, and reads back with the key and no data', async () => {
    const store = new DynamoDeliveryStore(db.doc, TABLE);
    const event = eventOf('evt_beside', 1024 * 1024);
    const bodyKey = bodyKeyFor('t', event.id, serializeEvent(event));
    await store.write({ events: [{ tenantId: 't', event, storedTime: event.timestamp, bodyKey }] });
    const item = await db.doc.send(new GetCommand({ TableName: TABLE, Key: keys.event('t', 'evt_beside') }));
    expect(item.Item).toMatchObject({ body_key: bodyKey, event_type: 'card.created' });
    expect(item.Item!.body).toBeUndefined();
    expect(JSON.stringify(item.Item).length).toBeLessThan(1024);
    const read = (await store.getEvents([{ tenantId: 't', eventId: event.id }])).get('t/evt_beside')!;
    expect(read).toMatchObject({ bodyKey, event: { id: event.id, type: 'card.created', data: {} } });
  });

  it('stores an event of any shape as one string, and writes 30 large items in byte- and count-bounded batches', async () => {
    const store = new DynamoDeliveryStore(db.doc, TABLE);
    let deep: Record<string, unknown> = { leaf: 1e300 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const events = Array.from({ length: 30 }, (_, n) => ({
      tenantId: 't',
      event: {
        id: `big${n}`,
        type: 'card.created',
        timestamp: '2026-01-01T00:00:00.000Z',
        data: { n, deep, blob: 'x'.repeat(300 * 1024) },
      },
      storedTime: '2026-01-01T00:00:00.000Z',
    }));
    await store.write({ events });
    // dynalite answers about 1 MB a BatchGetItem: the rest comes back as UnprocessedKeys, read in further rounds.
    const read = await store.getEvents(events.map((e) => ({ tenantId: 't', eventId: e.event.id })));
    expect(read.size).toBe(30);
    expect(read.get('t/big7')!.event.data).toEqual(events[7]!.event.data);
  });
});

describe('fan-out on the twin', () => {
  const record = (n: number, eventId: string): SQSEvent['Records'][number] =>
    ({
      messageId: `m${n}`,
      receiptHandle: `r${n}`,
      attributes: { ApproximateReceiveCount: '1' },
      body: JSON.stringify({
        id: `eb-${n}`,
        'detail-type': 'card.created',
        time: '2026-01-01T00:00:00Z',
        detail: { tenant_id: 'tnt_f', event: { id: eventId, type: 'card.created', data: { card_id: eventId } } },
      }),
    }) as never;

  it('does not let a producer skip de-duplication with detail.unique', async () => {
    const subs = new MemorySubscriptions();
    // Two subscriptions: the event gets an item of its own, which is what finds it again.
    await subs.create(subscription({ id: 's1', tenantId: 'tnt_f', events: ['card.created'] }));
    await subs.create(subscription({ id: 's2', tenantId: 'tnt_f', events: ['card.created'] }));
    const fanout = createFanout({
      subscriptions: subs,
      store: new DynamoDeliveryStore(db.doc, TABLE),
      deliveries: new SqsQueue(sqs.client, sqs.delivery.url),
      ingest: new SqsQueue(sqs.client, sqs.ingest.url),
    });
    const r = record(0, 'evt_unique');
    const claimed = { ...r, body: r.body.replace('"tenant_id":"tnt_f"', '"tenant_id":"tnt_f","unique":true') };
    expect(claimed.body).toContain('"unique":true');
    await fanout({ Records: [claimed] } as SQSEvent);
    await fanout({ Records: [{ ...claimed, messageId: 'm-again' }] } as SQSEvent);
    expect((await drain(sqs.delivery.url)).map(parseDeliveryMessage).map((m) => m.subscriptionId)).toEqual(['s1', 's2']);
  });

  it('puts a body too large for the event item beside the table once, and its messages carry the key', async () => {
    const subs = new MemorySubscriptions();
    for (const id of ['s1', 's2']) await subs.create(subscription({ id, tenantId: 'tnt_f', events: ['card.created'] }));
    const store = new DynamoDeliveryStore(db.doc, TABLE);
    const fanout = createFanout({
      subscriptions: subs,
      store,
      bodies: bodies.store,
      deliveries: new SqsQueue(sqs.client, sqs.delivery.url),
      ingest: new SqsQueue(sqs.client, sqs.ingest.url),
    });
    const event = eventOf('evt_large_bus', 900_000);
    const body = serializeEvent(event);
    expect(body.length).toBeGreaterThan(EVENT_BODY_IN_ITEM_MAX_BYTES);
    const envelope = (n: number) =>
      ({
        messageId: `big${n}`,
        receiptHandle: `rb${n}`,
        attributes: { ApproximateReceiveCount: '1' },
        body: JSON.stringify({ id: `eb-big${n}`, 'detail-type': 'card.created', detail: { tenant_id: 'tnt_f', event } }),
      }) as never;
    expect((await fanout({ Records: [envelope(0)] } as SQSEvent)).batchItemFailures).toEqual([]);
    const raw = await drain(sqs.delivery.url);
    expect(raw.map((r) => r.length).every((n) => n < 1024)).toBe(true);
    const key = bodyKeyFor('tnt_f', event.id, body);
    expect(raw.map(parseDeliveryMessage).map((m) => [m.subscriptionId, m.bodyKey])).toEqual([
      ['s1', key],
      ['s2', key],
    ]);
    expect(await bodies.store.get(key)).toBe(body);
    expect((await store.getEvents([{ tenantId: 'tnt_f', eventId: event.id }])).get(`tnt_f/${event.id}`)).toMatchObject({
      bodyKey: key,
      deliveries: 2,
    });
    // The bus puts it on again: found fanned out, nothing sent.
    await fanout({ Records: [envelope(1)] } as SQSEvent);
    expect(await drain(sqs.delivery.url)).toEqual([]);
  });

  it('fails only the bad event of a batch; a failed invocation sent again duplicates nothing', async () => {
    const subs = new MemorySubscriptions();
    for (const id of ['s1', 's2']) await subs.create(subscription({ id, tenantId: 'tnt_f', events: ['card.created'] }));
    const store = new DynamoDeliveryStore(db.doc, TABLE);
    const fanout = faults.wrapHandler(
      'fanout',
      createFanout({
        subscriptions: subs,
        store,
        deliveries: new SqsQueue(sqs.client, sqs.delivery.url),
        ingest: new SqsQueue(sqs.client, sqs.ingest.url),
      }),
    );
    faults.failSendEntries({
      queueUrl: sqs.delivery.url,
      match: (b) => b.includes('"evt_bad"'),
      senderFault: true,
      code: 'InvalidMessageContents',
    });
    // The invocation does its work, then fails as a timeout would: Lambda returns the whole batch.
    faults.failInvocations('fanout', { when: 'after', times: 1 });
    const batch = { Records: [record(0, 'evt_ok1'), record(1, 'evt_bad'), record(2, 'evt_ok2')] } as SQSEvent;
    await expect(fanout(batch)).rejects.toThrow(/injected fault/);
    const again = await fanout(batch);
    expect(again.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    const sent = (await drain(sqs.delivery.url)).map(parseDeliveryMessage);
    expect(sent.map((m) => `${m.event.id}/${m.subscriptionId}`).sort()).toEqual(['evt_ok1/s1', 'evt_ok1/s2', 'evt_ok2/s1', 'evt_ok2/s2']);
  });
});
