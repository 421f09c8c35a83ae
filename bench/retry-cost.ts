import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SENDER_BATCH_SIZE } from '../functions/domain/batching.js';
import {
  DEFAULT_DUE_BUCKET_SECONDS,
  DUE_INDEX_LAG_SECONDS,
  dueBucket,
  dueShards,
  LOT_FINAL_CHECK_SECONDS,
} from '../functions/domain/parking.js';
import { ACCOUNT_THROTTLE_ONLY, type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import type { UsageSnapshot } from '../local/usage-meter.js';
import {
  type CostLines,
  combineLines,
  DEFAULT_COST_ASSUMPTIONS,
  type LambdaDurations,
  type ParkingTouches,
  parkingTouches,
  priceUsage,
  sumLines,
} from './cost-model.js';
import { PRICES, SECONDS_PER_MONTH } from './prices.js';
import type { StackSettings } from './stack-settings.js';
import { median, pool, type ReceiverProcess, sleep, startReceiverProcess, waitIdle } from './support.js';

/**
 * What a failure costs (issue 17, "cost stays low"): one failed attempt and its wait, kept in
 * flight (a step of up to 5 minutes) or parked (longer: the due-time index and the resumer), a
 * delivery held in its subscription's open lot, and the resumer's fixed monthly cost. Measured on
 * the twin as differences between phases that differ only by the failure, each metered
 * (local/usage-meter.ts) and priced at bench/prices.ts:
 *
 * - A: every first attempt 2xx (the baseline);
 * - C: every first attempt answered 400, retried after 1 s in flight, then 2xx: C - A is a retried step in flight;
 * - B: the first two answered 400, the second wait 600 s parked (the clock moved past it, then one
 *   resumer run), then 2xx: B - C - the resumer's empty sweep of the same buckets is a parked step;
 * - E: the resumer's runs with nothing parked, one of many buckets and several of one: what a run
 *   and a bucket cost empty, subtracted above and priced a month at the stack's schedule;
 * - H (two sizes): a subscription whose endpoint answers 503 until its circuit opens and its lot
 *   holds everything, then answers again: one probe, one drain round, the lot's final check.
 *   Less the baseline and the empty sweeps, c(H) = L / H + D: D per held delivery, L per lot.
 *
 * The failing answers of A to B are 400s: a 4xx is retried but does not count against the
 * endpoint's circuit (delivery-plan.ts, endpointHealthy), so no lot opens there and each phase
 * prices the one thing it is about. Lambda time is the fan-out's and the sender's median
 * invocation timed alone where the caller gives it (the common path's: under the twin's load all
 * handlers share one process, and an invocation bills about ten times as long), the resumer's
 * runs as the meter billed them. X-Ray traces a failure adds are priced at the sampled rate (the
 * reservoir is spent on the common path).
 */

/** The twin's retry schedule here: a 1 s step kept in flight, a 600 s step parked (> IN_FLIGHT_WAIT_MAX_SECONDS). */
export const RETRY_COST_SCHEDULE = [1, 600] as const;

export interface MeteredPhase {
  name: string;
  deliveries: number;
  seconds: number;
  usage: UsageSnapshot;
  secretsCalls: number;
  /** The resumer runs the phase made, the buckets they swept, what they resumed and probed. */
  resumer: { runs: number; buckets: number; resumed: number; probes: number };
}

export interface RetryCostOptions {
  /** Deliveries of phases A, C and B. */
  deliveries: number;
  /** Held deliveries of the two lot phases. */
  heldSizes: readonly [number, number];
  /** One-bucket empty resumer runs (its fixed cost and run duration). */
  emptyRuns: number;
  data: Record<string, unknown>;
  publishConcurrency: number;
  warmupEvents: number;
  idleMs: number;
  timeoutMs: number;
  log: (line: string) => void;
}

/** A step's or a held delivery's price, line by line, USD per million, with the units behind it. */
export interface FailureFigure {
  perMillion: number;
  lines: CostLines;
  /** Units per step (or per held delivery): read and write units (index writes included), the due index's writes, SQS requests, invocations. */
  units: { readUnits: number; writeUnits: number; dueIndexWrites: number; sqsRequests: number; lambdaInvocations: number };
}

export interface ResumerMonthly {
  runsPerMonth: number;
  shards: number;
  runMs: number;
  lines: {
    'DynamoDB reads': number;
    'DynamoDB writes': number;
    'Lambda requests': number;
    'Lambda duration': number;
    'CloudWatch Logs': number;
  };
  total: number;
}

export interface ParkedWaitComparison {
  waitSeconds: number;
  /** USD per million parked waits beyond what a wait in flight costs, each design. */
  delayChain: { hops: number; perMillion: number };
  scheduler: { perMillion: number };
  dueIndex: { perMillion: number };
}

export interface RetryCostResult {
  phases: MeteredPhase[];
  inFlightStep: FailureFigure;
  parkedStep: FailureFigure;
  /** What a lot adds per held delivery (D) and per lot (L, USD: its opening, one probe, the drain round, the final check). */
  held: { perMillion: FailureFigure; perLot: number; atSizes: { held: number; perMillion: number }[] };
  /** What one resumer run and one swept bucket cost with nothing parked (USD, metered). */
  emptyResumer: {
    perRun: number;
    perBucket: number;
    runMs: number;
    perRunReadUnits: number;
    perBucketReadUnits: number;
    perBucketWriteUnits: number;
  };
  resumerMonthly: ResumerMonthly;
  /** The metered empty runs at the stack's schedule, to check the analytic figure against. */
  resumerMonthlyMetered: number;
  parkedWait12h: ParkedWaitComparison;
  /** What the baseline (every first attempt 2xx) touched of parking's design: all 0. */
  commonPathParking: ParkingTouches;
}

// --- arithmetic (test/unit/cost-model.test.ts checks it by hand) ---

/** Per million of `n`: USD lines divided by `n`, times a million. */
export function perMillionOf(lines: CostLines, n: number): CostLines {
  return combineLines([[lines, 1e6 / n]]);
}

/**
 * What one resumer run and one bucket cost with nothing parked, from a run of `many.buckets`
 * buckets and `few.runs` runs of about one bucket each: priced(few) = runs x R + buckets x B,
 * priced(many) = R + buckets x B.
 */
export function splitRunAndBucket(
  few: { lines: CostLines; runs: number; buckets: number },
  many: { lines: CostLines; runs: number; buckets: number },
): { perRun: CostLines; perBucket: CostLines } {
  // Per run of `few`: R + (few.buckets / few.runs) x B. `many` is one run: R + many.buckets x B.
  const fewPerRun = combineLines([[few.lines, 1 / few.runs]]);
  const manyPerRun = combineLines([[many.lines, 1 / many.runs]]);
  const db = many.buckets / many.runs - few.buckets / few.runs;
  const perBucket = combineLines([
    [manyPerRun, 1 / db],
    [fewPerRun, -1 / db],
  ]);
  const perRun = combineLines([
    [manyPerRun, 1],
    [perBucket, -many.buckets / many.runs],
  ]);
  return { perRun, perBucket };
}

/** c(h) = perLot / h + perHeld (USD per held delivery), solved from two lot sizes. */
export function splitPerLotAndHeld(a: { held: number; perDelivery: number }, b: { held: number; perDelivery: number }) {
  const perLot = (a.perDelivery - b.perDelivery) / (1 / a.held - 1 / b.held);
  return { perLot, perHeld: a.perDelivery - perLot / a.held };
}

/**
 * The resumer's fixed monthly cost at its schedule with nothing parked: each run reads its cursor
 * (strongly consistent), queries each of the bucket's index partitions (empty: the minimum, half
 * a unit each), writes its cursor, and is one invocation of `runMs` at `memoryMb` with its
 * platform and metrics log lines. The scheduled rule's own events are not priced (EventBridge
 * bills custom events and Scheduler invocations).
 */
export function resumerMonthlyCost(i: {
  everyMinutes: number;
  shards: number;
  emptyQueryReadUnits: number;
  cursorReadUnits: number;
  cursorWriteUnits: number;
  memoryMb: number;
  runMs: number;
  logBytesPerRun: number;
}): ResumerMonthly {
  const runs = SECONDS_PER_MONTH / 60 / i.everyMinutes;
  const p = PRICES;
  const lines = {
    'DynamoDB reads': runs * (i.shards * i.emptyQueryReadUnits + i.cursorReadUnits) * p.dynamodb.perReadRequestUnit,
    'DynamoDB writes': runs * i.cursorWriteUnits * p.dynamodb.perWriteRequestUnit,
    'Lambda requests': runs * p.lambda.perRequest,
    'Lambda duration': runs * (i.runMs / 1000) * (i.memoryMb / 1024) * p.lambda.perGbSecondArm,
    'CloudWatch Logs': ((runs * i.logBytesPerRun) / 1e9) * p.cloudWatch.logsIngestionPerGb,
  };
  return { runsPerMonth: runs, shards: i.shards, runMs: i.runMs, lines, total: Object.values(lines).reduce((n, x) => n + x, 0) };
}

/**
 * A parked wait of `waitSeconds` in the three designs issue 17 names, USD per million waits beyond
 * a wait in flight (one visibility change share, which SQS's in-flight quota rules out at scale);
 * what they share (the failed attempt's record write, the later receive, attempt and delete) is
 * left out:
 *
 * - a DelaySeconds re-send chain: SQS delays a message 15 minutes at most, so the wait is that
 *   many legs, each a fresh message (a SendMessageBatch share); each leg but the last ends in a
 *   receive, the sender's eventually consistent read of the record (is it still due?), a delete
 *   and a share of a sender invocation; the first leg's message replaces the visibility change,
 *   and the failed attempt's message is deleted;
 * - an EventBridge Scheduler one-time schedule per wait: one invocation and the SendMessage it
 *   makes (one message, unbatched); the failed attempt's message is deleted. Creating the
 *   schedule is not billed; the sender's time for that call (no batch API) is not counted;
 * - the due-time index swept every minute (ours): what the twin measured, a parked step less a
 *   step in flight (the index write and its removal, the resumer's reads and send, the delete).
 *
 * `batch`: messages per SendMessageBatch, receive and delete, and deliveries per sender invocation.
 */
export function parkedWaitAlternatives(i: {
  waitSeconds: number;
  batch: number;
  senderBatchMs: number;
  senderMemoryMb: number;
  /** Ours, measured: a parked step less a step in flight, USD per million. */
  dueIndexPerMillion: number;
}): ParkedWaitComparison {
  const p = PRICES;
  const share = 1 / i.batch;
  const visibility = share * p.sqs.perRequest;
  const legs = Math.ceil(i.waitSeconds / 900);
  const hop =
    share * p.sqs.perRequest + // receive
    0.5 * p.dynamodb.perReadRequestUnit + // the sender reads the record
    share * p.sqs.perRequest + // delete
    share * p.lambda.perRequest +
    share * (i.senderBatchMs / 1000) * (i.senderMemoryMb / 1024) * p.lambda.perGbSecondArm;
  const chain = legs * share * p.sqs.perRequest + (legs - 1) * hop + share * p.sqs.perRequest - visibility;
  const scheduler = p.eventBridge.schedulerPerInvocation + p.sqs.perRequest + share * p.sqs.perRequest - visibility;
  return {
    waitSeconds: i.waitSeconds,
    delayChain: { hops: legs, perMillion: chain * 1e6 },
    scheduler: { perMillion: scheduler * 1e6 },
    dueIndex: { perMillion: i.dueIndexPerMillion },
  };
}

function figureOf(lines: CostLines, u: UsageSnapshot, n: number): FailureFigure {
  const perMillion = perMillionOf(lines, n);
  const sqs = Object.values(u.sqs).reduce((a, b) => a + b, 0);
  const invocations = Object.values(u.lambda).reduce((a, l) => a + l.invocations, 0);
  return {
    perMillion: sumLines(perMillion),
    lines: perMillion,
    units: {
      readUnits: u.dynamodb.readUnits / n,
      writeUnits: (u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits) / n,
      dueIndexWrites: (u.dynamodb.indexWrites.gsi2?.writes ?? 0) / n,
      sqsRequests: sqs / n,
      lambdaInvocations: invocations / n,
    },
  };
}

/** Σ coefficient x usage over every counted number (samples left out): the units behind a difference of phases. */
export function combineUsage(terms: readonly (readonly [UsageSnapshot, number])[]): UsageSnapshot {
  const add = (into: Record<string, unknown>, from: Record<string, unknown>, k: number) => {
    for (const [key, v] of Object.entries(from)) {
      if (key === 'samples') continue;
      if (typeof v === 'number') into[key] = ((into[key] as number | undefined) ?? 0) + v * k;
      else if (v && typeof v === 'object') {
        into[key] ??= {};
        add(into[key] as Record<string, unknown>, v as Record<string, unknown>, k);
      }
    }
  };
  const out: Record<string, unknown> = {};
  for (const [u, k] of terms) add(out, u as unknown as Record<string, unknown>, k);
  for (const l of Object.values(out.lambda as Record<string, Record<string, unknown>>)) l.samples = [];
  return out as unknown as UsageSnapshot;
}

/**
 * Prices the measured phases (pure: the figures from what runRetryPhases metered).
 * `durations`: each function's invocation timed alone (the common path's medians) or 'billed';
 * by default every invocation as the meter billed it. The sender's also times the re-send
 * chain's hops (without it: the baseline phase's median, timed under load).
 */
export function priceFailures(
  phases: readonly MeteredPhase[],
  stack: StackSettings,
  options: { durations?: LambdaDurations } = {},
): Omit<RetryCostResult, 'phases'> {
  const durations = options.durations ?? 'billed';
  const of = (name: string) => {
    const p = phases.find((x) => x.name === name);
    if (!p) throw new Error(`no phase ${name}`);
    return p;
  };
  const price = (p: MeteredPhase) => priceUsage(p.usage, { secretsCalls: p.secretsCalls, seconds: 0, durations }, stack);
  const a = of('A');
  const c = of('C');
  const b = of('B');
  const eMany = of('E many buckets');
  const eFew = of('E one bucket');
  const { perRun, perBucket } = splitRunAndBucket(
    { lines: price(eFew), runs: eFew.resumer.runs, buckets: eFew.resumer.buckets },
    { lines: price(eMany), runs: eMany.resumer.runs, buckets: eMany.resumer.buckets },
  );
  // The same for the units behind them (reads and writes of an empty run and bucket).
  const emptyUnits = (p: MeteredPhase) => ({ r: p.usage.dynamodb.readUnits, w: p.usage.dynamodb.writeUnits });
  const few = emptyUnits(eFew);
  const many = emptyUnits(eMany);
  const db = eMany.resumer.buckets / eMany.resumer.runs - eFew.resumer.buckets / eFew.resumer.runs;
  const perBucketRead = (many.r / eMany.resumer.runs - few.r / eFew.resumer.runs) / db;
  const perBucketWrite = (many.w / eMany.resumer.runs - few.w / eFew.resumer.runs) / db;
  const usagePerBucket = combineUsage([
    [eMany.usage, 1 / eMany.resumer.runs / db],
    [eFew.usage, -1 / eFew.resumer.runs / db],
  ]);
  const usagePerRun = combineUsage([
    [eMany.usage, 1 / eMany.resumer.runs],
    [usagePerBucket, -eMany.resumer.buckets / eMany.resumer.runs],
  ]);
  /** What the resumer would have cost over the phase with nothing parked: its runs and buckets, empty. */
  const emptyResumerLines = (p: MeteredPhase) =>
    combineLines([
      [perRun, p.resumer.runs],
      [perBucket, p.resumer.buckets],
    ]);
  const emptyResumerUsage = (p: MeteredPhase) =>
    combineUsage([
      [usagePerRun, p.resumer.runs],
      [usagePerBucket, p.resumer.buckets],
    ]);

  const inFlightLines = combineLines([
    [price(c), 1],
    [price(a), -c.deliveries / a.deliveries],
  ]);
  const inFlightStep = figureOf(
    inFlightLines,
    combineUsage([
      [c.usage, 1],
      [a.usage, -c.deliveries / a.deliveries],
    ]),
    c.deliveries,
  );
  const parkedLines = combineLines([
    [price(b), 1],
    [price(c), -b.deliveries / c.deliveries],
    [emptyResumerLines(b), -1],
  ]);
  const parkedStep = figureOf(
    parkedLines,
    combineUsage([
      [b.usage, 1],
      [c.usage, -b.deliveries / c.deliveries],
      [emptyResumerUsage(b), -1],
    ]),
    b.deliveries,
  );

  const heldPhases = phases.filter((p) => p.name.startsWith('H'));
  const heldFigures = heldPhases.map((h) => {
    const lines = combineLines([
      [price(h), 1],
      [price(a), -h.deliveries / a.deliveries],
      [emptyResumerLines(h), -1],
    ]);
    const usage = combineUsage([
      [h.usage, 1],
      [a.usage, -h.deliveries / a.deliveries],
      [emptyResumerUsage(h), -1],
    ]);
    return { held: h.deliveries, lines, usage };
  });
  const [h1, h2] = heldFigures as [(typeof heldFigures)[number], (typeof heldFigures)[number]];
  // Line by line: D = (h2 x c(h2) - h1 x c(h1)) / (h2 - h1) per held delivery, L = h1 x (c(h1) - D).
  const perHeldLines = combineLines([
    [h2.lines, 1 / (h2.held - h1.held)],
    [h1.lines, -1 / (h2.held - h1.held)],
  ]);
  const perHeldUsage = combineUsage([
    [h2.usage, 1 / (h2.held - h1.held)],
    [h1.usage, -1 / (h2.held - h1.held)],
  ]);
  const perLot = splitPerLotAndHeld(
    { held: h1.held, perDelivery: sumLines(h1.lines) / h1.held },
    { held: h2.held, perDelivery: sumLines(h2.lines) / h2.held },
  ).perLot;

  const runMs = median(eFew.usage.lambda.resumer.samples.length ? eFew.usage.lambda.resumer.samples : [eFew.usage.lambda.resumer.billedMs]);
  const a0 = DEFAULT_COST_ASSUMPTIONS;
  const resumerMonthly = resumerMonthlyCost({
    everyMinutes: stack.resumerEveryMinutes,
    shards: dueShards(DEFAULT_DUE_BUCKET_SECONDS),
    emptyQueryReadUnits: 0.5,
    cursorReadUnits: 1,
    cursorWriteUnits: 1,
    memoryMb: stack.memoryMb.resumer,
    runMs,
    logBytesPerRun:
      a0.platformLogBytesPerInvocation +
      4 * a0.logEventOverheadBytes +
      (stack.emfBytesPerInvocation.resumer ?? 0) +
      a0.logEventOverheadBytes,
  });
  const runsPerMonth = SECONDS_PER_MONTH / 60 / stack.resumerEveryMinutes;
  const timedSender = durations === 'billed' ? 'billed' : durations.sender;
  const senderMs =
    timedSender !== 'billed' ? timedSender : median(a.usage.lambda.sender.samples.length ? a.usage.lambda.sender.samples : [0]);
  return {
    inFlightStep,
    parkedStep,
    held: {
      perMillion: figureOf(perHeldLines, perHeldUsage, 1),
      perLot,
      atSizes: heldFigures.map((h) => ({ held: h.held, perMillion: (sumLines(h.lines) / h.held) * 1e6 })),
    },
    emptyResumer: {
      perRun: sumLines(perRun),
      perBucket: sumLines(perBucket),
      runMs,
      perRunReadUnits: few.r / eFew.resumer.runs - perBucketRead * (eFew.resumer.buckets / eFew.resumer.runs),
      perBucketReadUnits: perBucketRead,
      perBucketWriteUnits: perBucketWrite,
    },
    resumerMonthly,
    resumerMonthlyMetered: runsPerMonth * (sumLines(perRun) + sumLines(perBucket)),
    parkedWait12h: parkedWaitAlternatives({
      waitSeconds: 12 * 3600,
      batch: SENDER_BATCH_SIZE,
      senderBatchMs: senderMs,
      senderMemoryMb: stack.memoryMb.sender,
      dueIndexPerMillion: parkedStep.perMillion - inFlightStep.perMillion,
    }),
    commonPathParking: parkingTouches(a.usage),
  };
}

// --- the twin ---

interface RetryReceiver extends ReceiverProcess {
  ok(): Promise<number>;
  mode(m: { failFirst?: number; failAll?: boolean; status?: number }): Promise<void>;
}

async function startRetryReceiver(): Promise<RetryReceiver> {
  const r = await startReceiverProcess('./retry-receiver.mjs');
  return {
    ...r,
    async ok() {
      return Number(await (await fetch(`${r.base}/__ok`)).text());
    },
    async mode(m) {
      const res = await fetch(`${r.base}/__mode`, { method: 'POST', body: JSON.stringify(m) });
      await res.arrayBuffer();
    },
  };
}

async function until(what: string, test: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs the phases on one pipeline (the stack's 60 s buckets, the resumer idle but for resumeNow, a clock it moves). */
export async function runRetryPhases(options: RetryCostOptions): Promise<MeteredPhase[]> {
  const { log } = options;
  const receiver = await startRetryReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-retry-cost-'));
  let offset = 0;
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({
      port: 0,
      dataDir,
      ...ACCOUNT_THROTTLE_ONLY,
      authorizerCacheTtlSeconds: 300,
      retrySchedule: RETRY_COST_SCHEDULE,
      clock: () => new Date(Date.now() + offset),
      dueBucketSeconds: DEFAULT_DUE_BUCKET_SECONDS,
      resumeIntervalMs: 3_600_000,
    });
    const p = pipeline;
    const clockMs = () => Date.now() + offset;
    /** Moves the clock just past the bucket `targetMs` falls in, with the index's lag: the next run sweeps it. */
    const sweepThrough = (targetMs: number) => {
      const due = (dueBucket(targetMs, DEFAULT_DUE_BUCKET_SECONDS) + DEFAULT_DUE_BUCKET_SECONDS + DUE_INDEX_LAG_SECONDS + 1) * 1000;
      offset += Math.max(0, due - clockMs());
    };
    const advance = (seconds: number) => {
      offset += seconds * 1000;
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(p.url + path, {
        method,
        headers: { Identity: p.credentials.identity, Authorization: p.credentials.authorization, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    let sequence = 0;
    const publish = (n: number) =>
      pool(n, options.publishConcurrency, async () => {
        const id = `evt_retry_${++sequence}`;
        await p.bus.publish(p.tenantId, { id, type: 'card.created', timestamp: new Date().toISOString(), data: options.data });
      });
    const count = (name: string) => p.metrics.counts.get(name) ?? 0;
    const idle = () => waitIdle(p, options.idleMs);
    const phases: MeteredPhase[] = [];

    /** A fresh subscription, warmed up (caches, secrets, connections) with 2xx answers; deleted after. */
    const withSubscription = async (run: () => Promise<Omit<MeteredPhase, 'usage' | 'secretsCalls' | 'seconds'>>) => {
      const created = await call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
      if (created.status !== 201) throw new Error(`create subscription answered ${created.status}`);
      const sub = created.json.webhook_subscription as { id: string };
      await receiver.mode({});
      const before = await receiver.ok();
      await publish(options.warmupEvents);
      await until('the warm-up', async () => (await receiver.ok()) >= before + options.warmupEvents, options.timeoutMs);
      await idle();
      p.usage.reset();
      p.calls.reset();
      const t0 = performance.now();
      const phase = await run();
      await idle();
      const seconds = (performance.now() - t0) / 1000;
      const calls = p.calls.snapshot();
      const secretsCalls = Object.entries(calls).reduce((n, [k, v]) => (k.startsWith('SecretsManager.') ? n + v : n), 0);
      const measured: MeteredPhase = { ...phase, seconds, usage: p.usage.snapshot(), secretsCalls };
      phases.push(measured);
      const del = await call('DELETE', `/api/v0.1/webhooks/${sub.id}`);
      if (del.status !== 200) throw new Error(`delete subscription answered ${del.status}`);
      await idle();
      const u = measured.usage;
      log(
        `  ${phase.name}: ${phase.deliveries} deliveries in ${seconds.toFixed(1)} s; ${(u.dynamodb.writeUnits + u.dynamodb.indexWriteUnits).toFixed(0)} WRU ` +
          `(${u.dynamodb.indexWrites.gsi2?.writes ?? 0} to gsi2), ${u.dynamodb.readUnits.toFixed(1)} RRU; SQS ${Object.values(u.sqs).reduce((a, b) => a + b, 0)}; ` +
          `sender ${u.lambda.sender.invocations}x, resumer ${u.lambda.resumer.invocations}x (${phase.resumer.buckets} buckets, ${phase.resumer.resumed} resumed)`,
      );
      return measured;
    };
    const noResumer = { runs: 0, buckets: 0, resumed: 0, probes: 0 };
    const resumer = { ...noResumer };
    const resume = async () => {
      // What it resumed from the metric: ResumeReport.resumed loses counts when shards finish at once.
      const resumedBefore = count('DeliveriesResumed');
      const r = await p.resumeNow();
      resumer.runs++;
      resumer.buckets += r.buckets;
      resumer.resumed += count('DeliveriesResumed') - resumedBefore;
      resumer.probes += r.probes;
      return r;
    };
    const resetResumer = () => Object.assign(resumer, noResumer);
    const n = options.deliveries;

    await withSubscription(async () => {
      const before = await receiver.ok();
      await publish(n);
      await until('A: every delivery', async () => (await receiver.ok()) >= before + n, options.timeoutMs);
      return { name: 'A', deliveries: n, resumer: { ...noResumer } };
    });

    await withSubscription(async () => {
      await receiver.mode({ failFirst: 1, status: 400 });
      const before = await receiver.ok();
      await publish(n);
      await until('C: every delivery, after one retry in flight', async () => (await receiver.ok()) >= before + n, options.timeoutMs);
      return { name: 'C', deliveries: n, resumer: { ...noResumer } };
    });

    await withSubscription(async () => {
      await receiver.mode({ failFirst: 2, status: 400 });
      resetResumer();
      const parked = count('DeliveryParked');
      const before = await receiver.ok();
      await publish(n);
      await until('B: every delivery parked', () => count('DeliveryParked') >= parked + n, options.timeoutMs);
      await idle();
      // Past the 600 s step (660 s with jitter): one resumer run sends them all.
      sweepThrough(clockMs() + RETRY_COST_SCHEDULE[1] * 1.1 * 1000);
      await resume();
      await until('B: every delivery, after its parked wait', async () => (await receiver.ok()) >= before + n, options.timeoutMs);
      return { name: 'B', deliveries: n, resumer: { ...resumer } };
    });

    // Nothing parked: one run over many buckets, then runs of one bucket each.
    await withSubscription(async () => {
      resetResumer();
      advance(800);
      await resume();
      return { name: 'E many buckets', deliveries: 0, resumer: { ...resumer } };
    });
    await withSubscription(async () => {
      resetResumer();
      for (let i = 0; i < options.emptyRuns; i++) {
        advance(60);
        await resume();
      }
      return { name: 'E one bucket', deliveries: 0, resumer: { ...resumer } };
    });

    for (const h of options.heldSizes) {
      await withSubscription(async () => {
        resetResumer();
        await receiver.mode({ failAll: true, status: 503 });
        const held = count('DeliveryHeld');
        const before = await receiver.ok();
        await publish(h);
        // Its circuit opens after a few 503s, its lot opens, and every delivery is held there.
        await until(`H ${h}: every delivery held`, () => count('DeliveryHeld') >= held + h, options.timeoutMs);
        await idle();
        await receiver.mode({});
        // The lot's first probe is due a step after it opened (1 s): the run after its bucket ends sends it.
        sweepThrough(clockMs() + RETRY_COST_SCHEDULE[0] * 1000);
        const probe = await resume();
        if (probe.probes !== 1) throw new Error(`H ${h}: the resumer sent ${probe.probes} probes`);
        await until(`H ${h}: the probe`, async () => (await receiver.ok()) >= before + 1, options.timeoutMs);
        await idle();
        // The probe answered: the lot drains from the next bucket, in one round (at most 1,200 a minute).
        sweepThrough(clockMs() + DEFAULT_DUE_BUCKET_SECONDS * 1000);
        await resume();
        await until(`H ${h}: every held delivery`, async () => (await receiver.ok()) >= before + h, options.timeoutMs);
        await idle();
        // The drained lot's final check (LOT_FINAL_CHECK_SECONDS after it closed), and its deletion.
        sweepThrough(clockMs() + LOT_FINAL_CHECK_SECONDS * 1000);
        await resume();
        return { name: `H ${h}`, deliveries: h, resumer: { ...resumer } };
      });
    }
    return phases;
  } finally {
    await pipeline?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
