import type { WebhookEvent } from '../functions/domain/model.js';
import type { EventBus, Metrics } from '../functions/ports.js';

/**
 * Counts the AWS API calls our code makes in local mode, as they would be made on AWS: SDK
 * calls through a middleware (Secrets Manager's stand-in answers a real SDK client, so one call
 * is one request as AWS counts it: a BatchGetSecretValue per 20 secrets), and the EventBridge
 * stand-in by hand.
 * Calls that emulate AWS itself (the event source mapping's polling, the rule's delivery to
 * the ingest queue) go through clients that are not counted.
 */
export class CallCounter {
  readonly counts = new Map<string, number>();

  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort());
  }

  reset(): void {
    this.counts.clear();
  }

  instrument<C extends { middlewareStack: { add(middleware: unknown, options: unknown): void } }>(service: string, client: C): C {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        this.add(`${service}.${String(context.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: `count-${service}-calls` },
    );
    return client;
  }

  bus(inner: EventBus): EventBus {
    return {
      publish: (tenantId: string, event: WebhookEvent, options?: { stored?: boolean }) => {
        this.add('EventBridge.PutEvents');
        return inner.publish(tenantId, event, options);
      },
    };
  }
}

/** Local stand-in for CloudWatch metrics: counters a developer (or the benchmark) can read. */
export class LocalMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  readonly latencies: number[] = [];

  count(name: Parameters<Metrics['count']>[0], n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  latency(ms: number): void {
    if (this.latencies.length < 100_000) this.latencies.push(ms);
  }

  /** The latest value of each gauge, and every value in order (the datapoints CloudWatch would get). */
  readonly gauges = new Map<string, number>();
  readonly gaugeSeries = new Map<string, number[]>();
  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
    const series = this.gaugeSeries.get(name) ?? [];
    if (series.length < 100_000) series.push(value);
    this.gaugeSeries.set(name, series);
  }
}
