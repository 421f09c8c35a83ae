import { sign as githubSign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundSource } from '../../functions/domain/inbound/source.js';
import { history, redrive, removeSource, rotateSecret, setSecret } from '../../scripts/lib/inbound-commands.js';
import { shopifyHmac, slackHeaders } from '../support/documented-signers.js';
import { type BusEvent, inboundCli, otherBusEvents, postInbound } from '../support/inbound.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { pipelineCount } from '../support/twin-metrics.js';
import { eventually } from '../support/wait.js';

/**
 * Inbound webhooks through local mode's gateway, as providers send them: signed with the
 * providers' own libraries, verified by the inbound function, stored in dynalite (bodies over
 * 350 KB in fauxqs's S3), put on the bus (an operator's rule is stood in for by a fauxqs queue
 * that gets every event the pipeline's own rule does not), forwarded to a tenant's subscriptions
 * through the real pipeline, and managed with the inbound CLI's code.
 */

const STRIPE_SECRET = 'whsec_inbound_test_3c9f0b7e2a';
const GITHUB_SECRET = 'github-secret-for-the-test';
const SVIX_SECRET = `whsec_${Buffer.from('a svix key of thirty-two bytes!!').toString('base64')}`;
const SHOPIFY_SECRET = 'shopify-client-secret';

let p: TestPipeline;
let cli: Awaited<ReturnType<typeof inboundCli>>;
let receiver: Receiver;

const stripeHeaders = (body: string, secret = STRIPE_SECRET, timestamp = Math.floor(Date.now() / 1000)) => ({
  'content-type': 'application/json',
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
});
const stripeEvent = (id: string, type = 'payment_intent.succeeded', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, object: 'event', type, data: { object: { id: `pi_${id}`, amount: 1999, currency: 'eur' } }, ...extra });

const busEventsOf = (id: string) => otherBusEvents(p).filter((e) => e.detail.id === id);
/** Inbound events and their markers written so far, as local mode meters each write by its key. */
const writesOf = (kinds: RegExp) =>
  Object.entries(p.usage.snapshot().dynamodb.items)
    .filter(([k]) => /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem) /.test(k) && kinds.test(k))
    .reduce((n, [, v]) => n + v, 0);
const storedWrites = () => writesOf(/ inbound (event|marker)$/);
/** Refusal tallies written: at most one a minute per source (the first refusal of a quiet minute at once). */
const tallyWrites = () => writesOf(/ inbound refusals$/);

beforeAll(async () => {
  const sources: InboundSource[] = [
    { name: 'stripe', scheme: 'stripe', typeMapping: { 'payment_intent.*': 'payment.updated' } },
    { name: 'github', scheme: 'github' },
    { name: 'svix', scheme: 'standard-webhooks' },
  ];
  p = await startTestPipeline({ inboundSources: sources, inboundBusTimeoutMs: 400 });
  cli = await inboundCli(p);
  receiver = await startReceiver();
  await setSecret(cli, { name: 'stripe', secret: STRIPE_SECRET });
  await setSecret(cli, { name: 'github', secret: GITHUB_SECRET });
  await setSecret(cli, { name: 'svix', secret: SVIX_SECRET });
}, 60_000);
afterAll(async () => {
  cli?.close();
  await p?.stop();
  await receiver?.close();
});

describe('a verified request is stored, answered 200, and put on the bus', () => {
  it('Stripe: stored once, on the bus with source, mapped detail-type, body and kept headers; a resend is a duplicate', async () => {
    const body = stripeEvent('evt_inbound_1');
    const writesBefore = storedWrites();
    const res = await postInbound(p, 'stripe', body, stripeHeaders(body));
    // Two writes: the event's item (conditional), then its FORWARDED marker once it is on the bus.
    expect(storedWrites() - writesBefore).toBe(2);
    expect(res).toEqual({ status: 200, body: { id: expect.stringMatching(/^inb_[0-9a-f]{32}$/), status: 'accepted' } });
    const id: string = res.body.id;

    const [event] = await eventually('the event on the bus', async () => (busEventsOf(id).length ? busEventsOf(id) : undefined));
    expect(event).toMatchObject({ source: 'webhooks.inbound.stripe', 'detail-type': 'payment.updated' } satisfies Partial<BusEvent>);
    expect(event!.detail).toMatchObject({
      id,
      source: 'stripe',
      scheme: 'stripe',
      provider_id: 'evt_inbound_1',
      provider_type: 'payment_intent.succeeded',
      type: 'payment.updated',
      headers: { 'content-type': 'application/json' },
      body: JSON.parse(body),
    });
    expect(event!.detail.headers).not.toHaveProperty('stripe-signature');

    const h = await history(cli, { name: 'stripe' });
    expect(h.events.find((e) => e.id === id)).toMatchObject({ status: 'forwarded', provider_id: 'evt_inbound_1', bus_entries: 1 });

    // Stripe sends the same event again (a retry after a timeout): the same id, nothing new anywhere.
    const again = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(again).toEqual({ status: 200, body: { id, status: 'duplicate' } });
    expect(busEventsOf(id)).toHaveLength(1);
    expect((await history(cli, { name: 'stripe' })).events.filter((e) => e.id === id)).toHaveLength(1);
  });

  it('GitHub (Octokit’s signature) and Svix (its library) verify too, each id from the provider’s delivery header', async () => {
    const gh = JSON.stringify({ action: 'opened', number: 7, pull_request: { title: 'Inbound' } });
    const ghRes = await postInbound(p, 'github', gh, {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': await githubSign(GITHUB_SECRET, gh),
    });
    expect(ghRes.status).toBe(200);
    const svixBody = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1' } });
    const at = new Date();
    const svixRes = await postInbound(p, 'svix', svixBody, {
      'content-type': 'application/json',
      'svix-id': 'msg_2Lh9KRb0pyhnZf2Z',
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': new SvixWebhook(SVIX_SECRET).sign('msg_2Lh9KRb0pyhnZf2Z', at, svixBody),
    });
    expect(svixRes.status).toBe(200);
    const [ghEvent] = await eventually('the GitHub event', async () => busEventsOf(ghRes.body.id)[0] && busEventsOf(ghRes.body.id));
    expect(ghEvent).toMatchObject({ source: 'webhooks.inbound.github', 'detail-type': 'pull_request' });
    expect(ghEvent!.detail).toMatchObject({
      provider_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      headers: { 'x-github-event': 'pull_request' },
    });
    expect(ghEvent!.detail.headers).not.toHaveProperty('x-hub-signature-256');
    await eventually('the Svix event', async () =>
      busEventsOf(svixRes.body.id)[0]?.detail.provider_id === 'msg_2Lh9KRb0pyhnZf2Z' ? true : undefined,
    );
  });
});

describe('refused requests answer 401 with a reason, are counted, and change nothing', () => {
  it('a wrong signature, a replay outside 5 minutes, a missing header: no item, no bus event; one tally write for the minute', async () => {
    const before = {
      refused: pipelineCount(p, 'InboundRefused'),
      writes: storedWrites(),
      tallies: tallyWrites(),
      bus: otherBusEvents(p).length,
    };
    const body = stripeEvent('evt_refused_1');
    const wrong = await postInbound(p, 'stripe', body, stripeHeaders(body, 'whsec_not_ours'));
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'signature_mismatch' } } });
    const replay = await postInbound(p, 'stripe', body, stripeHeaders(body, STRIPE_SECRET, Math.floor(Date.now() / 1000) - 301));
    expect(replay).toMatchObject({ status: 401, body: { error: { code: 'timestamp_out_of_tolerance' } } });
    const unsigned = await postInbound(p, 'stripe', body, { 'content-type': 'application/json' });
    expect(unsigned).toMatchObject({ status: 401, body: { error: { code: 'signature_missing' } } });
    const tampered = await postInbound(p, 'stripe', body.replace('1999', '1'), stripeHeaders(body));
    expect(tampered).toMatchObject({ status: 401, body: { error: { code: 'signature_mismatch' } } });

    expect(pipelineCount(p, 'InboundRefused') - before.refused).toBe(4);
    expect(storedWrites()).toBe(before.writes);
    expect(tallyWrites() - before.tallies).toBe(1);
    expect(otherBusEvents(p)).toHaveLength(before.bus);
    expect((await history(cli, { name: 'stripe' })).events.some((e) => e.provider_id === 'evt_refused_1')).toBe(false);
  });

  it('a flood of bad signatures costs no DynamoDB write and few Secrets Manager reads', async () => {
    const writes = storedWrites() + tallyWrites();
    const reads = p.calls.counts.get('SecretsManager.GetSecretValue') ?? 0;
    const body = stripeEvent('evt_flood');
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () => postInbound(p, 'stripe', body, stripeHeaders(body, 'whsec_attacker')).then((r) => r.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    // Within the minute of the last tally write: nothing written at all.
    expect(storedWrites() + tallyWrites()).toBe(writes);
    // At most one re-read of the secret per source per second locally (30 s on AWS), however many refusals.
    const extra = (p.calls.counts.get('SecretsManager.GetSecretValue') ?? 0) - reads;
    expect(extra).toBeLessThanOrEqual(3);
  });

  it('unknown sources are 404, other methods 405, bodies over 1 MiB 413: all before anything is stored', async () => {
    const writes = storedWrites();
    expect(await postInbound(p, 'nobody', '{}', {})).toMatchObject({ status: 404, body: { error: { code: 'unknown_source' } } });
    const get = await fetch(`${p.url}/inbound/stripe`);
    expect(get.status).toBe(405);
    const big = JSON.stringify({ id: 'evt_big', type: 't', pad: 'x'.repeat(1024 * 1024) });
    expect(await postInbound(p, 'stripe', big, stripeHeaders(big))).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
    expect(storedWrites()).toBe(writes);
  });
});

describe('large bodies', () => {
  it('a 600 KB body is kept beside the table and goes on the bus inline; 1,000,000 bytes go by reference to S3', async () => {
    const mid = stripeEvent('evt_mid', 'charge.succeeded', { pad: 'm'.repeat(600 * 1024) });
    const r1 = await postInbound(p, 'stripe', mid, stripeHeaders(mid));
    expect(r1.status).toBe(200);
    const [e1] = await eventually('the 600 KB event', async () => busEventsOf(r1.body.id)[0] && busEventsOf(r1.body.id));
    expect(e1!.detail.body).toEqual(JSON.parse(mid));
    expect((await history(cli, { name: 'stripe' })).events.find((e) => e.id === r1.body.id)?.body_kept).toBe('beside the table (S3)');

    const near = stripeEvent('evt_near', 'charge.succeeded', { pad: 'n'.repeat(1_000_000 - 200) });
    const r2 = await postInbound(p, 'stripe', near, stripeHeaders(near));
    expect(r2.status).toBe(200);
    const [e2] = await eventually('the 1 MB event', async () => busEventsOf(r2.body.id)[0] && busEventsOf(r2.body.id));
    expect(e2!.detail.body).toBeUndefined();
    expect(e2!.detail.body_ref?.key).toMatch(/^bodies\/inbound\//);
    expect(await p.bodies.get(e2!.detail.body_ref!.key)).toBe(near);
  });
});

describe('nothing accepted is lost when the bus fails', () => {
  it('a bus that refuses the entry: 200 to the provider, counted, kept; the redrive puts it on the bus once', async () => {
    const failedBefore = pipelineCount(p, 'InboundBusFailed');
    p.faults.fail('bus-refuses');
    const body = stripeEvent('evt_bus_refused');
    const res = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
    expect(pipelineCount(p, 'InboundBusFailed') - failedBefore).toBe(1);
    expect(busEventsOf(res.body.id)).toHaveLength(0);
    const pending = (await history(cli, { name: 'stripe', status: 'bus_failed' })).events.find((e) => e.id === res.body.id);
    expect(pending).toMatchObject({ status: 'bus_failed', bus_failures: 1, last_bus_error: expect.stringMatching(/refused/) });

    // The redrive leaves events of the last 15 s to their own request: run it as of 16 s later.
    const later = { ...cli, now: () => new Date(Date.now() + 16_000) };
    const out = await redrive(later, { names: ['stripe'] });
    expect(out.sources.stripe).toMatchObject({ redriven: 1, failed: 0 });
    await eventually('the redriven event on the bus', async () => (busEventsOf(res.body.id).length === 1 ? true : undefined));
    expect((await history(cli, { name: 'stripe' })).events.find((e) => e.id === res.body.id)?.status).toBe('forwarded');
    // Run again: nothing left to put.
    expect((await redrive(later, { names: ['stripe'] })).sources.stripe).toMatchObject({ redriven: 0 });
    expect(busEventsOf(res.body.id)).toHaveLength(1);
  });

  it('a bus that does not answer: the provider still gets its 200 within the bus timeout, and the event waits for the redrive', async () => {
    p.faults.fail('bus-hangs');
    const body = stripeEvent('evt_bus_hangs');
    // The bus never answers; the request gives up on it after its timeout (400 ms in this pipeline) and answers.
    const res = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(res.status).toBe(200);
    const h = (await history(cli, { name: 'stripe' })).events.find((e) => e.id === res.body.id);
    expect(h).toMatchObject({ status: 'bus_failed', last_bus_error: expect.stringMatching(/no answer from the bus within 400 ms/) });
    // A resend after the first request's window puts it on the bus (no redrive needed).
    const resent = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(resent.body).toEqual({ id: res.body.id, status: 'duplicate' });
    await eventually('the resent event on the bus', async () => (busEventsOf(res.body.id).length === 1 ? true : undefined));
  });

  it('a store that fails answers 503 and puts nothing on the bus: the provider sends again, and that is accepted', async () => {
    p.faults.fail('inbound-store');
    const body = stripeEvent('evt_store_fails');
    const bus = otherBusEvents(p).length;
    const res = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'temporarily_unavailable' } } });
    expect(otherBusEvents(p)).toHaveLength(bus);
    const retry = await postInbound(p, 'stripe', body, stripeHeaders(body));
    expect(retry).toMatchObject({ status: 200, body: { status: 'accepted' } });
  });
});

describe('forwarding to a tenant’s subscriptions, through the pipeline', () => {
  it('a Shopify source forwarding to the local tenant: its receivers get a Standard Webhooks POST with the inbound id', async () => {
    const created = await p.call('POST', '/api/v0.1/webhooks', {
      events: ['card.created'],
      url: receiver.url,
      description: 'from Shopify',
      version: '0.1',
      status: 'STATUS_ENABLED',
    });
    expect(created.status).toBe(201);
    await cli.sources.putSource({
      name: 'shop',
      scheme: 'shopify',
      typeMapping: { 'orders/create': 'card.created' },
      forwardTenantId: p.tenantId,
    });
    await setSecret(cli, { name: 'shop', secret: SHOPIFY_SECRET });
    const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '10.00' });
    const headers = {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-shop-domain': 'example.myshopify.com',
      'x-shopify-hmac-sha256': shopifyHmac(SHOPIFY_SECRET, body),
    };
    const res = await eventually('the new source to be served', async () => {
      const r = await postInbound(p, 'shop', body, headers);
      return r.status === 200 ? r : undefined;
    });
    const [delivered] = await receiver.waitFor(1);
    expect(delivered!.headers['webhook-id']).toBe(res.body.id);
    expect(JSON.parse(delivered!.body)).toMatchObject({ id: res.body.id, type: 'card.created', data: JSON.parse(body) });
    const [onBus] = busEventsOf(res.body.id);
    expect(onBus).toMatchObject({ source: 'webhooks.inbound.shop', 'detail-type': 'card.created' });
    // The forwarded copy is the tenant's: it never reaches rules on the inbound source.
    expect(otherBusEvents(p).filter((e) => e.detail.id === res.body.id && e.source !== 'webhooks.inbound.shop')).toHaveLength(0);
    expect((await history(cli, { name: 'shop' })).events[0]).toMatchObject({
      status: 'forwarded',
      bus_entries: 2,
      forward_tenant_id: p.tenantId,
    });
  });
});

describe('sources and secrets change while requests come in', () => {
  it('a rotation: the old secret verifies during the overlap, the new one at once', async () => {
    await rotateSecret(cli, { name: 'github', secret: 'github-secret-rotated', overlapSeconds: 3600 });
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const send = async (secret: string, delivery: string) =>
      postInbound(p, 'github', body, {
        'x-github-event': 'ping',
        'x-github-delivery': delivery,
        'x-hub-signature-256': await githubSign(secret, body),
      });
    // The function re-reads a secret after a mismatch (at most once a second locally).
    expect(
      await eventually('the new secret', async () => ((await send('github-secret-rotated', 'd-new')).status === 200 ? true : undefined)),
    ).toBe(true);
    expect((await send(GITHUB_SECRET, 'd-old')).status).toBe(200);
    expect((await send('never-ours', 'd-bad')).status).toBe(401);
  });

  it('a source removed while a verified request is in flight: that request is stored and put on the bus; later ones get 404', async () => {
    await cli.sources.putSource({ name: 'temp', scheme: 'github' });
    await setSecret(cli, { name: 'temp', secret: 'temp-secret' });
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const headers = async () => ({
      'x-github-event': 'push',
      'x-github-delivery': `d-${Math.random()}`,
      'x-hub-signature-256': await githubSign('temp-secret', body),
    });
    await eventually('the source to be served', async () =>
      (await postInbound(p, 'temp', body, await headers())).status === 200 ? true : undefined,
    );

    const held = p.faults.hold('inbound-store');
    const inFlight = postInbound(p, 'temp', body, await headers());
    await held.reached;
    expect(await removeSource(cli, { name: 'temp' })).toMatchObject({ removed: true, secret: expect.stringMatching(/deletion scheduled/) });
    held.release();
    const res = await inFlight;
    expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
    await eventually('the in-flight event on the bus', async () => (busEventsOf(res.body.id).length === 1 ? true : undefined));
    await eventually('the removed source to answer 404', async () =>
      (await postInbound(p, 'temp', body, await headers())).status === 404 ? true : undefined,
    );
    // Its history stays readable.
    expect((await history(cli, { name: 'temp' })).events.some((e) => e.id === res.body.id)).toBe(true);
  });
});

describe('Slack', () => {
  it('answers the Events API’s url_verification challenge (signed) without storing it; an event_callback is an event', async () => {
    await cli.sources.putSource({ name: 'slack', scheme: 'slack' });
    await setSecret(cli, { name: 'slack', secret: '8f742231b10e8888abcd99yyyzzz85a5' });
    const signed = (body: string) => ({ 'content-type': 'application/json', ...slackHeaders('8f742231b10e8888abcd99yyyzzz85a5', body) });
    const challenge = JSON.stringify({
      token: 't',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    const writes = storedWrites();
    const c = await eventually('the slack source', async () => {
      const r = await postInbound(p, 'slack', challenge, signed(challenge));
      return r.status === 200 ? r : undefined;
    });
    expect(c.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(storedWrites()).toBe(writes);
    const event = JSON.stringify({ type: 'event_callback', event_id: 'Ev08MFMKH6', event: { type: 'app_mention', text: 'hi' } });
    const e = await postInbound(p, 'slack', event, signed(event));
    expect(e.status).toBe(200);
    await eventually('the Slack event', async () => (busEventsOf(e.body.id)[0]?.['detail-type'] === 'app_mention' ? true : undefined));
  });
});
