import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';

/** A tenant never sees, changes or learns of another's subscriptions: 404 like a missing id. */
describe('tenant isolation', () => {
  let p: TestPipeline;
  let other: Record<string, string>;
  let mine: { id: string };
  let snapshot: unknown;

  beforeAll(async () => {
    p = await startTestPipeline();
    other = as(await addTenant(p));
    mine = (await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/mine', events: ['card.created'] })).body.webhook_subscription;
    snapshot = (await p.call('GET', `/api/v0.1/webhooks/${mine.id}`)).body;
  });
  afterAll(async () => p?.stop());

  const routes = (id: string): [string, string, unknown?][] => [
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
      expect(theirs.body.error.message.replace(mine.id, 'ID')).toBe(missing.body.error.message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
    }
    expect((await p.call('GET', `/api/v0.1/webhooks/${mine.id}`)).body).toEqual(snapshot);
  });

  it("lists only the caller's own subscriptions, in both versions", async () => {
    const theirs = (await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/theirs', events: ['transactions'] }, other)).body;
    const myList = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.map((s: { id: string }) => s.id);
    const theirList = (await p.call('GET', '/api/v0/webhooks', undefined, other)).body.map((s: { webhook_id: string }) => s.webhook_id);
    expect(myList).toEqual([mine.id]);
    expect(theirList).toEqual([theirs.webhook_id]);
  });

  it("does not deliver one tenant's events to another's subscriptions", async () => {
    const { startReceiver } = await import('../support/receiver.js');
    const receiver = await startReceiver();
    try {
      await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['*'] }, other);
      await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.requests).toHaveLength(0);
      await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } }, other);
      await receiver.waitFor(1);
    } finally {
      await receiver.close();
    }
  });
});
