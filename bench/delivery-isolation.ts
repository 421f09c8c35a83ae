import type { LocalPipeline } from '../local/pipeline.js';
import {
  type BenchReceiver,
  deadLetteredEventIds,
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
 * Issue 8's drain, on local mode (the twin: fauxqs, dynalite, pollers that scale like the event
 * source mapping, the sender's circuit breaker and bulkhead): 10,000 deliveries (1,000 events x
 * 10 endpoints) with 30 % of the receivers failing half their requests, slow (0.3-1.5 s) or
 * resetting half their connections, on a compressed schedule: time until every delivery is
 * delivered or dead-lettered, deliveries lost (neither), and deliveries a receiver acknowledged
 * (2xx) more than once. (Issue 8's isolation figure, 7 healthy endpoints alone against beside 3
 * that never answer, is replaced by issue 17's in isolation-at-scale.ts.)
 */

export interface DrainFigure {
  deliveries: number;
  schedule: readonly number[];
  seconds: number;
  delivered: number;
  /** Deliveries whose records say dead-lettered at the end (and neither acknowledged). */
  deadLettered: number;
  /** What the sender counted as dead-lettered (DeliveryDeadLettered): more than the above if some were delivered after all. */
  deadLetteredCounted: number;
  /** Deliveries neither acknowledged by their receiver nor recorded as dead-lettered, counted one by one. */
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
      const subscriptions: string[] = [];
      for (const r of receivers) subscriptions.push(await subscribe(call, r.url));
      const deliveries = options.events * receivers.length;
      const deadCounted = () => p.metrics.counts.get('DeliveryDeadLettered') ?? 0;
      const t0 = performance.now();
      const events = await publish(call, options.events, 8);
      const settled = await until(options.timeoutMs, () => uniqueAcks(receivers) + deadCounted() >= deliveries);
      const seconds = (performance.now() - t0) / 1000;
      // A moment more, to see any late duplicate; then each delivery is looked for, one by one:
      // acknowledged by its receiver, or recorded as dead-lettered (the sender's count can say
      // more, when a dead-lettered delivery was sent again after all).
      await sleep(2_000);
      const unsettled = async () => {
        const dead = await Promise.all(subscriptions.map((id) => deadLetteredEventIds(p, id)));
        const missing = receivers.map((r, i) => events.filter((e) => !r.acked.has(e) && !dead[i]!.has(e)).length);
        const deadOnly = receivers.map((r, i) => [...dead[i]!].filter((e) => !r.acked.has(e)).length);
        return { lost: missing.reduce((a, b) => a + b, 0), deadLettered: deadOnly.reduce((a, b) => a + b, 0) };
      };
      let check = await unsettled();
      const deadline = t0 + options.timeoutMs;
      while (check.lost > 0 && performance.now() < deadline) {
        await sleep(2_000);
        check = await unsettled();
      }
      const delivered = uniqueAcks(receivers);
      const duplicated = duplicateAcks(receivers);
      const { lost, deadLettered } = check;
      await options.inspect?.(p, receivers);
      options.log(
        `  ${deliveries} deliveries ${settled ? 'settled' : 'NOT settled'} in ${seconds.toFixed(1)} s: ${delivered} delivered, ${deadLettered} dead-lettered (the sender counted ${deadCounted()}), ${lost} lost, ${duplicated} acknowledged twice`,
      );
      return {
        deliveries,
        schedule: DRAIN_SCHEDULE,
        seconds,
        delivered,
        deadLettered,
        deadLetteredCounted: deadCounted(),
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
