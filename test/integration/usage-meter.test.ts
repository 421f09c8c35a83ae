import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { GSI2 } from '../../functions/adapters/aws/dynamodb-keys.js';
import { dynamoItemBytes } from '../../functions/domain/dynamodb-item-size.js';
import type { Delivery, WebhookEvent } from '../../functions/domain/model.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { UsageMeter, updateClauses } from '../../local/usage-meter.js';

/** The benchmark's cost model rests on these units being counted as AWS bills them. */
describe('UsageMeter', () => {
  let dynamo: DynamoEmulator;
  let sqs: SqsEmulator;
  let ours: SQSClient;
  const meter = new UsageMeter();
  const table = 'usage';

  beforeAll(async () => {
    dynamo = await startDynamo(undefined, table);
    sqs = await startSqs({ schedule: [1] });
    meter.instrumentDynamo(dynamo.client);
    meter.instrumentSqs(sqs.client, 'aws');
    ours = meter.instrumentSqs(new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), 'code');
  });
  afterAll(async () => {
    ours.destroy();
    await sqs.stop();
    await dynamo.stop();
  });

  it('adds up the capacity dynalite reports: writes by the started KB, strongly consistent reads by the 4 KB', async () => {
    meter.reset();
    // 1,500 bytes of value: 2 WRU to write, 1 RRU to read strongly consistent, 0.5 eventually.
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: 'a', sk: 'a', v: 'x'.repeat(1500) } }));
    await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: 'a', sk: 'a' }, ConsistentRead: true }));
    await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: 'a', sk: 'a' } }));
    const u = meter.snapshot().dynamodb;
    expect(u.writeUnits).toBe(2);
    expect(u.readUnits).toBe(1.5);
    expect(u.indexWriteUnits).toBe(0);
    expect(u.requests).toEqual({ PutItem: 1, GetItem: 2 });
  });

  it('counts the index writes dynalite leaves out: an item that carries the index key is written to the index whole', async () => {
    meter.reset();
    await dynamo.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: [
            { PutRequest: { Item: { pk: 'b', sk: 'b', gsi1pk: 'g', gsi1sk: '1', v: 'y'.repeat(1100) } } },
            { PutRequest: { Item: { pk: 'c', sk: 'c', v: 'z' } } },
          ],
        },
      }),
    );
    const u = meter.snapshot().dynamodb;
    expect(u.writeUnits).toBe(3);
    expect(u.indexWriteUnits).toBe(2);
  });

  it('counts the due-time index (gsi2, keys only) at its entry size: a write when a record gains its keys, a removal when it loses them', async () => {
    // The delivery store as the sender uses it: a parked record carries gsi2 keys, its next write has none.
    const store = new DynamoDeliveryStore(dynamo.doc, table, 30, () => new Date('2026-11-30T12:00:00.000Z'), 60);
    const delivery: Delivery = {
      id: 'dlv_meter_1',
      tenantId: 'tnt_meter',
      subscriptionId: 'sub_meter',
      eventId: 'evt_meter_1',
      eventType: 'card.created',
      status: 'pending',
      attempts: 2,
      generation: 0,
      createdTime: '2026-11-30T12:00:00.000Z',
      updatedTime: '2026-11-30T12:00:00.000Z',
      // Over 2 KB: what dynalite bills for the record, not what the index entry costs.
      eventBody: JSON.stringify({ note: 'b'.repeat(2100) }),
    };
    meter.reset();
    await store.write({ deliveries: [{ ...delivery, park: { kind: 'due', token: 'tok1', until: '2026-11-30T12:10:00.000Z' } }] });
    let u = meter.snapshot().dynamodb;
    expect(u.writeUnits).toBe(3);
    // Keys only: pk, sk, gsi2pk and gsi2sk, about 110 bytes: 1 unit, whatever the record weighs.
    expect(u.indexWrites).toEqual({ gsi2: { writes: 1, units: 1 } });
    expect(u.indexWriteUnits).toBe(1);
    expect(u.items).toEqual({ 'BatchWriteItem delivery': 1 });

    // Written again with the same park (the same keys): nothing to write to a keys-only index.
    meter.reset();
    await store.write({ deliveries: [{ ...delivery, park: { kind: 'due', token: 'tok1', until: '2026-11-30T12:10:00.000Z' } }] });
    expect(meter.snapshot().dynamodb.indexWriteUnits).toBe(0);

    // Parked again (another token, another bucket): the old entry removed, the new one written.
    meter.reset();
    await store.write({ deliveries: [{ ...delivery, park: { kind: 'due', token: 'tok2', until: '2026-11-30T13:00:00.000Z' } }] });
    expect(meter.snapshot().dynamodb.indexWrites).toEqual({ gsi2: { writes: 2, units: 2 } });

    // Attempted and written without its park: the removal from the index is a write too.
    meter.reset();
    await store.write({ deliveries: [{ ...delivery, attempts: 3, status: 'succeeded' }] });
    u = meter.snapshot().dynamodb;
    expect(u.indexWrites).toEqual({ gsi2: { writes: 1, units: 1 } });
    expect(u.writeUnits).toBe(3);

    // And nothing more once it is out of the index.
    meter.reset();
    await store.write({ deliveries: [{ ...delivery, attempts: 3, status: 'succeeded' }] });
    expect(meter.snapshot().dynamodb.indexWriteUnits).toBe(0);
  });

  it('sizes a keys-only entry by the keys, an ALL entry by the item', async () => {
    meter.reset();
    const keys = { pk: 'k'.repeat(600), sk: 'K', gsi2pk: 'p'.repeat(300), gsi2sk: 's'.repeat(200) };
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { ...keys, v: 'v'.repeat(5000) } }));
    const u = meter.snapshot().dynamodb;
    // 1,110 bytes of keys: 2 units, not the item's 6.
    expect(dynamoItemBytes(keys)).toBeGreaterThan(1024);
    expect(u.indexWrites).toEqual({ gsi2: { writes: 1, units: 2 } });
    expect(u.writeUnits).toBe(6);
  });

  it('follows UpdateItem and DeleteItem in and out of the index (the lot heads)', async () => {
    meter.reset();
    const Key = { pk: 'TENANT#t#SUB#s#LOT', sk: 'LOT' };
    const setWake = (pk: string) =>
      dynamo.doc.send(
        new UpdateCommand({
          TableName: table,
          Key,
          UpdateExpression: 'SET #state = :s, wake_time = if_not_exists(wake_time, :w), gsi2pk = :gpk, gsi2sk = :gsk',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':s': 'open', ':w': 'now', ':gpk': pk, ':gsk': '1#LOT' },
        }),
      );
    await setWake('DUE#60#1');
    expect(meter.snapshot().dynamodb.indexWrites).toEqual({ gsi2: { writes: 1, units: 1 } });
    await setWake('DUE#60#1');
    expect(meter.snapshot().dynamodb.indexWrites).toEqual({ gsi2: { writes: 1, units: 1 } });
    await setWake('DUE#120#1');
    expect(meter.snapshot().dynamodb.indexWrites).toEqual({ gsi2: { writes: 3, units: 3 } });
    await dynamo.doc.send(new UpdateCommand({ TableName: table, Key, UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }));
    expect(meter.snapshot().dynamodb.indexWrites).toEqual({ gsi2: { writes: 4, units: 4 } });
    await setWake('DUE#180#1');
    await dynamo.doc.send(new DeleteCommand({ TableName: table, Key }));
    const u = meter.snapshot().dynamodb;
    expect(u.indexWrites).toEqual({ gsi2: { writes: 6, units: 6 } });
    expect(u.items).toEqual({ 'UpdateItem lot': 5, 'DeleteItem lot': 1 });
  });

  it('bills a failed conditional write 1 unit and no index write', async () => {
    meter.reset();
    const Item = { pk: 'RESUMER', sk: 'CURSOR', bucket: 60, gsi2pk: 'x', gsi2sk: 'y' };
    await dynamo.doc.send(new PutCommand({ TableName: table, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
    await expect(
      dynamo.doc.send(
        new PutCommand({ TableName: table, Item: { ...Item, gsi2pk: 'z' }, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    ).rejects.toThrow(/conditional/i);
    const u = meter.snapshot().dynamodb;
    expect(u.writeUnits).toBe(2);
    expect(u.indexWrites).toEqual({ gsi2: { writes: 1, units: 1 } });
    expect(u.items).toEqual({ 'PutItem resumer cursor': 2 });
  });

  it('bills a Query that reads nothing the minimum dynalite leaves out: half a unit, a unit strongly consistent', async () => {
    meter.reset();
    // The resumer's sweep of an empty due-time partition (a global index: eventually consistent only).
    await dynamo.doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: GSI2,
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': 'DUE#0#0' },
      }),
    );
    await dynamo.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'TENANT#t#SUB#none#LOT' },
        ConsistentRead: true,
      }),
    );
    const u = meter.snapshot().dynamodb;
    expect(u.readUnits).toBe(1.5);
    expect(u.items).toEqual({ 'Query index gsi2': 1, 'Query lot entries': 1 });
  });

  it('reads which index keys an update expression sets and removes', () => {
    const { set, removed } = updateClauses(
      'SET #a = :a, b = if_not_exists(b, :b), gsi2pk = :p REMOVE closed_time, #c ADD n :one',
      { '#a': 'state', '#c': 'gsi2sk' },
      { ':a': 'open', ':b': 1, ':p': 'DUE#1#0', ':one': 1 },
    );
    expect(set.get('state')).toBe('open');
    expect(typeof set.get('b')).toBe('symbol');
    expect(set.get('gsi2pk')).toBe('DUE#1#0');
    expect(set.has('n')).toBe(true);
    expect([...removed]).toEqual(['closed_time', 'gsi2sk']);
  });

  it('bills SQS by the 64 KB chunk, and the bus rule one SendMessage per event', async () => {
    meter.reset();
    const body = (kb: number) => 'm'.repeat(kb * 1024);
    // 10 entries of 10 KB: 100 KB in one call, two chunks.
    await ours.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.delivery.url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body(10) })),
      }),
    );
    // What the bus rule does: each event on its own request.
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.ingest.url,
        Entries: Array.from({ length: 3 }, (_, i) => ({ Id: String(i), MessageBody: body(1) })),
      }),
    );
    await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.deliveryDlq.url, WaitTimeSeconds: 0 }));
    const u = meter.snapshot();
    expect(u.sqs).toEqual({ 'by our code: SendMessageBatch': 2, 'by AWS: SendMessage': 3 });
    expect(u.sqsEmptyReceives).toBe(1);
  });

  it('bills EventBridge by the 64 KB chunk of each entry, and Lambda by the started millisecond', async () => {
    meter.reset();
    const published: WebhookEvent[] = [];
    const bus = meter.bus({ publish: async (_t, e) => void published.push(e) });
    const event = (bytes: number): WebhookEvent => ({
      id: 'e',
      type: 't',
      timestamp: '2026-11-30T00:00:00.000Z',
      data: { v: 'd'.repeat(bytes) },
    });
    await bus.publish('tnt', event(10));
    await bus.publish('tnt', event(70 * 1024));
    const handler = meter.lambda('sender', async (ms: number) => new Promise((r) => setTimeout(r, ms)));
    await handler(30);
    await handler(0);
    const u = meter.snapshot();
    expect(published).toHaveLength(2);
    expect(u.eventBridge).toEqual({ putEventsCalls: 2, billedEvents: 3 });
    expect(u.lambda.sender.invocations).toBe(2);
    expect(u.lambda.sender.samples[0]).toBeGreaterThanOrEqual(30);
    expect(u.lambda.sender.samples[1]).toBeGreaterThanOrEqual(1);
    expect(u.lambda.sender.billedMs).toBe(u.lambda.sender.samples[0]! + u.lambda.sender.samples[1]!);
  });

  it('counts log lines at INFO and above, as CloudWatch Logs would ingest them', () => {
    meter.reset();
    const seen: string[] = [];
    const log = meter.log((level, message) => void seen.push(`${level} ${message}`));
    log('debug', 'sampled away', {});
    log('warn', 'attempt failed', { status: 500 });
    const u = meter.snapshot();
    expect(seen).toEqual(['debug sampled away', 'warn attempt failed']);
    expect(u.logLines).toBe(1);
    expect(u.logBytes).toBeGreaterThan(JSON.stringify({ level: 'WARN', message: 'attempt failed', status: 500 }).length);
  });
});
