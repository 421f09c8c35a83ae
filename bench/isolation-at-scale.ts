import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { DEFAULT_DUE_BUCKET_SECONDS, DEFAULT_RESUME_RATE_PER_SECOND } from '../functions/domain/parking.js';
import type { LocalPipeline } from '../local/pipeline.js';
import { addTenant } from '../test/support/local.js';
import {
  type BenchReceiver,
  type Caller,
  callerFor,
  type Mode,
  publish,
  publishOne,
  startBenchReceiver,
  subscribe,
  uniqueAcks,
  until,
  withPipeline,
} from './local-bench.js';
import { median, percentile, pool, sleep } from './support.js';

/**
 * Issue 17's figures (deliverable 7), on local mode (the twin) with the stack's parking settings:
 *
 * 1. A dead endpoint under sustained load, on a queue whose in-flight cap is scaled down: peak
 *    in-flight / the budget, a healthy tenant's p99 publish-to-receipt latency during the outage /
 *    without it, the time from the endpoint's recovery to the last held delivery received, and
 *    deliveries lost and received twice at the dead endpoint.
 * 2. A noisy tenant: a quiet tenant's p50 and p99 publish-to-receipt latency while another tenant
 *    has 10,000 deliveries queued / the same quiet load alone.
 * 3. Isolation: 7 healthy endpoints' deliveries/s beside 3 endpoints that never answer / the same
 *    7 beside 3 healthy endpoints given the same work.
 *
 * Each baseline is measured in the same run. Receivers are HTTP servers in this process on
 * 127.0.0.1; latency runs from the start of the publish call to the receiver's receipt of the POST.
 */

/** The stack's due-time buckets (60 s) and its resumer's schedule (once a bucket), as on AWS. */
const STACK_PARKING = { dueBucketSeconds: DEFAULT_DUE_BUCKET_SECONDS } as const;

type Log = (line: string) => void;

// ------------------------------------------------------------------------------------------
// Small parts.

export interface LatencyStats {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function latencyStats(ms: readonly number[]): LatencyStats {
  return { events: ms.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99), maxMs: Math.max(...ms) };
}

const fmt = (s: LatencyStats) =>
  `${s.events} events, p50 ${s.p50Ms.toFixed(0)} ms, p99 ${s.p99Ms.toFixed(0)} ms, max ${s.maxMs.toFixed(0)} ms`;

interface Stream {
  readonly fired: number;
  readonly errors: number;
  /** Stops firing and waits for the calls under way. */
  stop(): Promise<void>;
}

/**
 * Calls `fire(0)`, `fire(1)`, ... `perSecond` times a second by the clock, without waiting for
 * earlier calls to end (an open loop: a slow pipeline gets the same load, not less).
 */
function startStream(perSecond: number, fire: (i: number) => Promise<void>, log: Log, label: string): Stream {
  const t0 = performance.now();
  const pending = new Set<Promise<void>>();
  let fired = 0;
  let errors = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - t0) / 1000) * perSecond) + 1;
    while (fired < due) {
      const call: Promise<void> = fire(fired++)
        .catch((err: Error) => {
          if (errors++ === 0) log(`  ${label}: ${err.message}`);
        })
        .finally(() => pending.delete(call));
      pending.add(call);
    }
    timer = setTimeout(tick, 10);
  };
  tick();
  return {
    get fired() {
      return fired;
    },
    get errors() {
      return errors;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...pending]);
    },
  };
}

/** Where an event was when, in ms (performance.now()); the stages below are the times between. */
interface Passage<Phase> {
  phase: Phase;
  /** Its publish call started, and was answered. */
  published: number;
  answered?: number;
  /** Its message went on the ingest queue (the queue's SentTimestamp), and a fan-out invocation got it. */
  ingestSent?: number;
  fanoutStart?: number;
  /** Its delivery message went on the delivery queue, and a sender invocation got it. */
  deliverySent?: number;
  senderStart?: number;
}

/** The parts of an event's publish-to-receipt latency, each from one moment of its passage to the next. */
export interface Stages {
  /** The publish call until its event's ingest message was sent (the API, the authorizer, the bus). */
  publish: LatencyStats;
  /** Waiting in the ingest queue and in the fan-out poller's batch, until a fan-out invocation started with it. */
  ingestQueue: LatencyStats;
  /** The fan-out invocation, until the event's delivery message was sent. */
  fanout: LatencyStats;
  /** Waiting in the delivery queue, until a sender invocation started with it. */
  deliveryQueue: LatencyStats;
  /** The sender invocation, until the receiver had the POST. */
  sender: LatencyStats;
}

const epochToPerf = (epochMs: number) => epochMs - performance.timeOrigin;

/**
 * One tenant's events, published through the API, traced through the pipeline: the publish call,
 * then (from the batches each fan-out and sender invocation starts with, local mode's
 * `onInvocation`) when its messages were sent to each queue and taken from it.
 */
class TenantTrace<Phase extends string> {
  readonly events = new Map<string, Passage<Phase>>();
  phase: Phase;
  /** Set once the tenant exists (the pipeline, and so the hook, start before it). */
  tenantId = '';

  constructor(phase: Phase) {
    this.phase = phase;
  }

  /** Publishes its `i`-th event through the API as the tenant `call` is for. */
  publisher(call: Caller): (i: number) => Promise<void> {
    return async (i) => {
      const phase = this.phase;
      const published = performance.now();
      const id = await publishOne(call, i);
      const passage = this.passage(id);
      passage.phase = phase;
      passage.published = published;
      passage.answered = performance.now();
    };
  }

  /** Local mode's `onInvocation`: the first time each of the tenant's messages is received. */
  readonly onInvocation = (fn: 'fanout' | 'sender', event: SQSEvent): void => {
    if (!this.tenantId) return;
    const now = performance.now();
    for (const r of event.Records) {
      if (!r.body.includes(this.tenantId)) continue;
      const id = fn === 'fanout' ? ingestEventId(r.body, this.tenantId) : deliveryEventId(r.body, this.tenantId);
      if (id === undefined) continue;
      const passage = this.passage(id);
      const sent = epochToPerf(Number(r.attributes.SentTimestamp));
      if (fn === 'fanout' && passage.fanoutStart === undefined) {
        passage.ingestSent = sent;
        passage.fanoutStart = now;
      }
      if (fn === 'sender' && passage.senderStart === undefined) {
        passage.deliverySent = sent;
        passage.senderStart = now;
      }
    }
  };

  private passage(id: string): Passage<Phase> {
    let passage = this.events.get(id);
    if (!passage) {
      // Seen by the pipeline before its publish call was answered: the call fills in the rest.
      passage = { phase: this.phase, published: Number.NaN };
      this.events.set(id, passage);
    }
    return passage;
  }

  /** The phase's events (published by `publisher`). */
  ids(phase: Phase): string[] {
    return [...this.events].flatMap(([id, x]) => (x.phase === phase && x.answered !== undefined ? [id] : []));
  }

  /** Publish-to-receipt latencies (ms) of the phase's events the receiver has got. */
  latencies(phase: Phase, receiver: BenchReceiver): number[] {
    return this.between(
      phase,
      (_id, x) => x.published,
      (id) => receiver.firstSeen.get(id),
    );
  }

  answers(phase: Phase): number[] {
    return this.between(
      phase,
      (_id, x) => x.published,
      (_id, x) => x.answered,
    );
  }

  stages(phase: Phase, receiver: BenchReceiver): Stages {
    return {
      publish: latencyStats(
        this.between(
          phase,
          (_id, x) => x.published,
          (_id, x) => x.ingestSent,
        ),
      ),
      ingestQueue: latencyStats(
        this.between(
          phase,
          (_id, x) => x.ingestSent,
          (_id, x) => x.fanoutStart,
        ),
      ),
      fanout: latencyStats(
        this.between(
          phase,
          (_id, x) => x.fanoutStart,
          (_id, x) => x.deliverySent,
        ),
      ),
      deliveryQueue: latencyStats(
        this.between(
          phase,
          (_id, x) => x.deliverySent,
          (_id, x) => x.senderStart,
        ),
      ),
      sender: latencyStats(
        this.between(
          phase,
          (_id, x) => x.senderStart,
          (id) => receiver.firstSeen.get(id),
        ),
      ),
    };
  }

  private between(
    phase: Phase,
    from: (id: string, x: Passage<Phase>) => number | undefined,
    to: (id: string, x: Passage<Phase>) => number | undefined,
  ): number[] {
    return [...this.events].flatMap(([id, x]) => {
      if (x.phase !== phase || x.answered === undefined) return [];
      const a = from(id, x);
      const b = to(id, x);
      return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? [b - a] : [];
    });
  }
}

/** The event id of an ingest message (an EventBridge envelope) of `tenantId`'s. */
function ingestEventId(body: string, tenantId: string): string | undefined {
  const detail = (JSON.parse(body) as { detail?: { tenant_id?: string; event?: { id?: string } } }).detail;
  return detail?.tenant_id === tenantId ? detail.event?.id : undefined;
}

/** The event id of a delivery message of `tenantId`'s (its header line). */
function deliveryEventId(body: string, tenantId: string): string | undefined {
  const newline = body.indexOf('\n');
  const header = JSON.parse(newline < 0 ? body : body.slice(0, newline)) as { tenantId?: string; event?: { id?: string } };
  return header.tenantId === tenantId ? header.event?.id : undefined;
}

/** How long the fan-out's and the sender's invocations took between two moments (local mode's usage meter). */
function invocations(p: LocalPipeline) {
  const mark = () => {
    const u = p.usage.snapshot().lambda;
    return { fanout: u.fanout.samples.length, sender: u.sender.samples.length };
  };
  const from = mark();
  return {
    stop(): { fanout: LatencyStats; sender: LatencyStats } {
      const u = p.usage.snapshot().lambda;
      return { fanout: latencyStats(u.fanout.samples.slice(from.fanout)), sender: latencyStats(u.sender.samples.slice(from.sender)) };
    },
  };
}

/** Shares of the machine's CPU over a phase (0 to 1: every core busy): this process's, and every other process's. */
export interface CpuShare {
  own: number;
  others: number;
}

function cpuTimes() {
  let busy = 0;
  let all = 0;
  for (const c of cpus()) {
    busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
    all += c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
  }
  return { busy, all, own: process.cpuUsage() };
}

function cpuShareSince(mark: ReturnType<typeof cpuTimes>): CpuShare {
  const now = cpuTimes();
  const all = now.all - mark.all;
  const ownMs = (now.own.user - mark.own.user + now.own.system - mark.own.system) / 1000;
  return all > 0
    ? { own: Number((ownMs / all).toFixed(3)), others: Number(Math.max(0, (now.busy - mark.busy - ownMs) / all).toFixed(3)) }
    : { own: 0, others: 0 };
}

/**
 * Per phase: the delivery queue's most in-flight and most waiting messages (sampled), and the CPU
 * this process (the whole twin and the receivers) and the machine's other processes used: on a
 * shared machine, the latter says how far a phase's figures are someone else's.
 */
function samplePhases(p: LocalPipeline, everyMs: number) {
  const peaks = new Map<string, { inFlight: number; waiting: number }>();
  const cpu = new Map<string, CpuShare>();
  let phase = 'start';
  let mark = cpuTimes();
  const sample = () => {
    const s = p.sqs.inspect(p.sqs.delivery);
    const peak = peaks.get(phase) ?? { inFlight: 0, waiting: 0 };
    peak.inFlight = Math.max(peak.inFlight, s.inflight);
    peak.waiting = Math.max(peak.waiting, s.ready + s.delayed);
    peaks.set(phase, peak);
  };
  const endPhase = () => {
    cpu.set(phase, cpuShareSince(mark));
    mark = cpuTimes();
  };
  const timer = setInterval(sample, everyMs);
  return {
    /** From now on samples count for `name`. */
    phase(name: string) {
      sample();
      endPhase();
      phase = name;
      sample();
    },
    peak(...phases: string[]): { inFlight: number; waiting: number } {
      const of = phases.map((ph) => peaks.get(ph) ?? { inFlight: 0, waiting: 0 });
      return { inFlight: Math.max(0, ...of.map((x) => x.inFlight)), waiting: Math.max(0, ...of.map((x) => x.waiting)) };
    },
    /** The CPU shares of each phase that has ended. */
    cpu(): Record<string, CpuShare> {
      return Object.fromEntries(cpu);
    },
    stop() {
      sample();
      endPhase();
      clearInterval(timer);
    },
  };
}

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** This process's event-loop delay (ms) over a phase: the twin's handlers, emulators and receivers all run on it. */
function loopDelay() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop(): LoopDelay {
      h.disable();
      return { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
    },
  };
}

/** The machine's 1-minute load average at the start and end of a figure (other work on a shared machine moves the figures). */
export interface MachineLoad {
  start: number;
  end: number;
}
const loadNow = () => Number(loadavg()[0]!.toFixed(2));

const cpuText = (c: Record<string, CpuShare>) =>
  Object.entries(c)
    .filter(([k]) => k !== 'start')
    .map(([k, v]) => `${k} ${v.own.toFixed(2)}/${v.others.toFixed(2)}`)
    .join(', ');

const count = (p: LocalPipeline, name: string) => p.metrics.counts.get(name) ?? 0;
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;

async function receivers(modes: readonly Mode[]): Promise<BenchReceiver[]> {
  return Promise.all(modes.map((m) => startBenchReceiver(m)));
}

async function closeAll(rs: readonly BenchReceiver[]): Promise<void> {
  await Promise.all(rs.map((r) => r.close().catch(() => undefined)));
}

// ------------------------------------------------------------------------------------------
// 1. A dead endpoint under sustained load.

export interface DeadEndpointOptions {
  /** The twin's SQS in-flight cap, scaled down from SQS's ~120,000. */
  inFlightCap: number;
  /** The delivery queue's in-flight budget (the construct's `inFlightBudget`), scaled as the cap. */
  inFlightBudget: number;
  healthyPerSecond: number;
  deadPerSecond: number;
  baselineSeconds: number;
  /** The control phase: the healthy load beside the same stream to an endpoint that answers. */
  controlSeconds: number;
  /** How long the endpoint is down: 503 to everything the first half, no answer at all the second. */
  outageSeconds: number;
  /** How long to wait, after the recovery, for every delivery to arrive. */
  timeoutMs: number;
  log: Log;
}

export interface DeadEndpointFigure {
  inFlightCap: number;
  inFlightBudget: number;
  dueBucketSeconds: number;
  resumeRatePerSecond: number;
  healthyPerSecond: number;
  deadPerSecond: number;
  baselineSeconds: number;
  controlSeconds: number;
  outageSeconds: number;
  /** The most messages in flight in the delivery queue (sampled every 100 ms) from the outage to the end, and its share of the budget. */
  peakInFlight: number;
  peakInFlightRatio: number;
  /** The same before the outage (the healthy load alone). */
  peakInFlightBaseline: number;
  /** The most messages waiting (ready or delayed) from the outage on. */
  peakWaiting: number;
  /**
   * The healthy tenant's publish-to-receipt latency without the dead endpoint, beside the same
   * stream to an endpoint that answers (the control), during the outage, and during the drain.
   */
  healthyBaseline: LatencyStats;
  healthyControl: LatencyStats;
  healthyOutage: LatencyStats;
  healthyDrain: LatencyStats;
  p99Ratio: number;
  p50Ratio: number;
  /** The control's p99 / the baseline's, and the outage's / the control's. */
  controlP99Ratio: number;
  outageToControlP99Ratio: number;
  /** Where the healthy tenant's latency went, without the dead endpoint, in the control, during the outage and the drain. */
  stagesBaseline: Stages;
  stagesControl: Stages;
  stagesOutage: Stages;
  stagesDrain: Stages;
  /** Events put on the bus for the dead endpoint (its stream ends at the recovery). */
  deadEvents: number;
  /** Of those, the ones not acknowledged at the recovery (held, parked or waiting to be retried). */
  waitingAtRecovery: number;
  /** From the recovery to the first 2xx the endpoint gave (the lot's probe), and to the next (the drain's first). */
  firstAnswerSeconds: number;
  drainStartSeconds: number;
  /** From the recovery to the last of its deliveries acknowledged. */
  recoverySeconds: number;
  /** POSTs the endpoint got while it was down (503s and POSTs left unanswered). */
  postsWhileDown: number;
  lost: number;
  duplicated: number;
  duplicatedRatio: number;
  counts: Record<string, number>;
  seconds: number;
  load: MachineLoad;
  /** The CPU this process and the machine's other processes used, per phase. */
  cpu: Record<string, CpuShare>;
}

type HealthyPhase = 'warmup' | 'baseline' | 'control' | 'outage' | 'drain';

const PARKING_COUNTS = [
  'LotOpened',
  'LotProbes',
  'LotRecovered',
  'DeliveryHeld',
  'DeliveryParked',
  'DeliveriesResumed',
  'DeliveryDeferred',
  'DeliveryRetried',
  'DeliveryDeadLettered',
];

export async function measureDeadEndpoint(o: DeadEndpointOptions): Promise<DeadEndpointFigure> {
  const [healthyRx, busyRx, deadRx] = (await receivers(['ok', 'ok', 'refuse'])) as [BenchReceiver, BenchReceiver, BenchReceiver];
  const started = performance.now();
  const loadStart = loadNow();
  const healthy = new TenantTrace<HealthyPhase>('warmup');
  const options = { sqsInFlightCap: o.inFlightCap, inFlightBudget: o.inFlightBudget, ...STACK_PARKING, onInvocation: healthy.onInvocation };
  try {
    return await withPipeline(options, async (p, call) => {
      const healthyTenant = await addTenant(p, 'healthy tenant');
      healthy.tenantId = healthyTenant.tenantId;
      const publishHealthy = healthy.publisher(callerFor(p, healthyTenant));
      await subscribe(callerFor(p, healthyTenant), healthyRx.url);
      // Warm: the tenant's authorizer answer cached, connections open.
      await pool(20, 4, publishHealthy);
      await until(60_000, () => healthyRx.acked.size >= 20);
      const queue = samplePhases(p, 100);

      healthy.phase = 'baseline';
      queue.phase('baseline');
      let stream = startStream(o.healthyPerSecond, publishHealthy, o.log, 'healthy publish');
      await sleep(o.baselineSeconds * 1000);
      await stream.stop();
      await until(60_000, () => healthy.ids('baseline').every((id) => healthyRx.firstSeen.has(id)));
      const healthyBaseline = latencyStats(healthy.latencies('baseline', healthyRx));
      o.log(`  healthy tenant alone, ${o.healthyPerSecond}/s for ${o.baselineSeconds} s: ${fmt(healthyBaseline)}`);

      // The control: the same healthy load beside another tenant putting the dead endpoint's
      // stream on the bus, to an endpoint that answers. What the outage costs beyond that is the dead endpoint's own.
      const busyTenant = await addTenant(p, 'busy tenant');
      await subscribe(callerFor(p, busyTenant), busyRx.url);
      const publishBusy = async (i: number) => {
        await p.bus.publish(busyTenant.tenantId, {
          id: `evt_busy_${i}`,
          type: 'card.created',
          timestamp: new Date().toISOString(),
          data: { n: i },
        });
      };
      healthy.phase = 'control';
      queue.phase('control');
      const busyStream = startStream(o.deadPerSecond, publishBusy, o.log, 'busy tenant publish');
      stream = startStream(o.healthyPerSecond, publishHealthy, o.log, 'healthy publish');
      await sleep(o.controlSeconds * 1000);
      await Promise.all([stream.stop(), busyStream.stop()]);
      await until(60_000, () => healthy.ids('control').every((id) => healthyRx.firstSeen.has(id)) && busyRx.acked.size >= busyStream.fired);
      const healthyControl = latencyStats(healthy.latencies('control', healthyRx));
      o.log(
        `  the same beside another tenant's ${o.deadPerSecond}/s to an endpoint that answers, for ${o.controlSeconds} s: ${fmt(healthyControl)}`,
      );

      // The outage: the dead endpoint's tenant puts a steady stream on the bus, beside the healthy load.
      await subscribe(call, deadRx.url);
      const publishDead = async (i: number) => {
        await p.bus.publish(p.tenantId, { id: deadId(i), type: 'card.created', timestamp: new Date().toISOString(), data: { n: i } });
      };
      healthy.phase = 'outage';
      queue.phase('outage');
      const outageStart = performance.now();
      const deadStream = startStream(o.deadPerSecond, publishDead, o.log, 'dead endpoint publish');
      stream = startStream(o.healthyPerSecond, publishHealthy, o.log, 'healthy publish');
      await sleep((o.outageSeconds * 1000) / 2);
      deadRx.mode = 'hang';
      o.log(
        `  the dead endpoint answered 503 for ${o.outageSeconds / 2} s; now it answers nothing (${count(p, 'DeliveryHeld')} held so far)`,
      );
      await sleep(outageStart + o.outageSeconds * 1000 - performance.now());

      // The recovery: the dead endpoint's stream ends (what it sent later would only sort after
      // what its lot holds); the healthy load goes on until every held delivery has arrived.
      deadRx.mode = 'ok';
      const recovered = performance.now();
      healthy.phase = 'drain';
      queue.phase('drain');
      const postsWhileDown = deadRx.requests;
      await deadStream.stop();
      const allDead = Array.from({ length: deadStream.fired }, (_, i) => deadId(i));
      const waitingAtRecovery = allDead.filter((id) => !deadRx.acked.has(id)).length;
      o.log(
        `  recovered after ${o.outageSeconds} s: ${allDead.length} events to the dead endpoint, ${waitingAtRecovery} waiting (held ${count(p, 'DeliveryHeld')}, parked ${count(p, 'DeliveryParked')}), ${postsWhileDown} POSTs while down, peak in flight ${queue.peak('outage').inFlight}`,
      );
      const drained = await until(o.timeoutMs, () => allDead.every((id) => deadRx.acked.has(id)));
      const lastHeld = Math.max(...allDead.flatMap((id) => deadRx.firstAcked.get(id) ?? []));
      await stream.stop();
      await until(60_000, () => healthy.ids('drain').every((id) => healthyRx.firstSeen.has(id)));
      // A moment more, to see any late second copy.
      await sleep(5_000);
      queue.stop();

      const acks = [...deadRx.firstAcked.values()].sort((a, b) => a - b);
      const lost = allDead.filter((id) => !deadRx.acked.has(id)).length;
      const duplicated = allDead.reduce((n, id) => n + Math.max(0, (deadRx.acked.get(id) ?? 0) - 1), 0);
      const peak = queue.peak('outage', 'drain');
      const healthyOutage = latencyStats(healthy.latencies('outage', healthyRx));
      const healthyDrain = latencyStats(healthy.latencies('drain', healthyRx));
      const figure: DeadEndpointFigure = {
        inFlightCap: o.inFlightCap,
        inFlightBudget: o.inFlightBudget,
        dueBucketSeconds: STACK_PARKING.dueBucketSeconds,
        resumeRatePerSecond: DEFAULT_RESUME_RATE_PER_SECOND,
        healthyPerSecond: o.healthyPerSecond,
        deadPerSecond: o.deadPerSecond,
        baselineSeconds: o.baselineSeconds,
        controlSeconds: o.controlSeconds,
        outageSeconds: o.outageSeconds,
        peakInFlight: peak.inFlight,
        peakInFlightRatio: peak.inFlight / o.inFlightBudget,
        peakInFlightBaseline: queue.peak('baseline').inFlight,
        peakWaiting: peak.waiting,
        healthyBaseline,
        healthyControl,
        healthyOutage,
        healthyDrain,
        p99Ratio: healthyOutage.p99Ms / healthyBaseline.p99Ms,
        p50Ratio: healthyOutage.p50Ms / healthyBaseline.p50Ms,
        controlP99Ratio: healthyControl.p99Ms / healthyBaseline.p99Ms,
        outageToControlP99Ratio: healthyOutage.p99Ms / healthyControl.p99Ms,
        stagesBaseline: healthy.stages('baseline', healthyRx),
        stagesControl: healthy.stages('control', healthyRx),
        stagesOutage: healthy.stages('outage', healthyRx),
        stagesDrain: healthy.stages('drain', healthyRx),
        deadEvents: allDead.length,
        waitingAtRecovery,
        firstAnswerSeconds: seconds(recovered, acks[0] ?? Number.NaN),
        drainStartSeconds: seconds(recovered, acks[1] ?? Number.NaN),
        recoverySeconds: drained ? seconds(recovered, lastHeld) : Number.NaN,
        postsWhileDown,
        lost,
        duplicated,
        duplicatedRatio: duplicated / allDead.length,
        counts: Object.fromEntries(PARKING_COUNTS.map((k) => [k, count(p, k)])),
        seconds: seconds(started),
        load: { start: loadStart, end: loadNow() },
        cpu: queue.cpu(),
      };
      o.log(`  CPU share (this process / others): ${cpuText(figure.cpu)}`);
      o.log(`  healthy tenant during the outage: ${fmt(healthyOutage)}; during the drain: ${fmt(healthyDrain)}`);
      o.log(
        `  first 2xx ${figure.firstAnswerSeconds.toFixed(0)} s after the recovery, the next ${figure.drainStartSeconds.toFixed(0)} s, the last held delivery ${figure.recoverySeconds.toFixed(0)} s after; ${lost} lost, ${duplicated} twice; peak in flight ${peak.inFlight} (budget ${o.inFlightBudget}); ${JSON.stringify(figure.counts)}; load average ${figure.load.start} -> ${figure.load.end}`,
      );
      return figure;
    });
  } finally {
    await closeAll([healthyRx, busyRx, deadRx]);
  }
}

const deadId = (i: number) => `evt_dead_${String(i).padStart(6, '0')}`;

// ------------------------------------------------------------------------------------------
// 2. A noisy tenant.

export interface NoisyTenantOptions {
  /** The noisy tenant's events, each to `noisySubscriptions` subscriptions (one receiver each). */
  noisyEvents: number;
  noisySubscriptions: number;
  /** How long the noisy tenant's receivers take to answer 200 (at once: 0). */
  noisyAnswerMs: number;
  quietPerSecond: number;
  aloneSeconds: number;
  /**
   * Whether the quiet load starts once fan-out has put every noisy delivery on the delivery queue
   * (otherwise at once, behind the noisy events on the ingest queue).
   */
  quietStartsOnceQueued: boolean;
  /** The quiet load runs until the noisy tenant's deliveries have all been delivered, or for this long at most. */
  withNoisyMaxSeconds: number;
  log: Log;
}

export interface NoisyTenantFigure {
  noisyEvents: number;
  noisySubscriptions: number;
  noisyDeliveries: number;
  noisyAnswerMs: number;
  quietPerSecond: number;
  aloneSeconds: number;
  alone: LatencyStats;
  withNoisy: LatencyStats;
  p50Ratio: number;
  p99Ratio: number;
  /** Where the quiet tenant's latency went, alone and with the noisy tenant. */
  stagesAlone: Stages;
  stagesWithNoisy: Stages;
  /** The fan-out's and the sender's invocations (ms), alone and with the noisy tenant. */
  invocationsAlone: { fanout: LatencyStats; sender: LatencyStats };
  invocationsWithNoisy: { fanout: LatencyStats; sender: LatencyStats };
  /** This process's event-loop delay (ms), alone and with the noisy tenant. */
  loopDelayAlone: LoopDelay;
  loopDelayWithNoisy: LoopDelay;
  quietStartsOnceQueued: boolean;
  /** The delivery queue's messages (any state) as the quiet load started. */
  queuedAtStart: number;
  /** How long the quiet load ran beside the noisy tenant, and the noisy deliveries made from the first put on the bus until it stopped. */
  withNoisySeconds: number;
  noisyDelivered: number;
  /** The most delivery messages waiting (ready or delayed) and in flight meanwhile. */
  peakWaiting: number;
  peakInFlight: number;
  load: MachineLoad;
  /** The CPU this process and the machine's other processes used, alone and with the noisy tenant. */
  cpu: Record<string, CpuShare>;
}

type QuietPhase = 'warmup' | 'alone' | 'noisy';

export async function measureNoisyTenant(o: NoisyTenantOptions): Promise<NoisyTenantFigure> {
  const quietRx = await startBenchReceiver('ok');
  const noisyRx = await Promise.all(
    Array.from({ length: o.noisySubscriptions }, () => startBenchReceiver('ok', { delayMs: o.noisyAnswerMs })),
  );
  const quiet = new TenantTrace<QuietPhase>('warmup');
  const loadStart = loadNow();
  try {
    return await withPipeline({ ...STACK_PARKING, onInvocation: quiet.onInvocation }, async (p, call) => {
      const quietTenant = await addTenant(p, 'quiet tenant');
      quiet.tenantId = quietTenant.tenantId;
      const publishQuiet = quiet.publisher(callerFor(p, quietTenant));
      await subscribe(callerFor(p, quietTenant), quietRx.url);
      for (const r of noisyRx) await subscribe(call, r.url);
      let n = 0;
      const putNoisy = async () => {
        const i = n++;
        await p.bus.publish(p.tenantId, {
          id: `evt_noisy_${i}`,
          type: 'card.created',
          timestamp: new Date().toISOString(),
          data: { n: i },
        });
      };
      // Warm: both tenants delivered to, connections open.
      await Promise.all([pool(20, 4, publishQuiet), pool(20, 4, putNoisy)]);
      await until(60_000, () => quietRx.acked.size >= 20 && uniqueAcks(noisyRx) >= 20 * noisyRx.length);

      quiet.phase = 'alone';
      const queue = samplePhases(p, 100);
      queue.phase('alone');
      let loop = loopDelay();
      let calls = invocations(p);
      let stream = startStream(o.quietPerSecond, publishQuiet, o.log, 'quiet publish');
      await sleep(o.aloneSeconds * 1000);
      await stream.stop();
      await until(60_000, () => quiet.ids('alone').every((id) => quietRx.firstSeen.has(id)));
      const loopDelayAlone = loop.stop();
      const invocationsAlone = calls.stop();
      const alone = latencyStats(quiet.latencies('alone', quietRx));
      o.log(`  quiet tenant alone, ${o.quietPerSecond}/s for ${o.aloneSeconds} s: ${fmt(alone)}`);

      // The noisy tenant's events go on the bus first; the quiet load starts behind them at once,
      // or once fan-out has put all the noisy deliveries on the delivery queue.
      const noisyDeliveries = o.noisyEvents * noisyRx.length;
      const noisyBefore = uniqueAcks(noisyRx);
      const createdBefore = count(p, 'DeliveriesCreated');
      queue.phase('noisy');
      loop = loopDelay();
      calls = invocations(p);
      await pool(o.noisyEvents, 20, putNoisy);
      if (o.quietStartsOnceQueued) await until(120_000, () => count(p, 'DeliveriesCreated') - createdBefore >= noisyDeliveries);
      const waiting = p.sqs.inspect(p.sqs.delivery);
      const queuedAtStart = waiting.ready + waiting.delayed + waiting.inflight;
      const quietStart = performance.now();
      quiet.phase = 'noisy';
      stream = startStream(o.quietPerSecond, publishQuiet, o.log, 'quiet publish');
      await until(o.withNoisyMaxSeconds * 1000, () => uniqueAcks(noisyRx) - noisyBefore >= noisyDeliveries);
      const withNoisySeconds = seconds(quietStart);
      const noisyDelivered = uniqueAcks(noisyRx) - noisyBefore;
      await stream.stop();
      await until(60_000, () => quiet.ids('noisy').every((id) => quietRx.firstSeen.has(id)));
      queue.stop();
      const loopDelayWithNoisy = loop.stop();
      const invocationsWithNoisy = calls.stop();
      const withNoisy = latencyStats(quiet.latencies('noisy', quietRx));
      const peak = queue.peak('noisy');
      o.log(
        `  with ${noisyDeliveries} noisy deliveries (${queuedAtStart} in the delivery queue as the quiet load started; ${noisyDelivered} delivered when it stopped ${withNoisySeconds.toFixed(1)} s later; at most ${peak.waiting} waiting, ${peak.inFlight} in flight): ${fmt(withNoisy)}`,
      );
      const figure: NoisyTenantFigure = {
        noisyEvents: o.noisyEvents,
        noisySubscriptions: noisyRx.length,
        noisyDeliveries,
        noisyAnswerMs: o.noisyAnswerMs,
        quietPerSecond: o.quietPerSecond,
        aloneSeconds: o.aloneSeconds,
        alone,
        withNoisy,
        p50Ratio: withNoisy.p50Ms / alone.p50Ms,
        p99Ratio: withNoisy.p99Ms / alone.p99Ms,
        stagesAlone: quiet.stages('alone', quietRx),
        stagesWithNoisy: quiet.stages('noisy', quietRx),
        invocationsAlone,
        invocationsWithNoisy,
        loopDelayAlone,
        loopDelayWithNoisy,
        quietStartsOnceQueued: o.quietStartsOnceQueued,
        queuedAtStart,
        withNoisySeconds,
        noisyDelivered,
        peakWaiting: peak.waiting,
        peakInFlight: peak.inFlight,
        load: { start: loadStart, end: loadNow() },
        cpu: queue.cpu(),
      };
      o.log(`    load average ${figure.load.start} -> ${figure.load.end}; CPU share (this process / others) ${cpuText(figure.cpu)}`);
      for (const [label, stages] of [
        ['alone', figure.stagesAlone],
        ['with the noisy tenant', figure.stagesWithNoisy],
      ] as const)
        o.log(
          `    ${label}: ${Object.entries(stages)
            .map(([k, v]) => `${k} p50/p99 ${v.p50Ms.toFixed(0)}/${v.p99Ms.toFixed(0)}`)
            .join(', ')} ms`,
        );
      return figure;
    });
  } finally {
    await closeAll([quietRx, ...noisyRx]);
  }
}

// ------------------------------------------------------------------------------------------
// 3. Isolation: 7 healthy endpoints beside 3 that never answer, against beside 3 healthy ones.

export interface IsolationPhase {
  beside: 'healthy' | 'hanging';
  seconds: number;
  /** The 7 healthy endpoints' deliveries a second. */
  perSecond: number;
  /** POSTs the other 3 received meanwhile. */
  otherPosts: number;
  load: MachineLoad;
  /** The CPU this process and the machine's other processes used while it was timed. */
  cpu: CpuShare;
}

export interface IsolationFigure {
  healthyEndpoints: number;
  otherEndpoints: number;
  events: number;
  runs: number;
  phases: IsolationPhase[];
  /** Medians over the runs. */
  besideHealthyPerSecond: number;
  besideHangingPerSecond: number;
  ratio: number;
  hangingPosts: number;
}

const HEALTHY_ENDPOINTS = 7;
const OTHER_ENDPOINTS = 3;

/**
 * One phase on a fresh pipeline: the 7 warmed up alone, then the 3 others subscribed and `events`
 * published through the API (8 requests at a time); the time until the 7 have every one.
 */
async function isolationPhase(beside: IsolationPhase['beside'], events: number, log: Log): Promise<IsolationPhase> {
  const healthy = await receivers(Array.from({ length: HEALTHY_ENDPOINTS }, () => 'ok' as const));
  const loadStart = loadNow();
  const others = await receivers(Array.from({ length: OTHER_ENDPOINTS }, () => (beside === 'healthy' ? 'ok' : 'hang') as Mode));
  try {
    return await withPipeline({ ...STACK_PARKING }, async (_p, call) => {
      for (const r of healthy) await subscribe(call, r.url);
      await publish(call, 20, 8);
      await until(60_000, () => uniqueAcks(healthy) >= 20 * healthy.length);
      for (const r of others) await subscribe(call, r.url);
      const target = uniqueAcks(healthy) + events * healthy.length;
      const cpuAtStart = cpuTimes();
      const t0 = performance.now();
      await publish(call, events, 8);
      if (!(await until(300_000, () => uniqueAcks(healthy) >= target)))
        throw new Error(
          `beside ${beside}: the healthy endpoints got ${uniqueAcks(healthy) - (target - events * healthy.length)} of ${events * healthy.length}`,
        );
      const s = seconds(t0);
      const cpu = cpuShareSince(cpuAtStart);
      const otherPosts = others.reduce((n, r) => n + r.requests, 0);
      log(
        `  7 healthy beside 3 ${beside === 'healthy' ? 'healthy' : 'that never answer'}: ${events * healthy.length} deliveries in ${s.toFixed(2)} s (${((events * healthy.length) / s).toFixed(0)}/s); the 3 got ${otherPosts} POSTs; CPU share (this process / others) ${cpu.own.toFixed(2)}/${cpu.others.toFixed(2)}`,
      );
      // Hanging POSTs end as their receivers close, so the pipeline can stop.
      await closeAll(others);
      return { beside, seconds: s, perSecond: (events * healthy.length) / s, otherPosts, load: { start: loadStart, end: loadNow() }, cpu };
    });
  } finally {
    await closeAll([...healthy, ...others]);
  }
}

export async function measureIsolationBeside(o: { events: number; runs: number; log: Log }): Promise<IsolationFigure> {
  const phases: IsolationPhase[] = [];
  // Alternating which goes first, so neither always runs on a warmer process.
  for (let run = 0; run < o.runs; run++) {
    const order: IsolationPhase['beside'][] = run % 2 === 0 ? ['healthy', 'hanging'] : ['hanging', 'healthy'];
    for (const beside of order) phases.push(await isolationPhase(beside, o.events, o.log));
  }
  const of = (b: IsolationPhase['beside']) => phases.filter((x) => x.beside === b);
  const besideHealthyPerSecond = median(of('healthy').map((x) => x.perSecond));
  const besideHangingPerSecond = median(of('hanging').map((x) => x.perSecond));
  return {
    healthyEndpoints: HEALTHY_ENDPOINTS,
    otherEndpoints: OTHER_ENDPOINTS,
    events: o.events,
    runs: o.runs,
    phases,
    besideHealthyPerSecond,
    besideHangingPerSecond,
    ratio: besideHangingPerSecond / besideHealthyPerSecond,
    hangingPosts: median(of('hanging').map((x) => x.otherPosts)),
  };
}
