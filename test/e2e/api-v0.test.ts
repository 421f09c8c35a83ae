import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISO_UTC, SECRET, sameShape, seed001, UUID } from '../fixtures/seed-requests.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

describe('/api/v0/webhooks, as seed 001', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline();
  });
  afterAll(async () => p?.stop());

  it('replays the seed: create, list, add_events, delete', async () => {
    // The seed's curl uses a trailing slash.
    const created = await p.call('POST', '/api/v0/webhooks/', seed001.create);
    expect(created.status).toBe(201);
    const c = created.body;
    expect(sameShape(c, seed001.createResponse)).toEqual([]);
    expect(c).toMatchObject({
      callback_url: 'https://technolaser.com/webhook',
      description: 'KYC state change',
      events: ['kyc.verification.success'],
      status: 'enabled',
    });
    expect(c.webhook_id).toMatch(UUID);
    expect(c.secret).toMatch(SECRET);
    expect(c.date_created).toMatch(ISO_UTC);
    expect(c).not.toHaveProperty('deleted_at');

    const list = await p.call('GET', '/api/v0/webhooks');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body).toHaveLength(1);
    expect(sameShape(list.body[0], seed001.listItem)).toEqual([]);
    expect(list.body[0].secret).toBe(c.secret);

    const updated = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, seed001.update);
    expect(updated.status).toBe(200);
    const u = updated.body;
    expect(sameShape(u, seed001.updateResponse)).toEqual([]);
    expect(u).toMatchObject({
      webhook_id: c.webhook_id,
      callback_url: 'https://headquarters.com/webhook/route',
      description: 'KYC state changes update June 20 2021',
      status: 'enabled',
      events: ['kyc.verification.success', 'card.created'],
      secret: c.secret,
      date_created: c.date_created,
    });

    const deleted = await p.call('DELETE', `/api/v0/webhooks/${c.webhook_id}`);
    expect(deleted.status).toBe(200);
    expect(sameShape(deleted.body, seed001.deleteResponse)).toEqual([]);
    expect(deleted.body.status).toBe('disabled');
    expect(deleted.body.deleted_at).toMatch(ISO_UTC);
    expect((await p.call('GET', '/api/v0/webhooks')).body).toEqual([]);
  });

  it('remove_events removes, no action replaces, status disables; GET /{id} reads one', async () => {
    const c = (
      await p.call('POST', '/api/v0/webhooks', {
        callback_url: 'https://example.com/a',
        events: ['kyc.verification.success', 'kyc.verification.failure', 'transactions'],
      })
    ).body;
    const removed = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, {
      events: ['kyc.verification.failure'],
      action: 'remove_events',
    });
    expect(removed.body.events).toEqual(['kyc.verification.success', 'transactions']);
    const replaced = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, { events: ['card*'] });
    expect(replaced.body.events).toEqual(['card*']);
    const disabled = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, { status: 'disabled' });
    expect(disabled.body.status).toBe('disabled');
    const got = await p.call('GET', `/api/v0/webhooks/${c.webhook_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(disabled.body);
    const emptied = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, { events: ['card*'], action: 'remove_events' });
    expect(emptied.status).toBe(400);
    expect(emptied.body.error.message).toContain('delete the subscription instead');
    const noEvents = await p.call('PATCH', `/api/v0/webhooks/${c.webhook_id}`, { action: 'add_events' });
    expect(noEvents.status).toBe(400);
    expect((await p.call('GET', `/api/v0/webhooks/${c.webhook_id}`)).body.events).toEqual(['card*']);
  });

  it('both versions are views of one store', async () => {
    const v0 = (
      await p.call('POST', '/api/v0/webhooks', {
        callback_url: 'https://example.com/both',
        description: 'made in v0',
        events: ['transactions'],
      })
    ).body;
    const seen = await p.call('GET', `/api/v0.1/webhooks/${v0.webhook_id}`);
    expect(seen.body.webhook_subscription).toMatchObject({
      id: v0.webhook_id,
      url: 'https://example.com/both',
      description: 'made in v0',
      events: ['transactions'],
      secret: v0.secret,
      status: 'STATUS_ENABLED',
      created_time: v0.date_created,
    });

    const v01 = (
      await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/other', events: ['card.created'], status: 'STATUS_DISABLED' })
    ).body.webhook_subscription;
    const changed = await p.call('PATCH', `/api/v0/webhooks/${v01.id}`, {
      events: ['transactions'],
      action: 'add_events',
      status: 'enabled',
    });
    expect(changed.body).toMatchObject({ webhook_id: v01.id, events: ['card.created', 'transactions'], status: 'enabled' });
    expect((await p.call('GET', `/api/v0.1/webhooks/${v01.id}`)).body.webhook_subscription).toMatchObject({
      events: ['card.created', 'transactions'],
      status: 'STATUS_ENABLED',
    });

    const del = await p.call('DELETE', `/api/v0.1/webhooks/${v0.webhook_id}`);
    expect(del.status).toBe(200);
    expect((await p.call('GET', `/api/v0/webhooks/${v0.webhook_id}`)).status).toBe(404);
  });

  it('paginates the bare-array list through the x-next-cursor header', async () => {
    const q = await startTestPipeline();
    try {
      for (let i = 0; i < 3; i++)
        await q.call('POST', '/api/v0/webhooks', { callback_url: `https://example.com/${i}`, events: ['transactions'] });
      const first = await q.call('GET', '/api/v0/webhooks?limit=2');
      expect(first.body).toHaveLength(2);
      const cursor = first.headers.get('x-next-cursor');
      expect(cursor).toBeTruthy();
      const second = await q.call('GET', `/api/v0/webhooks?limit=2&cursor=${encodeURIComponent(cursor!)}`);
      expect(second.body).toHaveLength(1);
      expect(second.headers.get('x-next-cursor')).toBeNull();
      expect(second.body[0].callback_url).toBe('https://example.com/0');
    } finally {
      await q.stop();
    }
  });
});
