import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { queuesSettled } from '../support/wait.js';

/** A tenant never sees, changes or learns of another's subscriptions: 404 like a missing id. */
describe('tenant isolation', () => {
  let p: TestPipeline;
  let other: Record<string, string>;
  let mine: { id: string };
  let snapshot: unknown;
  let deliveryId: string;
  let receiver: Receiver;

  beforeAll(async () => {
    p = await startTestPipeline();
    other = as(await addTenant(p));
    receiver = await startReceiver();
    mine = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription;
    // One delivered event, so the delivery routes have something to hide.
    await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
    await receiver.waitFor(1);
    for (let i = 0; i < 100 && !deliveryId; i++) {
      deliveryId = (await p.call('GET', `/api/v0.1/webhooks/${mine.id}/deliveries`)).body.deliveries[0]?.id;
      if (!deliveryId) await new Promise((r) => setTimeout(r, 100));
    }
    snapshot = {
      subscription: (await p.call('GET', `/api/v0.1/webhooks/${mine.id}`)).body,
      delivery: (await p.call('GET', `/api/v0.1/webhooks/${mine.id}/deliveries/${deliveryId}`)).body,
    };
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  const routes = (id: string): [string, string, unknown?][] => [
    ['GET', `/api/v0.1/webhooks/${id}/deliveries`],
    ['GET', `/api/v0.1/webhooks/${id}/deliveries/${deliveryId}`],
    ['POST', `/api/v0.1/webhooks/${id}/deliveries/${deliveryId}/retry`],
    ['POST', `/api/v0.1/webhooks/${id}/test`],
    ['GET', `/api/v0.1/webhooks/${id}`],
    ['PATCH', `/api/v0.1/webhooks/${id}`, { description: 'mine now' }],
    ['POST', `/api/v0.1/webhooks/${id}/secret/rotate`],
    ['DELETE', `/api/v0.1/webhooks/${id}`],
    ['GET', `/api/v0/webhooks/${id}`],
    ['PATCH', `/api/v0/webhooks/${id}`, { events: ['transactions'], action: 'add_events' }],
    ['DELETE', `/api/v0/webhooks/${id}`],
  ];

  it("answers 404 on every route for another tenant's subscription, exactly as for a missing id", async () => {
    for (const [method, path, body] of routes(mine.id)) {
      const theirs = await p.call(method, path, body, other);
      const missing = await p.call(method, path.replace(mine.id, '00000000-0000-4000-8000-000000000000'), body, other);
      expect(theirs.status, `${method} ${path}`).toBe(404);
      expect(theirs.body.error.code).toBe('not_found');
      expect(missing.status).toBe(404);
      expect(theirs.body.error.message.replace(mine.id, 'ID')).toBe(
        missing.body.error.message.replace('00000000-0000-4000-8000-000000000000', 'ID'),
      );
    }
    expect({
      subscription: (await p.call('GET', `/api/v0.1/webhooks/${mine.id}`)).body,
      delivery: (await p.call('GET', `/api/v0.1/webhooks/${mine.id}/deliveries/${deliveryId}`)).body,
    }).toEqual(snapshot);
    // Nothing was sent on the other tenant's behalf.
    expect(receiver.requests).toHaveLength(1);
  });

  it("hides another subscription's delivery behind a subscription of one's own", async () => {
    const own = (await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/own', events: ['transactions'] }, other)).body
      .webhook_subscription;
    const res = await p.call('GET', `/api/v0.1/webhooks/${own.id}/deliveries/${deliveryId}`, undefined, other);
    expect(res.status).toBe(404);
    const mineViaOwn = await p.call('GET', `/api/v0.1/webhooks/${mine.id}/deliveries/${deliveryId}`, undefined, other);
    expect(mineViaOwn.status).toBe(404);
  });

  it("lists only the caller's own subscriptions, in both versions", async () => {
    const theirs = (
      await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/theirs', events: ['transactions'] }, other)
    ).body;
    const myList = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.map((s: { id: string }) => s.id);
    const theirList = (await p.call('GET', '/api/v0/webhooks', undefined, other)).body.map((s: { webhook_id: string }) => s.webhook_id);
    expect(myList).toEqual([mine.id]);
    expect(theirList).toContain(theirs.webhook_id);
    expect(theirList).not.toContain(mine.id);
  });

  it("does not deliver one tenant's events to another's subscriptions", async () => {
    const theirs = await startReceiver();
    try {
      await p.call('POST', '/api/v0.1/webhooks', { url: theirs.url, events: ['*'] }, other);
      await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
      await queuesSettled(p);
      expect(theirs.requests).toHaveLength(0);
      await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } }, other);
      await theirs.waitFor(1);
    } finally {
      await theirs.close();
    }
  });
});
