import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSubscriptionRepository, subscriptionItem } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { DYNAMODB_BATCH_WRITE_MAX_ITEMS } from '../../functions/domain/aws-limits.js';
import { FANOUT_PAGE_MESSAGES } from '../../functions/domain/fanout-paging.js';
import type { Subscription } from '../../functions/domain/model.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * One event matching 5,000 subscriptions, end to end in local mode with the real page budget:
 * it reaches every one of them, and no fan-out invocation sends more than a page.
 */
const SUBSCRIPTIONS = 5_000;

describe('fan-out in pages, local mode', () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;
  /** DeliveriesCreated as each fan-out invocation reports it (one count per invocation). */
  const perInvocation: number[] = [];

  beforeAll(async () => {
    // No resumer run meanwhile: its once-a-second index reads would be counted with the fan-out's calls.
    pipeline = await startTestPipeline({ maxSubscriptionsPerTenant: 10_000, retrySchedule: [1, 1], resumeIntervalMs: 3_600_000 });
    receiver = await startReceiver();
    const count = pipeline.metrics.count.bind(pipeline.metrics);
    pipeline.metrics.count = (name, n = 1) => {
      if (name === 'DeliveriesCreated') perInvocation.push(n);
      count(name, n);
    };
  }, 60_000);
  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.close();
  });

  it(`delivers one event to ${SUBSCRIPTIONS.toLocaleString('en')} subscriptions, at most a page per invocation`, async () => {
    // One subscription through the API (its signing secret is made there), the rest written
    // straight to the table in BatchWriteItem calls, sharing that secret.
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', { url: `${receiver.url}/first`, events: ['card.created'] });
    expect(created.status).toBe(201);
    const client = new DynamoDBClient({
      endpoint: pipeline.endpoints.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const doc = DynamoDBDocumentClient.from(client);
    const repo = new DynamoSubscriptionRepository(doc, pipeline.endpoints.tableName);
    const tenant = await new DynamoTenantRepository(doc, pipeline.endpoints.tableName).findByIdentity(pipeline.credentials.identity);
    const [first] = (await repo.listById(tenant!.tenantId, { limit: 10 })).items;
    expect(first).toBeDefined();
    const seeded: Subscription[] = Array.from({ length: SUBSCRIPTIONS - 1 }, () => {
      const id = randomUUID();
      return { ...first!, id, url: `${receiver.url}/${id}` };
    });
    const batches: Subscription[][] = [];
    for (let i = 0; i < seeded.length; i += DYNAMODB_BATCH_WRITE_MAX_ITEMS)
      batches.push(seeded.slice(i, i + DYNAMODB_BATCH_WRITE_MAX_ITEMS));
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let b = batches.shift(); b; b = batches.shift()) {
          let pending: unknown[] | undefined = b.map((s) => ({ PutRequest: { Item: subscriptionItem(s) } }));
          while (pending?.length) {
            const out: BatchWriteCommandOutput = await doc.send(
              new BatchWriteCommand({ RequestItems: { [pipeline.endpoints.tableName]: pending as never } }),
            );
            pending = out.UnprocessedItems?.[pipeline.endpoints.tableName];
          }
        }
      }),
    );
    client.destroy();

    pipeline.calls.reset();
    const published = await pipeline.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      data: { card_id: 'c_1', customer_id: 'u_1' },
    });
    expect(published.status).toBe(202);

    // About 15 s on a quiet 2-core machine; the margin is for one shared with other work.
    await receiver.waitFor(SUBSCRIPTIONS, 100_000);
    const paths = new Set(receiver.requests.map((r) => r.path));
    expect(paths.size).toBe(SUBSCRIPTIONS);
    for (const s of seeded) expect(paths.has(`/webhook/${s.id}`)).toBe(true);
    expect(paths.has('/webhook/first')).toBe(true);
    for (const r of receiver.requests) expect(r.headers['webhook-id']).toBe(published.body.id);

    // Every fan-out invocation within the page budget, and all of them together made each delivery once.
    await eventually('the fan-out to finish', async () => ((pipeline.metrics.counts.get('EventsFannedOut') ?? 0) > 0 ? true : undefined));
    const sent = perInvocation.reduce((a, b) => a + b, 0);
    expect(sent).toBe(SUBSCRIPTIONS);
    expect(Math.max(...perInvocation)).toBeLessThanOrEqual(FANOUT_PAGE_MESSAGES);
    expect(perInvocation.filter((n) => n > 0).length).toBeGreaterThanOrEqual(Math.ceil(SUBSCRIPTIONS / FANOUT_PAGE_MESSAGES));
    const continued = pipeline.metrics.counts.get('FanoutContinued') ?? 0;
    expect(continued).toBeGreaterThanOrEqual(Math.ceil(SUBSCRIPTIONS / FANOUT_PAGE_MESSAGES) - 1);
    // One subscription Query per invocation (a page of them covers a page of messages), and
    // SendMessageBatch calls of ten: the deliveries' and one per continuation.
    expect(pipeline.calls.counts.get('DynamoDB.Query')).toBe(perInvocation.length);
    expect(pipeline.calls.counts.get('SQS.SendMessageBatch')).toBe(SUBSCRIPTIONS / 10 + continued);
  }, 150_000);
});
