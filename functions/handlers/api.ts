import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createApi } from '../app/api.js';
import { AWS_POLICY } from '../domain/address-policy.js';
import { loadCatalog } from '../domain/catalog.js';
import { aws, logFn, logger } from '../runtime/aws-environment.js';

export const handler = middy(
  createApi({
    subscriptions: aws.subscriptions(),
    secrets: aws.secrets(),
    bus: aws.bus(),
    store: aws.store(),
    deliveries: aws.deliveryQueue(),
    catalog: loadCatalog(),
    policy: AWS_POLICY,
    secretNamePrefix: aws.secretNamePrefix(),
    ...(process.env.WEBHOOKS_ROTATION_OVERLAP_SECONDS ? { rotationOverlapSeconds: Number(process.env.WEBHOOKS_ROTATION_OVERLAP_SECONDS) } : {}),
    log: logFn,
  }),
).use(injectLambdaContext(logger));
