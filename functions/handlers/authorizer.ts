import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ImmediateEmfCounts } from '../adapters/aws/powertools-metrics.js';
import { createAuthorizer } from '../app/authorizer.js';
import { sharedThrottleKey } from '../runtime/config.js';
import { portalSessionStore, tenantRepository } from '../runtime/dynamodb.js';
import { coldStartMetric, logFn, logger, metrics } from '../runtime/observability.js';

export const handler = middy(
  createAuthorizer(tenantRepository(), portalSessionStore(), {
    sharedThrottleKey: sharedThrottleKey(),
    metrics: new ImmediateEmfCounts(metrics),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric());
