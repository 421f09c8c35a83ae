import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, signHeaders } from '../../functions/domain/signing.js';
import { type DynamoEmulator, startDynamo, untilActive } from '../../local/dynamodb-emulator.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { DOCS_ROOT, docBlock, docText } from '../support/docs.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { eventually } from '../support/wait.js';

/**
 * Every code example of docs/receiving-webhooks.md, run as written: the receiver of section 1 as
 * a node process against local mode, the SQS handler (2), the deduplicating worker (3) and the
 * ordered write (4) imported from files holding exactly their blocks against fauxqs and dynalite
 * through the SDK's standard endpoint variables, and the rotate call (5) in bash against local
 * mode. The guide's `http` test vector is checked by test/e2e/receiver-kit.test.ts.
 */

const GUIDE = 'docs/receiving-webhooks.md';
const BLOCKS = {
  receiver: 'guide-receiver',
  queueHandler: 'guide-queue-handler',
  dedupWorker: 'guide-dedup-worker',
  orderWrite: 'guide-order-write',
  rotate: 'guide-rotate',
} as const;
/** The languages this file does not run, with who checks them instead. */
const CHECKED_ELSEWHERE = new Set(['http']); // the test vector: test/e2e/receiver-kit.test.ts

const nowSeconds = () => Math.floor(Date.now() / 1000);
const exec = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the receiving guide', () => {
  it('runs every code example it has: each block carries a marker this file runs', () => {
    const text = docText(GUIDE);
    const blocks = [...text.matchAll(/^( *)```([a-z]*)\n[\s\S]*?^\1```$/gm)];
    const run = new Set<string>(Object.values(BLOCKS));
    const unrun: string[] = [];
    const markers: string[] = [];
    for (const b of blocks) {
      const lang = b[2]!;
      if (CHECKED_ELSEWHERE.has(lang)) continue;
      const before = text.slice(0, b.index).split('\n').at(-2)!.trim();
      const marker = /^<!-- ([a-z-]+) -->$/.exec(before)?.[1];
      if (marker && run.has(marker)) markers.push(marker);
      else unrun.push(`line ${text.slice(0, b.index).split('\n').length}: \`\`\`${lang}`);
    }
    expect(unrun, 'blocks nobody runs').toEqual([]);
    expect(markers.sort()).toEqual([...run].sort());
  });
});

describe("section 1's receiver, and section 5's rotation, against local mode", () => {
  let p: TestPipeline;
  let port: number;
  let receiver: ChildProcess | undefined;
  let out = '';
  let sub: { id: string; secret: string };
  const url = () => `http://127.0.0.1:${port}/webhook`;
  const post = (body: string, headers: Record<string, string>) =>
    fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const publish = async () => {
    const res = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'card_1', customer_id: 'cus_1' } });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const printed = (line: string) =>
    eventually(`the receiver to print "${line}"`, async () => (out.includes(`${line}\n`) ? true : undefined));

  beforeAll(async () => {
    p = await startTestPipeline({ verification: 'challenge' });
    port = await freePort();
    // As the guide says: created disabled, so the receiver has the secret before the handshake.
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: url(), events: ['card.created'], status: 'STATUS_DISABLED' });
    expect(created.status).toBe(201);
    sub = created.body.webhook_subscription;
    receiver = spawn(process.execPath, ['--input-type=module', '-e', docBlock(GUIDE, BLOCKS.receiver)], {
      cwd: DOCS_ROOT,
      env: { ...process.env, WEBHOOK_SECRET: sub.secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    receiver.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    // Listening once it answers: a request without the three headers is refused.
    const first = await eventually('the receiver to listen', async () => (await fetch(url(), { method: 'POST', body: '{}' })).status);
    expect(first, out).toBe(401);
    expect(out).toContain('refused undefined Missing required headers\n');
  });
  afterAll(async () => {
    if (receiver && receiver.exitCode === null) {
      const exited = new Promise((resolve) => receiver!.once('exit', resolve));
      receiver.kill('SIGTERM');
      await exited;
    }
    await p?.stop();
  });

  it('answers the handshake once the subscription is enabled, then takes a published event', async () => {
    expect((await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { status: 'STATUS_ENABLED' })).status).toBe(200);
    await eventually('the subscription verified', async () => {
      const v = (await p.call('GET', `/api/v0.1/webhooks/${sub.id}`)).body.webhook_subscription.verification;
      return v?.status === 'verified' ? v : undefined;
    });
    expect(out).toMatch(/^verification evt_verify_\S+$/m);
    const id = await publish();
    await printed(`received ${id} card.created`);
    expect(out).not.toMatch(/^refused evt_/m);
  });

  it('refuses a wrong signature and a request replayed 6 minutes later (or dated 6 minutes ahead), and takes the same request signed now', async () => {
    const id = 'evt_guide_replay';
    const body = JSON.stringify({
      id,
      type: 'card.created',
      timestamp: new Date().toISOString(),
      data: { card_id: 'card_2', customer_id: 'cus_1' },
    });

    const wrong = await post(body, signHeaders([generateSecret()], id, nowSeconds(), body));
    expect(wrong.status).toBe(401);
    await printed(`refused ${id} No matching signature found`);

    const replayed = await post(body, signHeaders([sub.secret], id, nowSeconds() - 6 * 60, body));
    expect(replayed.status).toBe(401);
    await printed(`refused ${id} Message timestamp too old`);

    const ahead = await post(body, signHeaders([sub.secret], id, nowSeconds() + 6 * 60, body));
    expect(ahead.status).toBe(401);
    await printed(`refused ${id} Message timestamp too new`);

    // Nothing but the timestamp or the key made the difference.
    const fresh = await post(body, signHeaders([sub.secret], id, nowSeconds(), body));
    expect(fresh.status).toBe(200);
    expect(out.match(new RegExp(`^received ${id} `, 'gm'))).toHaveLength(1);
  });

  it("rotates with section 5's call: a new secret, the old one signing 24 hours more (the receiver on it still takes events); again at once is a 429", async () => {
    const rotate = () =>
      exec('bash', ['-e', '-o', 'pipefail', '-c', docBlock(GUIDE, BLOCKS.rotate)], {
        cwd: DOCS_ROOT,
        env: {
          ...process.env,
          WEBHOOKS_URL: p.url,
          WEBHOOKS_IDENTITY: p.credentials.identity,
          WEBHOOKS_AUTHORIZATION: p.credentials.authorization,
          SUB: sub.id,
        },
      });
    const before = Date.now();
    const answer = JSON.parse((await rotate()).stdout) as {
      webhook_subscription: { id: string; secret: string };
      previous_secret_expires_time: string;
    };
    expect(answer.webhook_subscription.id).toBe(sub.id);
    expect(answer.webhook_subscription.secret).toMatch(/^whsec_/);
    expect(answer.webhook_subscription.secret).not.toBe(sub.secret);
    const overlap = Date.parse(answer.previous_secret_expires_time) - before;
    expect(overlap).toBeGreaterThanOrEqual(24 * 3600_000 - 1000);
    expect(overlap).toBeLessThanOrEqual(24 * 3600_000 + 60_000);

    // Step 1 of the guide: nothing changes yet for a receiver still on the old secret.
    const id = await publish();
    await printed(`received ${id} card.created`);

    const again = JSON.parse((await rotate()).stdout) as { error: { code: string } };
    expect(again.error.code).toBe('rotation_rate_limited');
  });
});

/** The standard variables the SDK's default clients (`new SQSClient({})`) read, as on a reader's machine. */
function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The record Lambda's SQS trigger hands the worker for a received message. */
const lambdaRecord = (m: Message) => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body!,
  messageAttributes: Object.fromEntries(
    Object.entries(m.MessageAttributes ?? {}).map(([k, a]) => [k, { stringValue: a.StringValue, dataType: a.DataType }]),
  ),
});

describe("sections 2, 3 and 4's code on fauxqs and dynalite", () => {
  const secret = generateSecret();
  let sqs: SqsEmulator;
  let db: DynamoEmulator;
  let dir: string;
  let queueUrl: string;
  let restoreEnv: () => void;
  type Handler = (request: {
    headers: Record<string, string>;
    body: string;
    isBase64Encoded?: boolean;
  }) => Promise<{ statusCode: number; body: string }>;
  let handler: Handler;
  let worker: (event: { Records: ReturnType<typeof lambdaRecord>[] }) => Promise<void>;
  let handled: { id: string }[];
  let failures: Error[];
  let apply: (event: { timestamp: string; data: { customer_id: string; status: string } }) => Promise<void>;

  const table = async (name: string) => {
    const def: CreateTableCommandInput = {
      TableName: name,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    };
    await db.client.send(new CreateTableCommand(def));
    await untilActive(db.client, name);
  };
  const receiveAll = async () =>
    (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] })))
      .Messages ?? [];
  const queued = () => {
    const s = sqs.inspect({ name: 'guide-work', url: queueUrl, arn: '' });
    return s.ready + s.delayed + s.inflight;
  };
  const request = (id: string, body: string, signingSecret = secret, at = nowSeconds()) => ({
    headers: { 'content-type': 'application/json', ...signHeaders([signingSecret], id, at, body) },
    body,
    isBase64Encoded: false,
  });
  const eventBody = (id: string) =>
    JSON.stringify({
      id,
      type: 'kyc.verification.success',
      timestamp: new Date().toISOString(),
      data: { customer_id: 'cus_1', status: 'success' },
    });
  const processedItem = async (id: string) =>
    (await db.client.send(new GetItemCommand({ TableName: 'guide-processed', Key: { pk: { S: id } }, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    sqs = await startSqs({ schedule: [5] });
    db = await startDynamo(undefined, 'guide-unused');
    const created = (await sqs.client.send(new CreateQueueCommand({ QueueName: 'guide-work' }))).QueueUrl!;
    // fauxqs names its queues http://sqs.<region>.127.0.0.1:<port>/..., which is no valid URL: a
    // default client, which sends to the queue URL's host, would warn and fall back to the endpoint.
    // The same queue at the endpoint's own origin, as an SQS queue URL is on AWS.
    queueUrl = `${sqs.endpoint}${new URL(created.replace(/^http:\/\/[^/]+/, 'http://x')).pathname}`;
    await table('guide-processed');
    await table('guide-customers');
    restoreEnv = setEnv({
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'guide-test',
      AWS_SECRET_ACCESS_KEY: 'guide-test',
      WEBHOOK_SECRET: secret,
      WEBHOOK_QUEUE_URL: queueUrl,
      PROCESSED_TABLE: 'guide-processed',
      CUSTOMERS_TABLE: 'guide-customers',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // Inside the repository, so node finds @aws-sdk/* and standardwebhooks in its node_modules.
    mkdirSync(join(DOCS_ROOT, '.data'), { recursive: true });
    dir = mkdtempSync(join(DOCS_ROOT, '.data', 'receiving-guide-'));
    const module = async (name: string, code: string) => {
      writeFileSync(join(dir, name), code);
      return import(pathToFileURL(join(dir, name)).href);
    };
    ({ handler } = await module('handler.mjs', docBlock(GUIDE, BLOCKS.queueHandler)));
    // The reader's own `handle`, which the worker calls: it records what it did, or fails when told to.
    const readerHandle = [
      'export const handled = [];',
      'export const failures = [];',
      'async function handle(event) { if (failures.length) throw failures.shift(); handled.push(event); }',
    ].join('\n');
    ({ worker, handled, failures } = await module('worker.mjs', `${readerHandle}\n${docBlock(GUIDE, BLOCKS.dedupWorker)}\n`));
    // Section 4's lines inside the worker: its client, and the event being handled.
    const orderModule = [
      "import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';",
      'const db = new DynamoDBClient({});',
      'export async function apply(event) {',
      docBlock(GUIDE, BLOCKS.orderWrite),
      '}',
    ].join('\n');
    ({ apply } = await module('order.mjs', orderModule));
  });
  afterAll(async () => {
    restoreEnv?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await sqs?.stop();
    await db?.stop();
  });

  it('2: queues a verified request as it came, with its webhook-id, and answers 200; a base64 body too', async () => {
    const body = eventBody('evt_guide_1');
    expect(await handler(request('evt_guide_1', body))).toEqual({ statusCode: 200, body: 'queued' });
    const encoded = eventBody('evt_guide_2');
    const b64 = { ...request('evt_guide_2', encoded), body: Buffer.from(encoded).toString('base64'), isBase64Encoded: true };
    expect(await handler(b64)).toEqual({ statusCode: 200, body: 'queued' });
    const messages = await receiveAll();
    expect(messages.map((m) => [m.Body, m.MessageAttributes?.['webhook-id']?.StringValue]).sort()).toEqual([
      [body, 'evt_guide_1'],
      [encoded, 'evt_guide_2'],
    ]);
  });

  it('2: answers 401 to a bad signature and to a stale timestamp, and queues nothing', async () => {
    const before = queued();
    const body = eventBody('evt_guide_bad');
    expect(await handler(request('evt_guide_bad', body, generateSecret()))).toEqual({ statusCode: 401, body: 'invalid signature' });
    expect(await handler(request('evt_guide_bad', body, secret, nowSeconds() - 6 * 60))).toEqual({
      statusCode: 401,
      body: 'invalid signature',
    });
    expect(await handler({ ...request('evt_guide_bad', body), body: `${body} ` })).toEqual({ statusCode: 401, body: 'invalid signature' });
    expect(queued()).toBe(before);
  });

  it('2: fails (a 5xx from the function URL, so we retry) when the queue does not take the event', async () => {
    const restore = setEnv({ WEBHOOK_QUEUE_URL: `${queueUrl}-missing` });
    try {
      await expect(handler(request('evt_guide_lost', eventBody('evt_guide_lost')))).rejects.toThrow();
    } finally {
      restore();
    }
  });

  it('3: handles a queued webhook once; a retry with the same webhook-id, and two copies together, are skipped', async () => {
    await receiveAll(); // what earlier cases left
    const body = eventBody('evt_guide_once');
    expect((await handler(request('evt_guide_once', body))).statusCode).toBe(200);
    const [first] = await receiveAll();
    await worker({ Records: [lambdaRecord(first!)] });
    expect(handled.filter((e) => e.id === 'evt_guide_once')).toHaveLength(1);
    const expires = Number((await processedItem('evt_guide_once'))!.expires!.N);
    expect(Math.abs(expires - (nowSeconds() + 30 * 86400))).toBeLessThan(60);

    // Our retry: the same webhook-id, signed afresh, through the handler and the queue.
    expect((await handler(request('evt_guide_once', body, secret, nowSeconds() + 1))).statusCode).toBe(200);
    const [retry] = await receiveAll();
    expect(retry!.MessageId).not.toBe(first!.MessageId);
    await worker({ Records: [lambdaRecord(retry!)] });
    expect(handled.filter((e) => e.id === 'evt_guide_once')).toHaveLength(1);

    // Two copies of a new webhook at the same moment: the conditional put lets one through.
    expect((await handler(request('evt_guide_twice', eventBody('evt_guide_twice')))).statusCode).toBe(200);
    const [copy] = await receiveAll();
    await Promise.all([worker({ Records: [lambdaRecord(copy!)] }), worker({ Records: [lambdaRecord(copy!)] })]);
    expect(handled.filter((e) => e.id === 'evt_guide_twice')).toHaveLength(1);
  });

  it('3: releases the claim when the work fails, so the retry does it', async () => {
    expect((await handler(request('evt_guide_fails', eventBody('evt_guide_fails')))).statusCode).toBe(200);
    const [message] = await receiveAll();
    failures.push(new Error('the work failed'));
    await expect(worker({ Records: [lambdaRecord(message!)] })).rejects.toThrow('the work failed');
    expect(await processedItem('evt_guide_fails')).toBeUndefined();
    expect(handled.filter((e) => e.id === 'evt_guide_fails')).toHaveLength(0);
    await worker({ Records: [lambdaRecord(message!)] });
    expect(handled.filter((e) => e.id === 'evt_guide_fails')).toHaveLength(1);
    expect(await processedItem('evt_guide_fails')).toBeDefined();
  });

  it('4: applies an event only if newer than the last applied, comparing parsed times (whole seconds against milliseconds)', async () => {
    const customer = async () =>
      (await db.client.send(new GetItemCommand({ TableName: 'guide-customers', Key: { pk: { S: 'cus_order' } }, ConsistentRead: true })))
        .Item;
    const event = (timestamp: string, status: string) => ({ timestamp, data: { customer_id: 'cus_order', status } });
    await apply(event('2026-01-01T00:00:01Z', 'failed'));
    // Later by half a second, though it sorts before as a string ('.' < 'Z').
    await apply(event('2026-01-01T00:00:01.500Z', 'success'));
    expect((await customer())!.kyc_status!.S).toBe('success');
    // Older ones arriving late are refused, with the exception the guide names.
    await expect(apply(event('2026-01-01T00:00:01Z', 'failed'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(apply(event('2026-01-01T00:00:00.900Z', 'failed'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await customer())!.kyc_status!.S).toBe('success');
    expect((await customer())!.kyc_event_ms!.N).toBe(String(Date.parse('2026-01-01T00:00:01.500Z')));
  });
});
