import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createFanout } from '../app/fanout.js';
import { aws, logFn, logger } from '../runtime/aws-environment.js';

export const handler = middy(createFanout({ subscriptions: aws.subscriptions(), deliveries: aws.deliveryQueue(), log: logFn })).use(
  injectLambdaContext(logger),
);
