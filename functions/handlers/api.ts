import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ImmediateEmfCounts } from '../adapters/aws/powertools-metrics.js';
import { createApi } from '../app/api.js';
import { ListSecretCache } from '../app/list-secrets.js';
import { OperationalEvents } from '../app/operational-events.js';
import { DEFAULT_PORTAL_LIFETIMES } from '../app/portal-access.js';
import { AWS_POLICY } from '../domain/address-policy.js';
import { loadCatalog } from '../domain/catalog.js';
import { parseSourceIps, SOURCE_IPS_ENV } from '../domain/source-ips.js';
import { parseVerificationMode, UPGRADE_VERIFICATION, VERIFICATION_MODE_ENV } from '../domain/verification.js';
import { bodyStore } from '../runtime/bodies.js';
import {
  maxSubscriptionsPerTenant,
  optionalNumber,
  PORTAL_LINK_TTL_ENV,
  PORTAL_SESSION_TTL_ENV,
  RESUME_RATE_ENV,
  secretNamePrefix,
  secretStorage,
} from '../runtime/config.js';
import { deliveryStore, portalSessionStore, recoveryStore, retentionDays, subscriptionRepository } from '../runtime/dynamodb.js';
import { deliveryQueue, eventBus, operationalBus, secretStore } from '../runtime/messaging.js';
import { coldStartMetric, logFn, logger, metrics } from '../runtime/observability.js';

const rotationOverlapSeconds = optionalNumber('WEBHOOKS_ROTATION_OVERLAP_SECONDS');

export const handler = middy(
  createApi({
    subscriptions: subscriptionRepository(),
    secrets: secretStore(),
    bus: eventBus(),
    store: deliveryStore(),
    bodies: bodyStore(),
    deliveries: deliveryQueue(),
    catalog: loadCatalog(),
    // Counts written at once: the API has no metrics buffer to flush on its common path.
    operational: new OperationalEvents({ bus: operationalBus(), metrics: new ImmediateEmfCounts(metrics), log: logFn }),
    policy: AWS_POLICY,
    secretNamePrefix: secretNamePrefix(),
    maxSubscriptionsPerTenant: maxSubscriptionsPerTenant(),
    ...(secretStorage() === 'per-subscription' ? { listSecretCache: new ListSecretCache() } : {}),
    ...(rotationOverlapSeconds !== undefined ? { rotationOverlapSeconds } : {}),
    verificationMode: parseVerificationMode(process.env[VERIFICATION_MODE_ENV], UPGRADE_VERIFICATION),
    recoveries: {
      store: recoveryStore(),
      retentionDays: retentionDays(),
      ...(optionalNumber(RESUME_RATE_ENV) ? { ratePerSecond: optionalNumber(RESUME_RATE_ENV)! } : {}),
    },
    portal: portalSessionStore(),
    portalLifetimes: {
      linkTtlSeconds: optionalNumber(PORTAL_LINK_TTL_ENV) ?? DEFAULT_PORTAL_LIFETIMES.linkTtlSeconds,
      sessionTtlSeconds: optionalNumber(PORTAL_SESSION_TTL_ENV) ?? DEFAULT_PORTAL_LIFETIMES.sessionTtlSeconds,
    },
    sourceIps: parseSourceIps(process.env[SOURCE_IPS_ENV]),
    log: logFn,
  }),
)
  .use(injectLambdaContext(logger))
  .use(coldStartMetric());
