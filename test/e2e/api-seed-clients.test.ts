import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawResponse, replay, SEED_CLIENTS, seed001Samples, seed002CurlSamples } from '../fixtures/seed-clients.js';
import { SECRET, sameShape, seed001, seed002, UUID } from '../fixtures/seed-requests.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/**
 * "A client written against seed 001 or seed 002 must work against us unchanged apart from the
 * host and credentials": each seed sample, as its client sends it (test/fixtures/seed-clients.ts),
 * against local mode, gets the documented answer with every field.
 */

const SEED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function ok(res: RawResponse, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type'] ?? 'application/json').toContain('application/json');
}

describe('the seeds` request samples, replayed byte for byte against local mode', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline();
  });
  afterAll(async () => p?.stop());

  it.each(SEED_CLIENTS)('seed 001 in %s: create, list, add_events, delete', async (client) => {
    const s = seed001Samples(client);
    const created = await replay(p.url, client, s.create(''), p.credentials);
    ok(created, 201);
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
    expect(c.date_created).toMatch(SEED_TIME);

    const listed = await replay(p.url, client, s.list(''), p.credentials);
    ok(listed, 200);
    expect(Array.isArray(listed.body)).toBe(true);
    const mine = listed.body.find((x: { webhook_id: string }) => x.webhook_id === c.webhook_id);
    expect(sameShape(mine, seed001.listItem)).toEqual([]);
    expect(mine).toMatchObject({ secret: c.secret, date_created: c.date_created });
    expect(mine.date_updated).toMatch(SEED_TIME);

    const updated = await replay(p.url, client, s.update(c.webhook_id), p.credentials);
    ok(updated, 200);
    expect(sameShape(updated.body, seed001.updateResponse)).toEqual([]);
    expect(updated.body).toMatchObject({
      webhook_id: c.webhook_id,
      callback_url: 'https://headquarters.com/webhook/route',
      description: 'KYC state changes update June 20 2021',
      events: ['kyc.verification.success', 'card.created'],
      status: 'enabled',
      secret: c.secret,
      date_created: c.date_created,
    });
    expect(updated.body.date_updated).toMatch(SEED_TIME);

    const removed = await replay(p.url, client, s.remove(c.webhook_id), p.credentials);
    ok(removed, 200);
    expect(sameShape(removed.body, seed001.deleteResponse)).toEqual([]);
    expect(removed.body).toMatchObject({ webhook_id: c.webhook_id, status: 'disabled', secret: c.secret });
    expect(removed.body.deleted_at).toMatch(SEED_TIME);
    const after = await replay(p.url, client, s.list(''), p.credentials);
    expect(after.body.map((x: { webhook_id: string }) => x.webhook_id)).not.toContain(c.webhook_id);
  });

  it('seed 002 in curl: create, list, update, delete', async () => {
    const s = seed002CurlSamples;
    const created = await replay(p.url, 'curl', s.create(''), p.credentials);
    ok(created, 201);
    const c = created.body.webhook_subscription;
    expect(Object.keys(created.body)).toEqual(['webhook_subscription']);
    expect(sameShape(c, seed002.createResponse.webhook_subscription)).toEqual([]);
    expect(c).toMatchObject({ ...seed002.create, secret: expect.stringMatching(SECRET), id: expect.stringMatching(UUID) });
    expect(c.created_time).toMatch(SEED_TIME);
    expect(c.updated_time).toBe(c.created_time);

    const listed = await replay(p.url, 'curl', s.list(''), p.credentials);
    ok(listed, 200);
    const mine = listed.body.webhook_subscriptions.find((x: { id: string }) => x.id === c.id);
    expect(mine).toEqual(c);

    const updated = await replay(p.url, 'curl', s.update(c.id), p.credentials);
    ok(updated, 200);
    const u = updated.body.webhook_subscription;
    expect(sameShape(u, seed002.updateResponse.webhook_subscription)).toEqual([]);
    expect(u).toMatchObject({ ...c, events: ['account.history.ready'], updated_time: expect.stringMatching(SEED_TIME) });

    const removed = await replay(p.url, 'curl', s.remove(c.id), p.credentials);
    ok(removed, 200);
    expect(sameShape(removed.body.webhook_subscription, seed002.createResponse.webhook_subscription)).toEqual([]);
    expect(removed.body.webhook_subscription).toMatchObject({ id: c.id, status: 'STATUS_DISABLED' });
  });
});
