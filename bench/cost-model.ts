import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { PUT_EVENTS_MAX_ENTRIES } from '../functions/domain/aws-limits.js';
import { SENDER_BATCH_SIZE } from '../functions/domain/batching.js';
import { dynamoItemBytes } from '../functions/domain/dynamodb-item-size.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.js';
import { LOCAL_TABLE, type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import type { LambdaName, UsageSnapshot } from '../local/usage-meter.js';
import { PRICES, PRICES_DATE, PRICES_REGION, SECONDS_PER_MONTH } from './prices.js';
import type { StackSettings } from './stack-settings.js';
import { AS_DEPLOYED, median, pool, startReceiverProcess, waitForDeliveries, waitIdle } from './support.js';

/**
 * The price of a million deliveries, from what local mode meters (local/usage-meter.ts) while it
 * delivers events at volume: DynamoDB capacity units as dynalite reports them, SQS and
 * EventBridge requests in their 64 KB billing chunks, Lambda invocations and the handlers'
 * measured durations at the stack's memory settings, API requests, log bytes and X-Ray traces,
 * at the list prices in bench/prices.ts. Storage is priced apart: it depends on how long history
 * is kept, not on the calls.
 */

export type PublishPath = 'api' | 'bus';

export interface CostPhase {
  path: PublishPath;
  subscriptions: number;
  events: number;
  deliveries: number;
  received: number;
  seconds: number;
  usage: UsageSnapshot;
  /** Our code's calls by operation (CallCounter): Secrets Manager is priced from these. */
  calls: Record<string, number>;
  /** Bytes the table grew by, each item counted as DynamoDB bills storage (its size + 100 bytes). */
  storageBytes: number;
  /**
   * Each function's median billed duration per invocation, measured with the pipeline otherwise
   * idle: in local mode every handler shares one process, so under load an invocation's wall time
   * includes the others' work, which a Lambda container would not wait for.
   */
  isolatedMs: Record<LambdaName, number>;
}

/** What the model assumes where local mode cannot measure; each is printed with the figures. */
export interface CostAssumptions {
  /** X-Ray's default sampling rule: the first request each second, then 5 % (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html). */
  xrayReservoirPerSecond: number;
  xrayRate: number;
  /** Lambda's START, END and REPORT lines (with the XRAY line) per invocation, text format. */
  platformLogBytesPerInvocation: number;
  /** CloudWatch Logs bills 26 bytes of metadata on every log event (https://aws.amazon.com/cloudwatch/pricing/). */
  logEventOverheadBytes: number;
  /** History is kept this long (the construct's `retentionDays`, 30 by default). */
  retentionDays: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  xrayReservoirPerSecond: 1,
  xrayRate: 0.05,
  platformLogBytesPerInvocation: 360,
  logEventOverheadBytes: 26,
  retentionDays: 30,
};

export type CostLine =
  | 'API Gateway requests'
  | 'API Gateway access logs'
  | 'EventBridge events'
  | 'SQS, our calls'
  | 'SQS, mappings and bus rule'
  | 'DynamoDB writes'
  | 'DynamoDB reads'
  | 'Lambda requests'
  | 'Lambda duration'
  | 'Secrets Manager'
  | 'CloudWatch Logs'
  | 'X-Ray traces';

export interface CostFigure {
  path: PublishPath;
  subscriptions: number;
  /** USD per million deliveries, all lines. */
  perMillion: number;
  lines: Record<CostLine, number>;
  /** USD per million deliveries kept `retentionDays`: storage and point-in-time recovery. */
  storagePerMillion: number;
  /** The units behind the money, per delivery. */
  perDelivery: {
    readUnits: number;
    writeUnits: number;
    sqsRequests: number;
    lambdaInvocations: number;
    lambdaMs: Record<LambdaName, number>;
    storageBytes: number;
  };
  /** What the phase touched of parking's design: all 0 on the common path. */
  parking: ParkingTouches;
  deliveriesPerSecond: number;
}

const GB = 1e9;

/**
 * How each function's Lambda duration is priced: a duration per invocation (a median timed alone),
 * or what the meter billed (each invocation's own time), for all functions or per function.
 */
export type LambdaDurations = Record<LambdaName, number | 'billed'> | 'billed';

export interface UsageContext {
  /** Secrets Manager calls (CallCounter's; the meter does not see the stand-in). */
  secretsCalls: number;
  /** Seconds the usage took: X-Ray records the first trace of each whole; 0 prices every trace at the sampled rate (a marginal). */
  seconds: number;
  durations: LambdaDurations;
}

/** What a usage costs, USD per line (not per delivery): the arithmetic behind priceCost and the cost of failures (bench/retry-cost.ts). */
export function priceUsage(
  u: UsageSnapshot,
  ctx: UsageContext,
  stack: StackSettings,
  a: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): Record<CostLine, number> {
  const p = PRICES;
  const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
  const sqsBy = (prefix: string) => sum(Object.entries(u.sqs).flatMap(([k, v]) => (k.startsWith(prefix) ? [v] : [])));
  const names = Object.keys(u.lambda) as LambdaName[];
  const invocations = sum(names.map((n) => u.lambda[n].invocations));
  const ms = (n: LambdaName) => {
    const d = ctx.durations === 'billed' ? 'billed' : ctx.durations[n];
    return d === 'billed' ? u.lambda[n].billedMs : u.lambda[n].invocations * d;
  };
  const gbSeconds = sum(names.map((n) => (ms(n) / 1000) * (stack.memoryMb[n] / 1024)));
  const logBytes =
    u.logBytes +
    u.logLines * a.logEventOverheadBytes +
    invocations * (a.platformLogBytesPerInvocation + 4 * a.logEventOverheadBytes) +
    sum(names.map((n) => u.lambda[n].invocations * (stack.emfBytesPerInvocation[n] ?? 0)));
  const accessLogBytes = u.apiRequests * (stack.accessLogBytes + a.logEventOverheadBytes);
  // One trace per API request (the gateway's, carrying the authorizer and the api function) and per
  // invocation of an SQS-triggered function that starts its own (X-Ray Active); a PassThrough one
  // only joins traces sampled upstream, which are billed once.
  const traces =
    u.apiRequests + (stack.traced.fanout ? u.lambda.fanout.invocations : 0) + (stack.traced.sender ? u.lambda.sender.invocations : 0);
  const reservoir = Math.max(0, Math.min(traces, a.xrayReservoirPerSecond * ctx.seconds));
  const tracesRecorded = reservoir + a.xrayRate * (traces - reservoir);
  return {
    'API Gateway requests': u.apiRequests * p.apiGateway.restPerRequest,
    'API Gateway access logs': (accessLogBytes / GB) * p.cloudWatch.logsIngestionPerGb,
    'EventBridge events': u.eventBridge.billedEvents * p.eventBridge.perCustomEvent,
    'SQS, our calls': sqsBy('by our code') * p.sqs.perRequest,
    'SQS, mappings and bus rule': sqsBy('by AWS') * p.sqs.perRequest,
    'DynamoDB writes': (u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits) * p.dynamodb.perWriteRequestUnit,
    'DynamoDB reads': u.dynamodb.readUnits * p.dynamodb.perReadRequestUnit,
    'Lambda requests': invocations * p.lambda.perRequest,
    'Lambda duration': gbSeconds * p.lambda.perGbSecondArm,
    'Secrets Manager': ctx.secretsCalls * p.secretsManager.perApiCall,
    'CloudWatch Logs': (logBytes / GB) * p.cloudWatch.logsIngestionPerGb,
    'X-Ray traces': tracesRecorded * p.xRay.perTraceRecorded,
  };
}

export type CostLines = Record<CostLine, number>;

/** Σ coefficient x lines, line by line: differences of priced usages (what a failure adds), scaled shares. */
export function combineLines(terms: readonly (readonly [CostLines, number])[]): CostLines {
  const out = Object.fromEntries(COST_LINES.map((l) => [l, 0])) as CostLines;
  for (const [lines, k] of terms) for (const l of COST_LINES) out[l] += lines[l] * k;
  return out;
}

export const COST_LINES: readonly CostLine[] = [
  'API Gateway requests',
  'API Gateway access logs',
  'EventBridge events',
  'SQS, our calls',
  'SQS, mappings and bus rule',
  'DynamoDB writes',
  'DynamoDB reads',
  'Lambda requests',
  'Lambda duration',
  'Secrets Manager',
  'CloudWatch Logs',
  'X-Ray traces',
];

export const sumLines = (lines: CostLines) => COST_LINES.reduce((n, l) => n + lines[l], 0);

/**
 * What parking's design touched: the due-time index, lots and their entries, the resumer's cursor,
 * the queue's in-flight gauge. On the common path (every first attempt 2xx) all of it is 0: the
 * sender reads a lot or the gauge only after a failure, and writes park keys only for a wait.
 */
export interface ParkingTouches {
  dueIndexWrites: number;
  dueIndexQueries: number;
  lotReads: number;
  lotWrites: number;
  lotEntryReads: number;
  lotEntryWrites: number;
  cursorCalls: number;
  queueGaugeReads: number;
}

export function parkingTouches(u: UsageSnapshot): ParkingTouches {
  const items = u.dynamodb.items;
  const count = (test: (op: string, kind: string) => boolean) =>
    Object.entries(items).reduce((n, [k, v]) => {
      const at = k.indexOf(' ');
      return test(k.slice(0, at), k.slice(at + 1)) ? n + v : n;
    }, 0);
  const reads = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
  return {
    dueIndexWrites: u.dynamodb.indexWrites.gsi2?.writes ?? 0,
    dueIndexQueries: count((op, kind) => op === 'Query' && kind === 'index gsi2'),
    lotReads: count((op, kind) => reads.has(op) && kind === 'lot'),
    lotWrites: count((op, kind) => !reads.has(op) && kind === 'lot'),
    lotEntryReads: count((op, kind) => reads.has(op) && (kind === 'lot entry' || kind === 'lot entries')),
    lotEntryWrites: count((op, kind) => !reads.has(op) && kind === 'lot entry'),
    cursorCalls: count((_op, kind) => kind === 'resumer cursor'),
    queueGaugeReads: u.sqs['by our code: GetQueueAttributes'] ?? 0,
  };
}

/** Prices one phase's usage, per million deliveries. */
export function priceCost(phase: CostPhase, stack: StackSettings, a: CostAssumptions = DEFAULT_COST_ASSUMPTIONS): CostFigure {
  const u = phase.usage;
  const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
  const sqsBy = (prefix: string) => sum(Object.entries(u.sqs).flatMap(([k, v]) => (k.startsWith(prefix) ? [v] : [])));
  const names = Object.keys(u.lambda) as LambdaName[];
  const invocations = sum(names.map((n) => u.lambda[n].invocations));
  const secretsCalls = sum(Object.entries(phase.calls).flatMap(([k, v]) => (k.startsWith('SecretsManager.') ? [v] : [])));
  const lines = priceUsage(u, { secretsCalls, seconds: phase.seconds, durations: phase.isolatedMs }, stack, a);
  const perMillion = (usd: number) => (usd / phase.deliveries) * 1e6;
  for (const k of Object.keys(lines) as CostLine[]) lines[k] = perMillion(lines[k]);
  const months = a.retentionDays / 30;
  const storagePerMillion = perMillion((phase.storageBytes / GB) * (PRICES.dynamodb.perGbMonth + PRICES.dynamodb.pitrPerGbMonth) * months);
  return {
    path: phase.path,
    subscriptions: phase.subscriptions,
    perMillion: sum(Object.values(lines)),
    lines,
    storagePerMillion,
    perDelivery: {
      readUnits: u.dynamodb.readUnits / phase.deliveries,
      writeUnits: (u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits) / phase.deliveries,
      sqsRequests: (sqsBy('by our code') + sqsBy('by AWS')) / phase.deliveries,
      lambdaInvocations: invocations / phase.deliveries,
      lambdaMs: Object.fromEntries(names.map((n) => [n, (u.lambda[n].invocations * phase.isolatedMs[n]) / phase.deliveries])) as Record<
        LambdaName,
        number
      >,
      storageBytes: phase.storageBytes / phase.deliveries,
    },
    parking: parkingTouches(u),
    deliveriesPerSecond: phase.deliveries / phase.seconds,
  };
}

export interface CostRunOptions {
  eventsPerPhase: (subscriptions: number) => number;
  warmupEvents: number;
  publishConcurrency: number;
  subscriptionCounts: readonly number[];
  /** The event's `data`: its size sets the message, event item and bus entry sizes. */
  data: Record<string, unknown>;
  idleMs: number;
  timeoutMs: number;
  /** Batches of ten events delivered one at a time, after each phase, to time the handlers alone. */
  durationRounds: number;
  log: (line: string) => void;
}

/** Delivers events through the local pipeline, API and bus, for each subscription count, metering each phase. */
export async function measureCostPhases(options: CostRunOptions): Promise<CostPhase[]> {
  const { log } = options;
  const receiver = await startReceiverProcess();
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-cost-'));
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({ port: 0, dataDir, ...AS_DEPLOYED });
    const p = pipeline;
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: p.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    );
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(p.url + path, {
        method,
        headers: { Identity: p.credentials.identity, Authorization: p.credentials.authorization, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    let sequence = 0;
    const publishOne = async (path: PublishPath) => {
      if (path === 'api') {
        const res = await call('POST', '/api/v0.1/events', { type: 'card.created', data: options.data });
        if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.json)}`);
      } else {
        // A producer's own PutEvents, straight on the bus.
        const id = `evt_cost_${++sequence}`;
        await p.bus.publish(p.tenantId, { id, type: 'card.created', timestamp: new Date().toISOString(), data: options.data });
      }
    };
    const publish = (path: PublishPath, n: number) => pool(n, options.publishConcurrency, () => publishOne(path));

    const phases: CostPhase[] = [];
    let subscriptions = 0;
    for (const s of options.subscriptionCounts) {
      while (subscriptions < s) {
        const res = await call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
        if (res.status !== 201) throw new Error(`create subscription answered ${res.status}: ${JSON.stringify(res.json)}`);
        subscriptions++;
      }
      for (const path of ['api', 'bus'] as const) {
        const events = options.eventsPerPhase(s);
        // Warm: caches filled, connections open, queues drained.
        let start = await receiver.count();
        await publish(path, options.warmupEvents);
        await waitForDeliveries(receiver, start + options.warmupEvents * s, options.timeoutMs);
        await waitIdle(p, options.idleMs);

        const bytesBefore = await tableBytes(doc);
        p.usage.reset();
        p.calls.reset();
        start = await receiver.count();
        const t0 = performance.now();
        await publish(path, events);
        const deliveries = events * s;
        await waitForDeliveries(receiver, start + deliveries, options.timeoutMs);
        const seconds = (performance.now() - t0) / 1000;
        await waitIdle(p, options.idleMs);
        const usage = withoutSamples(p.usage.snapshot());
        const calls = p.calls.snapshot();
        const storageBytes = (await tableBytes(doc)) - bytesBefore;

        // Durations with the pipeline otherwise idle: the API called one request after another,
        // the bus given ten events at once (a fan-out batch). The sender is timed on rounds of ten
        // deliveries (SENDER_BATCH_SIZE), one batch of its own: ten events to ten subscriptions would be ten batches
        // at once, sharing this process's two cores as Lambda's invocations never share theirs.
        const probe = async (eventsPerRound: number): Promise<Record<LambdaName, number>> => {
          p.usage.reset();
          for (let round = 0; round < options.durationRounds; round++) {
            const before = await receiver.count();
            if (path === 'api') for (let i = 0; i < eventsPerRound; i++) await publishOne(path);
            else await Promise.all(Array.from({ length: eventsPerRound }, () => publishOne(path)));
            await waitForDeliveries(receiver, before + eventsPerRound * s, options.timeoutMs);
            await waitIdle(p, 200);
          }
          const samples = p.usage.snapshot().lambda;
          return Object.fromEntries(
            (Object.keys(samples) as LambdaName[]).map((n) => [n, samples[n].samples.length ? median(samples[n].samples) : 0]),
          ) as Record<LambdaName, number>;
        };
        const whole = await probe(SENDER_BATCH_SIZE);
        const sender = s > 1 ? (await probe(Math.ceil(SENDER_BATCH_SIZE / s))).sender : whole.sender;
        const isolatedMs = { ...whole, sender };
        const phase: CostPhase = {
          path,
          subscriptions: s,
          events,
          deliveries,
          received: (await receiver.count()) - start,
          seconds,
          usage,
          calls,
          storageBytes,
          isolatedMs,
        };
        phases.push(phase);
        const u = phase.usage;
        const ms = (n: LambdaName) => `${n} ${u.lambda[n].invocations}x ${isolatedMs[n].toFixed(0)} ms`;
        log(
          `  ${path} S=${s}: ${deliveries} deliveries in ${seconds.toFixed(1)} s; DynamoDB ${(u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits).toFixed(0)} WRU ` +
            `(${u.dynamodb.indexWriteUnits} to the index), ${u.dynamodb.readUnits.toFixed(1)} RRU; lambda ${(Object.keys(u.lambda) as LambdaName[]).map(ms).join(', ')} (median alone)`,
        );
        log(
          `       SQS ${Object.entries(u.sqs)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}; EventBridge ${u.eventBridge.billedEvents}`,
        );
        const touched = Object.entries(parkingTouches(u)).filter(([, v]) => v > 0);
        log(
          touched.length === 0
            ? '       parking: no due-index write or query, no lot or lot-entry read or write, no cursor call, no GetQueueAttributes'
            : `       parking on the common path: ${touched.map(([k, v]) => `${k} ${v}`).join(', ')}`,
        );
      }
    }
    doc.destroy();
    return phases;
  } finally {
    await pipeline?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function withoutSamples(u: UsageSnapshot): UsageSnapshot {
  for (const l of Object.values(u.lambda)) l.samples = [];
  return u;
}

/** The whole table's billed storage: every item's size plus DynamoDB's 100 bytes of overhead. */
async function tableBytes(doc: DynamoDBDocumentClient): Promise<number> {
  let bytes = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: LOCAL_TABLE, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) bytes += dynamoItemBytes(item) + PRICES.dynamodb.itemOverheadBytes;
    start = page.LastEvaluatedKey;
  } while (start);
  return bytes;
}

export const PRICES_NOTE = `${PRICES_REGION} list prices of ${PRICES_DATE} (bench/prices.ts)`;

/**
 * A month's price from three measured points: what scales with events (the bus, the ingest
 * queue, the fan-out, the event's item) and what scales with deliveries (the delivery queue, the
 * sender, the delivery's item). With c(s) the price per million deliveries for events matching s
 * subscriptions, c(s) = perMillionEvents / s + perMillionDeliveries, solved from s = 2 and s = 10.
 * An event with one subscription has no item of its own (delivery-record.ts): its price per event
 * is what c(1) leaves after the deliveries' share.
 */
export function splitPerEventAndDelivery(
  s1: number,
  s2: number,
  s10: number,
): { perMillionEvents: number; perMillionEventsWithOneSubscription: number; perMillionDeliveries: number } {
  const perMillionEvents = (s2 - s10) / (1 / 2 - 1 / 10);
  const perMillionDeliveries = s10 - perMillionEvents / 10;
  return { perMillionEvents, perMillionEventsWithOneSubscription: s1 - perMillionDeliveries, perMillionDeliveries };
}

/**
 * What one delivery attempt puts through a NAT gateway with `staticSourceIps` (bytes, both
 * directions: the NAT bills what it processes either way). Its own POST and answer only: the
 * sender's DynamoDB and S3 calls take the free gateway endpoints (lib/constructs/egress.ts).
 */
export interface EgressBytes {
  /** The delivered body (the event as serialized: 260 bytes measured for 142 bytes of data, so about 300 for the bench's 180). */
  bodyBytes: number;
  /** Request line and headers: host, content-type, user-agent, the three webhook-* headers (324 bytes measured locally with a 15-character host), custom headers. */
  requestHeaderBytes: number;
  /** The receiver's status line, headers and body (the sender reads at most 4 KB of it). */
  responseBytes: number;
  /** TCP/IP headers, ACKs and TLS record framing around one exchange on an open connection. */
  framingBytes: number;
  /** A new connection's TCP and TLS 1.3 handshake, the server's certificate chain most of it. */
  handshakeBytes: number;
  /** Share of attempts that open a connection (1: none kept alive; the sender's pool keeps them per container and origin). */
  newConnectionShare: number;
}

export const DEFAULT_EGRESS_BYTES: EgressBytes = {
  bodyBytes: 300,
  requestHeaderBytes: 350,
  responseBytes: 300,
  framingBytes: 400,
  handshakeBytes: 6_000,
  newConnectionShare: 1,
};

export const natBytesPerAttempt = (b: EgressBytes = DEFAULT_EGRESS_BYTES) =>
  b.bodyBytes + b.requestHeaderBytes + b.responseBytes + b.framingBytes + b.newConnectionShare * b.handshakeBytes;

const HOURS_PER_MONTH = SECONDS_PER_MONTH / 3600;

/**
 * `staticSourceIps` a month: per zone a NAT gateway and its public IPv4 address every hour (no
 * interface endpoint: egress.ts says why), and every attempt's bytes through the NAT.
 */
export function staticSourceIpsMonthly(
  zones: number,
  attemptsPerMonth: number,
  bytes: EgressBytes = DEFAULT_EGRESS_BYTES,
): { perZone: number; fixed: number; processing: number; total: number; perMillionAttempts: number } {
  const p = PRICES.vpc;
  const perZone = HOURS_PER_MONTH * (p.natGatewayPerHour + p.publicIpv4PerHour);
  const perMillionAttempts = ((1e6 * natBytesPerAttempt(bytes)) / GB) * p.natPerGbProcessed;
  const processing = (attemptsPerMonth / 1e6) * perMillionAttempts;
  return { perZone, fixed: zones * perZone, processing, total: zones * perZone + processing, perMillionAttempts };
}

/** What interface endpoints for the VPC's SQS and Secrets Manager calls would add a month (the option egress.ts turns down). */
export const interfaceEndpointsMonthly = (zones: number, services: number) =>
  zones * services * HOURS_PER_MONTH * PRICES.vpc.interfaceEndpointPerHourPerZone;

/**
 * Operational events (functions/app/operational-events.ts) on the bill. Each is a small event
 * the sender puts on the bus at the end of its batch, the batch's notices together: a dead letter
 * costs a PutEvents of its own only when it is alone in its batch, at best a tenth of one
 * (SENDER_BATCH_SIZE, PutEvents' 10 entries). The calls matter for the account's PutEvents quota
 * (docs/aws-rules.md); the dollars do not depend on them, EventBridge bills the entries.
 */
export function putEventsPerDeadLetter(deadLettersPerBatch: number): number {
  const together = Math.max(1, Math.min(SENDER_BATCH_SIZE, PUT_EVENTS_MAX_ENTRIES, Math.floor(deadLettersPerBatch)));
  return 1 / together;
}

/**
 * USD per million dead letters for their `webhook.delivery.dead_lettered` notices: each is an
 * event on the bus (what splitPerEventAndDelivery calls the per-event price, the bus path's:
 * its entry, the rule's message to the ingest queue, the fan-out's look-up), delivered to each of
 * the tenant's `watchers` (subscriptions that take it) at the per-delivery price.
 */
export function deadLetterNoticeDollarsPerMillion(perMillionEvents: number, perMillionDeliveries: number, watchers: number): number {
  return perMillionEvents + Math.max(0, watchers) * perMillionDeliveries;
}
/** A function with `provisionedConcurrency`: its memory and how many environments are kept warm. */
export interface ProvisionedFunction {
  memoryMb: number;
  environments: number;
}

/**
 * `provisionedConcurrency` a month: every environment kept warm, its memory every second of the
 * month at the provisioned price, used or not (`fixed`); and what the warm environments serve
 * (`servedGbSeconds`: invocations' GB-seconds) at the lower duration price while provisioned,
 * against what the same would cost on demand. Requests cost the same either way; invocations past
 * the warm environments are on demand, cold starts included.
 */
export function provisionedConcurrencyMonthly(
  functions: readonly ProvisionedFunction[],
  servedGbSeconds = 0,
): { byFunction: number[]; fixed: number; servedDuration: number; onDemandDuration: number; total: number } {
  const p = PRICES.lambda;
  const byFunction = functions.map((f) => f.environments * (f.memoryMb / 1024) * SECONDS_PER_MONTH * p.provisionedPerGbSecondArm);
  const fixed = byFunction.reduce((a, b) => a + b, 0);
  const servedDuration = servedGbSeconds * p.provisionedDurationPerGbSecondArm;
  return { byFunction, fixed, servedDuration, onDemandDuration: servedGbSeconds * p.perGbSecondArm, total: fixed + servedDuration };
}

/**
 * The share of the month a warm environment must be busy for provisioned concurrency to cost no
 * more than on demand: its hourly price against what each busy second saves (60 % on arm64).
 */
export const provisionedBreakEvenUtilization = () =>
  PRICES.lambda.provisionedPerGbSecondArm / (PRICES.lambda.perGbSecondArm - PRICES.lambda.provisionedDurationPerGbSecondArm);

/** What a delivery over its rate limit adds to one that goes at once (functions/domain/rate-limit.ts). */
export interface RateLimitedDeliveryInput {
  /** Deliveries of the subscription a slot take serves (a batch's, at most SENDER_BATCH_SIZE; 1 for a sparse stream). */
  deliveriesPerTake: number;
  /** Resent messages per SendMessageBatch, and per receive and delete of the mapping (10 at a backlog, 1 for a sparse one). */
  messagesPerBatch: number;
  /** How many times it is sent again: 1, plus one per 15 minutes of wait past the first. */
  resends: number;
  /** Milliseconds it waits in the sender for its slot (up to RATE_SLEEP_MAX_MS: 500 on average), beside the rest of its batch. */
  sleepMs: number;
  senderMemoryMb: number;
}

/**
 * USD per million deliveries over their limit, beyond the same deliveries unlimited, analytically:
 * the slot take (one write unit, shared by a batch's deliveries), per resend a SendMessageBatch
 * share, the mapping's receive and delete shares of the fresh message and a sender invocation
 * share, and the sender's wait for the slot as Lambda duration (the instance is billed while it
 * sleeps). Every delivery of a limited subscription takes a slot, whether it waits or not.
 */
export function rateLimitedDeliveryCost(i: RateLimitedDeliveryInput): { perMillion: number; lines: Record<string, number> } {
  const p = PRICES;
  const m = 1_000_000;
  const lines = {
    'DynamoDB writes (the slot take)': (m / i.deliveriesPerTake) * p.dynamodb.perWriteRequestUnit,
    'SQS (send again, receive, delete)': ((3 * m * i.resends) / i.messagesPerBatch) * p.sqs.perRequest,
    'Lambda requests': ((m * i.resends) / i.messagesPerBatch) * p.lambda.perRequest,
    // A batch's deliveries wait at once: an invocation is billed for its longest wait.
    'Lambda duration (the wait for the slot)':
      (m / i.messagesPerBatch) * (i.sleepMs / 1000) * (i.senderMemoryMb / 1024) * p.lambda.perGbSecondArm,
  };
  return { perMillion: Object.values(lines).reduce((n, x) => n + x, 0), lines };
}
