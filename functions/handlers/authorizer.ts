import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createAuthorizer } from '../app/authorizer.js';
import { sharedThrottleKey } from '../runtime/config.js';
import { portalSessionStore, tenantRepository } from '../runtime/dynamodb.js';
import { coldStartMetric, logger } from '../runtime/observability.js';

export const handler = middy(createAuthorizer(tenantRepository(), portalSessionStore(), { sharedThrottleKey: sharedThrottleKey() }))
  .use(injectLambdaContext(logger))
  .use(coldStartMetric());
