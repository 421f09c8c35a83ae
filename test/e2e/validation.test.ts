import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORBIDDEN_URL_HOSTS } from '../fixtures/forbidden-addresses.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/** Every rule, over HTTP, on both versions; and that a rejected request changes nothing. */
describe('request validation', () => {
  let p: TestPipeline;
  let existing: { id: string; url: string; events: string[]; description: string; updated_time: string };
  let snapshot: unknown;

  beforeAll(async () => {
    p = await startTestPipeline();
    existing = (
      await p.call('POST', '/api/v0.1/webhooks', { url: 'https://example.com/keep', events: ['card.created'], description: 'keep me' })
    ).body.webhook_subscription;
    snapshot = (await p.call('GET', '/api/v0.1/webhooks')).body;
  });
  afterAll(async () => {
    // Nothing any rejected request below sent changed the store.
    expect((await p.call('GET', '/api/v0.1/webhooks')).body).toEqual(snapshot);
    await p?.stop();
  });

  const good = { url: 'https://example.com/hook', events: ['card.created'] };
  const goodV0 = { callback_url: 'https://example.com/hook', events: ['card.created'] };

  async function rejects(method: string, path: string, body: unknown, field: string, message: RegExp | string) {
    const res = await p.call(method, path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const problem = res.body.error.details.find((d: { field: string }) => d.field === field);
    expect(problem, `no problem named ${field} in ${JSON.stringify(res.body.error.details)}`).toBeTruthy();
    if (typeof message === 'string') expect(problem.message).toContain(message);
    else expect(problem.message).toMatch(message);
    expect(res.body.error.message).toContain(field);
  }

  const routes = () => [
    { name: 'v0.1 create', method: 'POST', path: '/api/v0.1/webhooks', base: good, url: 'url' },
    { name: 'v0.1 update', method: 'PATCH', path: `/api/v0.1/webhooks/${existing.id}`, base: {}, url: 'url' },
    { name: 'v0 create', method: 'POST', path: '/api/v0/webhooks', base: goodV0, url: 'callback_url' },
    { name: 'v0 update', method: 'PATCH', path: `/api/v0/webhooks/${existing.id}`, base: {}, url: 'callback_url' },
  ];

  it('requires the required fields', async () => {
    await rejects('POST', '/api/v0.1/webhooks', { events: ['card.created'] }, 'url', 'is required');
    await rejects('POST', '/api/v0.1/webhooks', { url: 'https://example.com/x' }, 'events', 'is required');
    await rejects('POST', '/api/v0/webhooks', { events: ['card.created'] }, 'callback_url', 'is required');
  });

  it('names unknown fields', async () => {
    for (const r of routes()) await rejects(r.method, r.path, { ...r.base, colour: 'blue' }, 'colour', 'is not a known field');
    // The other version's field names are unknown too.
    await rejects('POST', '/api/v0.1/webhooks', { ...good, callback_url: 'https://example.com' }, 'callback_url', 'is not a known field');
    await rejects('POST', '/api/v0/webhooks', { ...goodV0, url: 'https://example.com' }, 'url', 'is not a known field');
  });

  it('checks URLs: scheme, user info, length, and literal addresses in any spelling', async () => {
    for (const r of routes()) {
      await rejects(r.method, r.path, { ...r.base, [r.url]: 'http://example.com/hook' }, r.url, 'must use https');
      await rejects(r.method, r.path, { ...r.base, [r.url]: 'https://user:pw@example.com/hook' }, r.url, 'user name or password');
      await rejects(r.method, r.path, { ...r.base, [r.url]: `https://example.com/${'x'.repeat(2050)}` }, r.url, 'at most 2048');
      await rejects(r.method, r.path, { ...r.base, [r.url]: 'example.com/hook' }, r.url, 'absolute URL');
      await rejects(r.method, r.path, { ...r.base, [r.url]: 42 }, r.url, /expected string/);
    }
    for (const [host, why] of FORBIDDEN_URL_HOSTS)
      await rejects('POST', '/api/v0.1/webhooks', { ...good, url: `https://${host}/hook` }, 'url', why);
  });

  it('checks events: 1 to 100, unique, catalog types or wildcards that match one', async () => {
    for (const r of routes()) {
      await rejects(r.method, r.path, { ...r.base, events: [] }, 'events', 'at least one');
      await rejects(r.method, r.path, { ...r.base, events: ['card.created', 'card.created'] }, 'events', 'must not repeat');
      await rejects(
        r.method,
        r.path,
        { ...r.base, events: ['card.deleted'] },
        'events.0',
        'valid types: account.history.ready, card.created, kyc.verification.error',
      );
      await rejects(r.method, r.path, { ...r.base, events: ['card.created', 'zzz*'] }, 'events.1', 'matches no event type');
      await rejects(r.method, r.path, { ...r.base, events: ['*.created'] }, 'events.0', 'only at its end');
      await rejects(
        r.method,
        r.path,
        { ...r.base, events: Array.from({ length: 101 }, (_, i) => `card.created.${i}`) },
        'events',
        'at most 100',
      );
      await rejects(r.method, r.path, { ...r.base, events: 'card.created' }, 'events', /expected array/);
    }
  });

  it('checks description, version and status', async () => {
    for (const r of routes()) await rejects(r.method, r.path, { ...r.base, description: 'd'.repeat(1001) }, 'description', 'at most 1000');
    await rejects('POST', '/api/v0.1/webhooks', { ...good, version: '2' }, 'version', 'must be "0.1"');
    await rejects('POST', '/api/v0.1/webhooks', { ...good, status: 'enabled' }, 'status', 'STATUS_ENABLED or STATUS_DISABLED');
    await rejects('PATCH', `/api/v0/webhooks/${existing.id}`, { status: 'STATUS_ENABLED' }, 'status', 'enabled or disabled');
    await rejects(
      'PATCH',
      `/api/v0/webhooks/${existing.id}`,
      { events: ['card.created'], action: 'replace' },
      'action',
      'add_events or remove_events',
    );
    const ok = await p.call('POST', '/api/v0.1/webhooks', { ...good, description: 'd'.repeat(1000) });
    expect(ok.status).toBe(201);
    await p.call('DELETE', `/api/v0.1/webhooks/${ok.body.webhook_subscription.id}`);
  });

  it('answers malformed JSON, a missing body and a non-object body with 400', async () => {
    for (const body of ['{"url": ', 'not json', '']) {
      const res = await p.call('POST', '/api/v0.1/webhooks', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_json');
    }
    await rejects('POST', '/api/v0.1/webhooks', [good], 'body', /expected object/);
  });

  it('answers a body over 1 MiB with 413', async () => {
    const res = await p.call('POST', '/api/v0.1/webhooks', { ...good, description: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    const pub = await p.call('POST', '/api/v0.1/events', {
      type: 'card.created',
      data: { card_id: 'c', customer_id: 'u', pad: 'x'.repeat(1024 * 1024) },
    });
    expect(pub.status).toBe(413);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as JSON', async () => {
    const none = await p.call('GET', '/api/v0.1/nothing');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('not_found');
    const method = await p.call('PUT', '/api/v0.1/webhooks');
    expect(method.status).toBe(405);
    expect(method.body.error.code).toBe('method_not_allowed');
  });

  it('left the existing subscription as it was', async () => {
    const now = (await p.call('GET', `/api/v0.1/webhooks/${existing.id}`)).body.webhook_subscription;
    expect(now).toEqual(existing);
  });
});
