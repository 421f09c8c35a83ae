import { afterEach, describe, expect, it } from 'vitest';
import { maxInWindow, type RateLimit } from '../../functions/domain/rate-limit.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Rate limits per subscription on the twin (functions/domain/rate-limit.ts), end to end: a
 * limited subscription's receiver never sees more than the limit allows in any window (a bound
 * about the limit, whatever the machine's speed), its deliveries spend no attempt waiting, a
 * neighbour without a limit is not held back, a backlog of 1,000 at 1/s waits out of the queue's
 * in-flight set, and invalid limits are refused changing nothing.
 */

let p: TestPipeline | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await p?.stop();
  p = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const publish = async (t: TestPipeline, n: number, headers: Record<string, string> = {}) => {
  const res = await t.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${n}`, customer_id: 'u' } }, headers);
  expect(res.status).toBe(202);
};
const publishMany = async (t: TestPipeline, count: number, headers: Record<string, string> = {}) => {
  for (let i = 0; i < count; i += 25)
    await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, n) => publish(t, i + n, headers)));
};
const subscribe = async (
  t: TestPipeline,
  url: string,
  rateLimit?: { per_second: number; burst: number },
  headers: Record<string, string> = {},
) => {
  const res = await t.call(
    'POST',
    '/api/v0.1/webhooks',
    { url, events: ['card.created'], ...(rateLimit ? { rate_limit: rateLimit } : {}) },
    headers,
  );
  expect(res.status).toBe(201);
  return res.body.webhook_subscription as { id: string; rate_limit?: unknown };
};
const deliveriesOf = async (t: TestPipeline, subscriptionId: string, headers: Record<string, string> = {}) =>
  (await t.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries?limit=100`, undefined, headers)).body.deliveries as {
    status: string;
    attempts: number;
  }[];

/** The first window of arrivals (i..j) holding more than the limit allows, if any. */
function overLimit(arrivals: readonly number[], limit: RateLimit): string | undefined {
  const at = [...arrivals].sort((a, b) => a - b);
  for (let i = 0; i < at.length; i++)
    for (let j = i; j < at.length; j++) {
      const allowed = maxInWindow(limit, at[j]! - at[i]!);
      if (j - i + 1 > allowed) return `${j - i + 1} deliveries within ${at[j]! - at[i]!} ms, at most ${allowed} allowed`;
    }
  return undefined;
}

describe('a subscription with a rate limit', () => {
  it('receives no faster than its limit, spends no attempt waiting, and its neighbour without one is not held back', async () => {
    p = await startTestPipeline();
    const limited = await receiver();
    const neighbour = await receiver();
    const limit = { perSecond: 5, burst: 2 };
    const sub = await subscribe(p, limited.url, { per_second: limit.perSecond, burst: limit.burst });
    expect(sub.rate_limit).toEqual({ per_second: 5, burst: 2 });
    const other = await addTenant(p, 'neighbour tenant');
    await subscribe(p, neighbour.url, undefined, as(other));
    const N = 25;
    await Promise.all([publishMany(p, N), publishMany(p, N, as(other))]);

    // The neighbour's events go at once; the limited ones take (N - burst) / 5 s at least.
    await neighbour.waitFor(N, 60_000);
    await limited.waitFor(N, 60_000);
    const at = limited.requests.map((r) => r.at);
    expect(overLimit(at, limit)).toBeUndefined();
    const spanMs = Math.max(...at) - Math.min(...at);
    expect(spanMs).toBeGreaterThanOrEqual(((N - limit.burst) / limit.perSecond) * 1000 - 300);
    // Not held back by its limited neighbour: its last delivery came before the limited ones were through.
    expect(Math.max(...neighbour.requests.map((r) => r.at))).toBeLessThan(Math.max(...at));
    // Every event once, each with one attempt: waiting for a slot is not an attempt.
    expect(new Set(limited.requests.map((r) => r.headers['webhook-id'])).size).toBe(N);
    const ds = await eventually('every limited delivery recorded as succeeded', async () => {
      const list = await deliveriesOf(p!, sub.id);
      return list.length === N && list.every((d) => d.status === 'succeeded') ? list : undefined;
    });
    expect(ds.every((d) => d.attempts === 1)).toBe(true);
    // The waits were the limit's: deliveries sent again to wait for their slots.
    expect(p.metrics.counts.get('DeliveryRateLimited') ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it('a backlog of 1,000 at 1 per second waits out of the in-flight set and goes no faster than the limit', async () => {
    p = await startTestPipeline();
    const limited = await receiver();
    const limit = { perSecond: 1, burst: 1 };
    const sub = await subscribe(p, limited.url, { per_second: 1, burst: 1 });
    const N = 1000;
    await publishMany(p, N);
    // Every delivery has a message, and all but a few wait delayed, not in flight.
    const settled = await eventually(
      'the backlog out of the in-flight set',
      async () => {
        const s = p!.sqs.inspect(p!.sqs.delivery);
        return s.delayed + limited.requests.length >= N - 5 && s.inflight <= 5 ? s : undefined;
      },
      120_000,
    );
    expect(settled.inflight).toBeLessThanOrEqual(5);
    // It stays so while the deliveries go, one a second.
    const before = limited.requests.length;
    await limited.waitFor(before + 4, 30_000);
    const s = p.sqs.inspect(p.sqs.delivery);
    expect(s.inflight).toBeLessThanOrEqual(5);
    expect(s.delayed).toBeGreaterThan(N - 50);
    expect(
      overLimit(
        limited.requests.map((r) => r.at),
        limit,
      ),
    ).toBeUndefined();
    // Those still waiting have spent no attempt.
    const pending = (await deliveriesOf(p, sub.id)).filter((d) => d.status === 'pending');
    expect(pending.every((d) => d.attempts === 0)).toBe(true);
  }, 240_000);
});

describe('rate limits through the API', () => {
  const invalid: [unknown, string][] = [
    [{ per_second: 0, burst: 1 }, 'rate_limit.per_second'],
    [{ per_second: 501, burst: 1 }, 'rate_limit.per_second'],
    [{ per_second: 1.5, burst: 1 }, 'rate_limit.per_second'],
    [{ per_second: '5', burst: 1 }, 'rate_limit.per_second'],
    [{ per_second: 5, burst: 0 }, 'rate_limit.burst'],
    [{ per_second: 5, burst: 10_001 }, 'rate_limit.burst'],
    [{ per_second: 5 }, 'rate_limit.burst'],
    [{ per_second: 5, burst: 1, window: 2 }, 'rate_limit.window'],
    [5, 'rate_limit'],
  ];

  it('refuses invalid limits with 400 naming the field, in both versions, and changes nothing', async () => {
    p = await startTestPipeline();
    const r = await receiver();
    for (const [rate_limit, field] of invalid) {
      const created = await p.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'], rate_limit });
      expect(created.status, JSON.stringify(rate_limit)).toBe(400);
      expect(JSON.stringify(created.body)).toContain(field);
      const v0 = await p.call('POST', '/api/v0/webhooks', { callback_url: r.url, events: ['card.created'], rate_limit });
      expect(v0.status, JSON.stringify(rate_limit)).toBe(400);
    }
    expect((await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions).toHaveLength(0);

    const sub = await subscribe(p, r.url, { per_second: 50, burst: 100 });
    for (const [rate_limit] of invalid) {
      expect((await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { rate_limit })).status).toBe(400);
      expect((await p.call('PATCH', `/api/v0/webhooks/${sub.id}`, { rate_limit })).status).toBe(400);
    }
    const got = await p.call('GET', `/api/v0.1/webhooks/${sub.id}`);
    expect(got.body.webhook_subscription.rate_limit).toEqual({ per_second: 50, burst: 100 });
  }, 60_000);

  it('is shown by both versions, changed by PATCH, and removed with null', async () => {
    p = await startTestPipeline();
    const r = await receiver();
    const plain = await subscribe(p, r.url);
    expect(plain).not.toHaveProperty('rate_limit');
    const v0 = await p.call('POST', '/api/v0/webhooks', {
      callback_url: r.url,
      events: ['card.created'],
      rate_limit: { per_second: 500, burst: 10_000 },
    });
    expect(v0.status).toBe(201);
    expect(v0.body.rate_limit).toEqual({ per_second: 500, burst: 10_000 });
    const id = v0.body.webhook_id as string;
    expect((await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.rate_limit).toEqual({
      per_second: 500,
      burst: 10_000,
    });

    const patched = await p.call('PATCH', `/api/v0.1/webhooks/${id}`, { rate_limit: { per_second: 1, burst: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook_subscription.rate_limit).toEqual({ per_second: 1, burst: 1 });
    // A PATCH of another field leaves it.
    expect((await p.call('PATCH', `/api/v0/webhooks/${id}`, { description: 'slow receiver' })).body.rate_limit).toEqual({
      per_second: 1,
      burst: 1,
    });
    const removed = await p.call('PATCH', `/api/v0/webhooks/${id}`, { rate_limit: null });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('rate_limit');
    expect((await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription).not.toHaveProperty('rate_limit');
  }, 60_000);
});
