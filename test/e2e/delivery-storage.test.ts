import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoItemBytes } from '../../functions/domain/dynamodb-item-size.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually, queuesSettled } from '../support/wait.js';

/** What a delivery leaves in DynamoDB, end to end through local mode: one item, no index, the subscription's history. */

/** Each describe's own local mode, receiver and document client on its table, started and stopped with it. */
function localTable() {
  const t = {} as { p: TestPipeline; receiver: Receiver; client: DynamoDBClient; doc: DynamoDBDocumentClient };
  beforeAll(async () => {
    t.p = await startTestPipeline();
    t.receiver = await startReceiver();
    t.client = new DynamoDBClient({ endpoint: t.p.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    t.doc = DynamoDBDocumentClient.from(t.client);
  });
  afterAll(async () => {
    t.client?.destroy();
    await t.p?.stop();
    await t.receiver?.close();
  });
  const scan = async () => (await t.doc.send(new ScanCommand({ TableName: t.p.endpoints.tableName }))).Items ?? [];
  return { t, scan };
}

describe('delivery storage in local mode', () => {
  const { t, scan } = localTable();

  it('a delivered event is one delivery item of under 1 KB (1 write unit), listed by the history fan-out wrote', async () => {
    const { p, receiver, doc } = t;
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['kyc.verification.success'] });
    const sub: string = created.body.webhook_subscription.id;
    const published = await p.call('POST', '/api/v0.1/events', {
      type: 'kyc.verification.success',
      data: { customer_id: '931e2341-c3eb-4681-97d4-f6e09d90da14', status: 'success' },
    });
    expect(published.status).toBe(202);
    // Fanned out (and listed) before the test event, so the order below is certain.
    await receiver.waitFor(1);
    const test = await p.call('POST', `/api/v0.1/webhooks/${sub}/test`);
    expect(test.status).toBe(202);
    await receiver.waitFor(2);
    const listed = await eventually('both deliveries succeeded', async () => {
      const list = await p.call('GET', `/api/v0.1/webhooks/${sub}/deliveries`);
      return list.body.deliveries.length === 2 && list.body.deliveries.every((d: { status: string }) => d.status === 'succeeded')
        ? list.body.deliveries
        : undefined;
    });
    // Newest first: the test event was sent after the published one.
    expect(listed.map((d: { event_id: string }) => d.event_id)).toEqual([test.body.id, published.body.id]);

    const items = await scan();
    const deliveries = items.filter((i) => i.type === 'delivery');
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      expect(d.gsi1pk).toBeUndefined();
      expect(d.attempt_log).toEqual([expect.objectContaining({ n: 1, c: 200, r: 'ok' })]);
      expect(dynamoItemBytes(d)).toBeLessThan(1024);
      // Written again as it is, it costs what the sender's write cost: 1 unit.
      const put = await doc.send(new PutCommand({ TableName: p.endpoints.tableName, Item: d, ReturnConsumedCapacity: 'TOTAL' }));
      expect(put.ConsumedCapacity?.CapacityUnits).toBe(1);
    }
    expect(items.filter((i) => i.type === 'attempt')).toEqual([]);
    // The subscription's history: one index item from fan-out, one from the test route.
    const history = items.filter((i) => i.type === 'history');
    expect(history).toHaveLength(2);
    for (const h of history) expect(h.pk).toMatch(new RegExp(`#SUB#${sub}#HISTORY$`));
    expect(history.flatMap((h) => h.entries).sort()).toEqual(
      [
        [published.body.id, 'kyc.verification.success'],
        [test.body.id, 'webhook.test'],
      ].sort(),
    );

    const detail = await p.call('GET', `/api/v0.1/webhooks/${sub}/deliveries/${listed[1].id}`);
    expect(detail.body.delivery.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, response_excerpt: 'ok' })]);
  });
});

describe('an event with one subscription, in local mode', () => {
  const { t, scan } = localTable();

  it('is stored once, in its delivery record: no event item; put on the bus again it is not sent again; a retry sends the same body', async () => {
    const { p, receiver, doc } = t;
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    const sub: string = created.body.webhook_subscription.id;
    const event = {
      id: 'evt_in_record',
      type: 'card.created',
      timestamp: '2026-11-30T12:00:00.000Z',
      data: { card_id: 'c_1', last4: '4242' },
    };
    await p.bus.publish(p.tenantId, event);
    const [first] = await receiver.waitFor(1);
    expect(JSON.parse(first!.body)).toEqual(event);
    const delivered = await eventually('the delivery succeeded', async () => {
      const list = await p.call('GET', `/api/v0.1/webhooks/${sub}/deliveries`);
      return list.body.deliveries[0]?.status === 'succeeded' ? list.body.deliveries[0] : undefined;
    });

    const items = await scan();
    expect(items.filter((i) => i.type === 'event')).toEqual([]);
    const [record] = items.filter((i) => i.type === 'delivery');
    expect(record!.event_body).toBe(first!.body);
    expect(dynamoItemBytes(record!)).toBeLessThan(1024);
    const put = await doc.send(new PutCommand({ TableName: p.endpoints.tableName, Item: record!, ReturnConsumedCapacity: 'TOTAL' }));
    expect(put.ConsumedCapacity?.CapacityUnits).toBe(1);

    // The producer puts it on the bus again: the fan-out finds the delivery's record and sends
    // nothing; it writes the history entry again beside the first, and the list shows it once.
    await p.bus.publish(p.tenantId, event);
    await eventually('the fan-out took the repeated event', async () => {
      const history = (await scan()).filter((i) => i.type === 'history');
      return history.length === 2 ? history : undefined;
    });
    await queuesSettled(p);
    expect(receiver.requests).toHaveLength(1);
    const list = await p.call('GET', `/api/v0.1/webhooks/${sub}/deliveries`);
    expect(list.body.deliveries.map((d: { id: string }) => d.id)).toEqual([delivered.id]);

    // A manual retry takes the event from the record: the same bytes, the same webhook-id.
    const retried = await p.call('POST', `/api/v0.1/webhooks/${sub}/deliveries/${delivered.id}/retry`);
    expect(retried.status).toBe(202);
    const [, again] = await receiver.waitFor(2);
    expect(again!.body).toBe(first!.body);
    expect(again!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    const detail = await eventually('the retry is recorded', async () => {
      const d = await p.call('GET', `/api/v0.1/webhooks/${sub}/deliveries/${delivered.id}`);
      return d.body.delivery.attempt_log.length === 2 ? d.body.delivery : undefined;
    });
    expect(detail.status).toBe('succeeded');
  });
});
