import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { createFanout } from '../app/fanout.js';
import { aws, logFn, logger, metrics } from '../runtime/aws-environment.js';

export const handler = middy(
  createFanout({ subscriptions: aws.subscriptions(), deliveries: aws.deliveryQueue(), store: aws.store(), metrics: aws.metrics(), log: logFn }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
