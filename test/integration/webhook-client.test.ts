import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_EXCERPT_BYTES, WebhookClient } from '../../functions/app/webhook-client.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

/** The sender's HTTP client against real loopback sockets. */
describe('WebhookClient', () => {
  let receiver: Receiver;
  let client: WebhookClient;
  beforeAll(async () => {
    receiver = await startReceiver((req, _n, res) => {
      if (req.path === '/big') return void res.writeHead(200).end('x'.repeat(10 * RESPONSE_EXCERPT_BYTES));
      if (req.path === '/busy') return void res.writeHead(429, { 'retry-after': '120' }).end('slow down');
      if (req.path === '/moved') return void res.writeHead(301, { location: '/elsewhere' }).end();
      res.writeHead(200).end(JSON.stringify({ got: req.headers }));
    });
    client = new WebhookClient({ policy: LOCAL_POLICY, timeoutMs: 2000, userAgent: 'webhooks-test/1' });
  });
  afterAll(async () => {
    await client?.close();
    await receiver?.close();
  });
  const base = () => receiver.url.replace('/webhook', '');

  it('posts JSON with the given headers and its user-agent', async () => {
    const r = await client.post(`${base()}/hook?x=1`, { 'webhook-id': 'evt_1' }, '{"a":1}');
    expect(r).toMatchObject({ kind: 'response', status: 200 });
    const got = JSON.parse((r as { excerpt: string }).excerpt).got;
    expect(got).toMatchObject({ 'webhook-id': 'evt_1', 'content-type': 'application/json', 'user-agent': 'webhooks-test/1' });
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'POST', path: '/hook?x=1', body: '{"a":1}' });
  });

  it('keeps only the first 4 KB of an answer', async () => {
    const r = await client.post(`${base()}/big`, {}, '{}');
    expect(r).toMatchObject({ kind: 'response', status: 200 });
    expect((r as { excerpt: string }).excerpt).toHaveLength(RESPONSE_EXCERPT_BYTES);
  });

  it('reads Retry-After, and does not follow redirects', async () => {
    expect(await client.post(`${base()}/busy`, {}, '{}')).toMatchObject({
      kind: 'response',
      status: 429,
      retryAfterSeconds: 120,
      excerpt: 'slow down',
    });
    const before = receiver.requests.length;
    expect(await client.post(`${base()}/moved`, {}, '{}')).toMatchObject({ kind: 'response', status: 301 });
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('says connection when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    expect(await client.post(`http://127.0.0.1:${port}/x`, {}, '{}')).toMatchObject({ kind: 'error', error: 'connection' });
  });
});
