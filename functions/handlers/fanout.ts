import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createFanout } from '../app/fanout.js';
import { bodyStore } from '../runtime/bodies.js';
import { deliveryStore, subscriptionRepository } from '../runtime/dynamodb.js';
import { deliveryQueue, ingestQueue } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

export const handler = middy(
  createFanout({
    subscriptions: subscriptionRepository(),
    deliveries: deliveryQueue(),
    ingest: ingestQueue(),
    store: deliveryStore(),
    bodies: bodyStore(),
    metrics: emfMetrics(),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
