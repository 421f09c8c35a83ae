import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createInbound, DEFAULT_INBOUND_BUS_TIMEOUT_MS } from '../app/inbound.js';
import { SourceRegistry } from '../app/inbound-sources.js';
import { bodyStore } from '../runtime/bodies.js';
import { BODY_BUCKET_ENV, optionalNumber, required } from '../runtime/config.js';
import { declaredInboundSources, inboundSecretPrefix, inboundStore } from '../runtime/inbound.js';
import { inboundBus, inboundSecrets } from '../runtime/messaging.js';
import { coldStartMetric, emfMetrics, logFn, logger, metrics } from '../runtime/observability.js';

/** `POST /inbound/{source}`, without the authorizer: providers' webhooks (functions/app/inbound.ts). */
const store = inboundStore();

export const handler = middy(
  createInbound({
    sources: new SourceRegistry({
      declared: declaredInboundSources(),
      repository: store,
      secrets: inboundSecrets(),
      secretPrefix: inboundSecretPrefix(),
      log: logFn,
    }),
    store,
    bodies: bodyStore(),
    bus: inboundBus(),
    metrics: emfMetrics(),
    bodyBucket: required(BODY_BUCKET_ENV),
    busTimeoutMs: optionalNumber('WEBHOOKS_INBOUND_BUS_TIMEOUT_MS') ?? DEFAULT_INBOUND_BUS_TIMEOUT_MS,
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric())
  .use(logMetrics(metrics));
