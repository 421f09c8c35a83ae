import type { LocalPipeline } from '../local/pipeline.js';
import {
  type BenchReceiver,
  duplicateAcks,
  type Mode,
  publish,
  startBenchReceiver,
  subscribe,
  uniqueAcks,
  until,
  withPipeline,
} from './local-bench.js';
import { sleep } from './support.js';

/**
 * Issue 8's figures, on local mode (the twin: fauxqs, dynalite, pollers that scale like the
 * event source mapping, the sender's circuit breaker and bulkhead):
 *
 * 1. Isolation: healthy endpoints' deliveries/s while 30 % of the endpoints time out (never
 *    answer), divided by the same healthy endpoints' deliveries/s alone, same pipeline, same run.
 * 2. Drain: 10,000 deliveries (1,000 events x 10 endpoints) with 30 % of the receivers failing
 *    half their requests, slow (0.3-1.5 s) or resetting half their connections, on a compressed
 *    schedule: time until every delivery is delivered or dead-lettered, deliveries lost (neither),
 *    and deliveries a receiver acknowledged (2xx) more than once.
 */

export interface IsolationFigure {
  healthyEndpoints: number;
  timingOutEndpoints: number;
  events: number;
  aloneSeconds: number;
  withSlowSeconds: number;
  alonePerSecond: number;
  withSlowPerSecond: number;
  ratio: number;
  /** POSTs the timing-out endpoints received while the healthy ones were served. */
  timingOutPosts: number;
}

export async function measureIsolation(options: { events: number; log: (line: string) => void }): Promise<IsolationFigure> {
  const healthy = await Promise.all(Array.from({ length: 7 }, () => startBenchReceiver('ok')));
  const hanging = await Promise.all(Array.from({ length: 3 }, () => startBenchReceiver('hang')));
  try {
    return await withPipeline({}, async (_p, call) => {
      for (const r of healthy) await subscribe(call, r.url);
      // Warm: connections open, the pollers scaled.
      await publish(call, 20, 8);
      await until(60_000, () => uniqueAcks(healthy) >= 20 * healthy.length);

      const run = async (label: string) => {
        const before = uniqueAcks(healthy);
        const target = before + options.events * healthy.length;
        const t0 = performance.now();
        await publish(call, options.events, 8);
        if (!(await until(300_000, () => uniqueAcks(healthy) >= target)))
          throw new Error(`${label}: the healthy endpoints got ${uniqueAcks(healthy) - before} of ${target - before}`);
        return (performance.now() - t0) / 1000;
      };
      const aloneSeconds = await run('alone');
      options.log(`  7 healthy endpoints alone: ${options.events * healthy.length} deliveries in ${aloneSeconds.toFixed(2)} s`);
      for (const r of hanging) await subscribe(call, r.url);
      const withSlowSeconds = await run('with 30 % timing out');
      const timingOutPosts = hanging.reduce((n, r) => n + r.requests, 0);
      options.log(
        `  the same with 3 endpoints that never answer: ${withSlowSeconds.toFixed(2)} s; they got ${timingOutPosts} POSTs of ${options.events * hanging.length} deliveries`,
      );
      // Their hanging POSTs end now, so the pipeline can stop.
      await Promise.all(hanging.map((r) => r.close()));
      const n = options.events * healthy.length;
      return {
        healthyEndpoints: healthy.length,
        timingOutEndpoints: hanging.length,
        events: options.events,
        aloneSeconds,
        withSlowSeconds,
        alonePerSecond: n / aloneSeconds,
        withSlowPerSecond: n / withSlowSeconds,
        ratio: aloneSeconds / withSlowSeconds,
        timingOutPosts,
      };
    });
  } finally {
    await Promise.all([...healthy, ...hanging].map((r) => r.close().catch(() => undefined)));
  }
}

export interface DrainFigure {
  deliveries: number;
  schedule: readonly number[];
  seconds: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
  duplicatedRatio: number;
  deferred: number;
}

export const DRAIN_SCHEDULE = [1, 1, 2, 2, 4, 4, 8] as const;

export async function measureDrain(options: {
  events: number;
  timeoutMs: number;
  log: (line: string) => void;
  /** Called before the pipeline stops (diagnosis). */
  inspect?: (p: LocalPipeline, receivers: readonly BenchReceiver[]) => Promise<void>;
}): Promise<DrainFigure> {
  const modes: Mode[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'fail', 'slow', 'reset'];
  const receivers = await Promise.all(modes.map((m) => startBenchReceiver(m)));
  try {
    return await withPipeline({ retrySchedule: DRAIN_SCHEDULE }, async (p, call) => {
      for (const r of receivers) await subscribe(call, r.url);
      const deliveries = options.events * receivers.length;
      const dead = () => p.metrics.counts.get('DeliveryDeadLettered') ?? 0;
      const t0 = performance.now();
      await publish(call, options.events, 8);
      const settled = await until(options.timeoutMs, () => uniqueAcks(receivers) + dead() >= deliveries);
      const seconds = (performance.now() - t0) / 1000;
      // A moment more, to see any late duplicate.
      await sleep(2_000);
      const delivered = uniqueAcks(receivers);
      const duplicated = duplicateAcks(receivers);
      const deadLettered = dead();
      const lost = Math.max(0, deliveries - delivered - deadLettered);
      await options.inspect?.(p, receivers);
      options.log(
        `  ${deliveries} deliveries ${settled ? 'settled' : 'NOT settled'} in ${seconds.toFixed(1)} s: ${delivered} delivered, ${deadLettered} dead-lettered, ${lost} lost, ${duplicated} acknowledged twice`,
      );
      return {
        deliveries,
        schedule: DRAIN_SCHEDULE,
        seconds,
        delivered,
        deadLettered,
        lost,
        duplicated,
        duplicatedRatio: duplicated / deliveries,
        deferred: p.metrics.counts.get('DeliveryDeferred') ?? 0,
      };
    });
  } finally {
    await Promise.all(receivers.map((r) => r.close().catch(() => undefined)));
  }
}
