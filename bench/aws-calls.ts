import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import { AS_DEPLOYED, pool, startReceiverProcess, waitForDeliveries, waitIdle } from './support.js';

/**
 * Figure 3: AWS API calls our code makes per delivery at steady state, counted by local mode's
 * CallCounter (SDK middleware, Secrets Manager's stand-in included, plus the EventBridge stand-in; the event
 * source mapping's polling and the bus rule's delivery are AWS's own and not counted).
 */

export interface CallsPhase {
  subscriptions: number;
  events: number;
  deliveries: number;
  received: number;
  seconds: number;
  total: number;
  perDelivery: number;
  /** Everything but EventBridge.PutEvents, the publish API's own call (one per event). */
  perDeliveryExcludingPublish: number;
  /**
   * Everything but DynamoDB.GetItem, which in this workload is only the authorizer's tenant
   * lookup, once per API request: the local gateway runs the authorizer on every request, while
   * API Gateway caches its answer (resultsCacheTtl, 300 s), so on AWS these calls all but vanish.
   */
  perDeliveryWithAuthorizerCached: number;
  /** Both of the above removed: what the pipeline behind the API makes per delivery. */
  perDeliveryPipelineOnly: number;
  byOperation: Record<string, number>;
}

export const AUTHORIZER_CALL = 'DynamoDB.GetItem';

export interface CallsOptions {
  events: number;
  warmupEvents: number;
  publishConcurrency: number;
  subscriptionCounts: readonly number[];
  idleMs: number;
  timeoutMs: number;
  log: (line: string) => void;
}

export const PUBLISH_CALL = 'EventBridge.PutEvents';

export async function measureCalls(options: CallsOptions): Promise<CallsPhase[]> {
  const { log } = options;
  const receiver = await startReceiverProcess();
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-bench-'));
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({ port: 0, dataDir, ...AS_DEPLOYED });
    const p = pipeline;
    const call = async (path: string, body: unknown): Promise<{ status: number; text: string }> => {
      const res = await fetch(p.url + path, {
        method: 'POST',
        headers: { Identity: p.credentials.identity, Authorization: p.credentials.authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const publish = async (n: number) =>
      pool(n, options.publishConcurrency, async () => {
        const res = await call('/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
        if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${res.text}`);
      });

    const phases: CallsPhase[] = [];
    let subscriptions = 0;
    for (const s of options.subscriptionCounts) {
      while (subscriptions < s) {
        const res = await call('/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
        if (res.status !== 201) throw new Error(`create subscription answered ${res.status}: ${res.text}`);
        subscriptions++;
      }
      // Warm: caches filled, queues drained, connections open.
      let start = await receiver.count();
      await publish(options.warmupEvents);
      await waitForDeliveries(receiver, start + options.warmupEvents * s, options.timeoutMs);
      await waitIdle(p, options.idleMs);

      p.calls.reset();
      start = await receiver.count();
      const t0 = performance.now();
      await publish(options.events);
      const deliveries = options.events * s;
      await waitForDeliveries(receiver, start + deliveries, options.timeoutMs);
      const seconds = (performance.now() - t0) / 1000;
      await waitIdle(p, options.idleMs);
      const received = (await receiver.count()) - start;
      const total = p.calls.total();
      const byOperation = p.calls.snapshot();
      const phase: CallsPhase = {
        subscriptions: s,
        events: options.events,
        deliveries,
        received,
        seconds,
        total,
        perDelivery: total / deliveries,
        perDeliveryExcludingPublish: (total - (byOperation[PUBLISH_CALL] ?? 0)) / deliveries,
        perDeliveryWithAuthorizerCached: (total - (byOperation[AUTHORIZER_CALL] ?? 0)) / deliveries,
        perDeliveryPipelineOnly: (total - (byOperation[PUBLISH_CALL] ?? 0) - (byOperation[AUTHORIZER_CALL] ?? 0)) / deliveries,
        byOperation,
      };
      phases.push(phase);
      log(
        `  S=${s}: ${deliveries} deliveries (${received} POSTs received) in ${seconds.toFixed(1)} s; ${total} calls = ${phase.perDelivery.toFixed(3)}/delivery, ` +
          `${phase.perDeliveryExcludingPublish.toFixed(3)} without ${PUBLISH_CALL}, ${phase.perDeliveryWithAuthorizerCached.toFixed(3)} without the authorizer's ${AUTHORIZER_CALL}`,
      );
      log(
        `       ${Object.entries(byOperation)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
    return phases;
  } finally {
    await pipeline?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
