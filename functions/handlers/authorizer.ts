import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createAuthorizer } from '../app/authorizer.js';
import { aws, logger } from '../runtime/aws-environment.js';

export const handler = middy(createAuthorizer(aws.tenants())).use(injectLambdaContext(logger));
