import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { createFanout } from '../../functions/app/fanout.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { enforceSqsRules } from '../../local/aws-rules/sqs.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';
import { Faults } from '../../local/faults.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { subscription } from '../support/memory-ports.js';

/**
 * Fan-out in pages on the twin: subscriptions and progress in dynalite, continuations on fauxqs's
 * ingest queue, faults injected where AWS could produce them.
 */
const TABLE = 'pages-fanout';
const TENANT = 'tnt_p';
const SUBSCRIPTIONS = 30;
let sqs: SqsEmulator;
let db: DynamoEmulator;
const faults = new Faults();

beforeAll(async () => {
  [sqs, db] = await Promise.all([startSqs({ schedule: [1, 1] }), startDynamo(undefined, TABLE)]);
  enforceSqsRules(sqs.client, faults);
  const subs = new DynamoSubscriptionRepository(db.doc, TABLE);
  for (let n = 0; n < SUBSCRIPTIONS; n++)
    await subs.create(subscription({ id: `s${String(n).padStart(2, '0')}`, tenantId: TENANT, events: ['card.created'] }));
});
afterAll(async () => {
  await sqs?.stop();
  await db?.stop();
});
beforeEach(() => faults.clear());

const store = () => new DynamoDeliveryStore(db.doc, TABLE);
const handler = () =>
  faults.wrapHandler(
    'fanout',
    createFanout({
      subscriptions: new DynamoSubscriptionRepository(db.doc, TABLE),
      store: store(),
      deliveries: new SqsQueue(sqs.client, sqs.delivery.url),
      ingest: new SqsQueue(sqs.client, sqs.ingest.url),
      budget: { messages: 10, bytes: 1024 * 1024 },
      subscriptionPage: 8,
    }),
  );

async function receive(url: string): Promise<Message[]> {
  const out = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['MessageGroupId'],
    }),
  );
  return out.Messages ?? [];
}

async function drainDeliveries(): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = await receive(sqs.delivery.url); batch.length > 0; batch = await receive(sqs.delivery.url)) {
    for (const m of batch) {
      ids.push(parseDeliveryMessage(m.Body!).subscriptionId);
      // Each delivery names its tenant, the delivery queue's fair-queue group.
      expect(m.Attributes?.MessageGroupId).toBe(TENANT);
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: sqs.delivery.url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return ids;
}

/** One event source mapping invocation on the ingest queue: delete what succeeded, release what failed at once. */
async function invoke(fn: (e: SQSEvent) => Promise<SQSBatchResponse>): Promise<number> {
  const batch = await receive(sqs.ingest.url);
  if (batch.length === 0) return 0;
  // A continuation names its tenant too (what the bus put there has no group id: publish() is a producer's SendMessage).
  for (const m of batch) if (m.Body!.includes('fanout_continuation')) expect(m.Attributes?.MessageGroupId).toBe(TENANT);
  let failed: Set<string>;
  try {
    const res = await fn({
      Records: batch.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: {} })),
    } as unknown as SQSEvent);
    failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    // A throw or a timeout: Lambda returns the whole batch.
    failed = new Set(batch.map((m) => m.MessageId!));
  }
  for (const m of batch) {
    const handle = { QueueUrl: sqs.ingest.url, ReceiptHandle: m.ReceiptHandle! };
    if (failed.has(m.MessageId!)) await sqs.client.send(new ChangeMessageVisibilityCommand({ ...handle, VisibilityTimeout: 0 }));
    else await sqs.client.send(new DeleteMessageCommand(handle));
  }
  return batch.length;
}

async function publish(eventId: string): Promise<void> {
  await sqs.client.send(
    new SendMessageCommand({
      QueueUrl: sqs.ingest.url,
      MessageBody: JSON.stringify({
        id: `eb-${eventId}`,
        'detail-type': 'card.created',
        detail: { tenant_id: TENANT, event: { id: eventId, type: 'card.created', data: { n: 1 } } },
      }),
    }),
  );
}

const all = Array.from({ length: SUBSCRIPTIONS }, (_, n) => `s${String(n).padStart(2, '0')}`);

describe('fan-out in pages on the twin', () => {
  it('a continuation SQS refuses fails its message; back, the message sends it without the page; every subscription once', async () => {
    const fn = handler();
    await publish('evt_refused');
    faults.failSendEntries({ queueUrl: sqs.ingest.url, match: (b) => b.includes('fanout_continuation'), senderFault: true, times: 1 });
    await invoke(fn);
    expect(faults.injected).toBe(1);
    // The page went and its progress is in the table, naming the message that owes the continuation.
    const progress = (await store().getEvents([{ tenantId: TENANT, eventId: 'evt_refused' }])).get(`${TENANT}/evt_refused`);
    expect(progress?.fanout).toMatchObject({ page: 1, cursor: 's09', sent: 10 });
    expect(progress?.deliveries).toBeUndefined();
    for (let i = 0; (await invoke(fn)) > 0; i++) if (i > 20) throw new Error('the fan-out does not finish');
    const delivered = await drainDeliveries();
    expect(delivered.sort()).toEqual(all);
    const done = (await store().getEvents([{ tenantId: TENANT, eventId: 'evt_refused' }])).get(`${TENANT}/evt_refused`);
    expect(done?.deliveries).toBe(SUBSCRIPTIONS);
    expect(done?.fanout).toBeUndefined();
  });

  it('events of a batch not started within the budget are stored and handed on; every event reaches every subscription once', async () => {
    const fn = handler();
    for (const e of ['evt_h1', 'evt_h2', 'evt_h3']) await publish(e);
    expect(await invoke(fn)).toBe(3);
    // The first event took the budget; the others are in the table with no page sent, and continue.
    const handedOn = (await store().getEvents([{ tenantId: TENANT, eventId: 'evt_h3' }])).get(`${TENANT}/evt_h3`);
    expect(handedOn?.fanout).toMatchObject({ page: 0, sent: 0 });
    expect(handedOn?.event.data).toEqual({ n: 1 });
    for (let i = 0; (await invoke(fn)) > 0; i++) if (i > 40) throw new Error('the fan-out does not finish');
    const delivered = await drainDeliveries();
    expect(delivered).toHaveLength(3 * SUBSCRIPTIONS);
    expect(new Set(delivered).size).toBe(SUBSCRIPTIONS);
    const events = await store().getEvents(['evt_h1', 'evt_h2', 'evt_h3'].map((eventId) => ({ tenantId: TENANT, eventId })));
    for (const e of events.values()) expect(e).toMatchObject({ deliveries: SUBSCRIPTIONS, published: true });
    expect(events.size).toBe(3);
  });

  it('an invocation that fails after its work (a timeout): its messages come back, nothing is delivered twice', async () => {
    const fn = handler();
    await publish('evt_timeout');
    faults.failInvocations('fanout', { when: 'after', times: 2 });
    for (let i = 0; (await invoke(fn)) > 0; i++) if (i > 20) throw new Error('the fan-out does not finish');
    expect(faults.injected).toBe(2);
    expect((await drainDeliveries()).sort()).toEqual(all);
  });
});
