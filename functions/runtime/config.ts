import { DEFAULT_RETRY_SCHEDULE, parseSchedule } from '../domain/retry-schedule.js';
import { parseSecretStorage } from '../domain/secret-storage.js';
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT } from '../domain/subscription-cap.js';
import { SHARED_THROTTLE_KEY_ENV } from '../domain/throttle.js';

/** Settings the CDK stack passes to the functions as environment variables. */

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export const tableName = () => required('TABLE_NAME');
export const secretNamePrefix = () => required('SECRET_NAME_PREFIX');
export const retrySchedule = () =>
  process.env.WEBHOOKS_RETRY_SCHEDULE ? parseSchedule(process.env.WEBHOOKS_RETRY_SCHEDULE) : DEFAULT_RETRY_SCHEDULE;
export const optionalNumber = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
/** MAX_SUBSCRIPTIONS_PER_TENANT: a whole number from 1; 1,000 when unset. */
export function maxSubscriptionsPerTenant(): number {
  const raw = process.env.MAX_SUBSCRIPTIONS_PER_TENANT;
  if (!raw) return DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`MAX_SUBSCRIPTIONS_PER_TENANT must be a whole number from 1, not ${raw}`);
  }
  return n;
}
/** The delivery queue's in-flight budget (WEBHOOKS_IN_FLIGHT_BUDGET, the construct's `inFlightBudget`). */
export const IN_FLIGHT_BUDGET_ENV = 'WEBHOOKS_IN_FLIGHT_BUDGET';
/** The resumer's pace for a recovered endpoint's held deliveries, per subscription (the construct's `resumeRatePerSecond`). */
export const RESUME_RATE_ENV = 'WEBHOOKS_RESUME_RATE_PER_SECOND';
/** Seconds of every delivery failing before a subscription is disabled (the construct's `autoDisableAfter`). */
export const AUTO_DISABLE_ENV = 'WEBHOOKS_AUTO_DISABLE_SECONDS';
/** The bucket that keeps event bodies too large for the table's items (lib/constructs/event-bodies.ts). */
export const BODY_BUCKET_ENV = 'WEBHOOKS_BODY_BUCKET';
/** The tenant portal's link and session lifetimes (functions/domain/portal.ts has the defaults). */
export { PORTAL_LINK_TTL_ENV, PORTAL_SESSION_TTL_ENV } from '../domain/portal.js';

/** SECRET_STORAGE (functions/domain/secret-storage.ts). */
export const secretStorage = (value = process.env.SECRET_STORAGE) => parseSecretStorage(value);

/** The authorizer's shared throttling key (functions/domain/throttle.ts). */
export const sharedThrottleKey = () => required(SHARED_THROTTLE_KEY_ENV);
