import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../functions/app/api.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually, queuesSettled } from '../support/wait.js';

/**
 * Malformed requests over every route of both versions, sent as raw bytes so nothing in a
 * client library tidies them up: no answer may be a 5xx, and nothing may change (the table,
 * the queues, the secrets and the receiver are the same before and after).
 */

interface RawRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer | string;
}

/** One request on its own connection; answers the status code. */
function send(port: number, r: RawRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
    const head = [
      `${r.method} ${r.path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: close',
      ...r.headers.map(([k, v]) => `${k}: ${v}`),
      ...(body !== undefined && !r.headers.some(([k]) => k.toLowerCase() === 'content-length') ? [`Content-Length: ${body.length}`] : []),
      '',
      '',
    ].join('\r\n');
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) reject(new Error(`no HTTP answer to ${r.method} ${r.path.slice(0, 80)}: ${text.slice(0, 200)}`));
      else resolve({ status: Number(m[1]), text });
    });
    // No half-close: Node's server drops a connection whose client has ended before the answer.
    // `Connection: close` makes the server close it once it has answered.
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer in 15 s')));
    socket.write(Buffer.from(head, 'latin1'));
    if (body) socket.write(body);
  });
}

const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

/** Bodies no route may accept, whatever its schema. */
function badBodies(valid: Record<string, unknown>): { name: string; body: string | Buffer; contentType?: string }[] {
  const v = JSON.stringify(valid);
  return [
    { name: 'empty', body: '' },
    { name: 'truncated JSON', body: v.slice(0, -1) },
    { name: 'not JSON', body: 'hello' },
    { name: 'JSON with a trailing comma', body: `${v.slice(0, -1)},}` },
    { name: 'single quotes', body: v.replaceAll('"', "'") },
    { name: 'null', body: 'null' },
    { name: 'a number', body: '42' },
    { name: 'a string', body: '"x"' },
    { name: 'an array', body: `[${v}]` },
    { name: 'true', body: 'true' },
    { name: 'a null byte', body: `\u0000${v}` },
    { name: 'null bytes in values', body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, '\u0000']))) },
    { name: 'invalid UTF-8', body: Buffer.concat([Buffer.from('{"url":"'), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from('"}')]) },
    { name: 'UTF-16', body: Buffer.from(v, 'utf16le') },
    { name: 'a BOM', body: `\uFEFF${v.replace(/"events":\[[^\]]*\]/, '"events":7')}` },
    { name: 'an unknown field', body: JSON.stringify({ ...valid, colour: 'blue' }) },
    { name: 'a __proto__ field', body: `${v.slice(0, -1)},"__proto__":{"admin":true}}` },
    { name: 'a constructor field', body: JSON.stringify({ ...valid, constructor: { prototype: {} } }) },
    { name: 'every field null', body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, null]))) },
    { name: 'every field a number', body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, 1e308]))) },
    { name: 'every field an object', body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, { a: 1 }]))) },
    { name: 'every field an array of numbers', body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, [1, 2]]))) },
    {
      name: 'every field a huge string',
      body: JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, 'x'.repeat(40_000)]))),
    },
    { name: 'over 1 MiB', body: JSON.stringify({ ...valid, description: 'x'.repeat(1_100_000) }) },
    { name: 'deeply nested arrays', body: nested(50_000, '[', ']') },
    { name: 'deeply nested objects', body: nested(20_000, '{"a":', '}', 'null') },
    { name: 'deeply nested in a field', body: `${v.slice(0, -1)},"data":${nested(5000, '{"a":', '}', '1')}}` },
    { name: 'a number too large', body: `${v.slice(0, -1)},"n":1e999999}` },
    { name: 'duplicate keys, the last one bad', body: `${v.slice(0, -1)},${Object.keys(valid).map((k) => `"${k}":{}`)}}` },
    { name: 'a text/plain body', body: v, contentType: 'text/plain' },
    { name: 'a form body', body: 'url=https%3A%2F%2Fexample.com&events=card.created', contentType: 'application/x-www-form-urlencoded' },
    { name: 'a multipart body', body: v, contentType: 'multipart/form-data; boundary=x' },
    { name: 'a garbled content type', body: v, contentType: ';;;\u00ff' },
    { name: 'XML', body: '<webhook><url>https://example.com</url></webhook>', contentType: 'application/xml' },
  ];
}

/** Bodies valid in shape but wrong for the route (types, values, sizes). */
const WRONG_VALUES: Record<string, unknown>[] = [
  { url: 'http://10.0.0.1/', events: ['card.created'] },
  { url: 'https://[::a9fe:a9fe]/', events: ['card.created'] },
  { url: 'https://[::127.0.0.1]/', events: ['card.created'] },
  { url: 'https://example.com/', events: [] },
  { url: 'https://example.com/', events: ['no.such.type'] },
  { url: 'https://example.com/', events: ['*card'] },
  { url: 'https://example.com/', events: Array.from({ length: 101 }, (_, i) => `card${i}*`) },
  { url: 'https://example.com/', events: ['card.created', 'card.created'] },
  { url: 'https://example.com/', events: ['card.created'], version: '2' },
  { url: 'https://example.com/', events: ['card.created'], status: 'enabled' },
  { url: 'https://example.com/', events: ['card.created'], description: 'x'.repeat(1001) },
  { url: 'x'.repeat(2049), events: ['card.created'] },
  { callback_url: 'https://example.com/', events: ['card.created'], status: 'STATUS_ENABLED' },
  { callback_url: 'https://example.com/', events: ['card.created'], action: 'replace_events' },
  { callback_url: 'https://example.com/', action: 'add_events' },
  { events: ['card.created'], action: 'remove_events', status: 'on' },
  { type: 'no.such.type', data: {} },
  { type: 'card.created', data: {} },
  { type: 'card.created', data: [] },
  { type: 'card.created', data: 'x' },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u' }, id: 'bad id with spaces' },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u' }, id: 'x'.repeat(129) },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u', deep: JSON.parse(nested(40, '{"a":', '}', '1')) } },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u', tiny: 1e-200 } },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u', huge: 1e200 } },
  { type: 'card.created', data: { card_id: 'c', customer_id: 'u', '': 'empty key' } },
  { type: 'card.created', data: { card_id: '', customer_id: 'u' } },
  { type: 7, data: null },
];

const BAD_IDS = [
  '%ZZ',
  '%',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  'x'.repeat(1100),
  'y'.repeat(3000),
  '%00',
  '..',
  '%2e%2e',
  '%2F',
  'a%20b',
  '%F0%9F%92%B3',
  "'%20OR%201=1",
  '00000000-0000-0000-0000-000000000000',
];

const BAD_QUERIES = [
  'limit=0',
  'limit=101',
  'limit=-1',
  'limit=abc',
  'limit=1e2',
  'limit=99999999999999999999',
  'limit=',
  'limit=%00',
  'status=bogus',
  'status=',
  'status=succeeded&status=pending',
  'status=%00',
  'cursor=%ZZ',
  'cursor=not-a-cursor',
  `cursor=${Buffer.from('{"gsi1sk":"","id":""}').toString('base64url')}`,
  `cursor=${Buffer.from(JSON.stringify({ gsi1sk: 'x'.repeat(2000), id: 'y' })).toString('base64url')}`,
  `cursor=${Buffer.from(JSON.stringify({ gsi1sk: 'x', id: 'y'.repeat(1100) })).toString('base64url')}`,
  `cursor=${Buffer.from(JSON.stringify({ gsi1sk: 'x', id: 'y'.repeat(3000) })).toString('base64url')}`,
  `cursor=${Buffer.from('null').toString('base64url')}`,
  `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
  `cursor=${'A'.repeat(5000)}`,
  'cursor=a&cursor=b&limit=1&limit=2',
];

describe('fuzzing every route of both versions with malformed requests', () => {
  let p: TestPipeline;
  let receiver: Receiver;
  let port: number;
  let subscriptionId: string;
  let deliveryId: string;
  let doc: DynamoDBDocumentClient;
  let auth: [string, string][];

  async function state() {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: p.endpoints.tableName, ExclusiveStartKey: start }));
      // The resumer's cursor moves on by itself every second (the stack's schedule, every minute): not a change a request made.
      items.push(...(page.Items ?? []).filter((i) => i.pk !== 'RESUMER'));
      start = page.LastEvaluatedKey;
    } while (start);
    const queues: Record<string, unknown> = {};
    for (const [name, q] of Object.entries({
      ingest: p.sqs.ingest,
      ingestDlq: p.sqs.ingestDlq,
      delivery: p.sqs.delivery,
      dlq: p.sqs.deliveryDlq,
    })) {
      const out = await p.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
      const a = out.Attributes ?? {};
      queues[name] = [a.ApproximateNumberOfMessages, a.ApproximateNumberOfMessagesNotVisible, a.ApproximateNumberOfMessagesDelayed];
    }
    const key = (i: unknown) => JSON.stringify(i);
    return {
      items: items.map(key).sort(),
      queues,
      secrets: readFileSync(join(p.dataDir, 'secrets.json'), 'utf8'),
      received: receiver.requests.length,
    };
  }

  beforeAll(async () => {
    p = await startTestPipeline();
    port = Number(new URL(p.url).port);
    receiver = await startReceiver();
    auth = [
      ['Identity', p.credentials.identity],
      ['Authorization', p.credentials.authorization],
    ];
    subscriptionId = (await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription
      .id;
    await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c1', customer_id: 'u1' } });
    await receiver.waitFor(1);
    deliveryId = await eventually('the delivery to be recorded', async () => {
      const list = await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries`);
      return list.body.deliveries?.[0]?.status === 'succeeded' ? (list.body.deliveries[0].id as string) : undefined;
    });
    const client = new DynamoDBClient({ endpoint: p.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    doc = DynamoDBDocumentClient.from(client);
  }, 60_000);
  afterAll(async () => {
    doc?.destroy();
    await p?.stop();
    await receiver?.close();
  });

  function requests(): { why: string; r: RawRequest }[] {
    const out: { why: string; r: RawRequest }[] = [];
    const json: [string, string] = ['Content-Type', 'application/json'];
    const validBody = (path: string): Record<string, unknown> =>
      path.includes('/events')
        ? { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } }
        : path.startsWith('/api/v0/')
          ? { callback_url: 'https://example.com/x', events: ['card.created'] }
          : { url: 'https://example.com/x', events: ['card.created'] };
    for (const route of API_ROUTES) {
      const real = route.path.replace('{id}', subscriptionId).replace('{delivery_id}', deliveryId);
      const name = `${route.method} ${route.path}`;
      // Bad ids in each path parameter, the others real.
      for (const param of route.path.match(/\{\w+\}/g) ?? []) {
        for (const bad of BAD_IDS) {
          const path = route.path.replace(param, bad).replace('{id}', subscriptionId).replace('{delivery_id}', deliveryId);
          out.push({
            why: `${name} with ${param}=${bad.slice(0, 20)}`,
            r: { method: route.method, path, headers: [...auth, json], ...(route.body ? { body: '{}' } : {}) },
          });
        }
      }
      // Credentials missing, wrong or garbled (a valid request otherwise, so only the credentials stop it).
      if (!route.public) {
        const body = route.body ? JSON.stringify(validBody(route.path)) : undefined;
        const headerSets: [string, [string, string][]][] = [
          ['no credentials', [json]],
          ['no Authorization', [auth[0]!, json]],
          ['no Identity', [auth[1]!, json]],
          ['a wrong key', [auth[0]!, ['Authorization', `${p.credentials.authorization}x`], json]],
          ['garbled credentials', [['Identity', '\u00ff\u00fe%00'], ['Authorization', ' '.repeat(10)], json]],
          ['huge credentials', [['Identity', 'i'.repeat(6000)], ['Authorization', 'k'.repeat(6000)], json]],
          ['credentials with odd case and spacing', [['iDeNtItY', `  ${p.credentials.identity}x  `], ['AUTHORIZATION', 'Bearer x'], json]],
        ];
        for (const [why, headers] of headerSets) {
          out.push({ why: `${name}, ${why}`, r: { method: route.method, path: real, headers, ...(body ? { body } : {}) } });
        }
      }
      // Bad bodies where a body is read.
      if (route.body) {
        for (const b of badBodies(validBody(route.path))) {
          out.push({
            why: `${name} with ${b.name}`,
            r: {
              method: route.method,
              path: real,
              headers: [...auth, ['Content-Type', b.contentType ?? 'application/json']],
              body: b.body,
            },
          });
        }
        for (const body of WRONG_VALUES) {
          out.push({
            why: `${name} with ${JSON.stringify(body).slice(0, 60)}`,
            r: { method: route.method, path: real, headers: [...auth, json], body: JSON.stringify(body) },
          });
        }
        out.push({
          why: `${name} with a body longer than its Content-Length says`,
          r: { method: route.method, path: real, headers: [...auth, json, ['Content-Length', '3']], body: '{"url": 1}' },
        });
      }
      // Bad queries where a list is read.
      if (route.query) {
        for (const q of BAD_QUERIES) {
          out.push({ why: `${name}?${q.slice(0, 40)}`, r: { method: route.method, path: `${real}?${q}`, headers: auth } });
        }
      }
      // Methods the path does not have.
      out.push({ why: `PUT ${route.path}`, r: { method: 'PUT', path: real, headers: [...auth, json], body: '{}' } });
    }
    // Paths no route has, and HTTP no client should send.
    for (const path of [
      '/api/v0.2/webhooks',
      '/api/v0.1/webhooks/a/b/c/d/e',
      '/api/../../etc/passwd',
      '/',
      '//api//v0.1//webhooks',
      '/api/v0.1/webhooks%2F',
    ]) {
      out.push({ why: `GET ${path}`, r: { method: 'GET', path, headers: auth } });
    }
    out.push({ why: 'a bogus method', r: { method: 'BREW', path: '/api/v0.1/webhooks', headers: auth } });
    out.push({
      why: 'a header name with a bad byte',
      r: { method: 'GET', path: '/api/v0.1/webhooks', headers: [...auth, ['X-Bad\u00ff', 'v']] },
    });
    return out;
  }

  it('answers at least 500 malformed requests with no 5xx and changes nothing', async () => {
    const before = await state();
    const all = requests();
    expect(all.length).toBeGreaterThanOrEqual(500);
    console.log(`fuzz: ${all.length} requests`);
    const fivexx: string[] = [];
    const accepted: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const { why, r } = all[next++]!;
        const { status, text } = await send(port, r).catch((err: Error) => ({ status: 0, text: `${why}: ${err.message}` }));
        if (status === 0) fivexx.push(`no answer: ${text}`);
        if (status >= 500) fivexx.push(`${status} ${why}: ${text.split('\r\n\r\n')[1]?.slice(0, 200)}`);
        if (status < 400) accepted.push(`${status} ${why}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(fivexx).toEqual([]);
    // GETs of real resources with credentials spelled oddly may answer 200; nothing else may.
    expect(accepted.filter((a) => !/^200 GET /.test(a))).toEqual([]);
    // Anything wrongly accepted has been carried through by now.
    await queuesSettled(p);
    expect(await state()).toEqual(before);
  }, 60_000);
});
