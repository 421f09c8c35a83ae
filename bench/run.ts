/**
 * `npm run bench`: the pipeline's performance figures, each against a baseline measured in the
 * same run where there is one. Prints a table and writes bench/results.json. See bench/README.md.
 *
 * Options: --only=signing,sender,bundles,calls,cost,guarantees,isolation,portal,secrets,secret-calls,inbound,publish,cold-path,rate-limit  --concurrency=5  --runs=3  --quick  --out=<file>
 * With --only, the other sections' results already in the file are kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ApiPriceFigure, measureApiPrice } from './api-price.js';
import { AUTHORIZER_CALL, type CallsPhase, measureCalls, PUBLISH_CALL } from './aws-calls.js';
import { type BundlesResult, measureBundles } from './bundles.js';
import { type ColdPathFigure, measureColdPath } from './cold-path.js';
import {
  type CostFigure,
  DEFAULT_COST_ASSUMPTIONS,
  measureCostPhases,
  PRICES_NOTE,
  priceCost,
  rateLimitedDeliveryCost,
  splitPerEventAndDelivery,
} from './cost-model.js';
import { type DrainFigure, measureDrain } from './delivery-isolation.js';
import { type InboundFigure, measureInbound } from './inbound.js';
import {
  type DeadEndpointFigure,
  type IsolationFigure,
  measureDeadEndpoint,
  measureIsolationBeside,
  measureNoisyTenant,
  type NoisyTenantFigure,
} from './isolation-at-scale.js';
import { measurePortal, type PortalFigure } from './portal.js';
import { measurePublish, type PublishFigure } from './publish.js';
import { measureRateLimit, type RateLimitFigure } from './rate-limit.js';
import { measureSenderRates, type SenderRateFigure } from './rate-limit-senders.js';
import { type FailureFigure, priceFailures, RETRY_COST_SCHEDULE, type RetryCostResult, runRetryPhases } from './retry-cost.js';
import { measureSecretCalls, type SecretCallsFigure } from './secret-calls.js';
import { measureSecretCost, type SecretCostFigure } from './secret-cost.js';
import { measureSender, type SenderFigure } from './sender-throughput.js';
import { measureSigning, type SigningFigure } from './signing.js';
import { stackSettings } from './stack-settings.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=', 2);
    return [k!, v ?? 'true'] as const;
  }),
);
const SECTIONS = [
  'signing',
  'sender',
  'bundles',
  'calls',
  'cost',
  'guarantees',
  'isolation',
  'portal',
  'secrets',
  'secret-calls',
  'inbound',
  'publish',
  'cold-path',
  'rate-limit',
] as const;
/**
 * Rows no section writes any more, dropped from the results file by a partial run too: issue 8's
 * isolation figure (7 healthy endpoints alone, then beside 3 that never answer), replaced by the
 * isolation section's.
 */
const RETIRED_FIGURES = new Set(['Healthy deliveries/s with 30 % of endpoints timing out, vs alone']);
type Section = (typeof SECTIONS)[number];
const only = new Set((args.get('only') ?? SECTIONS.join(',')).split(',') as Section[]);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s}; known: ${SECTIONS.join(', ')}`);
const quick = args.has('quick');
const concurrency = Number(args.get('concurrency') ?? 5);
const runsEach = Number(args.get('runs') ?? (quick ? 3 : 5));
const out = args.get('out') ?? fileURLToPath(new URL('./results.json', import.meta.url));

const log = (line: string) => console.log(line);
const started = Date.now();

interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
  /** Compared with the target for information only (not the figure the target is set on). */
  informational?: boolean;
  /** The raw numbers behind the row. */
  numbers: Record<string, number>;
}
const rows: Row[] = [];
const results: {
  machine: Record<string, unknown>;
  options: Record<string, unknown>;
  figures: Row[];
  signing?: SigningFigure;
  sender?: SenderFigure;
  bundles?: BundlesResult;
  awsCalls?: CallsPhase[];
  portal?: PortalFigure;
  /** USD. `perSubscriptionMonth`: keeping one subscription's signing secrets a month, per storage. */
  cost?: {
    perSubscriptionMonth?: { perSubscription: number; envelope: number; model: SecretCostFigure };
    /** USD per million deliveries: events published through the API or put on the bus, 1 and 10 subscriptions. */
    perMillionDeliveries?: {
      api: { s1: number; s2: number; s10: number };
      bus: { s1: number; s2: number; s10: number };
      model: CostModelResult;
    };
    /** USD per million API requests, REST API (ours) against an HTTP API, each with the cached authorizer. */
    apiPerMillionRequests?: { rest: number; http: number; model: ApiPriceFigure };
    /** USD per million retried steps: a failed attempt and its wait, in flight (up to 5 minutes) or parked. */
    retriedStep?: { inFlight: FailureFigure; parked: FailureFigure };
    /** USD per million deliveries held in an open lot, and per lot (its opening, a probe, the drain, the final check). */
    heldDelivery?: { perMillion: FailureFigure; perLot: number; atSizes: { held: number; perMillion: number }[] };
    /** USD a month: the resumer's runs with nothing parked, at the stack's schedule. */
    resumerMonthly?: { analytic: number; metered: number; model: RetryCostResult['resumerMonthly'] };
    /** USD per million parked 12-hour waits beyond a wait in flight: our due-time index against the alternatives. */
    parkedWait12h?: RetryCostResult['parkedWait12h'];
    /** Everything behind the four above: the metered phases and what they were priced from. */
    failuresModel?: RetryCostResult & { schedule: readonly number[] };
  } & Record<string, unknown>;
  drain?: DrainFigure;
  deadEndpoint?: DeadEndpointFigure;
  noisyTenant?: { answeringAtOnce: NoisyTenantFigure; answeringInOneSecond: NoisyTenantFigure };
  isolation?: IsolationFigure;
  /** Secrets Manager calls per list request, and lists at the stage's limit against its quota. */
  secretCalls?: SecretCallsFigure;
  /** Inbound webhooks: requests a second through local mode against the publish API's, and USD per million on AWS. */
  inbound?: InboundFigure;
  publish?: PublishFigure;
  coldPath?: ColdPathFigure;
  /** Rate limits per subscription: received rate ÷ limit, an unlimited neighbour beside, the limit's cost. */
  rateLimit?: RateLimitFigure & { senders?: SenderRateFigure[]; model?: Record<string, ReturnType<typeof rateLimitedDeliveryCost>> };
  durationSeconds?: number;
} = {
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    platform: `${platform()} ${release()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  },
  options: { only: [...only], concurrency, runsEach, quick },
  figures: rows,
};

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const DRAIN_SCHEDULE_TEXT = '[1,1,2,2,4,4,8] s';

if (only.has('signing')) {
  log('Signing: ours (node:crypto) vs standardwebhooks Webhook#sign, ~1 KB body');
  const s = measureSigning({ runsEach, ms: quick ? 400 : 700, log });
  results.signing = s;
  rows.push({
    figure: `Signing, ${s.bodyBytes} B body (signatures/s)`,
    value: n0(s.ours),
    baseline: `${n0(s.theirs)} (standardwebhooks)`,
    ratio: s.ratio.toFixed(2),
    target: '>= 1.5',
    met: s.ratio >= 1.5,
    numbers: { ours: s.ours, standardwebhooks: s.theirs, ratio: s.ratio },
  });
}

if (only.has('sender')) {
  log(`Sender throughput: ${concurrency} batches of 10 in flight vs bare undici with ${concurrency * 10} requests in flight`);
  const s = await measureSender({
    concurrency,
    runsEach,
    // A fixed count per run for both; larger counts slow the sender down by themselves (its
    // in-memory store keeps every delivery and attempt, so the heap and GC work grow).
    seconds: quick ? 2 : 4,
    minCount: 5_000,
    maxCount: 20_000,
    warmup: quick ? 2_000 : 4_000,
    log,
  });
  results.sender = s;
  rows.push({
    figure: `Sender throughput, ${s.concurrency}x10 in flight (deliveries/s)`,
    value: n0(s.sender),
    baseline: `${n0(s.baseline)} (bare undici)`,
    ratio: s.ratio.toFixed(2),
    target: '>= 0.8',
    met: s.ratio >= 0.8,
    numbers: { sender: s.sender, baseline: s.baseline, ratio: s.ratio },
  });
}

if (only.has('bundles')) {
  log('Lambda bundles: esbuild as the CDK construct runs it; cold import in a fresh node');
  const b = await measureBundles({ spawns: 5, log });
  results.bundles = b;
  for (const x of b.bundles) {
    rows.push({
      figure: `Bundle ${x.handler}: index.mjs size`,
      value: `${(x.bytes / 1024).toFixed(0)} KiB (gzip ${(x.gzipBytes / 1024).toFixed(0)} KiB)`,
      baseline: '-',
      ratio: '-',
      target: '-',
      met: null,
      numbers: { bytes: x.bytes, gzipBytes: x.gzipBytes, mapBytes: x.mapBytes },
    });
    rows.push({
      figure: `Bundle ${x.handler}: module init (ms, median of ${b.spawns})`,
      value: `${x.initMs.toFixed(1)} (+${(x.initMs - b.emptyInitMs).toFixed(1)})`,
      baseline: `${b.emptyInitMs.toFixed(2)} (empty .mjs)`,
      ratio: `${(x.initMs / b.emptyInitMs).toFixed(0)}x`,
      target: '-',
      met: null,
      numbers: { initMs: x.initMs, emptyInitMs: b.emptyInitMs, differenceMs: x.initMs - b.emptyInitMs, ratio: x.initMs / b.emptyInitMs },
    });
    rows.push({
      figure: `Bundle ${x.handler}: module init CPU (ms, median of ${b.spawns})`,
      value: `${x.initCpuMs.toFixed(1)} (+${(x.initCpuMs - b.emptyInitCpuMs).toFixed(1)})`,
      baseline: `${b.emptyInitCpuMs.toFixed(2)} (empty .mjs)`,
      ratio: '-',
      target: '-',
      met: null,
      numbers: { initCpuMs: x.initCpuMs, emptyInitCpuMs: b.emptyInitCpuMs },
    });
  }
  // Issue 21: each function against its floor, its AWS SDK clients and commands alone (bench/sdk-floor.ts).
  const shipped = (h: string) => b.bundles.find((x) => x.handler === h)!;
  // The portal function imports no AWS SDK: its floor is an empty module, and it has no target.
  for (const f of b.floors.filter((f) => f.imports.length > 0)) {
    const x = shipped(f.handler);
    const cpu = x.initCpuMs / f.initCpuMs;
    const size = x.bytes / f.bytes;
    rows.push({
      figure: `Bundle ${f.handler}: init CPU ÷ its SDK floor (median of ${b.spawns})`,
      value: `${x.initCpuMs.toFixed(1)} ms`,
      baseline: `${f.initCpuMs.toFixed(1)} ms (floor)`,
      ratio: `${cpu.toFixed(2)}x`,
      target: '≤ 1.3x',
      met: cpu <= 1.3,
      numbers: { initCpuMs: x.initCpuMs, floorInitCpuMs: f.initCpuMs, ratio: cpu },
    });
    rows.push({
      figure: `Bundle ${f.handler}: size ÷ its SDK floor's`,
      value: `${(x.bytes / 1024).toFixed(0)} KiB`,
      baseline: `${(f.bytes / 1024).toFixed(0)} KiB (floor)`,
      ratio: `${size.toFixed(2)}x`,
      target: '≤ 1.3x',
      met: size <= 1.3,
      numbers: { bytes: x.bytes, floorBytes: f.bytes, ratio: size },
    });
  }
  const pair = ['authorizer', 'api'].map((h) => ({ x: shipped(h), f: b.floors.find((f) => f.handler === h)! }));
  const pairCpu = pair.reduce((t, p) => t + p.x.initCpuMs, 0);
  const pairFloor = pair.reduce((t, p) => t + p.f.initCpuMs, 0);
  rows.push({
    figure: "A tenant's first request: authorizer + api init CPU ÷ the sum of their floors",
    value: `${pairCpu.toFixed(1)} ms`,
    baseline: `${pairFloor.toFixed(1)} ms (floors)`,
    ratio: `${(pairCpu / pairFloor).toFixed(2)}x`,
    target: '≤ 1.3x',
    met: pairCpu / pairFloor <= 1.3,
    numbers: { initCpuMs: pairCpu, floorInitCpuMs: pairFloor, ratio: pairCpu / pairFloor },
  });
}

if (only.has('calls')) {
  log('AWS API calls per delivery in local mode at steady state');
  const phases = await measureCalls({
    events: quick ? 100 : 200,
    warmupEvents: 20,
    publishConcurrency: 8,
    // 2 as well: with 1 an event has no item of its own, so the price per event is fitted on 2 and 10.
    subscriptionCounts: [1, 2, 10],
    idleMs: 1_500,
    timeoutMs: 120_000,
    log,
  });
  results.awsCalls = phases;
  for (const p of phases) {
    const limit = p.subscriptions === 1 ? 1.5 : p.subscriptions === 10 ? 0.5 : undefined;
    rows.push({
      figure: `AWS calls/delivery, S=${p.subscriptions}, all calls`,
      value: p.perDelivery.toFixed(3),
      baseline: '-',
      ratio: '-',
      target: limit !== undefined ? `<= ${limit}` : '-',
      met: limit !== undefined ? p.perDelivery <= limit : null,
      numbers: { perDelivery: p.perDelivery, total: p.total, deliveries: p.deliveries },
    });
    rows.push({
      figure: `AWS calls/delivery, S=${p.subscriptions}, excluding ${PUBLISH_CALL}`,
      value: p.perDeliveryExcludingPublish.toFixed(3),
      baseline: '-',
      ratio: '-',
      target: '(info)',
      met: null,
      numbers: { perDelivery: p.perDeliveryExcludingPublish, publishCalls: p.byOperation[PUBLISH_CALL] ?? 0 },
    });
    rows.push({
      figure: `AWS calls/delivery, S=${p.subscriptions}, excluding authorizer ${AUTHORIZER_CALL} (cached on AWS)`,
      value: p.perDeliveryWithAuthorizerCached.toFixed(3),
      baseline: '-',
      ratio: '-',
      target: limit !== undefined ? `(<= ${limit})` : '-',
      met: limit !== undefined ? p.perDeliveryWithAuthorizerCached <= limit : null,
      informational: true,
      numbers: { perDelivery: p.perDeliveryWithAuthorizerCached, authorizerCalls: p.byOperation[AUTHORIZER_CALL] ?? 0 },
    });
  }
}

/** Targets per million deliveries (issue 11, then issue 17 with parking): events put on the bus. */
const COST_TARGETS: Record<string, number> = { 'bus.s1': 2.5, 'bus.s10': 1.15 };
interface CostModelResult {
  prices: string;
  assumptions: typeof DEFAULT_COST_ASSUMPTIONS;
  stack: ReturnType<typeof stackSettings>;
  event: { dataBytes: number };
  figures: CostFigure[];
  /** What scales with events and what with deliveries, from the 1- and 10-subscription figures. */
  split: Record<'api' | 'bus', ReturnType<typeof splitPerEventAndDelivery>>;
}

if (only.has('cost')) {
  log(`Cost per million deliveries: local mode metered, priced at ${PRICES_NOTE}`);
  const stack = stackSettings();
  const data = {
    card_id: 'card_2Q1xXfn4Yb8s3mR7',
    customer_id: 'cus_9Lk2Pq7Rt4Vw1Xy3',
    last4: '4242',
    brand: 'visa',
    currency: 'usd',
    created: '2026-11-30T17:00:00.000Z',
  };
  const phases = await measureCostPhases({
    eventsPerPhase: (s) => Math.round((quick ? 600 : 2_000) / Math.sqrt(s)),
    warmupEvents: 50,
    publishConcurrency: 16,
    // 2 as well: with 1 an event has no item of its own, so the price per event is fitted on 2 and 10.
    subscriptionCounts: [1, 2, 10],
    data,
    idleMs: 1_500,
    timeoutMs: 300_000,
    durationRounds: quick ? 10 : 25,
    log,
  });
  const figures = phases.map((p) => priceCost(p, stack));
  const key = (f: CostFigure) => `${f.path}.s${f.subscriptions}`;
  const of = (k: string) => Number(figures.find((f) => key(f) === k)!.perMillion.toFixed(4));
  results.cost = {
    ...results.cost,
    perMillionDeliveries: {
      api: { s1: of('api.s1'), s2: of('api.s2'), s10: of('api.s10') },
      bus: { s1: of('bus.s1'), s2: of('bus.s2'), s10: of('bus.s10') },
      model: {
        prices: PRICES_NOTE,
        assumptions: DEFAULT_COST_ASSUMPTIONS,
        stack,
        event: { dataBytes: JSON.stringify(data).length },
        figures,
        split: {
          api: splitPerEventAndDelivery(of('api.s1'), of('api.s2'), of('api.s10')),
          bus: splitPerEventAndDelivery(of('bus.s1'), of('bus.s2'), of('bus.s10')),
        },
      },
    },
  };
  for (const f of figures) {
    const target = COST_TARGETS[key(f)];
    rows.push({
      figure: `Cost, ${f.path === 'api' ? 'published through the API' : 'put on the bus'}, ${f.subscriptions} subscription${f.subscriptions > 1 ? 's' : ''} (USD per million deliveries)`,
      value: f.perMillion.toFixed(2),
      baseline: `${f.storagePerMillion.toFixed(2)} (storage, ${DEFAULT_COST_ASSUMPTIONS.retentionDays} days)`,
      ratio: '-',
      target: target !== undefined ? `<= ${target.toFixed(2)}` : '-',
      met: target !== undefined ? f.perMillion <= target : null,
      numbers: { perMillion: f.perMillion, storagePerMillion: f.storagePerMillion, ...f.lines },
    });
  }
  // Parking adds nothing to the common path: no due-index write or query, no lot, no cursor, no queue gauge.
  const touched = figures.flatMap((f) => Object.entries(f.parking).flatMap(([k, v]) => (v > 0 ? [`${key(f)} ${k} ${v}`] : [])));
  rows.push({
    figure: "Cost: parking's reads and writes on the common path (due index, lots, cursor, queue gauge; every phase)",
    value: String(touched.length),
    baseline: touched.length ? touched.join('; ') : '-',
    ratio: '-',
    target: '0',
    met: touched.length === 0,
    numbers: Object.fromEntries(figures.map((f) => [key(f), Object.values(f.parking).reduce((n, v) => n + v, 0)])),
  });

  log(
    `What a failure costs: local mode with the schedule [${RETRY_COST_SCHEDULE.join(', ')}] s, a clock moved past parked waits, the resumer on 60 s buckets`,
  );
  const retryPhases = await runRetryPhases({
    deliveries: quick ? 150 : 400,
    heldSizes: quick ? [40, 120] : [100, 400],
    emptyRuns: quick ? 3 : 6,
    data,
    publishConcurrency: 16,
    warmupEvents: 20,
    idleMs: 1_500,
    timeoutMs: 300_000,
    log,
  });
  // The fan-out and the sender at their invocations timed alone (the common path's, bus, 1 subscription), the resumer as billed.
  const alone = phases.find((p) => p.path === 'bus' && p.subscriptions === 1)!.isolatedMs;
  const failures = priceFailures(retryPhases, stack, { durations: { ...alone, resumer: 'billed' } });
  results.cost.retriedStep = { inFlight: failures.inFlightStep, parked: failures.parkedStep };
  results.cost.heldDelivery = failures.held;
  results.cost.resumerMonthly = {
    analytic: failures.resumerMonthly.total,
    metered: failures.resumerMonthlyMetered,
    model: failures.resumerMonthly,
  };
  results.cost.parkedWait12h = failures.parkedWait12h;
  results.cost.failuresModel = {
    ...failures,
    // Without each invocation's milliseconds (the figures keep what they were priced from).
    phases: retryPhases
      .map((p) => ({ ...p, usage: structuredClone(p.usage) }))
      .map((p) => {
        for (const l of Object.values(p.usage.lambda)) l.samples = [];
        return p;
      }),
    schedule: RETRY_COST_SCHEDULE,
  };
  const info = (figure: string, value: number, baseline: string, numbers: Record<string, number>) =>
    rows.push({ figure, value: value.toFixed(2), baseline, ratio: '-', target: '-', met: null, informational: true, numbers });
  info(
    'Cost of a retried step kept in flight, a failed attempt and its wait (USD per million steps)',
    failures.inFlightStep.perMillion,
    '-',
    {
      perMillion: failures.inFlightStep.perMillion,
      ...failures.inFlightStep.units,
    },
  );
  info(
    'Cost of a parked step: a failed attempt, its wait in the due-time index, the resume (USD per million steps)',
    failures.parkedStep.perMillion,
    `${failures.inFlightStep.perMillion.toFixed(2)} (in flight)`,
    { perMillion: failures.parkedStep.perMillion, ...failures.parkedStep.units },
  );
  info(
    'Cost of a delivery held in an open lot, drained once its endpoint answers (USD per million held deliveries)',
    failures.held.perMillion.perMillion,
    `+ $${(failures.held.perLot * 1e6).toFixed(2)} per million lots`,
    { perMillion: failures.held.perMillion.perMillion, perLot: failures.held.perLot, ...failures.held.perMillion.units },
  );
  info(
    "Resumer's fixed cost, one run a minute with nothing parked (USD a month)",
    failures.resumerMonthly.total,
    `${failures.resumerMonthlyMetered.toFixed(2)} (metered empty runs)`,
    {
      analytic: failures.resumerMonthly.total,
      metered: failures.resumerMonthlyMetered,
      runMs: failures.resumerMonthly.runMs,
    },
  );
  const w = failures.parkedWait12h;
  info(
    'A parked 12-hour wait beyond one in flight: due-time index (ours) (USD per million waits)',
    w.dueIndex.perMillion,
    `Scheduler ${w.scheduler.perMillion.toFixed(2)}, DelaySeconds chain ${w.delayChain.perMillion.toFixed(2)}`,
    {
      dueIndex: w.dueIndex.perMillion,
      scheduler: w.scheduler.perMillion,
      delayChain: w.delayChain.perMillion,
      chainHops: w.delayChain.hops,
    },
  );
  const units = (f: FailureFigure) =>
    `${f.units.writeUnits.toFixed(2)} WRU (${f.units.dueIndexWrites.toFixed(2)} gsi2), ${f.units.readUnits.toFixed(2)} RRU, ${f.units.sqsRequests.toFixed(2)} SQS, ${f.units.lambdaInvocations.toFixed(3)} invocations`;
  log('');
  log(`  retried step in flight    $${failures.inFlightStep.perMillion.toFixed(2)} per million: ${units(failures.inFlightStep)}`);
  log(`  parked step               $${failures.parkedStep.perMillion.toFixed(2)} per million: ${units(failures.parkedStep)}`);
  log(
    `  held delivery             $${failures.held.perMillion.perMillion.toFixed(2)} per million + $${(failures.held.perLot * 1e6).toFixed(2)} per million lots: ${units(failures.held.perMillion)}`,
  );
  log(
    `  resumer, fixed            $${failures.resumerMonthly.total.toFixed(3)} a month (${failures.resumerMonthly.runsPerMonth} runs of ${failures.resumerMonthly.runMs} ms; metered empty runs $${failures.resumerMonthlyMetered.toFixed(3)})`,
  );
  log(
    `  parked 12-hour wait       ours $${w.dueIndex.perMillion.toFixed(2)}, Scheduler $${w.scheduler.perMillion.toFixed(2)}, DelaySeconds chain of ${w.delayChain.hops} $${w.delayChain.perMillion.toFixed(2)} per million waits beyond one in flight`,
  );
  log('');

  const api = await measureApiPrice();
  results.cost.apiPerMillionRequests = { rest: api.perMillionRequests.rest, http: api.perMillionRequests.http, model: api };
  rows.push({
    figure: 'API price, REST API with its cached authorizer (USD per million requests)',
    value: api.perMillionRequests.rest.toFixed(2),
    baseline: `${api.perMillionRequests.http.toFixed(2)} (HTTP API)`,
    ratio: (api.perMillionRequests.rest / api.perMillionRequests.http).toFixed(2),
    target: '-',
    met: null,
    numbers: { rest: api.perMillionRequests.rest, http: api.perMillionRequests.http, authorizerBilledMs: api.authorizer.billedMs },
  });
  log('');
  const lines = Object.keys(figures[0]!.lines) as (keyof CostFigure['lines'])[];
  const cols = figures.map(key);
  log(`  ${'USD per million deliveries'.padEnd(28)}${cols.map((c) => c.padStart(10)).join('')}`);
  for (const l of lines) log(`  ${l.padEnd(28)}${figures.map((f) => f.lines[l].toFixed(3).padStart(10)).join('')}`);
  log(`  ${'total'.padEnd(28)}${figures.map((f) => f.perMillion.toFixed(3).padStart(10)).join('')}`);
  log(`  ${'storage, 30 days'.padEnd(28)}${figures.map((f) => f.storagePerMillion.toFixed(3).padStart(10)).join('')}`);
  log(
    `  ${'WRU / RRU per delivery'.padEnd(28)}${figures.map((f) => `${f.perDelivery.writeUnits.toFixed(2)}/${f.perDelivery.readUnits.toFixed(2)}`.padStart(10)).join('')}`,
  );
  log(`  ${'deliveries/s measured'.padEnd(28)}${figures.map((f) => f.deliveriesPerSecond.toFixed(0).padStart(10)).join('')}`);
  for (const path of ['api', 'bus'] as const) {
    const x = results.cost.perMillionDeliveries!.model.split[path];
    log(
      `  ${path}: a month costs about $${x.perMillionEvents.toFixed(2)} per million events ($${x.perMillionEventsWithOneSubscription.toFixed(2)} with one subscription) + $${x.perMillionDeliveries.toFixed(2)} per million deliveries`,
    );
  }
}

if (only.has('portal')) {
  log('Tenant portal: JS+CSS gzipped; portal link to subscription list in headless Chromium, local mode');
  const p = await measurePortal({ runs: runsEach, subscriptions: 20, log });
  results.portal = p;
  const kib = (p.jsGzipBytes + p.cssGzipBytes) / 1024;
  rows.push({
    figure: 'Portal JS+CSS, gzipped (KiB)',
    value: kib.toFixed(1),
    baseline: '-',
    ratio: '-',
    target: '<= 100',
    met: kib <= 100,
    numbers: { jsGzipBytes: p.jsGzipBytes, cssGzipBytes: p.cssGzipBytes },
  });
  rows.push({
    figure: `Portal link to first list, ${p.subscriptions} subscriptions (ms, median of ${p.runs})`,
    value: p.loadToListMs.toFixed(0),
    baseline: `${p.apiListMs.toFixed(1)} (the list API call alone)`,
    ratio: `${(p.loadToListMs / p.apiListMs).toFixed(0)}x`,
    target: '-',
    met: null,
    numbers: { loadToListMs: p.loadToListMs, apiListMs: p.apiListMs },
  });
}

if (only.has('secrets')) {
  log('Signing secret storage: monthly cost per subscription at list prices (bench/prices.ts)');
  const c = await measureSecretCost();
  const usd = (x: number) => Number(x.toFixed(6));
  results.cost = {
    ...results.cost,
    perSubscriptionMonth: { perSubscription: usd(c.perSubscription), envelope: usd(c.envelope), model: c },
  };
  const at = `${c.assumptions.subscriptions.toLocaleString('en-US')} subscriptions, ${c.assumptions.readsPerSubscription.toLocaleString('en-US')} reads each`;
  rows.push({
    figure: `Secrets, envelope, USD per subscription-month (${at})`,
    value: c.envelope.toFixed(4),
    baseline: `${c.perSubscription.toFixed(4)} (per-subscription)`,
    ratio: (c.perSubscription / c.envelope).toFixed(0),
    target: '<= 0.01',
    met: c.envelope <= 0.01,
    numbers: { envelope: c.envelope, perSubscription: c.perSubscription, sealedItemBytes: c.sealedItemBytes },
  });
}

if (only.has('secret-calls')) {
  log("Secrets Manager calls per list request in local mode (one BatchGetSecretValue per 20 secrets, the account's 100 a second)");
  const f = await measureSecretCalls({ subscriptions: 1_000, burstSeconds: quick ? 2 : 5, log });
  results.secretCalls = f;
  const n = f.subscriptions.toLocaleString('en-US');
  const label: Record<'v01Page' | 'v0All', string> = { v01Page: 'v0.1 page of 100', v0All: `v0 list of all ${n}` };
  for (const path of ['v01Page', 'v0All'] as const) {
    const ours = f.perListRequest.ours[path];
    const base = f.perListRequest.baseline[path];
    const perCall = Math.ceil((path === 'v01Page' ? 100 : f.subscriptions) / 20);
    rows.push({
      figure: `Secrets Manager calls per list request, ${label[path]}, cold container`,
      value: String(ours.cold),
      baseline: `${base.cold} (no cache)`,
      ratio: (ours.cold / base.cold).toFixed(2),
      target: `<= ${perCall} (one per 20 secrets)`,
      met: ours.cold <= perCall,
      numbers: { ours: ours.cold, baseline: base.cold, sustainedListsPerSecond: f.sustainedColdListsPerSecond[path] },
    });
    rows.push({
      figure: `Secrets Manager calls per list request, ${label[path]}, warm container`,
      value: String(ours.warm),
      baseline: `${base.warm} (no cache)`,
      ratio: (ours.warm / base.warm).toFixed(2),
      target: '0',
      met: ours.warm === 0,
      numbers: { ours: ours.warm, baseline: base.warm },
    });
    rows.push({
      figure: `Secrets Manager calls per list request, ${label[path]}, envelope storage, cold / warm`,
      value: `${f.perListRequest.envelope[path].cold} / ${f.perListRequest.envelope[path].warm}`,
      baseline: '-',
      ratio: '-',
      target: '(info)',
      met: null,
      numbers: { cold: f.perListRequest.envelope[path].cold, warm: f.perListRequest.envelope[path].warm },
    });
  }
  rows.push({
    figure: 'Secrets Manager calls, v0.1 page of 100 right after a rotation in the same container',
    value: String(f.afterRotation),
    baseline: '-',
    ratio: '-',
    target: '0',
    met: f.afterRotation === 0,
    numbers: { calls: f.afterRotation },
  });
  const b = f.burst;
  const answered = Object.entries(b.statuses)
    .map(([status, count]) => `${count} x ${status}`)
    .join(', ');
  rows.push({
    figure: `Cold lists (v0.1 page, no cache) at ${b.requestsPerSecond}/s for ${b.seconds} s: BatchGetSecretValue in the busiest second`,
    value: String(b.peakBatchGetPerSecond),
    baseline: `${f.quotaPerSecond} (quota)`,
    ratio: (b.peakBatchGetPerSecond / f.quotaPerSecond).toFixed(2),
    target: `<= ${f.quotaPerSecond}, none throttled`,
    met: b.peakBatchGetPerSecond <= f.quotaPerSecond && b.throttled === 0,
    numbers: { peak: b.peakBatchGetPerSecond, throttled: b.throttled, calls: b.batchGetCalls },
  });
  rows.push({
    figure: `... answered (Retry-After ${b.retryAfter.join(', ') || '-'})`,
    value: answered,
    baseline: '-',
    ratio: '-',
    target: '200 or 503 with Retry-After',
    met: Object.keys(b.statuses).every((s) => s === '200' || s === '503'),
    numbers: Object.fromEntries(Object.entries(b.statuses).map(([k, v]) => [`status${k}`, v])),
  });
}

if (only.has('guarantees')) {
  const events = quick ? 300 : 1000;
  log(`Drain on local mode: ${events * 10} deliveries, 30 % of receivers failing, slow or resetting, schedule ${DRAIN_SCHEDULE_TEXT}`);
  const d = await measureDrain({ events, timeoutMs: 900_000, log });
  results.drain = d;
  rows.push({
    figure: `Drain of ${n0(d.deliveries)} deliveries, 30 % bad receivers (s)`,
    value: d.seconds.toFixed(1),
    baseline: '-',
    ratio: '-',
    target: '-',
    met: null,
    numbers: {
      seconds: d.seconds,
      delivered: d.delivered,
      deadLettered: d.deadLettered,
      deadLetteredCounted: d.deadLetteredCounted,
      deferred: d.deferred,
    },
  });
  rows.push({
    figure: 'Drain: deliveries lost',
    value: String(d.lost),
    baseline: '-',
    ratio: '-',
    target: '0',
    met: d.lost === 0,
    numbers: { lost: d.lost },
  });
  rows.push({
    figure: 'Drain: deliveries acknowledged twice (%)',
    value: (d.duplicatedRatio * 100).toFixed(3),
    baseline: '-',
    ratio: '-',
    target: '<= 0.1',
    met: d.duplicatedRatio <= 0.001,
    numbers: { duplicated: d.duplicated, ratio: d.duplicatedRatio },
  });
}

if (only.has('isolation')) {
  const cap = 3_000;
  const budget = 1_500;
  const outageSeconds = quick ? 60 : 180;
  log(
    `Dead endpoint on local mode (60 s due-time buckets, the resumer once a minute): in-flight cap ${n0(cap)}, budget ${n0(budget)}; 10 events/s to an endpoint down ${outageSeconds} s (503, then no answer) beside a healthy tenant's 10/s`,
  );
  const d = await measureDeadEndpoint({
    inFlightCap: cap,
    inFlightBudget: budget,
    healthyPerSecond: 10,
    deadPerSecond: 10,
    baselineSeconds: quick ? 20 : 60,
    controlSeconds: quick ? 20 : 60,
    outageSeconds,
    timeoutMs: 900_000,
    log,
  });
  results.deadEndpoint = d;
  rows.push({
    figure: 'Dead endpoint under load: peak delivery-queue in flight / in-flight budget',
    value: `${n0(d.peakInFlight)} of ${n0(d.inFlightBudget)}`,
    baseline: `${n0(d.peakInFlightBaseline)} (healthy load alone)`,
    ratio: d.peakInFlightRatio.toFixed(3),
    target: '<= 0.5',
    met: d.peakInFlightRatio <= 0.5,
    numbers: { peakInFlight: d.peakInFlight, inFlightBudget: d.inFlightBudget, ratio: d.peakInFlightRatio, inFlightCap: d.inFlightCap },
  });
  rows.push({
    figure: "Dead endpoint: a healthy tenant's p99 publish-to-receipt during the outage (ms)",
    value: `${d.healthyOutage.p99Ms.toFixed(0)} (+${(d.healthyOutage.p99Ms - d.healthyBaseline.p99Ms).toFixed(0)})`,
    baseline: `${d.healthyBaseline.p99Ms.toFixed(0)} (same load, no dead endpoint)`,
    ratio: d.p99Ratio.toFixed(2),
    target: '<= 1.5',
    met: d.p99Ratio <= 1.5,
    numbers: {
      p99Ms: d.healthyOutage.p99Ms,
      baselineP99Ms: d.healthyBaseline.p99Ms,
      ratio: d.p99Ratio,
      p50Ms: d.healthyOutage.p50Ms,
      baselineP50Ms: d.healthyBaseline.p50Ms,
    },
  });
  rows.push({
    figure: "Dead endpoint (control): the healthy tenant's p99 beside the same stream to an endpoint that answers (ms)",
    value: `${d.healthyControl.p99Ms.toFixed(0)} (+${(d.healthyControl.p99Ms - d.healthyBaseline.p99Ms).toFixed(0)})`,
    baseline: `${d.healthyBaseline.p99Ms.toFixed(0)} (same load, no dead endpoint)`,
    ratio: d.controlP99Ratio.toFixed(2),
    target: '(<= 1.5)',
    met: d.controlP99Ratio <= 1.5,
    informational: true,
    numbers: {
      p99Ms: d.healthyControl.p99Ms,
      baselineP99Ms: d.healthyBaseline.p99Ms,
      ratio: d.controlP99Ratio,
      outageToControl: d.outageToControlP99Ratio,
    },
  });
  rows.push({
    figure: "Dead endpoint: the healthy tenant's p99 while the held deliveries drain (ms)",
    value: `${d.healthyDrain.p99Ms.toFixed(0)} (+${(d.healthyDrain.p99Ms - d.healthyBaseline.p99Ms).toFixed(0)})`,
    baseline: `${d.healthyBaseline.p99Ms.toFixed(0)} (same load, no dead endpoint)`,
    ratio: (d.healthyDrain.p99Ms / d.healthyBaseline.p99Ms).toFixed(2),
    target: '(<= 1.5)',
    met: d.healthyDrain.p99Ms / d.healthyBaseline.p99Ms <= 1.5,
    informational: true,
    numbers: { p99Ms: d.healthyDrain.p99Ms, baselineP99Ms: d.healthyBaseline.p99Ms, maxMs: d.healthyDrain.maxMs },
  });
  rows.push({
    figure: 'Dead endpoint: from its recovery to the last held delivery received (s)',
    value: d.recoverySeconds.toFixed(0),
    baseline: `${d.firstAnswerSeconds.toFixed(0)} (to the probe's 2xx)`,
    ratio: '-',
    target: '-',
    met: null,
    numbers: {
      recoverySeconds: d.recoverySeconds,
      firstAnswerSeconds: d.firstAnswerSeconds,
      drainStartSeconds: d.drainStartSeconds,
      waitingAtRecovery: d.waitingAtRecovery,
    },
  });
  rows.push({
    figure: 'Dead endpoint: deliveries lost',
    value: String(d.lost),
    baseline: '-',
    ratio: '-',
    target: '0',
    met: d.lost === 0,
    numbers: { lost: d.lost, deadEvents: d.deadEvents },
  });
  rows.push({
    figure: 'Dead endpoint: deliveries received twice (%)',
    value: (d.duplicatedRatio * 100).toFixed(3),
    baseline: '-',
    ratio: '-',
    target: '<= 0.1',
    met: d.duplicatedRatio <= 0.001,
    numbers: { duplicated: d.duplicated, ratio: d.duplicatedRatio },
  });

  const noisyOptions = { noisyEvents: 1_000, noisySubscriptions: 10, quietPerSecond: 10, aloneSeconds: quick ? 15 : 30, log };
  log('Noisy tenant on local mode: 1,000 events x 10 subscriptions put on the bus, and a quiet tenant 10 events/s through the API');
  log('  the noisy receivers answer at once; the quiet load starts right after the noisy events, until they are delivered:');
  const atOnce = await measureNoisyTenant({ ...noisyOptions, noisyAnswerMs: 0, quietStartsOnceQueued: false, withNoisyMaxSeconds: 120 });
  log('  the noisy receivers answer after 1 s; the quiet load starts once the 10,000 are on the delivery queue:');
  const slow = await measureNoisyTenant({
    ...noisyOptions,
    noisyAnswerMs: 1_000,
    quietStartsOnceQueued: true,
    withNoisyMaxSeconds: quick ? 20 : 30,
  });
  results.noisyTenant = { answeringAtOnce: atOnce, answeringInOneSecond: slow };
  for (const [n, label, informational] of [
    [atOnce, 'put on the bus just before, its receivers answering at once', false],
    [slow, 'all in the delivery queue first, its receivers answering after 1 s', true],
  ] as const) {
    for (const [q, limit] of [
      ['p50', 2],
      ['p99', 3],
    ] as const) {
      const value = q === 'p50' ? n.withNoisy.p50Ms : n.withNoisy.p99Ms;
      const alone = q === 'p50' ? n.alone.p50Ms : n.alone.p99Ms;
      const ratio = value / alone;
      rows.push({
        figure: `Noisy tenant, ${n0(n.noisyDeliveries)} deliveries ${label}: quiet tenant's ${q} publish-to-receipt (ms)`,
        value: value.toFixed(0),
        baseline: `${alone.toFixed(0)} (the quiet load alone)`,
        ratio: ratio.toFixed(2),
        target: informational ? `(<= ${limit})` : `<= ${limit}`,
        met: ratio <= limit,
        ...(informational ? { informational } : {}),
        numbers: {
          [`${q}Ms`]: value,
          [`alone${q.toUpperCase()}Ms`]: alone,
          ratio,
          noisyDelivered: n.noisyDelivered,
          withNoisySeconds: n.withNoisySeconds,
        },
      });
    }
  }

  log('Isolation on local mode: 7 healthy endpoints beside 3 that never answer (5 s attempt timeout), against beside 3 healthy ones');
  const iso = await measureIsolationBeside({ events: quick ? 200 : 600, runs: quick ? 1 : 3, log });
  results.isolation = iso;
  rows.push({
    figure: "7 healthy endpoints' deliveries/s beside 3 that never answer, vs beside 3 healthy",
    value: n0(iso.besideHangingPerSecond),
    baseline: `${n0(iso.besideHealthyPerSecond)} (beside 3 healthy)`,
    ratio: iso.ratio.toFixed(2),
    target: '>= 0.9',
    met: iso.ratio >= 0.9,
    numbers: {
      besideHanging: iso.besideHangingPerSecond,
      besideHealthy: iso.besideHealthyPerSecond,
      ratio: iso.ratio,
      hangingPosts: iso.hangingPosts,
    },
  });
}

if (only.has('inbound')) {
  log('Inbound webhooks: Stripe-signed requests through local mode vs publish API requests, alternating; USD per million on AWS');
  const f = await measureInbound(
    { requests: quick ? 300 : 1_000, concurrency: 8, runs: quick ? 2 : 3, bodyBytes: 1_000, costEvents: quick ? 300 : 1_000, log },
    stackSettings(),
  );
  results.inbound = f;
  rows.push({
    figure: `Inbound requests/s through local mode (${f.bodyBytes} B Stripe events, 8 in flight)`,
    value: n0(f.inboundPerSecond),
    baseline: `${n0(f.publishPerSecond)} (publish API)`,
    ratio: f.ratio.toFixed(2),
    target: '(reported)',
    met: null,
    numbers: { inbound: f.inboundPerSecond, publish: f.publishPerSecond, ratio: f.ratio },
  });
  rows.push({
    figure: 'Cost, inbound webhooks (USD per million events received, verified, stored and put on the bus)',
    value: f.cost.perMillion.toFixed(2),
    baseline: `${f.cost.storagePerMillion.toFixed(2)} (storage, 30 days)`,
    ratio: '-',
    target: '(reported)',
    met: null,
    numbers: { perMillion: f.cost.perMillion, storagePerMillion: f.cost.storagePerMillion, inboundMs: f.inboundMs, ...f.cost.lines },
  });
}

if (only.has('publish')) {
  log('Publish route: local mode with 20 clients vs a bare loopback HTTP server answering the same requests');
  const f = await measurePublish({ concurrency: 20, rate: 500, requests: quick ? 1_000 : 3_000, runs: quick ? 2 : 3, log });
  results.publish = f;
  rows.push({
    figure: `Publish: events/s through local mode's API (${f.concurrency} clients)`,
    value: n0(f.perSecond),
    baseline: `${n0(f.bare.perSecond)} (bare loopback server)`,
    ratio: f.ratio.toFixed(2),
    target: '≥ 500/s',
    met: f.perSecond >= 500,
    numbers: { perSecond: f.perSecond, barePerSecond: f.bare.perSecond, ratio: f.ratio },
  });
  rows.push({
    figure: `Publish: request latency p50 / p99 (ms, ${f.concurrency} clients, as fast as answered)`,
    value: `${f.p50Ms.toFixed(1)} / ${f.p99Ms.toFixed(1)}`,
    baseline: `${f.bare.p50Ms.toFixed(1)} / ${f.bare.p99Ms.toFixed(1)} (bare)`,
    ratio: '-',
    target: 'p99 ≤ 50 ms',
    met: f.p99Ms <= 50,
    numbers: { p50Ms: f.p50Ms, p99Ms: f.p99Ms, bareP50Ms: f.bare.p50Ms, bareP99Ms: f.bare.p99Ms },
  });
  rows.push({
    figure: `Publish: ${f.paced.rate} events/s on schedule from ${f.concurrency} clients: rate reached; latency p50 / p99 from when each was due (ms)`,
    value: `${n0(f.paced.perSecond)}/s; ${f.paced.p50Ms.toFixed(1)} / ${f.paced.p99Ms.toFixed(1)}`,
    baseline: '-',
    ratio: '-',
    target: `≥ ${f.paced.rate * 0.98}/s at p99 ≤ 50 ms`,
    met: f.paced.perSecond >= f.paced.rate * 0.98 && f.paced.p99Ms <= 50,
    numbers: { rate: f.paced.rate, perSecond: f.paced.perSecond, p50Ms: f.paced.p50Ms, p99Ms: f.paced.p99Ms },
  });
  rows.push({
    figure: 'Publish: DynamoDB and EventBridge calls per published event (the route and the fan-out)',
    value: Object.entries(f.callsPerEvent)
      .map(([k, n]) => `${k} ${n.toFixed(2)}`)
      .join(', '),
    baseline: '-',
    ratio: '-',
    target: 'unchanged or fewer',
    met: null,
    numbers: f.callsPerEvent,
  });
}

if (only.has('cold-path')) {
  log("A tenant's first request in a fresh process (the authorizer's and the api's bundles imported on demand) vs warm");
  const f = await measureColdPath({ runs: quick ? 3 : 5, warmRequests: 20, log });
  results.coldPath = f;
  rows.push({
    figure: `Cold path: a tenant's first request through the gateway stand-in, fresh process (ms, median of ${f.runs})`,
    value: f.coldMs.toFixed(0),
    baseline: `${f.warmMs.toFixed(1)} (warm)`,
    ratio: `${f.ratio.toFixed(1)}x`,
    target: '(reported)',
    met: null,
    numbers: {
      coldMs: f.coldMs,
      warmMs: f.warmMs,
      ratio: f.ratio,
      authorizerImportMs: f.imports.authorizer.ms,
      authorizerImportCpuMs: f.imports.authorizer.cpuMs,
      apiImportMs: f.imports.api.ms,
      apiImportCpuMs: f.imports.api.cpuMs,
    },
  });
}

if (only.has('rate-limit')) {
  const rates = [5, 50, 500];
  const seconds = quick ? 6 : 8;
  log(
    `Rate limits on local mode: a backlog of ${seconds} s at each of ${rates.join(', ')}/s (burst 1), received rate over the middle 80 % of arrivals; an unlimited neighbour at 20/s alone and beside the 50/s backlog`,
  );
  const stack = stackSettings();
  const f = await measureRateLimit({ rates, seconds, neighbourPerSecond: 20, neighbourSeconds: quick ? 5 : 10, log }, stack);
  log('Rate limits, the mechanism alone: 4 sender instances sharing one slot item on dynalite, a queue in memory honouring DelaySeconds');
  const senders = await measureSenderRates({ rates, seconds: quick ? 4 : 6, instances: 4 });
  results.rateLimit = { ...f, senders };
  for (const r of senders)
    rows.push({
      figure: `Rate limit ${r.limit}/s, the mechanism alone (${r.instances} sender instances, ${n0(r.deliveries)} queued at once): received rate ÷ limit`,
      value: `${r.received.toFixed(2)}/s`,
      baseline: `${r.limit}/s${r.windowExcess > 0 ? `, ${r.windowExcess} over in a window` : ', never over'}`,
      ratio: r.ratio.toFixed(3),
      target: '0.9 to 1.1',
      met: r.ratio >= 0.9 && r.ratio <= 1.1 && r.windowExcess === 0,
      numbers: { ...r },
    });
  for (const r of f.rates)
    rows.push({
      figure: `Rate limit ${r.limit}/s, local mode end to end: received rate ÷ limit (middle 80 % of ${n0(r.deliveries)} deliveries; ${n0(r.resent)} waited)`,
      value: `${r.received.toFixed(2)}/s`,
      baseline: `${r.limit}/s${r.windowExcess > 0 ? `, ${r.windowExcess} over in a window` : ', never over'}`,
      ratio: r.ratio.toFixed(3),
      target: '0.9 to 1.1',
      met: r.ratio >= 0.9 && r.ratio <= 1.1 && r.windowExcess === 0,
      numbers: { ...r },
    });
  rows.push({
    figure: `Rate limit: an unlimited neighbour's p99 publish-to-receipt beside a ${f.neighbourBeside.besideLimit}/s backlog (ms)`,
    value: `${f.neighbourBeside.p99Ms.toFixed(0)} (+${(f.neighbourBeside.p99Ms - f.neighbourAlone.p99Ms).toFixed(0)})`,
    baseline: `${f.neighbourAlone.p99Ms.toFixed(0)} (alone)`,
    ratio: (f.neighbourBeside.p99Ms / f.neighbourAlone.p99Ms).toFixed(2),
    target: '(reported)',
    met: null,
    numbers: {
      besideP99Ms: f.neighbourBeside.p99Ms,
      aloneP99Ms: f.neighbourAlone.p99Ms,
      besideP50Ms: f.neighbourBeside.p50Ms,
      aloneP50Ms: f.neighbourAlone.p50Ms,
    },
  });
  rows.push({
    figure: 'Rate limit: rate-limit item calls while only unlimited deliveries go (DynamoDB requests per unlimited / limited delivery)',
    value: String(f.unlimitedRateItemCalls),
    baseline: `${f.dynamoRequestsPerDelivery.unlimited.toFixed(3)} / ${f.dynamoRequestsPerDelivery.limited.toFixed(3)}`,
    ratio: '-',
    target: '0',
    met: f.unlimitedRateItemCalls === 0,
    numbers: { unlimitedRateItemCalls: f.unlimitedRateItemCalls, ...f.dynamoRequestsPerDelivery },
  });
  rows.push({
    figure: `Cost of a delivery over its rate limit, bus to receiver (USD per million deliveries, a ${rates[0]}/s backlog)`,
    value: f.cost.limitedPerMillion.toFixed(2),
    baseline: `${f.cost.unlimitedPerMillion.toFixed(2)} (unlimited)`,
    ratio: (f.cost.limitedPerMillion / f.cost.unlimitedPerMillion).toFixed(2),
    target: '(reported)',
    met: null,
    numbers: { limited: f.cost.limitedPerMillion, unlimited: f.cost.unlimitedPerMillion, extra: f.cost.extraPerMillion },
  });
  const model = (deliveries: number, resends: number, sleepMs: number) =>
    rateLimitedDeliveryCost({
      deliveriesPerTake: deliveries,
      messagesPerBatch: deliveries,
      resends,
      sleepMs,
      senderMemoryMb: stack.memoryMb.sender,
    });
  const backlog = model(10, 1, 500);
  const sparse = model(1, 1, 500);
  const under = model(1, 0, 0);
  results.rateLimit.model = { backlog, sparse, underLimit: under };
  rows.push({
    figure:
      'Cost a rate limit adds, analytic (USD per million deliveries: waiting at a backlog, batches of 10 / one at a time / under the limit)',
    value: backlog.perMillion.toFixed(2),
    baseline: `${sparse.perMillion.toFixed(2)} / ${under.perMillion.toFixed(2)}`,
    ratio: '-',
    target: '(reported)',
    met: null,
    numbers: { backlog: backlog.perMillion, sparse: sparse.perMillion, underLimit: under.perMillion },
  });
}

results.durationSeconds = (Date.now() - started) / 1000;
// A partial run (--only) keeps what the file holds for the sections it did not run.
const previous = only.size < SECTIONS.length && existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as typeof results) : undefined;
const measured = new Set(rows.map((r) => r.figure));
// The run's machine and options stay those of the full run the other figures come from.
const { machine: _machine, options: _options, durationSeconds: _duration, figures: _figures, ...sections } = results;
const written = previous
  ? {
      ...previous,
      ...sections,
      cost: { ...previous.cost, ...results.cost },
      figures: [...(previous.figures ?? []).filter((r) => !measured.has(r.figure) && !RETIRED_FIGURES.has(r.figure)), ...rows],
    }
  : results;
writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`);

const header = ['Figure', 'Value', 'Baseline', 'Ratio', 'Target', 'Met?'];
const table = rows.map((r) => [
  r.figure,
  r.value,
  r.baseline,
  r.ratio,
  r.target,
  r.met === null ? '-' : r.informational ? (r.met ? '(yes)' : '(no)') : r.met ? 'yes' : 'NO',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log('');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
console.log('');
console.log(`node ${process.version}, ${cpus().length} cpus, ${results.durationSeconds.toFixed(0)} s; wrote ${out}`);
// Keep-alive sockets (fetch's global pool) would otherwise hold the process open for a while.
process.exit(0);
