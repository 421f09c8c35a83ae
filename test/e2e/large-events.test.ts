import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../functions/app/http.js';
import { MAX_EVENT_BYTES } from '../../functions/domain/bus-entry.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Events at the edge of AWS's limits, end to end in local mode (fauxqs and dynalite behind the
 * twin's rule layer, real receivers): the largest request body the API takes reaches 100
 * subscriptions; a burst of large and small events reaches every subscription exactly once; an
 * event that can never fit is refused at publish with 413; a partial SendMessageBatch failure
 * loses and duplicates nothing.
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

  async function subscribe(path: string, events = ['card.created']): Promise<string> {
    const res = await pipeline.call('POST', '/api/v0.1/webhooks', { url: `${receiver.url}/${path}`, events });
    expect(res.status).toBe(201);
    return res.body.webhook_subscription.id as string;
  }

  async function deleteAll(ids: string[]) {
    for (const id of ids) expect((await pipeline.call('DELETE', `/api/v0.1/webhooks/${id}`)).status).toBe(200);
  }

  it('delivers an event at the API body limit to 100 subscriptions, every one of them', async () => {
    const subs: string[] = [];
    for (let i = 0; i < 100; i++) subs.push(await subscribe(`big/${i}`));
    const body = bodyOf(MAX_BODY_BYTES);
    const res = await pipeline.call('POST', '/api/v0.1/events', body);
    expect(res.status).toBe(202);
    const requests = await receiver.waitFor(100, 60_000);
    expect(new Set(requests.map((r) => r.path)).size).toBe(100);
    for (const r of requests) {
      expect(r.headers['webhook-id']).toBe(res.body.id);
      expect(JSON.parse(r.body).data).toEqual(JSON.parse(body).data);
    }
    // Nothing more comes: each subscription got it once.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests).toHaveLength(100);
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
    await new Promise((r) => setTimeout(r, 500));
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
    const numbers = Array.from({ length: 40_000 }, () => '1e20').join(',');
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
    await new Promise((r) => setTimeout(r, 500));
    const counts = byEvent(receiver.requests);
    expect(counts.size).toBe(6);
    expect([...counts.values()]).toEqual(Array(6).fill(3));
    expect(pipeline.faults.injected).toBe(5);
    pipeline.faults.clear();
    await deleteAll(subs);
    receiver.requests.length = 0;
  });

  it('shows the delivery history of a large event stored by reference', async () => {
    const sub = await subscribe('history');
    const res = await pipeline.call('POST', '/api/v0.1/events', bodyOf(MAX_BODY_BYTES - 10));
    expect(res.status).toBe(202);
    await receiver.waitFor(1, 30_000);
    const list = await eventually('the delivery in the history', async () => {
      const r = await pipeline.call('GET', `/api/v0.1/webhooks/${sub}/deliveries`);
      return r.body.deliveries?.length ? r.body.deliveries : undefined;
    });
    expect(list[0]).toMatchObject({ event_id: res.body.id, status: 'succeeded' });
    await deleteAll([sub]);
    receiver.requests.length = 0;
  });
});
