import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxInWindow, type RateLimit } from '../functions/domain/rate-limit.js';
import { ACCOUNT_THROTTLE_ONLY, type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import type { UsageSnapshot } from '../local/usage-meter.js';
import { addTenant } from '../test/support/local.js';
import { type Receiver, startReceiver } from '../test/support/receiver.js';
import { type CostLines, priceUsage, sumLines } from './cost-model.js';
import type { StackSettings } from './stack-settings.js';
import { percentile, pool, sleep, waitIdle } from './support.js';

/**
 * Rate limits per subscription (section `rate-limit`, functions/domain/rate-limit.ts), on local
 * mode: for each limit, a backlog put on the bus at once for a subscription limited to it, and the
 * rate its receiver sees over the middle 80 % of the arrivals (the first burst and the ramp-up
 * and the tail left out) divided by the limit; whether any window held more than the limit allows;
 * an unlimited neighbour's publish-to-receipt latency alone and beside a limited backlog; the
 * rate-limit item's writes while only unlimited deliveries go (0 is the design); and what a
 * limited delivery costs on AWS against an unlimited one, from what local mode meters, at the
 * prices of bench/prices.ts.
 */

export interface RateLimitBenchOptions {
  /** Limits to measure, deliveries a second. */
  rates: readonly number[];
  /** Seconds of backlog each limit gets (rate × seconds events). */
  seconds: number;
  /** The neighbour's stream, events a second, and how long. */
  neighbourPerSecond: number;
  neighbourSeconds: number;
  log: (line: string) => void;
}

export interface RateFigure {
  limit: number;
  deliveries: number;
  /** Deliveries a second over the middle 80 % of the arrivals. */
  received: number;
  ratio: number;
  /** Most deliveries in any window beyond what the limit allows there (0: never over). */
  windowExcess: number;
  /** Deliveries sent again to wait for their slots. */
  resent: number;
}

export interface LatencyFigure {
  p50Ms: number;
  p99Ms: number;
  count: number;
}

export interface RateLimitFigure {
  rates: RateFigure[];
  neighbourAlone: LatencyFigure;
  neighbourBeside: LatencyFigure & { besideLimit: number };
  /** Writes of rate-limit items while only unlimited deliveries went (the design: none). */
  unlimitedRateItemCalls: number;
  /** DynamoDB requests per delivery, unlimited alone and limited (a backlog at 5/s). */
  dynamoRequestsPerDelivery: { unlimited: number; limited: number };
  /** USD per million deliveries, every line, bus to receiver; the difference is the limit's. */
  cost: {
    unlimitedPerMillion: number;
    limitedPerMillion: number;
    extraPerMillion: number;
    limitedLines: CostLines;
    unlimitedLines: CostLines;
  };
}

/** The most deliveries beyond maxInWindow in any window of the arrivals. */
export function windowExcess(arrivals: readonly number[], limit: RateLimit): number {
  const at = [...arrivals].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0; i < at.length; i++)
    for (let j = i; j < at.length; j++) worst = Math.max(worst, j - i + 1 - maxInWindow(limit, at[j]! - at[i]!));
  return worst;
}

/** Deliveries a second over the middle 80 % of the arrivals. */
export function middleRate(arrivals: readonly number[]): number {
  const at = [...arrivals].sort((a, b) => a - b);
  const from = Math.floor(at.length * 0.1);
  const to = Math.max(from + 1, Math.ceil(at.length * 0.9) - 1);
  return (to - from) / ((at[to]! - at[from]!) / 1000);
}

const dynamoRequests = (u: UsageSnapshot) => Object.values(u.dynamodb.requests).reduce((n, x) => n + x, 0);
const rateItemCalls = (u: UsageSnapshot) =>
  Object.entries(u.dynamodb.items).reduce((n, [k, v]) => (k.endsWith(' rate limit slots') ? n + v : n), 0);

export async function measureRateLimit(o: RateLimitBenchOptions, stack: StackSettings): Promise<RateLimitFigure> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-rate-bench-'));
  const receivers: Receiver[] = [];
  let p: LocalPipeline | undefined;
  try {
    p = await startLocalPipeline({ port: 0, dataDir, ...ACCOUNT_THROTTLE_ONLY, resumeIntervalMs: 3_600_000, log: () => undefined });
    const pipeline = p;
    const receiver = async () => {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    };
    const subscribe = async (tenant: { identity: string; authorization: string }, url: string, rate?: RateLimit) => {
      const res = await fetch(`${pipeline.url}/api/v0.1/webhooks`, {
        method: 'POST',
        headers: { Identity: tenant.identity, Authorization: tenant.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({
          url,
          events: ['card.created'],
          ...(rate ? { rate_limit: { per_second: rate.perSecond, burst: rate.burst } } : {}),
        }),
      });
      if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${await res.text()}`);
    };
    let seq = 0;
    const put = (tenantId: string) => {
      const id = `evt_rate_${++seq}`;
      return pipeline.bus
        .publish(tenantId, { id, type: 'card.created', timestamp: new Date().toISOString(), data: { n: seq } })
        .then(() => id);
    };
    const until = async (what: string, ms: number, done: () => boolean) => {
      const deadline = Date.now() + ms;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await sleep(50);
      }
    };

    // Each measured subscription is its own tenant: nothing else shares its subscriptions.
    const neighbourTenant = await addTenant(pipeline, 'neighbour');
    const neighbourRx = await receiver();
    await subscribe(neighbourTenant, neighbourRx.url);
    /** A steady stream to the neighbour: publish time by event id, then each receipt's latency. */
    const neighbourStream = async (): Promise<LatencyFigure> => {
      const sentAt = new Map<string, number>();
      const before = neighbourRx.requests.length;
      const n = o.neighbourPerSecond * o.neighbourSeconds;
      const start = Date.now();
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await sleep(Math.max(0, start + (i * 1000) / o.neighbourPerSecond - Date.now()));
          const t = Date.now();
          sentAt.set(await put(neighbourTenant.tenantId), t);
        }),
      );
      await until('the neighbour’s stream received', 120_000, () => neighbourRx.requests.length >= before + n);
      const latencies = neighbourRx.requests.slice(before).map((r) => r.at - sentAt.get(String(r.headers['webhook-id']))!);
      return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), count: latencies.length };
    };

    // Warm: connections, the authorizer, the sender's secret caches.
    await neighbourStream();
    await waitIdle(pipeline, 1_000);

    o.log('  unlimited neighbour alone (metered)');
    pipeline.usage.reset();
    const neighbourAlone = await neighbourStream();
    await waitIdle(pipeline, 1_000);
    const unlimitedUsage = pipeline.usage.snapshot();

    const rates: RateFigure[] = [];
    let limitedUsage: { usage: UsageSnapshot; deliveries: number } | undefined;
    let neighbourBeside: (LatencyFigure & { besideLimit: number }) | undefined;
    for (const [k, perSecond] of o.rates.entries()) {
      const limit: RateLimit = { perSecond, burst: 1 };
      const tenant = await addTenant(pipeline, `limited ${perSecond}`);
      const rx = await receiver();
      await subscribe(tenant, rx.url, limit);
      const n = Math.max(30, perSecond * o.seconds);
      o.log(`  limit ${perSecond}/s: ${n} events put on the bus at once`);
      // The first limit's phase is the metered one; the second's has the neighbour's stream beside it.
      if (k === 0) pipeline.usage.reset();
      const resentBefore = pipeline.metrics.counts.get('DeliveryRateLimited') ?? 0;
      // Local mode's fan-out on a shared machine may supply fewer deliveries a second than a limit:
      // then this measures the supply (`resent` says how many waited), and the mechanism's own
      // figure is rate-limit-senders.ts's. (Holding the backlog back with a throttle fault was
      // tried: the fan-out's small batches used the throttles up, and the neighbour's met them.)
      await pool(n, 32, async () => void (await put(tenant.tenantId)));
      await until(`the ${perSecond}/s backlog's first deliveries`, 300_000, () => rx.requests.length >= Math.min(n, perSecond));
      const beside = k === 1 ? neighbourStream() : undefined;
      await until(`${n} deliveries at ${perSecond}/s`, ((n / perSecond) * 4 + 600) * 1000, () => rx.requests.length >= n);
      if (beside) neighbourBeside = { ...(await beside), besideLimit: perSecond };
      if (k === 0) {
        await waitIdle(pipeline, 1_000);
        limitedUsage = { usage: pipeline.usage.snapshot(), deliveries: n };
      }
      const at = rx.requests.map((r) => r.at);
      const received = middleRate(at);
      const figure: RateFigure = {
        limit: perSecond,
        deliveries: rx.requests.length,
        received,
        ratio: received / perSecond,
        windowExcess: windowExcess(at, limit),
        resent: (pipeline.metrics.counts.get('DeliveryRateLimited') ?? 0) - resentBefore,
      };
      rates.push(figure);
      o.log(
        `    received ${received.toFixed(2)}/s (x${figure.ratio.toFixed(3)}), window excess ${figure.windowExcess}, ${figure.resent} sent again`,
      );
      await waitIdle(pipeline, 1_000, 600_000);
    }
    if (!limitedUsage || !neighbourBeside) throw new Error('the rate-limit bench needs at least two limits');

    const price = (u: UsageSnapshot) => priceUsage(u, { secretsCalls: 0, seconds: 0, durations: 'billed' }, stack);
    const unlimitedLines = price(unlimitedUsage);
    const limitedLines = price(limitedUsage.usage);
    const unlimitedDeliveries = neighbourAlone.count;
    const unlimitedPerMillion = (sumLines(unlimitedLines) / unlimitedDeliveries) * 1e6;
    const limitedPerMillion = (sumLines(limitedLines) / limitedUsage.deliveries) * 1e6;
    return {
      rates,
      neighbourAlone,
      neighbourBeside,
      unlimitedRateItemCalls: rateItemCalls(unlimitedUsage),
      dynamoRequestsPerDelivery: {
        unlimited: dynamoRequests(unlimitedUsage) / unlimitedDeliveries,
        limited: dynamoRequests(limitedUsage.usage) / limitedUsage.deliveries,
      },
      cost: {
        unlimitedPerMillion,
        limitedPerMillion,
        extraPerMillion: limitedPerMillion - unlimitedPerMillion,
        limitedLines,
        unlimitedLines,
      },
    };
  } finally {
    await p?.stop();
    for (const r of receivers) await r.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
