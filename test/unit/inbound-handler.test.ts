import type { APIGatewayProxyEvent } from 'aws-lambda';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createInbound, RefusalTally } from '../../functions/app/inbound.js';
import { SourceRegistry } from '../../functions/app/inbound-sources.js';
import type { BusEntry } from '../../functions/domain/bus-entry.js';
import type { InboundRecord } from '../../functions/domain/inbound/event.js';
import type { InboundStore, StoredInbound } from '../../functions/ports.js';

/**
 * The inbound handler with its ports in memory and its clock in hand: what the end-to-end tests
 * cannot wait for (the refusal tally's minute) and what API Gateway may hand it (a base64 body).
 */

const SECRET = 'whsec_handler_test';

function harness() {
  const clock = { t: Date.parse('2026-03-01T12:00:10.000Z') };
  const refusals: { source: string; minute: string; counts: Record<string, number> }[] = [];
  const stored = new Map<string, StoredInbound>();
  const put: BusEntry[][] = [];
  const store: InboundStore = {
    accept: async (record: InboundRecord) => {
      const existing = stored.get(record.id);
      if (existing) return { accepted: false, ...existing };
      stored.set(record.id, { record, status: {} });
      return { accepted: true };
    },
    get: async (_s, id) => stored.get(id),
    markForwarded: async (record, at, entries) => {
      stored.get(record.id)!.status = { forwardedTime: at, forwardedEntries: entries };
    },
    markBusFailed: async () => undefined,
    list: async () => ({ items: [] }),
    addRefusals: async (source, minute, counts) => void refusals.push({ source, minute, counts: { ...counts } }),
    listRefusals: async () => [],
  };
  const handler = createInbound({
    sources: new SourceRegistry({
      declared: [{ name: 'stripe', scheme: 'stripe' }],
      secrets: { get: async () => SECRET },
      secretPrefix: 'p/',
      now: () => clock.t,
    }),
    store,
    bodies: { put: async () => undefined, get: async () => undefined },
    bus: { putEntries: async (entries) => void put.push([...entries]) },
    metrics: { count: () => undefined },
    bodyBucket: 'b',
    now: () => new Date(clock.t),
  });
  const request = (secret: string, id: string, base64 = false): APIGatewayProxyEvent => {
    const body = JSON.stringify({ id, type: 'charge.succeeded', data: {} });
    return {
      path: '/inbound/stripe',
      httpMethod: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: Math.floor(clock.t / 1000) }),
      },
      body: base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: base64,
    } as unknown as APIGatewayProxyEvent;
  };
  return { clock, refusals, stored, put, handler, request };
}

describe('the refusal tally', () => {
  it('writes the first refusal at once, the rest of the minute together a minute later: one write a minute', async () => {
    const h = harness();
    for (let i = 0; i < 30; i++) expect((await h.handler(h.request('whsec_forged', `evt_${i}`))).statusCode).toBe(401);
    expect(h.refusals).toEqual([{ source: 'stripe', minute: '2026-03-01T12:00:00.000Z', counts: { signature_mismatch: 1 } }]);
    h.clock.t += 59_000;
    expect((await h.handler(h.request('whsec_forged', 'evt_x'))).statusCode).toBe(401);
    expect(h.refusals).toHaveLength(1);
    h.clock.t += 1_000;
    expect((await h.handler(h.request('whsec_forged', 'evt_y'))).statusCode).toBe(401);
    expect(h.refusals[1]).toEqual({ source: 'stripe', minute: '2026-03-01T12:00:00.000Z', counts: { signature_mismatch: 31 } });
    // A refusal within the next minute waits; an accepted request a minute on writes it.
    await h.handler(h.request('whsec_forged', 'evt_z'));
    expect(h.refusals).toHaveLength(2);
    h.clock.t += 60_000;
    expect((await h.handler(h.request(SECRET, 'evt_ok'))).statusCode).toBe(200);
    expect(h.refusals).toHaveLength(3);
    expect(h.refusals[2]!.counts).toEqual({ signature_mismatch: 1 });
  });

  it('counts by source and reason', () => {
    const t = new RefusalTally();
    t.add('a', 'signature_mismatch', 0);
    t.add('a', 'timestamp_out_of_tolerance', 10);
    t.add('b', 'signature_missing', 20);
    const due = t.takeIfDue(30)!;
    expect(due.minute).toBe('1970-01-01T00:00:00.000Z');
    expect(Object.fromEntries(due.bySource)).toEqual({
      a: { signature_mismatch: 1, timestamp_out_of_tolerance: 1 },
      b: { signature_missing: 1 },
    });
    expect(t.takeIfDue(120_000)).toBeUndefined();
    t.add('a', 'signature_mismatch', 60_000);
    expect(t.takeIfDue(60_029)).toBeUndefined();
    expect(t.takeIfDue(60_030)?.minute).toBe('1970-01-01T00:01:00.000Z');
  });
});

describe('the request as API Gateway hands it', () => {
  it('takes the source from the {source} path parameter (a custom domain puts its base path in `path`)', async () => {
    const h = harness();
    const event = { ...h.request(SECRET, 'evt_domain'), path: '/webhooks/inbound/stripe', pathParameters: { source: 'stripe' } };
    expect((await h.handler(event)).statusCode).toBe(200);
    const unknown = { ...h.request(SECRET, 'evt_domain2'), pathParameters: { source: 'nobody' } };
    expect(JSON.parse((await h.handler(unknown)).body).error.code).toBe('unknown_source');
  });

  it('verifies a base64-encoded body (a binary media type) by its bytes, and stores it once', async () => {
    const h = harness();
    const res = await h.handler(h.request(SECRET, 'evt_b64', true));
    expect(res.statusCode).toBe(200);
    const { id } = JSON.parse(res.body);
    expect(h.stored.get(id)!.record.body).toBe(JSON.stringify({ id: 'evt_b64', type: 'charge.succeeded', data: {} }));
    expect(h.put).toHaveLength(1);
    expect(JSON.parse((await h.handler(h.request(SECRET, 'evt_b64'))).body)).toEqual({ id, status: 'duplicate' });
    expect(h.put).toHaveLength(1);
  });
});
