import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/** Every delivery outcome, end to end through local mode, against real loopback receivers. */

const card = { type: 'card.created', data: { card_id: 'c1', customer_id: 'u1' } };
const headersOf = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('delivery outcomes', () => {
  let p: TestPipeline;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    // Compressed schedule: 1 s, then 2 s; three attempts in all. The sender's subscription
    // cache (30 s on AWS) is shortened so a disable shows within the test.
    p = await startTestPipeline({ retrySchedule: [1, 2], attemptTimeoutMs: 700, processingVisibilitySeconds: 60 });
  });
  afterAll(async () => {
    await p?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  async function receiver(respond: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  }

  async function subscribe(url: string, events = ['card.created']) {
    const res = await p.call('POST', '/api/v0.1/webhooks', { url, events });
    expect(res.status).toBe(201);
    return res.body.webhook_subscription as { id: string; secret: string };
  }

  async function deliveryOf(subscriptionId: string, until: (d: any) => boolean, what: string) {
    return eventually(what, async () => {
      const list = await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries`);
      const d = list.body.deliveries?.[0];
      if (!d || !until(d)) return undefined;
      return (await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries/${d.id}`)).body.delivery;
    });
  }

  it('retries a failing receiver with growing gaps, with the same webhook-id and body, until it answers 2xx', async () => {
    const r = await receiver((_req, n, res) => void res.writeHead(n <= 2 ? 503 : 200).end(n <= 2 ? 'busy' : 'thanks'));
    const sub = await subscribe(r.url);
    const published = await p.call('POST', '/api/v0.1/events', card);
    const reqs = await r.waitFor(3);
    expect(new Set(reqs.map((q) => q.headers['webhook-id']))).toEqual(new Set([published.body.id]));
    expect(new Set(reqs.map((q) => q.body)).size).toBe(1);
    for (const q of reqs) expect(new Webhook(sub.secret).verify(q.body, headersOf(q))).toBeTruthy();
    const gap1 = reqs[1]!.at - reqs[0]!.at;
    const gap2 = reqs[2]!.at - reqs[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(900);
    expect(gap2).toBeGreaterThanOrEqual(1900);
    expect(gap2).toBeGreaterThan(gap1);

    const d = await deliveryOf(sub.id, (x) => x.status === 'succeeded', 'a succeeded delivery');
    expect(d).toMatchObject({
      event_id: published.body.id,
      event_type: 'card.created',
      status: 'succeeded',
      attempts: 3,
      last_status_code: 200,
    });
    expect(d.attempt_log.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(d.attempt_log[0]).toMatchObject({ error: 'HTTP 503', response_excerpt: 'busy' });
    expect(d.attempt_log[2]).toMatchObject({ error: null, response_excerpt: 'thanks' });
    await new Promise((res) => setTimeout(res, 500));
    expect(r.requests).toHaveLength(3);
  });

  it('records a timeout and retries it', async () => {
    const r = await receiver((_req, n, res) => {
      if (n === 1) return; // never answers: the 700 ms attempt timeout fires
      res.writeHead(204).end();
    });
    const sub = await subscribe(r.url);
    await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(2);
    const d = await deliveryOf(sub.id, (x) => x.status === 'succeeded', 'success after a timeout');
    expect(d.attempt_log[0]).toMatchObject({ attempt: 1, status_code: null });
    expect(d.attempt_log[0].error).toMatch(/^timeout/);
    expect(d.attempt_log[1]).toMatchObject({ attempt: 2, status_code: 204 });
  });

  it('records a connection reset and retries it', async () => {
    const r = await receiver((_req, n, res) => {
      if (n === 1) res.socket?.destroy();
      else res.writeHead(200).end();
    });
    const sub = await subscribe(r.url);
    await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(2);
    const d = await deliveryOf(sub.id, (x) => x.status === 'succeeded', 'success after a reset');
    expect(d.attempt_log[0].status_code).toBeNull();
    expect(d.attempt_log[0].error).toMatch(/^(connection|other)/);
  });

  it('does not follow redirects: a 3xx is a failure to retry', async () => {
    const r = await receiver((req, n, res) => {
      if (req.path.startsWith('/elsewhere')) return void res.writeHead(200).end();
      if (n === 1) return void res.writeHead(302, { location: '/elsewhere' }).end();
      res.writeHead(200).end();
    });
    const sub = await subscribe(r.url);
    await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(2);
    expect(r.requests.map((q) => q.path)).toEqual(['/webhook', '/webhook']);
    const d = await deliveryOf(sub.id, (x) => x.status === 'succeeded', 'success after a redirect');
    expect(d.attempt_log.map((a: any) => a.status_code)).toEqual([302, 200]);
  });

  it('disables the subscription on 410 Gone and ends the delivery', async () => {
    const r = await receiver((_req, _n, res) => void res.writeHead(410).end('gone'));
    const sub = await subscribe(r.url);
    await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(1);
    const d = await deliveryOf(sub.id, (x) => x.status === 'skipped', 'a skipped delivery');
    expect(d).toMatchObject({ attempts: 1, last_status_code: 410 });
    expect(d.last_error).toMatch(/410/);
    expect((await p.call('GET', `/api/v0.1/webhooks/${sub.id}`)).body.webhook_subscription.status).toBe('STATUS_DISABLED');
    await p.call('POST', '/api/v0.1/events', card);
    await new Promise((res) => setTimeout(res, 3500));
    expect(r.requests).toHaveLength(1);
  });

  it('skips what is queued for a subscription disabled meanwhile, and records it', async () => {
    const r = await receiver((_req, _n, res) => void res.writeHead(500).end());
    const sub = await subscribe(r.url);
    await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(1);
    await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { status: 'STATUS_DISABLED' });
    const d = await deliveryOf(sub.id, (x) => x.status === 'skipped', 'a skipped delivery');
    expect(d).toMatchObject({ attempts: 1, last_error: 'subscription_disabled' });
    expect(r.requests).toHaveLength(1);
  });

  it('publishing the same event again, by id or Idempotency-Key, makes no second delivery', async () => {
    const r = await receiver((_req, _n, res) => void res.writeHead(200).end());
    const sub = await subscribe(r.url);
    const first = await p.call('POST', '/api/v0.1/events', { ...card, id: 'order-42-created' });
    await r.waitFor(1);
    const again = await p.call('POST', '/api/v0.1/events', { ...card, id: 'order-42-created' });
    expect(again.body.id).toBe(first.body.id);
    const k1 = await p.call('POST', '/api/v0.1/events', card, { 'Idempotency-Key': 'key-7' });
    const k2 = await p.call('POST', '/api/v0.1/events', card, { 'Idempotency-Key': 'key-7' });
    expect(k2.status).toBe(202);
    expect(k2.body).toEqual(k1.body);
    // Concurrent repeats are claimed once: only one request reaches the bus.
    const burst = await Promise.all(Array.from({ length: 5 }, () => p.call('POST', '/api/v0.1/events', { ...card, id: 'burst-1' })));
    expect(burst.every((b) => b.status === 202 || (b.status === 409 && b.body.error.code === 'idempotency_in_progress'))).toBe(true);
    const conflict = await p.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      id: 'order-42-created',
      data: { card_id: 'other', customer_id: 'u1' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    await r.waitFor(3);
    await new Promise((res) => setTimeout(res, 2500));
    expect(r.requests.map((q) => q.headers['webhook-id']).sort()).toEqual([first.body.id, k1.body.id, 'burst-1'].sort());
    const list = await p.call('GET', `/api/v0.1/webhooks/${sub.id}/deliveries`);
    expect(list.body.deliveries).toHaveLength(3);
  });

  it('retries a delivery by hand, even a delivered one, with the same webhook-id', async () => {
    const r = await receiver((_req, _n, res) => void res.writeHead(200).end());
    const sub = await subscribe(r.url);
    const published = await p.call('POST', '/api/v0.1/events', card);
    await r.waitFor(1);
    const d = await deliveryOf(sub.id, (x) => x.status === 'succeeded', 'the first delivery');
    const retried = await p.call('POST', `/api/v0.1/webhooks/${sub.id}/deliveries/${d.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.delivery).toMatchObject({ id: d.id, status: 'pending' });
    const [, second] = await r.waitFor(2);
    expect(second!.headers['webhook-id']).toBe(published.body.id);
    expect(second!.body).toBe(r.requests[0]!.body);
    const after = await deliveryOf(sub.id, (x) => x.status === 'succeeded' && x.attempts === 2, 'the retried delivery');
    expect(after.attempt_log).toHaveLength(2);
    expect((await p.call('POST', `/api/v0.1/webhooks/${sub.id}/deliveries/dlv_missing/retry`)).status).toBe(404);
  });

  it('sends a test event to one subscription only, and refuses it for a disabled one', async () => {
    const r1 = await receiver((_req, _n, res) => void res.writeHead(200).end());
    const r2 = await receiver((_req, _n, res) => void res.writeHead(200).end());
    const s1 = await subscribe(r1.url, ['transactions']);
    await subscribe(r2.url, ['*']);
    const sent = await p.call('POST', `/api/v0.1/webhooks/${s1.id}/test`);
    expect(sent.status).toBe(202);
    expect(sent.body.type).toBe('webhook.test');
    const [req] = await r1.waitFor(1);
    const body = new Webhook(s1.secret).verify(req!.body, headersOf(req!)) as { type: string; data: { subscription_id: string } };
    expect(body.type).toBe('webhook.test');
    expect(body.data.subscription_id).toBe(s1.id);
    await new Promise((res) => setTimeout(res, 1000));
    expect(r2.requests).toHaveLength(0);
    await p.call('PATCH', `/api/v0.1/webhooks/${s1.id}`, { status: 'STATUS_DISABLED' });
    const refused = await p.call('POST', `/api/v0.1/webhooks/${s1.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('subscription_disabled');
  });
});
