import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { createSender } from '../app/sender.js';
import { WebhookClient } from '../app/webhook-client.js';
import { AWS_POLICY } from '../domain/address-policy.js';
import { aws, logFn, logger, metrics } from '../runtime/aws-environment.js';

const timeoutMs = Number(process.env.WEBHOOKS_ATTEMPT_TIMEOUT_MS ?? 10_000);

export const handler = middy(
  createSender({
    subscriptions: aws.subscriptions(),
    secrets: aws.secrets(),
    deliveries: aws.deliveryQueue(),
    store: aws.store(),
    client: new WebhookClient({ policy: AWS_POLICY, timeoutMs, userAgent: 'serverless-webhooks/0.1 (+Standard Webhooks)' }),
    schedule: aws.retrySchedule(),
    metrics: aws.metrics(),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
