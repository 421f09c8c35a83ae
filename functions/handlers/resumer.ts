import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createResumer } from '../app/resumer.js';
import { optionalNumber, RESUME_RATE_ENV } from '../runtime/config.js';
import { deliveryStore, parkingStore } from '../runtime/dynamodb.js';
import { deliveryQueue } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

/** Invoked once a minute by an EventBridge schedule (lib/constructs/delivery-resumer.ts); the event says nothing it needs. */
const run = createResumer({
  parking: parkingStore(),
  store: deliveryStore(),
  deliveries: deliveryQueue(),
  ...(optionalNumber(RESUME_RATE_ENV) ? { resumeRatePerSecond: optionalNumber(RESUME_RATE_ENV)! } : {}),
  metrics: emfMetrics(),
  log: logFn,
});

export const handler = middy(async () => {
  await run();
})
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
