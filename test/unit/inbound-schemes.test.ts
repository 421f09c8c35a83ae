import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { type SignedRequest, type Verdict, verifyInbound } from '../../functions/domain/inbound/schemes.js';
import { shopifyHmac, slackHeaders } from '../support/documented-signers.js';

/**
 * Each scheme's verification against requests signed by the provider's own library (Stripe's,
 * Octokit's, standardwebhooks, Svix's), and for Shopify and Slack, whose signing is documented
 * but not shipped in a library, against the examples their documentation publishes.
 */

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const body = Buffer.from('{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"amount":1200}}}');
const req = (headers: Record<string, string>, b: Buffer = body): SignedRequest => ({
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  body: b,
});
const refused = (v: Verdict) => (v.ok ? 'ok' : v.reason);

describe('stripe', () => {
  const secret = 'whsec_test_5f8c1e2d9a7b4c3e';
  const signed = (payload: string, timestamp = NOW, s = secret) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: s, timestamp });

  it('verifies what stripe.webhooks.generateTestHeaderString signs, and Stripe’s own verifier agrees', async () => {
    const header = signed(body.toString());
    const v = verifyInbound('stripe', req({ 'Stripe-Signature': header }), [secret], { nowSeconds: NOW });
    expect(v).toEqual({ ok: true, timestamp: NOW });
    // The same request passes Stripe's own verification (at its own clock: a fresh timestamp).
    const fresh = Math.floor(Date.now() / 1000);
    const event = await Stripe.webhooks.constructEventAsync(body.toString(), signed(body.toString(), fresh), secret);
    expect(verifyInbound('stripe', req({ 'Stripe-Signature': signed(body.toString(), fresh) }), [secret], { nowSeconds: fresh }).ok).toBe(
      true,
    );
    expect(event.id).toBe('evt_1');
  });

  it('refuses a changed body, another secret, and a timestamp outside the window', () => {
    const header = signed(body.toString());
    expect(
      refused(verifyInbound('stripe', req({ 'Stripe-Signature': header }, Buffer.from(`${body} `)), [secret], { nowSeconds: NOW })),
    ).toBe('signature_mismatch');
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': header }), ['whsec_other'], { nowSeconds: NOW }))).toBe(
      'signature_mismatch',
    );
    // 5 minutes is the default: 300 s away passes, 301 s does not, in either direction.
    expect(verifyInbound('stripe', req({ 'Stripe-Signature': header }), [secret], { nowSeconds: NOW + 300 }).ok).toBe(true);
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': header }), [secret], { nowSeconds: NOW + 301 }))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': header }), [secret], { nowSeconds: NOW - 301 }))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(
      verifyInbound('stripe', req({ 'Stripe-Signature': header }), [secret], { nowSeconds: NOW + 900, toleranceSeconds: 900 }).ok,
    ).toBe(true);
  });

  it('accepts any v1 of several (Stripe signs with each active secret during a roll), and either of our two secrets', () => {
    const old = 'whsec_old_secret_value_1234';
    const a = signed(body.toString(), NOW, old);
    const b = signed(body.toString(), NOW, secret);
    const both = `${a},${b.split(',')[1]}`;
    expect(verifyInbound('stripe', req({ 'Stripe-Signature': both }), [secret], { nowSeconds: NOW }).ok).toBe(true);
    expect(verifyInbound('stripe', req({ 'Stripe-Signature': a }), [secret, old], { nowSeconds: NOW }).ok).toBe(true);
  });

  it('names what is missing or malformed', () => {
    expect(refused(verifyInbound('stripe', req({}), [secret], { nowSeconds: NOW }))).toBe('signature_missing');
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': 'v1=abcd' }), [secret], { nowSeconds: NOW }))).toBe(
      'timestamp_missing',
    );
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': `t=${NOW},v0=abcd` }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_missing',
    );
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': `t=${NOW},v1=zz` }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_malformed',
    );
    expect(refused(verifyInbound('stripe', req({ 'Stripe-Signature': signed(body.toString()) }), [], { nowSeconds: NOW }))).toBe(
      'source_not_configured',
    );
  });
});

describe('github', () => {
  const secret = "It's a Secret to Everybody";

  it('matches the documentation’s test values (secret "It\'s a Secret to Everybody", payload "Hello, World!")', async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(await githubSign(secret, 'Hello, World!')).toBe(header);
    expect(
      verifyInbound('github', req({ 'X-Hub-Signature-256': header }, Buffer.from('Hello, World!')), [secret], { nowSeconds: NOW }),
    ).toEqual({ ok: true });
  });

  it('verifies what @octokit/webhooks-methods signs; refuses a changed body, the SHA-1 header alone and a bad prefix', async () => {
    const header = await githubSign(secret, body.toString());
    expect(verifyInbound('github', req({ 'X-Hub-Signature-256': header }), [secret], { nowSeconds: NOW }).ok).toBe(true);
    expect(refused(verifyInbound('github', req({ 'X-Hub-Signature-256': header }, Buffer.from('{}')), [secret], { nowSeconds: NOW }))).toBe(
      'signature_mismatch',
    );
    expect(refused(verifyInbound('github', req({ 'X-Hub-Signature': 'sha1=00' }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_missing',
    );
    expect(refused(verifyInbound('github', req({ 'X-Hub-Signature-256': header.slice(7) }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_malformed',
    );
    // The previous secret during our rotation's overlap.
    expect(verifyInbound('github', req({ 'X-Hub-Signature-256': header }), ['new-secret', secret], { nowSeconds: NOW }).ok).toBe(true);
  });
});

describe('shopify', () => {
  it('matches the documentation’s published HMAC example (client secret "hush"), base64 as the webhook header carries it', () => {
    // Shopify's documented example of an HMAC-SHA256 keyed with the app's client secret: in
    // https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    // the message below and secret "hush" give the hex digest 700e2dad...c4bf. Webhooks sign the raw
    // body the same way and send the digest base64-encoded in X-Shopify-Hmac-SHA256
    // (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries).
    const message = 'code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173';
    const documentedHex = '700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf';
    const header = Buffer.from(documentedHex, 'hex').toString('base64');
    expect(verifyInbound('shopify', req({ 'X-Shopify-Hmac-SHA256': header }, Buffer.from(message)), ['hush'], { nowSeconds: NOW })).toEqual(
      {
        ok: true,
      },
    );
    expect(
      refused(
        verifyInbound('shopify', req({ 'X-Shopify-Hmac-SHA256': header }, Buffer.from(`${message}x`)), ['hush'], { nowSeconds: NOW }),
      ),
    ).toBe('signature_mismatch');
    // The hex form (what the OAuth query carries) is not what a webhook sends.
    expect(
      refused(
        verifyInbound('shopify', req({ 'X-Shopify-Hmac-SHA256': documentedHex }, Buffer.from(message)), ['hush'], { nowSeconds: NOW }),
      ),
    ).not.toBe('ok');
    expect(refused(verifyInbound('shopify', req({}), ['hush'], { nowSeconds: NOW }))).toBe('signature_missing');
    expect(refused(verifyInbound('shopify', req({ 'X-Shopify-Hmac-SHA256': 'not base64!' }), ['hush'], { nowSeconds: NOW }))).toBe(
      'signature_malformed',
    );
  });
});

describe('slack', () => {
  // The worked example of https://api.slack.com/authentication/verifying-requests-from-slack.
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const timestamp = 1531420618;
  const slashCommand = Buffer.from(
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  );
  const headers = {
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  };

  it('verifies the documentation’s example at its own time', () => {
    expect(verifyInbound('slack', req(headers, slashCommand), [secret], { nowSeconds: timestamp + 10 })).toEqual({ ok: true, timestamp });
  });

  it('refuses it replayed later than 5 minutes, with a changed body, or without its timestamp', () => {
    expect(refused(verifyInbound('slack', req(headers, slashCommand), [secret], { nowSeconds: timestamp + 301 }))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(refused(verifyInbound('slack', req(headers, Buffer.from(`${slashCommand}&x=1`)), [secret], { nowSeconds: timestamp }))).toBe(
      'signature_mismatch',
    );
    expect(
      refused(
        verifyInbound('slack', req({ 'X-Slack-Signature': headers['X-Slack-Signature'] }, slashCommand), [secret], {
          nowSeconds: timestamp,
        }),
      ),
    ).toBe('timestamp_missing');
    // A signed timestamp changed: the signature covers it.
    expect(
      refused(
        verifyInbound('slack', req({ ...headers, 'X-Slack-Request-Timestamp': String(timestamp + 1) }, slashCommand), [secret], {
          nowSeconds: timestamp,
        }),
      ),
    ).toBe('signature_mismatch');
  });
});

describe('standard-webhooks and svix', () => {
  const key = Buffer.from('9f2d6a1c4b8e7f3a0d5c2b1e8f7a6d4c').toString('base64');
  const secret = `whsec_${key}`;

  it('verifies what the standardwebhooks package signs (webhook-* headers)', () => {
    const signature = new StandardWebhook(key).sign('msg_1', new Date(NOW * 1000), body.toString());
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': signature };
    expect(verifyInbound('standard-webhooks', req(headers), [secret], { nowSeconds: NOW })).toEqual({ ok: true, timestamp: NOW });
    // The id is signed: the same signature with another id is refused.
    expect(refused(verifyInbound('standard-webhooks', req({ ...headers, 'webhook-id': 'msg_2' }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_mismatch',
    );
    expect(refused(verifyInbound('standard-webhooks', req(headers), [secret], { nowSeconds: NOW + 301 }))).toBe(
      'timestamp_out_of_tolerance',
    );
  });

  it('verifies what svix signs (svix-* headers), with or without the whsec_ prefix, and any of several signatures', () => {
    const svix = new SvixWebhook(secret).sign('msg_2', new Date(NOW * 1000), body.toString());
    const other = new SvixWebhook(`whsec_${Buffer.from('another key of 32 bytes, really!').toString('base64')}`).sign(
      'msg_2',
      new Date(NOW * 1000),
      body.toString(),
    );
    const headers = { 'svix-id': 'msg_2', 'svix-timestamp': String(NOW), 'svix-signature': `${other} ${svix}` };
    expect(verifyInbound('standard-webhooks', req(headers), [secret], { nowSeconds: NOW }).ok).toBe(true);
    expect(verifyInbound('standard-webhooks', req(headers), [key], { nowSeconds: NOW }).ok).toBe(true);
    expect(refused(verifyInbound('standard-webhooks', req({ ...headers, 'svix-signature': other }), [secret], { nowSeconds: NOW }))).toBe(
      'signature_mismatch',
    );
    expect(
      refused(verifyInbound('standard-webhooks', req({ ...headers, 'svix-signature': 'v1a,abc' }), [secret], { nowSeconds: NOW })),
    ).toBe('signature_malformed');
  });

  it('the pipeline’s own outbound signatures verify inbound (a second pipeline as a sender)', async () => {
    const { signHeaders } = await import('../../functions/domain/signing.js');
    const headers = signHeaders([secret], 'evt_1', NOW, body.toString());
    expect(verifyInbound('standard-webhooks', req(headers), [secret], { nowSeconds: NOW }).ok).toBe(true);
  });
});

describe('hmac (a generic sender)', () => {
  const secret = 'generic-secret';

  it('a body HMAC in a header, hex with a prefix: verified with @octokit/webhooks-methods’ signature under another header name', async () => {
    const signature = await githubSign(secret, body.toString());
    const options = { nowSeconds: NOW, hmac: { signatureHeader: 'X-Acme-Signature', prefix: 'sha256=' } };
    expect(verifyInbound('hmac', req({ 'X-Acme-Signature': signature }), [secret], options)).toEqual({ ok: true });
    expect(refused(verifyInbound('hmac', req({ 'X-Acme-Signature': signature }), ['nope'], options))).toBe('signature_mismatch');
    expect(refused(verifyInbound('hmac', req({}), [secret], options))).toBe('signature_missing');
  });

  it('a signed timestamp and id in the payload ({id}.{timestamp}.{body}, base64): Standard Webhooks written as a generic sender', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const signature = new StandardWebhook(key.toString('base64')).sign('msg_9', new Date(NOW * 1000), body.toString());
    const hmac = {
      signatureHeader: 'X-Sig',
      prefix: 'v1,',
      encoding: 'base64' as const,
      timestampHeader: 'X-Ts',
      idHeader: 'X-Id',
      signedPayload: '{id}.{timestamp}.{body}',
    };
    // The generic scheme keys the HMAC with the secret's UTF-8 bytes: this key is ASCII.
    const headers = { 'X-Sig': signature, 'X-Ts': String(NOW), 'X-Id': 'msg_9' };
    expect(verifyInbound('hmac', req(headers), [key.toString()], { nowSeconds: NOW, hmac }).ok).toBe(true);
    expect(refused(verifyInbound('hmac', req(headers), [key.toString()], { nowSeconds: NOW + 301, hmac }))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(refused(verifyInbound('hmac', req({ 'X-Sig': signature, 'X-Id': 'msg_9' }), [key.toString()], { nowSeconds: NOW, hmac }))).toBe(
      'timestamp_missing',
    );
  });
});

describe('documented signers (test/support/documented-signers.ts), used where a provider ships no signing library', () => {
  it('reproduce Slack’s and Shopify’s published examples', () => {
    const slack = slackHeaders(
      '8f742231b10e8888abcd99yyyzzz85a5',
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
      1531420618,
    );
    expect(slack).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    });
    const message = 'code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173';
    expect(Buffer.from(shopifyHmac('hush', message), 'base64').toString('hex')).toBe(
      '700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf',
    );
  });
});
