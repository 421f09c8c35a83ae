import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfMetrics } from '../adapters/aws/powertools-metrics.js';

/** Powertools Logger (JSON) and Metrics (CloudWatch EMF), one of each per container. */

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Webhooks',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks',
});

export const emfMetrics = () => new EmfMetrics(metrics);

export function logFn(level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>): void {
  logger[level](message, detail);
}
