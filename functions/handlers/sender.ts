import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createSender } from '../app/sender.js';
import { WebhookClient } from '../app/webhook-client.js';
import { AWS_POLICY } from '../domain/address-policy.js';
import { optionalNumber, retrySchedule } from '../runtime/config.js';
import { deliveryStore, subscriptionRepository } from '../runtime/dynamodb.js';
import { deliveryQueue, secretStore } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

export const handler = middy(
  createSender({
    subscriptions: subscriptionRepository(),
    secrets: secretStore(),
    deliveries: deliveryQueue(),
    store: deliveryStore(),
    client: new WebhookClient({
      policy: AWS_POLICY,
      timeoutMs: optionalNumber('WEBHOOKS_ATTEMPT_TIMEOUT_MS') ?? 10_000,
      userAgent: 'serverless-webhooks/0.1 (+Standard Webhooks)',
    }),
    schedule: retrySchedule(),
    metrics: emfMetrics(),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
