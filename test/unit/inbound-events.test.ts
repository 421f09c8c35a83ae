import { describe, expect, it } from 'vitest';
import { PUT_EVENTS_MAX_ENTRY_BYTES, putEventsEntryBytes } from '../../functions/domain/aws-limits.js';
import {
  FORWARDED_EVENT_SOURCE_PREFIX,
  forwardedEntry,
  INBOUND_EVENT_SOURCE_PREFIX,
  inboundBodyKey,
  inboundEntry,
  inboundEventId,
  inboundRecord,
  inlineInboundEntry,
  keptHeaders,
  parseInboundBody,
  providerIdentity,
} from '../../functions/domain/inbound/event.js';
import {
  activeSecrets,
  type InboundSource,
  mapEventType,
  parseInboundSource,
  parseInboundSources,
  parseSourceSecret,
  rotateSourceSecret,
  SourceConfigError,
} from '../../functions/domain/inbound/source.js';

const json = (v: unknown) => parseInboundBody('application/json', JSON.stringify(v));

describe('source declarations', () => {
  it('takes each scheme, svix as Standard Webhooks, and refuses what is wrong with every problem named', () => {
    expect(parseInboundSource({ name: 'stripe', scheme: 'stripe' })).toEqual({ name: 'stripe', scheme: 'stripe' });
    expect(parseInboundSource({ name: 'acme-svix', scheme: 'svix' }).scheme).toBe('standard-webhooks');
    expect(() => parseInboundSource({ name: 'Bad Name', scheme: 'stripe' })).toThrow(/source.name: must be 1 to 64/);
    expect(() => parseInboundSource({ name: 'x', scheme: 'paypal' })).toThrow(SourceConfigError);
    expect(() => parseInboundSource({ name: 'x', scheme: 'hmac' })).toThrow(/hmac.signatureHeader/);
    expect(() => parseInboundSource({ name: 'x', scheme: 'github', hmac: { signatureHeader: 'X-Sig' } })).toThrow(/only the hmac scheme/);
    expect(() => parseInboundSource({ name: 'x', scheme: 'github', headers: ['X-Hub-Signature-256'] })).toThrow(
      /signature or a credential/,
    );
    expect(() => parseInboundSource({ name: 'x', scheme: 'github', typeMapping: { 'a*b': 'c' } })).toThrow(/may only end a key/);
    expect(() => parseInboundSource({ name: 'x', scheme: 'stripe', toleranceSeconds: 0 })).toThrow(/toleranceSeconds/);
    expect(() => parseInboundSource({ name: 'x', scheme: 'stripe', unknown: 1 })).toThrow(SourceConfigError);
    expect(() =>
      parseInboundSources([
        { name: 'a', scheme: 'stripe' },
        { name: 'a', scheme: 'github' },
      ]),
    ).toThrow(/used twice/);
    expect(() => parseInboundSources({})).toThrow(/must be a list/);
  });

  it('maps types: the exact key, else the longest prefix, else unchanged', () => {
    const m = { 'invoice.*': 'billing.invoice', 'invoice.paid': 'billing.paid', 'invoice.payment_*': 'billing.payment', '*': 'other' };
    expect(mapEventType(m, 'invoice.paid')).toBe('billing.paid');
    expect(mapEventType(m, 'invoice.payment_failed')).toBe('billing.payment');
    expect(mapEventType(m, 'invoice.created')).toBe('billing.invoice');
    expect(mapEventType(m, 'charge.succeeded')).toBe('other');
    expect(mapEventType({ 'invoice.*': 'x' }, 'charge.succeeded')).toBe('charge.succeeded');
    expect(mapEventType(undefined, 'push')).toBe('push');
  });
});

describe('source secrets: rotation with overlap', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('a plain value is the current one; JSON carries the previous one until its time', () => {
    expect(parseSourceSecret('whsec_abc')).toEqual({ current: 'whsec_abc' });
    const rotated = rotateSourceSecret({ current: 'old' }, 'new', 3600, now);
    expect(rotated).toEqual({ current: 'new', previous: 'old', previous_until: '2026-03-01T13:00:00.000Z' });
    expect(parseSourceSecret(JSON.stringify(rotated))).toEqual(rotated);
    expect(activeSecrets(rotated, now)).toEqual(['new', 'old']);
    expect(activeSecrets(rotated, new Date('2026-03-01T13:00:00.001Z'))).toEqual(['new']);
    // A rotation without overlap, or to the same value, keeps no previous one.
    expect(rotateSourceSecret({ current: 'old' }, 'new', 0, now)).toEqual({ current: 'new' });
    expect(rotateSourceSecret({ current: 'same' }, 'same', 3600, now)).toEqual({ current: 'same' });
    expect(() => parseSourceSecret('{"previous":"x"}')).toThrow(/no "current"/);
    expect(() => rotateSourceSecret(undefined, ' padded ', 60, now)).toThrow(SourceConfigError);
  });
});

describe('what each provider names its delivery and its type', () => {
  const src = (scheme: InboundSource['scheme'], extra: Partial<InboundSource> = {}): InboundSource => ({ name: scheme, scheme, ...extra });

  it('reads the documented places', () => {
    expect(providerIdentity(src('stripe'), {}, json({ id: 'evt_1', type: 'charge.succeeded' }))).toEqual({
      providerId: 'evt_1',
      providerType: 'charge.succeeded',
    });
    expect(providerIdentity(src('github'), { 'x-github-delivery': 'guid-1', 'x-github-event': 'push' }, json({}))).toEqual({
      providerId: 'guid-1',
      providerType: 'push',
    });
    expect(providerIdentity(src('shopify'), { 'x-shopify-webhook-id': 'w1', 'x-shopify-topic': 'orders/create' }, json({}))).toEqual({
      providerId: 'w1',
      providerType: 'orders/create',
    });
    expect(providerIdentity(src('slack'), {}, json({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } }))).toEqual({
      providerId: 'Ev1',
      providerType: 'app_mention',
    });
    expect(providerIdentity(src('slack'), {}, parseInboundBody('application/x-www-form-urlencoded', 'command=%2Fhi&text='))).toEqual({
      providerType: 'slash_command',
    });
    expect(
      providerIdentity(
        src('slack'),
        {},
        parseInboundBody('application/x-www-form-urlencoded', `payload=${encodeURIComponent('{"type":"block_actions"}')}`),
      ),
    ).toEqual({ providerType: 'block_actions' });
    expect(providerIdentity(src('standard-webhooks'), { 'svix-id': 'msg_1' }, json({ type: 'user.created' }))).toEqual({
      providerId: 'msg_1',
      providerType: 'user.created',
    });
    const hmac = { signatureHeader: 'X-Sig', idHeader: 'X-Id', typeHeader: 'X-Event' };
    expect(providerIdentity(src('hmac', { hmac }), { 'x-id': '7', 'x-event': 'thing.done' }, json({}))).toEqual({
      providerId: '7',
      providerType: 'thing.done',
    });
    expect(providerIdentity(src('hmac', { hmac: { signatureHeader: 'X-Sig', typeField: 'kind' } }), {}, json({ kind: 'k' }))).toEqual({
      providerType: 'k',
    });
    expect(providerIdentity(src('stripe'), {}, parseInboundBody('text/plain', 'hello'))).toEqual({ providerType: 'unknown' });
  });

  it('ids: one per (source, provider id), else per body; never a signature header kept', () => {
    const body = Buffer.from('{"a":1}');
    expect(inboundEventId('stripe', 'evt_1', body)).toMatch(/^inb_[0-9a-f]{32}$/);
    expect(inboundEventId('stripe', 'evt_1', body)).toBe(inboundEventId('stripe', 'evt_1', Buffer.from('other body')));
    expect(inboundEventId('stripe', 'evt_1', body)).not.toBe(inboundEventId('other', 'evt_1', body));
    expect(inboundEventId('slack', undefined, body)).toBe(inboundEventId('slack', undefined, Buffer.from('{"a":1}')));
    expect(inboundEventId('slack', undefined, body)).not.toBe(inboundEventId('slack', undefined, Buffer.from('{"a":2}')));
    const headers = {
      'x-github-event': 'push',
      'x-hub-signature-256': 'sha256=..',
      'user-agent': 'GitHub-Hookshot/1',
      'x-custom': 'c',
      cookie: 'x',
    };
    expect(keptHeaders(src('github', { headers: ['X-Custom'] }), headers)).toEqual({
      'x-github-event': 'push',
      'user-agent': 'GitHub-Hookshot/1',
      'x-custom': 'c',
    });
  });
});

describe('bus entries', () => {
  const source: InboundSource = {
    name: 'stripe',
    scheme: 'stripe',
    typeMapping: { 'payment_intent.*': 'payment.updated' },
    forwardTenantId: 'tnt_1',
  };
  const raw = JSON.stringify({ id: 'evt_9', type: 'payment_intent.succeeded', data: { object: { amount: 5 } } });
  const record = inboundRecord({
    source,
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    body: Buffer.from(raw),
    parsed: json(JSON.parse(raw)),
    receivedTime: new Date('2026-03-01T12:00:00.000Z'),
    signedTimestamp: 1_772_366_400,
  });

  it('the inbound event: source names the source, detail-type the mapped type, the body and kept headers in detail', () => {
    expect(record).toMatchObject({
      providerId: 'evt_9',
      providerType: 'payment_intent.succeeded',
      type: 'payment.updated',
      bodyBytes: raw.length,
    });
    const entry = inlineInboundEntry(record, parseInboundBody('application/json', raw))!;
    expect(entry.Source).toBe(`${INBOUND_EVENT_SOURCE_PREFIX}stripe`);
    expect(entry.DetailType).toBe('payment.updated');
    expect(entry.Time.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    const detail = JSON.parse(entry.Detail);
    expect(detail).toMatchObject({
      id: record.id,
      source: 'stripe',
      provider_id: 'evt_9',
      provider_type: 'payment_intent.succeeded',
      type: 'payment.updated',
      headers: { 'content-type': 'application/json' },
      body: JSON.parse(raw),
    });
    expect(detail.tenant_id).toBeUndefined();
  });

  it('a body too large for an entry goes by reference', () => {
    const big = JSON.stringify({ id: 'evt_big', type: 't', pad: 'x'.repeat(PUT_EVENTS_MAX_ENTRY_BYTES) });
    const r = { ...record, bodyBytes: big.length };
    expect(inlineInboundEntry(r, json(JSON.parse(big)))).toBeUndefined();
    const key = inboundBodyKey('stripe', r.id, Buffer.from(big));
    expect(key).toMatch(/^bodies\/inbound\/[0-9a-f]{32}\/[0-9a-f]{32}$/);
    const entry = inboundEntry(r, undefined, { bucket: 'b', key });
    expect(putEventsEntryBytes(entry)).toBeLessThan(2000);
    expect(JSON.parse(entry.Detail).body_ref).toEqual({ bucket: 'b', key });
  });

  it('the forwarded copy is a tenant event the pipeline’s rule takes, under its own source', () => {
    const f = forwardedEntry(record, json(JSON.parse(raw)));
    if (!f || !('entry' in f)) throw new Error('expected a forwarded entry');
    expect(f.entry.Source).toBe(`${FORWARDED_EVENT_SOURCE_PREFIX}stripe`);
    expect(f.entry.DetailType).toBe('payment.updated');
    expect(JSON.parse(f.entry.Detail)).toEqual({
      tenant_id: 'tnt_1',
      event: { id: record.id, type: 'payment.updated', timestamp: record.receivedTime, data: JSON.parse(raw) },
    });
    expect(forwardedEntry({ ...record, forwardTenantId: undefined } as never, json({}))).toBeUndefined();
    const text = forwardedEntry(record, parseInboundBody('text/plain', 'hi'));
    expect(text && 'event' in text ? text.event.data : undefined).toEqual({ body: 'hi' });
    const big = forwardedEntry(record, json({ pad: 'x'.repeat(PUT_EVENTS_MAX_ENTRY_BYTES) }));
    expect(big).toMatchObject({ skipped: expect.stringMatching(/^too_large/) });
    // A provider's event named as one of the platform's own is never forwarded to the tenant.
    expect(forwardedEntry({ ...record, type: 'webhook.subscription.disabled' }, json({ subscription_id: 's' }))).toMatchObject({
      skipped: expect.stringMatching(/^reserved_type: webhook\.subscription\.disabled/),
    });
  });
});
