import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../functions/app/http.js';
import { PUT_EVENTS_MAX_ENTRY_BYTES, putEventsEntryBytes } from '../../functions/domain/aws-limits.js';
import { busEntry, EVENT_BODY_IN_ITEM_MAX_BYTES, eventBytes, MAX_EVENT_BYTES } from '../../functions/domain/bus-entry.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually, queuesSettled } from '../support/wait.js';

/**
 * Events at the edge of AWS's limits, end to end in local mode (fauxqs, its S3 and dynalite behind
 * the twin's rule layer, real receivers): a 1 MiB event (the largest, as receivers get it) reaches
 * 10 subscriptions through the API, and the largest the bus carries reaches 10 from the bus, their
 * bodies kept beside the table; 1 MiB + 1 byte is refused with 413; a burst of large and small
 * events reaches every subscription exactly once; an event that grows past the limit when written
 * out is refused; a partial SendMessageBatch failure loses and duplicates nothing.
 */

/** A card.created publish body of exactly `bytes` bytes. */
function bodyOf(bytes: number, id?: string): string {
  const base = { type: 'card.created', ...(id ? { id } : {}), data: { card_id: 'c_1', customer_id: 'u_1', blob: '' } };
  const empty = JSON.stringify(base).length;
  base.data.blob = 'x'.repeat(bytes - empty);
  const s = JSON.stringify(base);
  expect(Buffer.byteLength(s)).toBe(bytes);
  return s;
}

/**
 * A publish body (with a client id) whose event, as receivers get it with the API's timestamp (24
 * characters), is exactly `delivered` bytes.
 */
function bodyDelivering(delivered: number, id: string): string {
  const data = { card_id: 'c_1', customer_id: 'u_1', blob: '' };
  const asDelivered = () => eventBytes({ id, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data });
  data.blob = 'x'.repeat(delivered - asDelivered());
  expect(asDelivered()).toBe(delivered);
  return JSON.stringify({ type: 'card.created', id, data });
}

const byEvent = (requests: ReceivedRequest[]) => {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const id = String(r.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

describe('large events in local mode', () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 5000 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.close();
  });

  const secrets = new Map<string, string>();
  async function subscribe(path: string, events = ['card.created']): Promise<string> {
    const res = await pipeline.call('POST', '/api/v0.1/webhooks', { url: `${receiver.url}/${path}`, events });
    expect(res.status).toBe(201);
    secrets.set(new URL(`${receiver.url}/${path}`).pathname, res.body.webhook_subscription.secret);
    return res.body.webhook_subscription.id as string;
  }
  const s3Calls = () => {
    const c = pipeline.calls.snapshot();
    return { put: c['S3.PutObject'] ?? 0, get: c['S3.GetObject'] ?? 0 };
  };
  /** Every request is the body, whole and signed with its subscription's secret. */
  const expectSigned = (requests: ReceivedRequest[], body: string) => {
    for (const r of requests) {
      expect(Buffer.byteLength(r.body)).toBe(Buffer.byteLength(body));
      expect(r.body).toBe(body);
      new Webhook(secrets.get(r.path)!).verify(r.body, r.headers as Record<string, string>);
    }
  };

  async function deleteAll(ids: string[]) {
    for (const id of ids) expect((await pipeline.call('DELETE', `/api/v0.1/webhooks/${id}`)).status).toBe(200);
  }

  it('delivers a 1 MiB event to 10 subscriptions through the API, its body put beside the table once', async () => {
    const subs: string[] = [];
    for (let i = 0; i < 10; i++) subs.push(await subscribe(`big/${i}`));
    const before = s3Calls();
    const body = bodyDelivering(MAX_EVENT_BYTES, 'evt_1mib');
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const res = await pipeline.call('POST', '/api/v0.1/events', body);
    expect(res.status).toBe(202);
    const requests = await receiver.waitFor(10, 60_000);
    expect(new Set(requests.map((r) => r.path)).size).toBe(10);
    const delivered = JSON.stringify({ id: 'evt_1mib', type: 'card.created', timestamp: res.body.timestamp, data: JSON.parse(body).data });
    expect(Buffer.byteLength(delivered)).toBe(MAX_EVENT_BYTES);
    expectSigned(requests, delivered);
    // One object for the event; the senders read it at most once per batch (10 messages, batches of 10 or fewer).
    const after = s3Calls();
    expect(after.put - before.put).toBe(1);
    expect(after.get - before.get).toBeGreaterThanOrEqual(1);
    expect(after.get - before.get).toBeLessThanOrEqual(10);
    await deleteAll(subs);
    receiver.requests.length = 0;
  }, 120_000);

  it('refuses 1 MiB + 1 byte with 413: a request body, or an event as receivers would get it; nothing is kept', async () => {
    const sub = await subscribe('over');
    const before = s3Calls();
    const tooLong = bodyOf(MAX_BODY_BYTES + 1, 'evt_over_body');
    const refusedBody = await pipeline.call('POST', '/api/v0.1/events', tooLong);
    expect(refusedBody.status).toBe(413);
    expect(refusedBody.body.error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining(`the limit is ${MAX_BODY_BYTES} bytes`),
    });
    const overEvent = bodyDelivering(MAX_EVENT_BYTES + 1, 'evt_over_event');
    expect(Buffer.byteLength(overEvent)).toBeLessThan(MAX_BODY_BYTES);
    const refusedEvent = await pipeline.call('POST', '/api/v0.1/events', overEvent);
    expect(refusedEvent.status).toBe(413);
    expect(refusedEvent.body.error.message).toBe(
      `The event is ${MAX_EVENT_BYTES + 1} bytes as delivered; the limit is ${MAX_EVENT_BYTES} bytes`,
    );
    // Nothing was put beside the table, and the id was not claimed: the same id with small data is a new event.
    expect(s3Calls().put).toBe(before.put);
    const again = await pipeline.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      id: 'evt_over_event',
      data: { card_id: 'c', customer_id: 'u' },
    });
    expect(again.status).toBe(202);
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0]!.body).data).toEqual({ card_id: 'c', customer_id: 'u' });
    await deleteAll([sub]);
    receiver.requests.length = 0;
  });

  it('delivers the largest event the bus carries (an entry just under 1 MB) to 10 subscriptions, from a producer on the bus', async () => {
    const subs: string[] = [];
    for (let i = 0; i < 10; i++) subs.push(await subscribe(`bus/${i}`));
    const event = {
      id: 'evt_bus_max',
      type: 'card.created',
      timestamp: new Date().toISOString(),
      data: { card_id: 'c', customer_id: 'u', blob: '' },
    };
    const entryBytes = () => putEventsEntryBytes(busEntry(pipeline.tenantId, event));
    event.data.blob = 'x'.repeat(PUT_EVENTS_MAX_ENTRY_BYTES - 1 - entryBytes());
    expect(entryBytes()).toBe(PUT_EVENTS_MAX_ENTRY_BYTES - 1);
    expect(eventBytes(event)).toBeGreaterThan(EVENT_BODY_IN_ITEM_MAX_BYTES);
    const before = s3Calls();
    await pipeline.bus.publish(pipeline.tenantId, event);
    const requests = await receiver.waitFor(10, 60_000);
    expectSigned(requests, JSON.stringify(event));
    // The fan-out put it beside the table (the bus carried it whole), once.
    expect(s3Calls().put - before.put).toBe(1);
    // One byte more and EventBridge refuses the entry.
    event.data.blob += 'x';
    await expect(pipeline.bus.publish(pipeline.tenantId, { ...event, id: 'evt_bus_over' })).rejects.toThrow(/over EventBridge's limit/);
    await deleteAll(subs);
    receiver.requests.length = 0;
  }, 120_000);

  it('delivers a burst of 10 events of 110 KB and 20 small ones to 4 subscriptions, each exactly once', async () => {
    const subs: string[] = [];
    for (let i = 0; i < 4; i++) subs.push(await subscribe(`burst/${i}`));
    const bodies = [
      ...Array.from({ length: 10 }, () => bodyOf(110 * 1024)),
      ...Array.from({ length: 20 }, () => JSON.stringify({ type: 'card.created', data: { card_id: 'c', customer_id: 'u' } })),
    ];
    const answers = await Promise.all(bodies.map((b) => pipeline.call('POST', '/api/v0.1/events', b)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
    await receiver.waitFor(120, 60_000);
    await queuesSettled(pipeline);
    expect(receiver.requests).toHaveLength(120);
    for (let i = 0; i < 4; i++) {
      const counts = byEvent(receiver.requests.filter((r) => r.path.endsWith(`/burst/${i}`)));
      expect(counts.size).toBe(30);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    }
    await deleteAll(subs);
    receiver.requests.length = 0;
  }, 120_000);

  it('refuses with 413 an event that can never be delivered, and keeps nothing of it', async () => {
    const sub = await subscribe('refused');
    // Within the request limit, but written out again each 1e20 becomes 21 digits.
    const numbers = Array.from({ length: 100_000 }, () => '1e20').join(',');
    const body = `{"type":"card.created","id":"evt_too_big","data":{"card_id":"c","customer_id":"u","n":[${numbers}]}}`;
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
    const res = await pipeline.call('POST', '/api/v0.1/events', body);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain(`the limit is ${MAX_EVENT_BYTES} bytes`);
    // Not claimed either: the same id with small data is a new event.
    const again = await pipeline.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      id: 'evt_too_big',
      data: { card_id: 'c', customer_id: 'u' },
    });
    expect(again.status).toBe(202);
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0]!.body).data).toEqual({ card_id: 'c', customer_id: 'u' });
    await deleteAll([sub]);
    receiver.requests.length = 0;
  });

  it('loses and duplicates nothing when SendMessageBatch reports some entries failed', async () => {
    const subs: string[] = [];
    for (let i = 0; i < 3; i++) subs.push(await subscribe(`partial/${i}`));
    // Five delivery messages refused (as SQS does under throttling), then the queue takes them.
    pipeline.faults.failSendEntries({ queueUrl: pipeline.sqs.delivery.url, times: 5 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    await receiver.waitFor(18, 30_000);
    await queuesSettled(pipeline);
    const counts = byEvent(receiver.requests);
    expect(counts.size).toBe(6);
    expect([...counts.values()]).toEqual(Array(6).fill(3));
    expect(pipeline.faults.injected).toBe(5);
    pipeline.faults.clear();
    await deleteAll(subs);
    receiver.requests.length = 0;
  });

  it('shows the delivery history of a 1 MiB event, and sends it again whole on a retry', async () => {
    const sub = await subscribe('history');
    const res = await pipeline.call('POST', '/api/v0.1/events', bodyDelivering(MAX_EVENT_BYTES, 'evt_history'));
    expect(res.status).toBe(202);
    const [first] = await receiver.waitFor(1, 30_000);
    const list = await eventually('the delivery in the history', async () => {
      const r = await pipeline.call('GET', `/api/v0.1/webhooks/${sub}/deliveries`);
      return r.body.deliveries?.[0]?.status === 'succeeded' ? r.body.deliveries : undefined;
    });
    expect(list[0]).toMatchObject({ event_id: res.body.id, status: 'succeeded' });
    const retried = await pipeline.call('POST', `/api/v0.1/webhooks/${sub}/deliveries/${list[0].id}/retry`);
    expect(retried.status).toBe(202);
    const requests = await receiver.waitFor(2, 30_000);
    expect(requests[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expectSigned(requests, first!.body);
    await deleteAll([sub]);
    receiver.requests.length = 0;
  });
});
