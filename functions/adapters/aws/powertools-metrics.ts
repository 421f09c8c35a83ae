import { MetricUnit, type Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '../../ports.js';

/** The Metrics port on Powertools (CloudWatch EMF, flushed per invocation by its middy middleware). */
export class EmfMetrics implements Metrics {
  constructor(private readonly metrics: PowertoolsMetrics) {}

  count(name: Parameters<Metrics['count']>[0], n = 1): void {
    if (n > 0) this.metrics.addMetric(name, MetricUnit.Count, n);
  }

  latency(ms: number): void {
    this.metrics.addMetric('AttemptLatency', MetricUnit.Milliseconds, ms);
  }

  gauge(name: NonNullable<Metrics['gauge']> extends (n: infer N, v: number) => void ? N : never, value: number): void {
    this.metrics.addMetric(name, name === 'HeldDeliveries' ? MetricUnit.Count : MetricUnit.Seconds, value);
  }
}

/**
 * Counts written at once, each as its own EMF line: for a handler that ends by throwing (the
 * authorizer's 401 is a thrown `Unauthorized`) and writes nothing on its common path, so there
 * is no buffer to flush and no "no metrics" warning on every Allow.
 */
export class ImmediateEmfCounts implements Pick<Metrics, 'count'> {
  constructor(private readonly metrics: PowertoolsMetrics) {}

  count(name: Parameters<Metrics['count']>[0], n = 1): void {
    if (n > 0) this.metrics.singleMetric().addMetric(name, MetricUnit.Count, n);
  }
}
