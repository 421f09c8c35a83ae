import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../functions/adapters/aws/eventbridge-bus.js';
import { sqsSafeJson } from '../../functions/domain/sqs-safe-json.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

/** Characters SQS refuses (and, in fauxqs, emoji) in event data: carried, not answered 500. */

const SQS_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const FAUXQS_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]*$/u;

describe('sqsSafeJson', () => {
  const cases: [string, unknown][] = [
    ['U+FFFE', { s: 'a\uFFFEb' }],
    ['U+FFFF', { s: '\uFFFF' }],
    ['a lone high surrogate', { s: 'x\uD800y' }],
    ['a lone low surrogate', { s: '\uDC00' }],
    ['an emoji', { s: 'card 💳 ok', k: { '🔑': ['😀'] } }],
    ['control characters', { s: '\u0000\u0001\u001f' }],
    ['backslashes beside them', { s: '\\\uFFFF\\' }],
  ];
  it.each(cases)('%s: the JSON means the same and SQS takes it', (_name, value) => {
    const text = JSON.stringify(value);
    const safe = sqsSafeJson(text);
    expect(safe).toMatch(SQS_CHARS);
    expect(JSON.parse(safe)).toEqual(value);
    const local = sqsSafeJson(text, { astral: true });
    expect(local).toMatch(FAUXQS_CHARS);
    expect(JSON.parse(local)).toEqual(value);
  });

  it('leaves emoji alone for SQS and text SQS takes untouched', () => {
    expect(sqsSafeJson('{"s":"💳"}')).toBe('{"s":"💳"}');
    expect(sqsSafeJson('{"s":"💳"}', { astral: true })).toBe('{"s":"\\ud83d\\udcb3"}');
    expect(sqsSafeJson('{"s":"\uFFFF"}')).toBe('{"s":"\\uffff"}');
    const plain = JSON.stringify({ a: 'é, ü, 中文, \t tab' });
    expect(sqsSafeJson(plain)).toBe(plain);
  });
});

describe('EventBridgeBus with such data', () => {
  it('sends a Detail the ingest queue (its rule target) takes, meaning the same event', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const event = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { s: '\uFFFE\uFFFF 💳 \uD800' } };
    await new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'bus').publish('t1', event);
    const detail = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!;
    expect(detail).toMatch(SQS_CHARS);
    expect(detail).toContain('💳'); // SQS takes emoji: only local mode escapes them
    expect(JSON.parse(detail)).toEqual({ tenant_id: 't1', event });
    eb.restore();
  });
});

describe('event data with characters SQS refuses, end to end in local mode', () => {
  let p: TestPipeline;
  let receiver: Receiver;
  let secret: string;

  beforeAll(async () => {
    p = await startTestPipeline();
    receiver = await startReceiver();
    secret = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription.secret;
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  it('delivers U+FFFE, U+FFFF, lone surrogates and emoji intact, with a signature that verifies', async () => {
    const data = {
      card_id: 'c\uFFFE\uFFFF',
      customer_id: 'u\uD800-\uDFFF',
      nickname: 'travel 💳✈️ card',
      '\uFFFF key 😀': ['\uD83D', '\uDE00'],
    };
    // The request as a client sends it: JSON text with the lone surrogates escaped (raw ones
    // cannot be written in UTF-8), the others raw.
    const raw = JSON.stringify({ type: 'card.created', data });
    const published = await p.call('POST', '/api/v0.1/events', raw);
    expect(published.status, JSON.stringify(published.body)).toBe(202);

    const [request] = await receiver.waitFor(1);
    const headers = {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    };
    // The signed body is the body as sent, so a Standard Webhooks library verifies it.
    const verified = new Webhook(secret).verify(request!.body, headers) as { id: string; data: unknown };
    expect(verified.id).toBe(published.body.id);
    expect(verified.data).toEqual(data);
    expect(JSON.parse(request!.body).data).toEqual(data);
  });

  it('accepts them through the API in subscription fields too', async () => {
    const description = 'desc \uFFFE\uFFFF \uD800 💳';
    const created = await p.call('POST', '/api/v0/webhooks', { callback_url: receiver.url, events: ['transactions'], description });
    expect(created.status).toBe(201);
    expect((await p.call('GET', `/api/v0/webhooks/${created.body.webhook_id}`)).body.description).toBe(description);
  });
});
