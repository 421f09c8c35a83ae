import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISO_UTC, SECRET, sameShape, seed002, UUID } from '../fixtures/seed-requests.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

describe('/api/v0.1/webhooks, as seed 002', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline();
  });
  afterAll(async () => p?.stop());

  it('POST creates (201) with the seed response shape and values', async () => {
    const res = await p.call('POST', '/api/v0.1/webhooks', seed002.create);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['webhook_subscription']);
    const s = res.body.webhook_subscription;
    expect(sameShape(s, seed002.createResponse.webhook_subscription)).toEqual([]);
    expect(Object.keys(s).sort()).toEqual(Object.keys(seed002.createResponse.webhook_subscription).sort());
    expect(s).toMatchObject({
      url: seed002.create.url,
      description: 'KYC state changes.',
      events: seed002.create.events,
      version: '0.1',
      status: 'STATUS_ENABLED',
    });
    expect(s.id).toMatch(UUID);
    expect(s.secret).toMatch(SECRET);
    expect(s.created_time).toMatch(ISO_UTC);
    expect(s.updated_time).toBe(s.created_time);
  });

  it('defaults version to "0.1", status to enabled and description to empty, and accepts wildcards', async () => {
    const res = await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/hook', events: ['card*', 'kyc.verification.*'] });
    expect(res.status).toBe(201);
    expect(res.body.webhook_subscription).toMatchObject({
      version: '0.1',
      status: 'STATUS_ENABLED',
      description: '',
      events: ['card*', 'kyc.verification.*'],
    });
  });

  it('creates disabled subscriptions on request', async () => {
    const res = await p.call('POST', '/api/v0.1/webhooks', {
      url: 'https://example.com/off',
      events: ['transactions'],
      status: 'STATUS_DISABLED',
    });
    expect(res.body.webhook_subscription.status).toBe('STATUS_DISABLED');
  });

  it('GET lists newest first with secrets, wrapped as webhook_subscriptions', async () => {
    const res = await p.call('GET', '/api/v0.1/webhooks');
    expect(res.status).toBe(200);
    const list = res.body.webhook_subscriptions;
    expect(list.length).toBe(3);
    expect(list[0].url).toBe('https://example.com/off');
    expect(list[2].url).toBe(seed002.create.url);
    for (const s of list) {
      expect(sameShape(s, seed002.createResponse.webhook_subscription)).toEqual([]);
      expect(s.secret).toMatch(SECRET);
    }
    expect(res.body.next_cursor).toBeNull();
  });

  it('GET /{id} answers one, PATCH replaces the events list and keeps the secret, DELETE answers the object', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', seed002.create)).body.webhook_subscription;
    const got = await p.call('GET', `/api/v0.1/webhooks/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ webhook_subscription: created });

    await new Promise((r) => setTimeout(r, 5));
    const patched = await p.call('PATCH', `/api/v0.1/webhooks/${created.id}`, seed002.update);
    expect(patched.status).toBe(200);
    const u = patched.body.webhook_subscription;
    expect(sameShape(u, seed002.updateResponse.webhook_subscription)).toEqual([]);
    expect(u).toMatchObject({
      id: created.id,
      events: ['account.history.ready'],
      url: created.url,
      description: created.description,
      secret: created.secret,
      created_time: created.created_time,
    });
    expect(u.updated_time > created.updated_time).toBe(true);

    const more = await p.call('PATCH', `/api/v0.1/webhooks/${created.id}`, {
      url: 'https://example.org/new',
      description: 'Account history is ready.',
      status: 'STATUS_DISABLED',
      version: '0.1',
    });
    expect(more.body.webhook_subscription).toMatchObject({
      url: 'https://example.org/new',
      description: 'Account history is ready.',
      status: 'STATUS_DISABLED',
      events: ['account.history.ready'],
    });

    const deleted = await p.call('DELETE', `/api/v0.1/webhooks/${created.id}`);
    expect(deleted.status).toBe(200);
    expect(sameShape(deleted.body.webhook_subscription, seed002.updateResponse.webhook_subscription)).toEqual([]);
    expect(deleted.body.webhook_subscription.id).toBe(created.id);
    expect(deleted.body.webhook_subscription.status).toBe('STATUS_DISABLED');

    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).status).toBe(404);
    expect((await p.call('PATCH', `/api/v0.1/webhooks/${created.id}`, { description: 'x' })).status).toBe(404);
    expect((await p.call('DELETE', `/api/v0.1/webhooks/${created.id}`)).status).toBe(404);
    const ids = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.map((s: { id: string }) => s.id);
    expect(ids).not.toContain(created.id);
  });

  it('rotates the secret, answering the new one and when the old one stops signing', async () => {
    const created = (await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/r', events: ['card.created'] })).body
      .webhook_subscription;
    const rotated = await p.call('POST', `/api/v0.1/webhooks/${created.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook_subscription.secret).toMatch(SECRET);
    expect(rotated.body.webhook_subscription.secret).not.toBe(created.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_time);
    expect(expires - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect((await p.call('GET', `/api/v0.1/webhooks/${created.id}`)).body.webhook_subscription.secret).toBe(
      rotated.body.webhook_subscription.secret,
    );
  });

  it('paginates with limit and an opaque next_cursor, newest first, without repeats', async () => {
    const q = await startTestPipeline();
    try {
      const made: string[] = [];
      for (let i = 0; i < 7; i++)
        made.push(
          (await q.call('POST', '/api/v0.1/webhooks', { url: `https://example.com/${i}`, events: ['transactions'] })).body
            .webhook_subscription.id,
        );
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: { webhook_subscriptions: { id: string }[]; next_cursor: string | null } } = await q.call(
          'GET',
          `/api/v0.1/webhooks?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.webhook_subscriptions.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.webhook_subscriptions.map((s) => s.id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...made].reverse());
      expect(pages).toBe(3);
      expect((await q.call('GET', '/api/v0.1/webhooks?limit=0')).status).toBe(400);
      expect((await q.call('GET', '/api/v0.1/webhooks?limit=101')).status).toBe(400);
      expect((await q.call('GET', '/api/v0.1/webhooks?limit=abc')).status).toBe(400);
      const bad = await q.call('GET', '/api/v0.1/webhooks?cursor=not-a-cursor');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_cursor');
    } finally {
      await q.stop();
    }
  });

  it('serves the OpenAPI document without credentials', async () => {
    const res = await fetch(`${p.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v0.1/webhooks', '/api/v0/webhooks', '/api/v0.1/events']));
  });

  it('lists the event catalog', async () => {
    const res = await p.call('GET', '/api/v0.1/event-types');
    expect(res.status).toBe(200);
    const types = res.body.event_types.map((t: { type: string }) => t.type).sort();
    expect(types).toEqual([
      'account.history.ready',
      'card.created',
      'kyc.verification.error',
      'kyc.verification.failure',
      'kyc.verification.success',
      'kyc.verification.timeout',
      'transactions',
      'webhook.delivery.dead_lettered',
      'webhook.endpoint.failing',
      'webhook.endpoint.recovered',
      // Documented with the rest; only the platform sends it, to the endpoint being verified.
      'webhook.endpoint.verification',
      'webhook.subscription.disabled',
      'webhook.subscription.verified',
    ]);
    for (const t of res.body.event_types) {
      expect(t.description).toBeTruthy();
      expect(t.schema.type).toBe('object');
      expect(t.example).toBeTypeOf('object');
    }
  });

  it('publishes catalog events (202) and validates their data against the schema', async () => {
    const ok = await p.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      data: { card_id: 'c1', customer_id: 'u1', last_four: '4242' },
    });
    expect(ok.status).toBe(202);
    expect(ok.body.id).toMatch(/^evt_/);
    expect(ok.body.type).toBe('card.created');
    const withId = await p.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      id: 'my-event-1',
      data: { card_id: 'c1', customer_id: 'u1' },
    });
    expect(withId.body.id).toBe('my-event-1');
    const badData = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c1', last_four: '42' } });
    expect(badData.status).toBe(400);
    expect(badData.body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'data', message: expect.stringContaining('customer_id') },
        { field: 'data', message: expect.stringMatching(/data\.last_four must match pattern/) },
      ]),
    );
    const badType = await p.call('POST', '/api/v0.1/events', { type: 'card.deleted', data: {} });
    expect(badType.status).toBe(400);
    expect(badType.body.error.details[0].message).toContain('valid types: account.history.ready, card.created');
  });
});
