import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Agent, request } from 'undici';
import { createSender } from '../functions/app/sender.js';
import { WebhookClient } from '../functions/app/webhook-client.js';
import { LOCAL_POLICY } from '../functions/domain/address-policy.js';
import { deliveryMessage, encodeDeliveryMessage, parseDeliveryMessage } from '../functions/domain/delivery-message.js';
import type { DeliveryMessage } from '../functions/domain/model.js';
import { DEFAULT_RETRY_SCHEDULE } from '../functions/domain/retry-schedule.js';
import { serializeSecretSet } from '../functions/domain/secret-set.js';
import { generateSecret, signHeaders } from '../functions/domain/signing.js';
import { webhookBody } from '../functions/domain/webhook-body.js';
import { LocalMetrics } from '../local/call-counter.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, RecordingQueue } from './memory-ports.js';
import { median, paddedData, pool, type ReceiverProcess, startReceiverProcess } from './support.js';

/**
 * Figure 1: deliveries per second of the sender handler against a bare undici client, both
 * posting the same signed ~1 KB bodies to the same loopback receiver (its own process) with
 * the same number of requests in flight and the same connection pool size.
 */

export interface SenderOptions {
  /** Batches of ten in flight at once; the baseline keeps concurrency * 10 requests in flight. */
  concurrency: number;
  runsEach: number;
  /** Wanted length of one measured run; the count is derived from the warm-up rate. */
  seconds: number;
  minCount: number;
  maxCount: number;
  warmup: number;
  log: (line: string) => void;
}

export interface RunResult {
  /** 'baseline', 'sender', or an experiment's label. */
  kind: string;
  count: number;
  seconds: number;
  perSecond: number;
  /** CPU of the bench process (the code under test) and of the receiver, as a share of one core. */
  cpu: number;
  receiverCpu: number;
  /** Event loop utilization of the bench process's main thread (1 = never idle). */
  elu: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

export interface SenderFigure {
  concurrency: number;
  inFlight: number;
  connections: number;
  batchSize: number;
  bodyBytes: number;
  count: number;
  runs: RunResult[];
  sender: number;
  baseline: number;
  ratio: number;
}

export const BATCH = 10;
export const CONNECTIONS = 50;
const TENANT = 'tnt_bench';
const SUBSCRIPTIONS = 10;
const USER_AGENT = 'serverless-webhooks/0.1 (bench)';

/** utime + stime of a process in seconds, from /proc (Linux); undefined elsewhere. */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A sender or baseline run's knobs. */
export interface SenderRunOptions {
  /** Batches in flight at once (default: the harness's concurrency). */
  concurrency?: number;
  /** Replaces the real WebhookClient (an experiment: a client that never touches the network). */
  client?: Pick<WebhookClient, 'post'>;
  /** Replaces createSender, to compare another implementation. */
  factory?: typeof createSender;
  /** Whether the receiver must see every delivery (default: only with the real client). */
  expectPosts?: boolean;
  label?: string;
}

export interface BaselineRunOptions {
  inFlight?: number;
  /** Send in groups of `batch` with Promise.all, as the sender does, instead of a free-running pool. */
  batch?: number;
  /** Add `signal: AbortSignal.timeout(ms)` to every request, as WebhookClient does. */
  abortTimeoutMs?: number;
  /** Read the body with for await, as WebhookClient's readExcerpt does, instead of body.text(). */
  forAwait?: boolean;
  /** Sign and serialize inside the timed loop, instead of before it. */
  signInLoop?: boolean;
  label?: string;
}

export interface SenderBench {
  receiver: ReceiverProcess;
  client: WebhookClient;
  concurrency: number;
  bodyBytes: number;
  records(count: number): SQSRecord[];
  runSender(count: number, options?: SenderRunOptions): Promise<RunResult>;
  runBaseline(count: number, options?: BaselineRunOptions): Promise<RunResult>;
  /** Any timed loop against the same receiver, checked to have made `count` POSTs (or none). */
  timed(kind: string, count: number, body: () => Promise<void>, expectPosts?: boolean): Promise<RunResult>;
  close(): Promise<void>;
}

export function formatRun(r: RunResult): string {
  return (
    `  ${r.kind.padEnd(8)} ${r.perSecond.toFixed(0).padStart(6)}/s  (${r.seconds.toFixed(2)} s, cpu ${(r.cpu * 100).toFixed(0)}%, loop busy ${(r.elu * 100).toFixed(0)}%, ` +
    `receiver cpu ${(r.receiverCpu * 100).toFixed(0)}%` +
    (r.latencyP50Ms !== undefined ? `, attempt latency p50 ${r.latencyP50Ms} ms p99 ${r.latencyP99Ms} ms)` : ')')
  );
}

export async function startSenderBench(concurrency: number): Promise<SenderBench> {
  const receiver = await startReceiverProcess();
  const subscriptions = new MemorySubscriptions();
  const secrets = new MemorySecrets();
  const now = new Date().toISOString();
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const id = `sub_bench_${i}`;
    const secretName = `webhooks/bench/${id}`;
    await secrets.create(secretName, serializeSecretSet({ current: generateSecret() }));
    await subscriptions.create({
      id,
      tenantId: TENANT,
      url: receiver.url,
      description: 'bench',
      events: ['card.created'],
      version: '2024-01-01',
      status: 'enabled',
      secretName,
      createdTime: now,
      updatedTime: now,
    });
  }
  const signingSecret = new Map(
    [...secrets.values].map(([name, value]) => [name.slice('webhooks/bench/'.length), (JSON.parse(value) as { current: string }).current]),
  );
  const secretOf = (subscriptionId: string) => signingSecret.get(subscriptionId)!;

  // One client each for the whole figure, as a warm Lambda container keeps its pool.
  const client = new WebhookClient({ policy: LOCAL_POLICY, timeoutMs: 10_000, userAgent: USER_AGENT, connections: CONNECTIONS });
  const agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000 });
  const data = paddedData(900);
  let tag = 0;

  /** SQS-shaped records of fresh deliveries (built before the clock starts). */
  function records(count: number): SQSRecord[] {
    const run = `r${tag++}`;
    const createdTime = new Date().toISOString();
    const out: SQSRecord[] = [];
    for (let i = 0; i < count; i++) {
      const subscriptionId = `sub_bench_${i % SUBSCRIPTIONS}`;
      const eventId = `evt_${run}_${i.toString().padStart(6, '0')}`;
      // As fan-out builds them (the body serialized once per event).
      const message = deliveryMessage(
        TENANT,
        subscriptionId,
        { id: eventId, type: 'card.created', timestamp: createdTime, data },
        createdTime,
      );
      const sent = String(Date.now());
      out.push({
        messageId: `msg_${run}_${i}`,
        receiptHandle: `rh_${run}_${i}`,
        // Encoded as the fan-out sends it: a one-line header, then the body unescaped.
        body: encodeDeliveryMessage(message),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'AROABENCH', ApproximateFirstReceiveTimestamp: sent },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:delivery',
        awsRegion: 'us-east-1',
      });
    }
    return out;
  }
  const bodyBytes = Buffer.byteLength(webhookBody(parseDeliveryMessage(records(1)[0]!.body)));

  async function timed(kind: string, count: number, body: () => Promise<void>, expectPosts = true): Promise<RunResult> {
    const before = await receiver.count();
    const rc0 = cpuSecondsOf(receiver.pid);
    const c0 = selfCpuSeconds();
    const e0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    await body();
    const seconds = (performance.now() - t0) / 1000;
    const elu = performance.eventLoopUtilization(e0).utilization;
    const cpu = (selfCpuSeconds() - c0) / seconds;
    const rc1 = cpuSecondsOf(receiver.pid);
    const got = (await receiver.count()) - before;
    if (got !== (expectPosts ? count : 0)) throw new Error(`${kind}: the receiver got ${got} POSTs, expected ${expectPosts ? count : 0}`);
    return {
      kind,
      count,
      seconds,
      perSecond: count / seconds,
      cpu,
      elu,
      receiverCpu: rc0 !== undefined && rc1 !== undefined ? (rc1 - rc0) / seconds : NaN,
    };
  }

  async function runSender(count: number, options: SenderRunOptions = {}): Promise<RunResult> {
    const recs = records(count);
    const batches: SQSEvent[] = [];
    for (let i = 0; i < recs.length; i += BATCH) batches.push({ Records: recs.slice(i, i + BATCH) });
    const store = new MemoryDeliveryStore();
    store.subscriptions = subscriptions;
    const metrics = new LocalMetrics();
    const handler = (options.factory ?? createSender)({
      secrets,
      deliveries: new RecordingQueue(),
      store,
      client: options.client ?? client,
      schedule: DEFAULT_RETRY_SCHEDULE,
      metrics,
    });
    let failed = 0;
    const result = await timed(
      options.label ?? 'sender',
      count,
      () =>
        pool(batches.length, options.concurrency ?? concurrency, async (i) => {
          const res = await handler(batches[i]!);
          failed += res.batchItemFailures.length;
        }),
      options.expectPosts ?? !options.client,
    );
    const succeeded = metrics.counts.get('DeliverySucceeded') ?? 0;
    if (failed > 0 || succeeded !== count || store.attemptCount !== count) {
      throw new Error(`sender run: ${succeeded} succeeded, ${failed} failed, ${store.attemptCount} attempts recorded, of ${count}`);
    }
    const lat = [...metrics.latencies].sort((a, b) => a - b);
    return { ...result, latencyP50Ms: lat[Math.floor(lat.length * 0.5)]!, latencyP99Ms: lat[Math.floor(lat.length * 0.99)]! };
  }

  async function runBaseline(count: number, options: BaselineRunOptions = {}): Promise<RunResult> {
    // The same bodies and headers the sender sends, signed before the clock starts.
    const messages = records(count).map((r) => parseDeliveryMessage(r.body));
    const prepare = (m: DeliveryMessage, ts: number) => {
      const body = webhookBody(m);
      const headers: Record<string, string> = {
        ...signHeaders([secretOf(m.subscriptionId)], m.event.id, ts, body),
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      };
      return { body, headers };
    };
    const ts = Math.floor(Date.now() / 1000);
    const posts = options.signInLoop ? [] : messages.map((m) => prepare(m, ts));
    let bad = 0;
    const one = async (i: number) => {
      const p = options.signInLoop ? prepare(messages[i]!, Math.floor(Date.now() / 1000)) : posts[i]!;
      const res = await request(receiver.url, {
        method: 'POST',
        dispatcher: agent,
        headers: p.headers,
        body: p.body,
        ...(options.abortTimeoutMs ? { signal: AbortSignal.timeout(options.abortTimeoutMs) } : {}),
      });
      if (options.forAwait) for await (const _chunk of res.body) void _chunk;
      else await res.body.text();
      if (res.statusCode !== 200) bad++;
    };
    const inFlight = options.inFlight ?? concurrency * BATCH;
    const batch = options.batch;
    const result = await timed(options.label ?? 'baseline', count, () =>
      batch
        ? pool(Math.ceil(count / batch), Math.ceil(inFlight / batch), async (b) => {
            const jobs: Promise<void>[] = [];
            for (let i = b * batch; i < Math.min(count, (b + 1) * batch); i++) jobs.push(one(i));
            await Promise.all(jobs);
          })
        : pool(count, inFlight, one),
    );
    if (bad > 0) throw new Error(`baseline run: ${bad} non-200 answers`);
    return result;
  }

  return {
    receiver,
    client,
    concurrency,
    bodyBytes,
    records,
    runSender,
    runBaseline,
    timed,
    async close() {
      await client.close();
      await agent.close();
      await receiver.stop();
    },
  };
}

export async function measureSender(options: SenderOptions): Promise<SenderFigure> {
  const { concurrency, log } = options;
  const bench = await startSenderBench(concurrency);
  try {
    log(`  warm-up: ${options.warmup} deliveries each, twice`);
    let wb: RunResult | undefined;
    let ws: RunResult | undefined;
    for (let i = 0; i < 2; i++) {
      wb = await bench.runBaseline(options.warmup);
      ws = await bench.runSender(options.warmup);
    }
    // One count for both, from the warmed-up rates: about `seconds` at their geometric mean.
    const rate = Math.sqrt(wb!.perSecond * ws!.perSecond);
    const step = concurrency * BATCH;
    const count = Math.min(options.maxCount, Math.max(options.minCount, Math.round((rate * options.seconds) / step) * step));
    log(
      `  warm-up rates: baseline ${wb!.perSecond.toFixed(0)}/s, sender ${ws!.perSecond.toFixed(0)}/s; measuring ${count} deliveries per run`,
    );
    const runs: RunResult[] = [];
    for (let i = 0; i < options.runsEach; i++) {
      for (const kind of ['baseline', 'sender'] as const) {
        const r = kind === 'baseline' ? await bench.runBaseline(count) : await bench.runSender(count);
        runs.push(r);
        log(formatRun(r));
      }
    }
    const sender = median(runs.filter((r) => r.kind === 'sender').map((r) => r.perSecond));
    const baseline = median(runs.filter((r) => r.kind === 'baseline').map((r) => r.perSecond));
    return {
      concurrency,
      inFlight: step,
      connections: CONNECTIONS,
      batchSize: BATCH,
      bodyBytes: bench.bodyBytes,
      count,
      runs,
      sender,
      baseline,
      ratio: sender / baseline,
    };
  } finally {
    await bench.close();
  }
}
