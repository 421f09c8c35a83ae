import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '../../functions/domain/address-policy.js';
import { MAX_EVENT_TYPE_CHARS, MAX_TIME_CHARS } from '../../functions/domain/api-limits.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/** Seed-compatibility details and input handling: list "all", the cap, status spellings, times, content types, bad ids and cursors. */

const SIX_DIGITS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe('v0 list is "all", bounded by the per-tenant cap', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline({ maxSubscriptionsPerTenant: 60 });
  });
  afterAll(async () => p?.stop());

  it('answers all 55 subscriptions without limit; with limit, a page and x-next-cursor', async () => {
    for (let i = 0; i < 55; i++) {
      const res = await p.call('POST', i % 2 ? '/api/v0/webhooks' : '/api/v0.1/webhooks', {
        [i % 2 ? 'callback_url' : 'url']: `https://example.com/${i}`,
        events: ['transactions'],
      });
      expect(res.status).toBe(201);
    }
    const all = await p.call('GET', '/api/v0/webhooks');
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(55);
    expect(new Set(all.body.map((s: { webhook_id: string }) => s.webhook_id)).size).toBe(55);
    expect(all.headers.get('x-next-cursor')).toBeNull();
    // The trailing slash of seed 001's samples too.
    expect((await p.call('GET', '/api/v0/webhooks/')).body).toHaveLength(55);

    const page = await p.call('GET', '/api/v0/webhooks?limit=50');
    expect(page.body).toHaveLength(50);
    const cursor = page.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const rest = await p.call('GET', `/api/v0/webhooks?limit=50&cursor=${cursor}`);
    expect(rest.body).toHaveLength(5);
    // v0.1 keeps its pages (default 50) and next_cursor.
    const v01 = await p.call('GET', '/api/v0.1/webhooks');
    expect(v01.body.webhook_subscriptions).toHaveLength(50);
    expect(v01.body.next_cursor).toBeTruthy();
  });

  it('refuses creates past the cap with 409 in both versions, concurrently too, and frees a slot on delete', async () => {
    // 55 exist, the cap is 60: of 12 concurrent creates exactly 5 get in.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2
          ? p.call('POST', '/api/v0/webhooks', { callback_url: `https://example.com/c${i}`, events: ['transactions'] })
          : p.call('POST', '/api/v0.1/webhooks', { url: `https://example.com/c${i}`, events: ['transactions'] }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(7);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('subscription_limit_reached');
      expect(r.body.error.message).toContain('60 subscriptions');
    }
    expect((await p.call('GET', '/api/v0/webhooks')).body).toHaveLength(60);

    const one = (await p.call('GET', '/api/v0/webhooks?limit=1')).body[0].webhook_id;
    expect((await p.call('DELETE', `/api/v0/webhooks/${one}`)).status).toBe(200);
    expect((await p.call('DELETE', `/api/v0.1/webhooks/${one}`)).status).toBe(404);
    const again = await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/again', events: ['transactions'] });
    expect(again.status).toBe(201);
    const over = await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/over', events: ['transactions'] });
    expect(over.status).toBe(409);
  });
});

describe('request details', () => {
  let p: TestPipeline;
  let id: string;
  beforeAll(async () => {
    p = await startTestPipeline();
    id = (await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/a', events: ['card.created'] })).body.webhook_id;
  });
  afterAll(async () => p?.stop());

  it('takes v0 status as enable/enabled and disable/disabled, and answers enabled/disabled', async () => {
    for (const [sent, answered] of [
      ['disable', 'disabled'],
      ['enable', 'enabled'],
      ['disabled', 'disabled'],
      ['enabled', 'enabled'],
    ]) {
      const res = await p.call('PATCH', `/api/v0/webhooks/${id}`, { status: sent });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(answered);
      expect((await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.status).toBe(
        answered === 'enabled' ? 'STATUS_ENABLED' : 'STATUS_DISABLED',
      );
    }
    const bad = await p.call('PATCH', `/api/v0/webhooks/${id}`, { status: 'on' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ field: 'status', message: 'must be enabled or disabled' }]);
  });

  it('writes every time with six fraction digits, as the seeds do, in both versions', async () => {
    const v0 = (await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/t', events: ['card.created'] })).body;
    expect(v0.date_created).toMatch(SIX_DIGITS);
    expect(v0.date_updated).toMatch(SIX_DIGITS);
    const v01 = (await p.call('GET', `/api/v0.1/webhooks/${v0.webhook_id}`)).body.webhook_subscription;
    expect(v01.created_time).toMatch(SIX_DIGITS);
    expect(v01.updated_time).toMatch(SIX_DIGITS);
    expect(v01.created_time).toBe(v0.date_created);
    const rotated = (await p.call('POST', `/api/v0.1/webhooks/${v0.webhook_id}/secret/rotate`)).body;
    expect(rotated.previous_secret_expires_time).toMatch(SIX_DIGITS);
    const listed = (await p.call('GET', '/api/v0/webhooks')).body;
    for (const s of listed)
      expect([s.date_created, s.date_updated]).toEqual([expect.stringMatching(SIX_DIGITS), expect.stringMatching(SIX_DIGITS)]);
    const deleted = (await p.call('DELETE', `/api/v0/webhooks/${v0.webhook_id}`)).body;
    expect(deleted.deleted_at).toMatch(SIX_DIGITS);
  });

  it('answers 415 to a body that is not JSON by its content type, and reads a body with none as JSON', async () => {
    const body = JSON.stringify({ callback_url: 'https://example.com/ct', events: ['card.created'] });
    const send = (headers: Record<string, string>) =>
      fetch(`${p.url}/api/v0/webhooks`, {
        method: 'POST',
        headers: { Identity: p.credentials.identity, Authorization: p.credentials.authorization, ...headers },
        body: new TextEncoder().encode(body), // fetch sets no content type for bytes
      });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await send({ 'Content-Type': type });
      expect(res.status, type).toBe(415);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('unsupported_media_type');
      expect(err.message).toContain('Content-Type: application/json');
    }
    const before = (await p.call('GET', '/api/v0/webhooks')).body.length;
    expect((await send({})).status).toBe(201);
    expect((await send({ 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(201);
    expect((await send({ 'Content-Type': 'application/merge-patch+json' })).status).toBe(201);
    expect((await p.call('GET', '/api/v0/webhooks')).body.length).toBe(before + 3);
  });

  it('answers malformed percent-encoding in any id with 400, and ids longer than any we issue with 404', async () => {
    const paths = [
      '/api/v0/webhooks/{id}',
      '/api/v0.1/webhooks/{id}',
      '/api/v0.1/webhooks/{id}/deliveries',
      '/api/v0.1/webhooks/{id}/deliveries/{d}',
      '/api/v0.1/webhooks/{id}/test',
      '/api/v0.1/webhooks/{id}/secret/rotate',
    ];
    for (const template of paths) {
      for (const method of template.endsWith('/test') || template.endsWith('/rotate') ? ['POST'] : ['GET', 'PATCH', 'DELETE']) {
        if (method !== 'GET' && template.includes('deliveries')) continue;
        if (method !== 'GET' && !/\{id\}$/.test(template) && !template.endsWith('/test') && !template.endsWith('/rotate')) continue;
        for (const bad of ['%ZZ', '%', '%C0%AF']) {
          const res = await p.call(method, template.replace('{id}', bad).replace('{d}', 'x'), method === 'PATCH' ? {} : undefined);
          expect(res.status, `${method} ${template} ${bad}`).toBe(400);
          expect(res.body.error.code).toBe('invalid_path');
        }
        const long = await p.call(
          method,
          template.replace('{id}', 's'.repeat(1100)).replace('{d}', 'x'),
          method === 'PATCH' ? {} : undefined,
        );
        expect(long.status, `${method} ${template} long id`).toBe(404);
      }
    }
    const longDelivery = await p.call('GET', `/api/v0.1/webhooks/${id}/deliveries/${'d'.repeat(3000)}`);
    expect(longDelivery.status).toBe(404);
    expect(longDelivery.body.error.code).toBe('not_found');
    const retry = await p.call('POST', `/api/v0.1/webhooks/${id}/deliveries/${'d'.repeat(3000)}/retry`);
    expect(retry.status).toBe(404);
  });

  it('answers cursors with empty or over-long keys with 400 invalid_cursor', async () => {
    const cursors = [
      { gsi1sk: '', id: '' },
      { gsi1sk: 'x', id: '' },
      { gsi1sk: 'x'.repeat(2000), id: 'y' },
      { gsi1sk: 'x', id: 'y'.repeat(1100) },
      { gsi1sk: 'x', id: 'é'.repeat(600) },
    ].map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));
    cursors.push(Buffer.from('null').toString('base64url'), 'A'.repeat(5000), 'not+base64url/');
    for (const path of ['/api/v0/webhooks', '/api/v0.1/webhooks', `/api/v0.1/webhooks/${id}/deliveries`]) {
      for (const cursor of cursors) {
        const res = await p.call('GET', `${path}?limit=5&cursor=${encodeURIComponent(cursor)}`);
        expect(res.status, `${path} ${cursor.slice(0, 30)}`).toBe(400);
        expect(res.body.error.code).toBe('invalid_cursor');
      }
    }
  });

  // The bounds the OpenAPI document states (functions/domain/api-limits.ts) are the ones enforced.
  it('answers ids of characters no id has with 404, as ids longer than any we issue', async () => {
    for (const bad of ['a~b', 'a%20b', '%C3%BC', "a'b"]) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await p.call(method, `/api/v0.1/webhooks/${bad}`, method === 'PATCH' ? { description: 'x' } : undefined);
        expect(res.status, `${method} ${bad}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      expect((await p.call('GET', `/api/v0.1/webhooks/${id}/deliveries/${bad}`)).status).toBe(404);
    }
    expect((await p.call('GET', `/api/v0/webhooks/${id}`)).body.description).toBe('');
  });

  it(`refuses URLs past ${MAX_URL_LENGTH} characters, times past ${MAX_TIME_CHARS} and event types of other characters with 400, changing nothing`, async () => {
    const before = (await p.call('GET', '/api/v0/webhooks')).body.length;
    const longUrl = `https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`;
    for (const [path, field] of [
      ['/api/v0.1/webhooks', 'url'],
      ['/api/v0/webhooks', 'callback_url'],
    ] as const) {
      const res = await p.call('POST', path, { [field]: longUrl, events: ['card.created'] });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ field, message: `must be at most ${MAX_URL_LENGTH} characters` }]);
    }
    expect((await p.call('GET', '/api/v0/webhooks')).body).toHaveLength(before);

    // Nanoseconds and an offset fit; one more fraction digit does not.
    const since = new Date(Date.now() - 60_000).toISOString().replace('Z', '123456+00:00');
    expect(since).toHaveLength(MAX_TIME_CHARS);
    const ok = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since });
    expect(ok.status, JSON.stringify(ok.body)).not.toBe(400);
    const tooLong = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since: since.replace('+', '0+') });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details[0].field).toBe('since');

    for (const type of ['card created', 'card.créé', 'a'.repeat(MAX_EVENT_TYPE_CHARS + 1)]) {
      const res = await p.call('POST', '/api/v0.1/events', { type, data: {} });
      expect(res.status, type).toBe(400);
      expect(res.body.error.details[0].field).toBe('type');
    }
  });
});
