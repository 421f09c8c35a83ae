import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { EmfMetrics } from '../adapters/aws/powertools-metrics.js';

/**
 * Powertools Logger (JSON) and Metrics (CloudWatch EMF), one of each per container.
 *
 * The Logger takes its level from POWERTOOLS_LOG_LEVEL (the construct's `logLevel`, INFO unless
 * told) and logs a share POWERTOOLS_LOGGER_SAMPLE_RATE of invocations at DEBUG whatever the
 * level (`debugLogSampleRate`), decided afresh each invocation by injectLambdaContext. At
 * volume the sender logs successful attempts at DEBUG and failed ones at WARN, so INFO costs
 * nothing per success and a sample still shows what success looks like.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Webhooks',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks',
});

export const emfMetrics = () => new EmfMetrics(metrics);

export function logFn(level: LogLevel, message: string, detail: Record<string, unknown>): void {
  logger[level](message, detail);
}

/**
 * Middy middleware: a `ColdStart` count (dimensions service and function_name) on a container's
 * first invocation, written at once as its own EMF line, so handlers without other metrics (api,
 * authorizer) need no metrics flush, and the dashboard shows cold starts per function.
 */
export function coldStartMetric(): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
    },
  };
}
