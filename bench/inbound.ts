import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import type { LambdaName, UsageSnapshot } from '../local/usage-meter.js';
import { writeSourceSecret } from '../scripts/lib/inbound-commands.js';
import { inboundTargetOf } from '../scripts/lib/inbound-target.js';
import { openTarget } from '../scripts/lib/targets.js';
import { type CostLines, priceUsage, sumLines } from './cost-model.js';
import { PRICES } from './prices.js';
import type { StackSettings } from './stack-settings.js';
import { AS_DEPLOYED, median, paddedData, pool, waitIdle } from './support.js';

/**
 * Inbound webhooks (section `inbound`): how many Stripe-signed requests a second local mode's
 * inbound path takes (gateway, verification, the conditional put, PutEvents, the marker) against
 * how many publish requests its API takes (gateway, cached authorizer, validation, PutEvents), in
 * the same process and run, alternating; and what a million inbound events cost on AWS, from
 * what local mode meters while it receives them, at the prices of bench/prices.ts.
 */

export interface InboundBenchOptions {
  requests: number;
  concurrency: number;
  runs: number;
  /** Body size of each request (a Stripe event). */
  bodyBytes: number;
  /** Events received in the metered phase. */
  costEvents: number;
  log: (line: string) => void;
}

export interface InboundCostInput {
  usage: UsageSnapshot;
  events: number;
  secretsCalls: number;
  seconds: number;
  /** The inbound function's billed milliseconds per invocation, timed alone. */
  inboundMs: number;
  /** Bytes each event keeps in the table (its item, its copy in gsi1, its marker, DynamoDB's 100 bytes each). */
  storedBytesPerEvent: number;
  retentionDays: number;
}

export interface InboundCost {
  /** USD per million inbound events, every line. */
  perMillion: number;
  lines: CostLines;
  /** USD per million events kept `retentionDays` (storage and PITR). */
  storagePerMillion: number;
  perEvent: { writeUnits: number; readUnits: number; billedBusEvents: number; invocations: number; apiRequests: number };
}

const ZERO_MS: Record<LambdaName, number> = { api: 0, authorizer: 0, fanout: 0, sender: 0, resumer: 0, inbound: 0 };

/**
 * Prices a metered inbound phase. The SQS line is left out: locally every inbound event goes to
 * the queue that stands in for the operator's own rule (billed to whatever the operator's rules
 * do, not to the pipeline).
 */
export function priceInbound(i: InboundCostInput, stack: StackSettings): InboundCost {
  const raw = priceUsage(
    i.usage,
    { secretsCalls: i.secretsCalls, seconds: i.seconds, durations: { ...ZERO_MS, inbound: i.inboundMs } },
    stack,
  );
  const lines: CostLines = { ...raw, 'SQS, mappings and bus rule': 0 };
  const perMillion = (sumLines(lines) / i.events) * 1_000_000;
  const gb = (i.storedBytesPerEvent * 1_000_000) / 1e9;
  const months = i.retentionDays / 30;
  const storagePerMillion = gb * months * (PRICES.dynamodb.perGbMonth + PRICES.dynamodb.pitrPerGbMonth);
  const u = i.usage;
  return {
    perMillion,
    lines,
    storagePerMillion,
    perEvent: {
      writeUnits: (u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits) / i.events,
      readUnits: u.dynamodb.readUnits / i.events,
      billedBusEvents: u.eventBridge.billedEvents / i.events,
      invocations: u.lambda.inbound.invocations / i.events,
      apiRequests: u.apiRequests / i.events,
    },
  };
}

export interface InboundFigure {
  inboundPerSecond: number;
  publishPerSecond: number;
  ratio: number;
  runs: { inbound: number[]; publish: number[] };
  cost: InboundCost;
  bodyBytes: number;
  inboundMs: number;
}

const SECRET = 'whsec_bench_inbound_9f3c1a';

export async function measureInbound(options: InboundBenchOptions, stack: StackSettings): Promise<InboundFigure> {
  const { log } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-inbound-bench-'));
  let p: LocalPipeline | undefined;
  try {
    p = await startLocalPipeline({
      port: 0,
      dataDir,
      ...AS_DEPLOYED,
      inboundSources: [{ name: 'stripe', scheme: 'stripe' }],
      log: () => undefined,
    });
    const pipeline = p;
    const target = await openTarget({ env: { WEBHOOKS_DATA_DIR: dataDir } });
    const cli = inboundTargetOf(target);
    await writeSourceSecret(cli, 'stripe', { current: SECRET });
    cli.close();
    target.close();

    const data = paddedData(options.bodyBytes);
    let seq = 0;
    /** Signed before the clock starts, as the publish requests are built before it. */
    const inboundRequests = (n: number) =>
      Array.from({ length: n }, () => {
        const body = JSON.stringify({ id: `evt_bench_${++seq}`, object: 'event', type: 'charge.succeeded', data: { object: data } });
        const header = Stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: SECRET,
          timestamp: Math.floor(Date.now() / 1000),
        });
        return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
      });
    const publishBody = JSON.stringify({ type: 'card.created', data });
    const publishHeaders = {
      Identity: pipeline.credentials.identity,
      Authorization: pipeline.credentials.authorization,
      'content-type': 'application/json',
    };
    const timed = async (n: number, send: (i: number) => Promise<void>) => {
      const t0 = performance.now();
      await pool(n, options.concurrency, send);
      return n / ((performance.now() - t0) / 1000);
    };
    const runInbound = async (n: number) => {
      const requests = inboundRequests(n);
      return timed(n, async (i) => {
        const r = requests[i]!;
        const res = await fetch(`${pipeline.url}/inbound/stripe`, { method: 'POST', headers: r.headers, body: r.body });
        if (res.status !== 200) throw new Error(`inbound answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      });
    };
    const runPublish = (n: number) =>
      timed(n, async () => {
        const res = await fetch(`${pipeline.url}/api/v0.1/events`, { method: 'POST', headers: publishHeaders, body: publishBody });
        if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      });

    // Warm both paths (connections, caches, the authorizer's answer).
    await runInbound(Math.min(200, options.requests));
    await runPublish(Math.min(200, options.requests));
    const runs = { inbound: [] as number[], publish: [] as number[] };
    for (let r = 0; r < options.runs; r++) {
      runs.publish.push(await runPublish(options.requests));
      await waitIdle(pipeline, 300);
      runs.inbound.push(await runInbound(options.requests));
      await waitIdle(pipeline, 300);
      log(`  run ${r + 1}: publish ${runs.publish.at(-1)!.toFixed(0)}/s, inbound ${runs.inbound.at(-1)!.toFixed(0)}/s`);
    }

    // The metered phase, then the inbound function's duration timed alone (one request after another).
    await waitIdle(pipeline, 1_000);
    pipeline.usage.reset();
    pipeline.calls.reset();
    const t0 = performance.now();
    await runInbound(options.costEvents);
    const seconds = (performance.now() - t0) / 1000;
    await waitIdle(pipeline, 1_000);
    const usage = pipeline.usage.snapshot();
    const secretsCalls = pipeline.calls.counts.get('SecretsManager.GetSecretValue') ?? 0;
    pipeline.usage.reset();
    const alone = inboundRequests(50);
    for (const r of alone)
      await fetch(`${pipeline.url}/inbound/stripe`, { method: 'POST', headers: r.headers, body: r.body }).then((x) => x.arrayBuffer());
    const inboundMs = median(pipeline.usage.snapshot().lambda.inbound.samples);

    // What each event keeps: its item and the item's copy in gsi1 (projection ALL), and its FORWARDED marker.
    const sample = await pipeline.inbound.list('stripe', { limit: 1 });
    const { dynamoItemBytes } = await import('../functions/domain/dynamodb-item-size.js');
    const item = sample.items[0]!;
    const itemBytes = dynamoItemBytes({
      pk: `INBOUND#stripe#${item.record.id}`,
      sk: 'EVENT',
      gsi1pk: 'x'.repeat(14),
      gsi1sk: 'x'.repeat(62),
      type: 'inbound_event',
      record: item.record,
      ttl: 1,
    });
    const markerBytes = dynamoItemBytes({
      pk: `INBOUND#stripe#${item.record.id}`,
      sk: 'FORWARDED',
      forwarded_time: item.record.receivedTime,
      entries: 1,
      ttl: 1,
    });
    const storedBytesPerEvent = 2 * (itemBytes + PRICES.dynamodb.itemOverheadBytes) + markerBytes + PRICES.dynamodb.itemOverheadBytes;

    const cost = priceInbound(
      { usage, events: options.costEvents, secretsCalls, seconds, inboundMs, storedBytesPerEvent, retentionDays: 30 },
      stack,
    );
    const inboundPerSecond = median(runs.inbound);
    const publishPerSecond = median(runs.publish);
    return {
      inboundPerSecond,
      publishPerSecond,
      ratio: inboundPerSecond / publishPerSecond,
      runs,
      cost,
      bodyBytes: Buffer.byteLength(inboundRequests(1)[0]!.body),
      inboundMs,
    };
  } finally {
    await p?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
