import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { OperationalEvents } from '../app/operational-events.js';
import { createSender } from '../app/sender.js';
import { WebhookClient } from '../app/webhook-client.js';
import { AWS_POLICY } from '../domain/address-policy.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS } from '../domain/retry-schedule.js';
import { bodyStore } from '../runtime/bodies.js';
import { IN_FLIGHT_BUDGET_ENV, optionalNumber, retrySchedule } from '../runtime/config.js';
import { deliveryStore, parkingStore, rateSlots } from '../runtime/dynamodb.js';
import { deliveryInFlight, deliveryQueue, operationalBus, secretStore } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

const attemptTimeoutMs = optionalNumber('WEBHOOKS_ATTEMPT_TIMEOUT_MS') ?? DEFAULT_ATTEMPT_TIMEOUT_MS;

export const handler = middy(
  createSender({
    secrets: secretStore(),
    deliveries: deliveryQueue(),
    store: deliveryStore(),
    bodies: bodyStore(),
    client: new WebhookClient({
      policy: AWS_POLICY,
      timeoutMs: attemptTimeoutMs,
      userAgent: 'serverless-webhooks/0.1 (+Standard Webhooks)',
    }),
    schedule: retrySchedule(),
    attemptTimeoutMs,
    parking: {
      lots: parkingStore(),
      gauge: deliveryInFlight(),
      ...(optionalNumber(IN_FLIGHT_BUDGET_ENV) ? { inFlightBudget: optionalNumber(IN_FLIGHT_BUDGET_ENV)! } : {}),
    },
    operational: new OperationalEvents({ bus: operationalBus(), metrics: emfMetrics(), log: logFn }),
    rateSlots: rateSlots(),
    metrics: emfMetrics(),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
