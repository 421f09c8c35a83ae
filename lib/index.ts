/**
 * The package's entry point: `import { WebhookDelivery } from 'serverless-webhooks'`.
 * The handlers ship pre-bundled inside the package (dist/handlers), so an app needs only
 * aws-cdk-lib and constructs.
 */

export { DEFAULT_RETRY_SCHEDULE } from '../functions/domain/retry-schedule.js';
export { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE } from '../functions/domain/throttle.js';
export { ALARM_IDS, type AlarmId, type AlarmThresholds, deliveryLateDefaultSeconds } from './constructs/alarms.js';
export { WIDGETS } from './constructs/dashboard.js';
export { DEFAULT_MEMORY_SIZE, HANDLER_NAMES, type HandlerName, LAMBDA_MEMORY_RANGE } from './constructs/webhook-function.js';
export {
  API_SECRET_ACTIONS,
  DEFAULT_FANOUT_MAX_CONCURRENCY,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT,
  DEFAULT_SENDER_MAX_CONCURRENCY,
  type LogLevel,
  MAX_CONCURRENCY_RANGE,
  METRICS_NAMESPACE,
  type MemorySizes,
  type ProvisionedConcurrency,
  type SecretStorage,
  type StaticSourceIps,
  type ThrottleLimits,
  WebhookDelivery,
  type WebhookDeliveryProps,
} from './webhook-delivery.js';
