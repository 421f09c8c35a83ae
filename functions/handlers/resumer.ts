import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { OperationalEvents } from '../app/operational-events.js';
import { createRecoveryWorker } from '../app/recovery.js';
import { createResumer } from '../app/resumer.js';
import { DEFAULT_AUTO_DISABLE_SECONDS } from '../domain/recovery.js';
import { AUTO_DISABLE_ENV, optionalNumber, RESUME_RATE_ENV } from '../runtime/config.js';
import { deliveryStore, parkingStore, recoveryStore, subscriptionRepository } from '../runtime/dynamodb.js';
import { deliveryQueue, operationalBus } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

/** Invoked once a minute by an EventBridge schedule (lib/constructs/delivery-resumer.ts); the event says nothing it needs. */
const store = deliveryStore();
const recoveries = recoveryStore();
const deliveries = deliveryQueue();
const run = createResumer({
  parking: parkingStore(),
  store,
  deliveries,
  autoDisable: { afterSeconds: optionalNumber(AUTO_DISABLE_ENV) ?? DEFAULT_AUTO_DISABLE_SECONDS, store: recoveries },
  operational: new OperationalEvents({ bus: operationalBus(), metrics: emfMetrics(), log: logFn }),
  recoveries: createRecoveryWorker({
    recoveries,
    store,
    subscriptions: subscriptionRepository(),
    deliveries,
    ...(optionalNumber(RESUME_RATE_ENV) ? { ratePerSecond: optionalNumber(RESUME_RATE_ENV)! } : {}),
    log: logFn,
  }),
  ...(optionalNumber(RESUME_RATE_ENV) ? { resumeRatePerSecond: optionalNumber(RESUME_RATE_ENV)! } : {}),
  metrics: emfMetrics(),
  log: logFn,
});

export const handler = middy(async () => {
  await run();
})
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
