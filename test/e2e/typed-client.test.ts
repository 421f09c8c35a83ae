import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWebhooksClient } from '../../client/index.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * The typed client (client/index.ts, `serverless-webhooks/client`) against local mode and a real
 * receiver, through the client only: create, list, publish, read a delivery, retry it. The code
 * between `// #region` and `// #endregion` is docs/tenants/typed-client.md's, character for
 * character (the last test checks), so the page shows code that typechecks and runs. The
 * `@ts-expect-error`s are checked by `npm run typecheck`: were the types to let the mistake
 * through, the directive itself would be the error.
 */

const DOC = new URL('../../docs/tenants/typed-client.md', import.meta.url);
const PUBLISHED_IMPORT = "import { createWebhooksClient } from 'serverless-webhooks/client';";

/** This file's regions, by name, dedented. */
function regions(): Map<string, string> {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const found = new Map<string, string>();
  for (const [, name, body] of source.matchAll(/^ *\/\/ #region (\S+)\n([\s\S]*?)^ *\/\/ #endregion\n/gm)) {
    const lines = body!.trimEnd().split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    found.set(name!, lines.map((l) => l.slice(indent)).join('\n'));
  }
  return found;
}

describe('the typed client, against local mode', () => {
  let p: TestPipeline;
  let receiver: Receiver;
  /** What the page's code prints, checked too. */
  let printed: string[] = [];
  beforeAll(async () => {
    p = await startTestPipeline();
    receiver = await startReceiver();
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await receiver?.close();
    await p?.stop();
  });

  it('creates, lists, publishes, reads a delivery and retries it, and the receiver gets the retry with the same webhook-id', async () => {
    const api = p.url;
    const { identity, authorization } = p.credentials;
    const receiverUrl = receiver.url;

    // #region client
    const client = createWebhooksClient({ baseUrl: api, identity, authorization });
    // #endregion

    // #region create
    const created = await client.POST('/api/v0.1/webhooks', {
      body: { url: receiverUrl, events: ['card.created'], description: 'Cards' },
    });
    if (created.error) throw new Error(`${created.response.status} ${created.error.error.code}: ${created.error.error.message}`);
    const subscription = created.data.webhook_subscription;
    console.log(subscription.id, subscription.secret); // the secret verifies the signatures
    // #endregion
    expect(created.response.status).toBe(201);
    expect(subscription).toMatchObject({ url: receiverUrl, events: ['card.created'], status: 'STATUS_ENABLED', version: '0.1' });
    expect(subscription.secret).toMatch(/^whsec_/);
    expect(printed).toEqual([`${subscription.id} ${subscription.secret}`]);

    // #region list
    const listed = await client.GET('/api/v0.1/webhooks', { params: { query: { limit: 20 } } });
    if (listed.error) throw new Error(listed.error.error.message);
    for (const s of listed.data.webhook_subscriptions) console.log(s.id, s.url, s.status);
    // listed.data.next_cursor, when not null, is the next page's params.query.cursor
    // #endregion
    expect(listed.data.webhook_subscriptions.map((s) => s.id)).toEqual([subscription.id]);
    expect(listed.data.next_cursor).toBeNull();
    expect(printed.at(-1)).toBe(`${subscription.id} ${receiverUrl} STATUS_ENABLED`);

    // #region publish
    const published = await client.POST('/api/v0.1/events', {
      body: { type: 'card.created', data: { card_id: 'c_1', customer_id: 'u_1' } },
      params: { header: { 'Idempotency-Key': 'order-42' } },
    });
    if (published.error) throw new Error(published.error.error.message);
    const event = published.data; // { id: 'evt_...', type: 'card.created', timestamp }
    // #endregion
    expect(published.response.status).toBe(202);
    expect(event.type).toBe('card.created');

    const [first] = await receiver.waitFor(1);
    expect(first!.headers['webhook-id']).toBe(event.id);
    expect(JSON.parse(first!.body)).toMatchObject({ id: event.id, type: 'card.created', data: { card_id: 'c_1', customer_id: 'u_1' } });
    // A delivery has a record of its own once the sender has taken it: until then reading it is a 404.
    await eventually('the delivery recorded as succeeded', async () => {
      const page = await client.GET('/api/v0.1/webhooks/{id}/deliveries', { params: { path: { id: subscription.id } } });
      return page.data?.deliveries[0]?.status === 'succeeded' || undefined;
    });

    // #region delivery
    const deliveries = await client.GET('/api/v0.1/webhooks/{id}/deliveries', {
      params: { path: { id: subscription.id }, query: { status: 'succeeded' } },
    });
    if (deliveries.error) throw new Error(deliveries.error.error.message);
    const latest = deliveries.data.deliveries[0];
    if (!latest) throw new Error('no delivery yet');
    const read = await client.GET('/api/v0.1/webhooks/{id}/deliveries/{delivery_id}', {
      params: { path: { id: subscription.id, delivery_id: latest.id } },
    });
    if (read.error) throw new Error(read.error.error.message);
    for (const attempt of read.data.delivery.attempt_log) console.log(attempt.attempt, attempt.status_code, attempt.latency_ms);
    // #endregion
    expect(latest).toMatchObject({ event_id: event.id, event_type: 'card.created', status: 'succeeded', attempts: 1 });
    expect(read.data.delivery.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null })]);
    expect(printed.at(-1)).toMatch(/^1 200 \d+$/);

    // #region retry
    const retried = await client.POST('/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry', {
      params: { path: { id: subscription.id, delivery_id: latest.id } },
    });
    if (retried.error) throw new Error(retried.error.error.message);
    console.log(retried.data.delivery.status); // 'pending': sent again with the same webhook-id
    // #endregion
    expect(retried.response.status).toBe(202);
    expect(retried.data.delivery).toMatchObject({ id: latest.id, status: 'pending' });
    expect(printed.at(-1)).toBe('pending');

    const [, second] = await receiver.waitFor(2);
    expect(second!.headers['webhook-id']).toBe(event.id);
    expect(second!.body).toBe(first!.body);
    const after = await eventually('the retry recorded', async () => {
      const d = await client.GET('/api/v0.1/webhooks/{id}/deliveries/{delivery_id}', {
        params: { path: { id: subscription.id, delivery_id: latest.id } },
      });
      return d.data?.delivery.attempts === 2 ? d.data.delivery : undefined;
    });
    expect(after).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('sets and removes a payload filter and a rate limit, both typed as the object or null', async () => {
    const client = createWebhooksClient({ baseUrl: p.url, ...p.credentials });
    const created = await client.POST('/api/v0.1/webhooks', {
      body: { url: receiver.url, events: ['card.created'], filter: { card_id: ['c_1'] }, rate_limit: { per_second: 5, burst: 10 } },
    });
    expect(created.data?.webhook_subscription).toMatchObject({ filter: { card_id: ['c_1'] }, rate_limit: { per_second: 5, burst: 10 } });
    const id = created.data!.webhook_subscription.id;
    const removed = await client.PATCH('/api/v0.1/webhooks/{id}', { params: { path: { id } }, body: { filter: null, rate_limit: null } });
    expect(removed.response.status).toBe(200);
    expect(removed.data?.webhook_subscription).not.toHaveProperty('filter');
    expect(removed.data?.webhook_subscription).not.toHaveProperty('rate_limit');
    expect((await client.DELETE('/api/v0.1/webhooks/{id}', { params: { path: { id } } })).response.status).toBe(200);
  });

  it('answers errors as data: the error body typed, the status on the response, nothing thrown', async () => {
    // The stack's ApiUrl output ends in a slash: openapi-fetch takes the base URL either way.
    const client = createWebhooksClient({ baseUrl: `${p.url}/`, ...p.credentials });
    printed = [];

    // #region errors
    const missing = await client.GET('/api/v0.1/webhooks/{id}', { params: { path: { id: 'no-such-subscription' } } });
    if (missing.error) console.log(missing.response.status, missing.error.error.code); // 404 not_found

    const refused = await client.POST('/api/v0.1/webhooks', { body: { url: 'http://example.com/hook', events: ['card.created'] } });
    for (const problem of refused.error?.error.details ?? []) console.log(problem.field, problem.message); // url must use https
    // #endregion
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    expect(missing.error?.error.code).toBe('not_found');
    expect(refused.response.status).toBe(400);
    expect(refused.error?.error).toMatchObject({ code: 'validation_failed', details: [expect.objectContaining({ field: 'url' })] });
    expect(printed).toEqual(['404 not_found', expect.stringMatching(/^url .*https/)]);

    const wrongKey = await createWebhooksClient({ baseUrl: p.url, identity: p.credentials.identity, authorization: 'key_wrong' }).GET(
      '/api/v0.1/webhooks',
    );
    expect(wrongKey.response.status).toBe(401);
    expect(wrongKey.error?.error.code).toBe('unauthorized');
  });

  it('refuses at compile time what the API would refuse at run time', async () => {
    const client = createWebhooksClient({ baseUrl: p.url, identity: p.credentials.identity, authorization: p.credentials.authorization });

    // #region typo
    const v0Name = await client.POST('/api/v0.1/webhooks', {
      // @ts-expect-error callback_url is v0's name for it: in v0.1 it is url
      body: { callback_url: 'https://example.com/hook', events: ['card.created'] },
    });
    const wrongData = await client.POST('/api/v0.1/events', {
      // @ts-expect-error card.created's data needs customer_id too
      body: { type: 'card.created', data: { card_id: 'c_1' } },
    });
    // #endregion
    expect(v0Name.response.status).toBe(400);
    expect(v0Name.error?.error.code).toBe('validation_failed');
    expect(wrongData.response.status).toBe(400);
    expect(wrongData.error?.error.code).toBe('validation_failed');
    // Nothing was created.
    const listed = await client.GET('/api/v0.1/webhooks');
    expect(listed.data?.webhook_subscriptions.map((s) => s.url)).not.toContain('https://example.com/hook');
  });
});

describe('docs/tenants/typed-client.md', () => {
  it("shows this file's regions as its TypeScript blocks, in order, the first with the published import", () => {
    const doc = readFileSync(DOC, 'utf8');
    const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
    const expected = [...regions().values()];
    expect(expected.length).toBeGreaterThanOrEqual(7);
    expected[0] = `${PUBLISHED_IMPORT}\n\n${expected[0]}`;
    expect(blocks).toEqual(expected);
  });
});
