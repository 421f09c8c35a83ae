import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../functions/domain/model.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { UsageMeter } from '../../local/usage-meter.js';

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
