import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { MAX_FILTER_DEPTH } from '../../functions/domain/payload-filter.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/** `{"l1": {"l2": ... {"l<n>": leaf}}}` */
function nested(n: number, leaf: unknown): Record<string, unknown> {
  let f: unknown = leaf;
  for (let i = n; i >= 1; i--) f = { [`l${i}`]: f };
  return f as Record<string, unknown>;
}

/** A `transactions` event as the catalog takes it (extra fields are allowed), with what the filters look at. */
const transaction = (extra: Record<string, unknown>) => ({
  type: 'transactions',
  data: { transaction_id: 't', account_id: 'a', amount: '50.00', currency: 'USD', state: 'completed', ...extra },
});

describe('payload filters, in local mode: only events whose data a filter matches are delivered', () => {
  let p: TestPipeline;
  const receivers: Record<'range' | 'prefix' | 'deep', Receiver> = {} as never;
  const ids: Record<'range' | 'prefix' | 'deep', string> = {} as never;
  const filters = {
    // v0.1: exact, a numeric range at its edges, exists: false on a nested field
    range: { state: ['completed'], amount_minor: [{ numeric: ['>', 0, '<=', 5000] }], risk: { review: [{ exists: false }] } },
    // v0: prefix and anything-but, over an array in the event
    prefix: { currency: [{ prefix: 'EU' }], tags: [{ 'anything-but': ['test', 'internal'] }] },
    // v0.1: a field as deep as a filter may reach
    deep: nested(MAX_FILTER_DEPTH, ['bottom']),
  };
  const counter = (name: string) => p.metrics.counts.get(name) ?? 0;

  beforeAll(async () => {
    p = await startTestPipeline();
    for (const k of ['range', 'prefix', 'deep'] as const) receivers[k] = await startReceiver();
  });
  afterAll(async () => {
    await p?.stop();
    for (const r of Object.values(receivers)) await r?.close();
  });

  it('creates subscriptions with filters in both versions and shows them in both', async () => {
    const range = await p.call('POST', '/api/v0.1/webhooks', { url: receivers.range.url, events: ['transactions'], filter: filters.range });
    expect(range.status).toBe(201);
    expect(range.body.webhook_subscription.filter).toEqual(filters.range);
    ids.range = range.body.webhook_subscription.id;
    const prefix = await p.call('POST', '/api/v0/webhooks', {
      callback_url: receivers.prefix.url,
      events: ['transactions'],
      filter: filters.prefix,
    });
    expect(prefix.status).toBe(201);
    expect(prefix.body.filter).toEqual(filters.prefix);
    ids.prefix = prefix.body.webhook_id;
    const deep = await p.call('POST', '/api/v0.1/webhooks', { url: receivers.deep.url, events: ['transactions'], filter: filters.deep });
    expect(deep.status).toBe(201);
    ids.deep = deep.body.webhook_subscription.id;

    expect((await p.call('GET', `/api/v0/webhooks/${ids.range}`)).body.filter).toEqual(filters.range);
    expect((await p.call('GET', `/api/v0.1/webhooks/${ids.prefix}`)).body.webhook_subscription.filter).toEqual(filters.prefix);
    // Without a filter, no field: seed clients that send none see exactly the seed's fields.
    const plain = await p.call('POST', '/api/v0/webhooks', { callback_url: 'https://example.com/plain', events: ['card.created'] });
    expect(plain.status).toBe(201);
    expect('filter' in plain.body).toBe(false);
    expect((await p.call('DELETE', `/api/v0/webhooks/${plain.body.webhook_id}`)).status).toBe(200);
  });

  it('refuses a bad filter with a 400 naming the field, in each version, and changes nothing', async () => {
    const before = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length;
    const bad = await p.call('POST', '/api/v0.1/webhooks', {
      url: receivers.range.url,
      events: ['transactions'],
      filter: { amount_minor: [{ numeric: ['<', 5, '>', 0] }], currency: 'EUR' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details).toEqual([
      { field: 'filter.amount_minor.0', message: expect.stringContaining('a lower then an upper bound') },
      { field: 'filter.currency', message: expect.stringContaining('must be an array of values or matchers') },
    ]);
    const tooDeep = await p.call('POST', '/api/v0/webhooks', {
      callback_url: receivers.range.url,
      events: ['transactions'],
      filter: nested(MAX_FILTER_DEPTH + 1, ['x']),
    });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.message).toContain(`nests deeper than ${MAX_FILTER_DEPTH} levels`);
    const tooLarge = await p.call('PATCH', `/api/v0.1/webhooks/${ids.range}`, { filter: { note: ['x'.repeat(5000)] } });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.error.details[0]).toMatchObject({ field: 'filter', message: expect.stringContaining('at most 4096') });
    const badPatch = await p.call('PATCH', `/api/v0/webhooks/${ids.prefix}`, { filter: {}, description: 'changed?' });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.details[0].message).toContain('send null to remove the filter');

    expect((await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length).toBe(before);
    expect((await p.call('GET', `/api/v0.1/webhooks/${ids.range}`)).body.webhook_subscription.filter).toEqual(filters.range);
    const prefix = (await p.call('GET', `/api/v0/webhooks/${ids.prefix}`)).body;
    expect(prefix.filter).toEqual(filters.prefix);
    expect(prefix.description).toBe('');
  });

  it('makes no delivery of an event that no filter matches', async () => {
    const fannedOut = counter('EventsFannedOut');
    const created = counter('DeliveriesCreated');
    // state and currency miss, amount past the range's upper edge, tags all excluded
    const published = await p.call('POST', '/api/v0.1/events', transaction({ state: 'pending', amount_minor: 5001, tags: ['test'] }));
    expect(published.status).toBe(202);
    await eventually('the event to be fanned out', async () => (counter('EventsFannedOut') > fannedOut ? true : undefined));
    expect(counter('DeliveriesCreated')).toBe(created);
    for (const id of Object.values(ids)) {
      const record = await p.call('GET', `/api/v0.1/webhooks/${id}/deliveries/${deliveryIdFor(published.body.id, id)}`);
      expect(record.status).toBe(404);
      expect((await p.call('GET', `/api/v0.1/webhooks/${id}/deliveries`)).body.deliveries).toEqual([]);
    }
  });

  it('delivers each event only to the subscriptions whose filters its data passes', async () => {
    const publish = async (extra: Record<string, unknown>) => {
      const res = await p.call('POST', '/api/v0.1/events', transaction(extra));
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    const expected = {
      // at the range's inclusive upper edge, review missing
      range: [await publish({ amount_minor: 5000 })],
      // EUR: any tag not excluded is enough
      prefix: [await publish({ currency: 'EUR', state: 'pending', tags: ['test', 'live'] })],
      deep: [await publish({ state: 'pending', ...nested(MAX_FILTER_DEPTH, 'bottom') })],
    };
    // None of these: the range's exclusive lower edge; a review present; EUR but only excluded tags;
    // the deep field one level short.
    const none = [
      await publish({ amount_minor: 0 }),
      await publish({ amount_minor: 10, risk: { review: 'manual' } }),
      await publish({ currency: 'EUR', state: 'pending', tags: ['internal'] }),
      await publish({ state: 'pending', ...nested(MAX_FILTER_DEPTH - 1, 'bottom') }),
    ];

    for (const k of ['range', 'prefix', 'deep'] as const) {
      const [request] = await receivers[k].waitFor(1);
      expect(JSON.parse(request!.body).id).toBe(expected[k][0]);
    }
    // Every event fanned out (the one before and these seven): their deliveries are all listed by now.
    const fannedOut = await eventually('every event to be fanned out', async () => {
      const n = counter('EventsFannedOut');
      return n >= 8 ? n : undefined;
    });
    expect(fannedOut).toBe(8);
    expect(counter('DeliveriesCreated')).toBe(3);
    for (const k of ['range', 'prefix', 'deep'] as const) {
      const list = await p.call('GET', `/api/v0.1/webhooks/${ids[k]}/deliveries`);
      expect(list.body.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual(expected[k]);
      for (const eventId of none)
        expect((await p.call('GET', `/api/v0.1/webhooks/${ids[k]}/deliveries/${deliveryIdFor(eventId, ids[k])}`)).status).toBe(404);
    }
    expect(Object.values(receivers).map((r) => r.requests.length)).toEqual([1, 1, 1]);
  });

  it('replaces a filter on PATCH and removes it with null', async () => {
    const replaced = await p.call('PATCH', `/api/v0/webhooks/${ids.prefix}`, {
      events: ['card.created'],
      action: 'add_events',
      filter: { currency: ['GBP'] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.filter).toEqual({ currency: ['GBP'] });
    expect(replaced.body.events).toEqual(['transactions', 'card.created']);
    const removed = await p.call('PATCH', `/api/v0.1/webhooks/${ids.prefix}`, { filter: null });
    expect(removed.status).toBe(200);
    expect('filter' in removed.body.webhook_subscription).toBe(false);
    expect('filter' in (await p.call('GET', `/api/v0/webhooks/${ids.prefix}`)).body).toBe(false);
    const untouched = await p.call('PATCH', `/api/v0.1/webhooks/${ids.range}`, { description: 'kept filter' });
    expect(untouched.body.webhook_subscription.filter).toEqual(filters.range);
  });
});
