import { API_GATEWAY_ACCOUNT_THROTTLE } from './aws-limits.js';

/**
 * API throttling, declared once: the stage's limit for all tenants together, each tenant's own
 * limit (its API key's usage plan), and what a throttled request is answered. The construct
 * (lib/constructs/webhook-api.ts), the tenant CLI and local mode's API Gateway stand-in all read
 * them from here. Free of imports beyond the AWS limits, so the authorizer bundles nothing more.
 */

/** A token bucket: `rateLimit` tokens a second refill it, up to `burstLimit` (as API Gateway's ThrottleSettings). */
export interface ThrottleLimits {
  rateLimit: number;
  burstLimit: number;
}

/** The stage's own limit, across every tenant and the public routes. */
export const DEFAULT_STAGE_THROTTLE: ThrottleLimits = { rateLimit: 100, burstLimit: 200 };
/**
 * A tenant without an override: a fifth of the stage, so one tenant's loop leaves the stage room
 * for the others (five tenants at their limit fill it).
 */
export const DEFAULT_TENANT_THROTTLE: ThrottleLimits = { rateLimit: 20, burstLimit: 40 };

/**
 * Whole numbers from 1 up to the account's quota. At least 1 a second, so a throttled client's
 * next token is always back within RETRY_AFTER_SECONDS.
 */
export const THROTTLE_RANGE = {
  rateLimit: [1, API_GATEWAY_ACCOUNT_THROTTLE.rateLimit],
  burstLimit: [1, API_GATEWAY_ACCOUNT_THROTTLE.burstLimit],
} as const satisfies Record<keyof ThrottleLimits, readonly [number, number]>;

/**
 * What a 429 says in Retry-After. On AWS the gateway response's header is static, so it is the
 * longest a token takes to come back at the slowest rate allowed: 1 s.
 */
export const RETRY_AFTER_SECONDS = Math.ceil(1 / THROTTLE_RANGE.rateLimit[0]);

/**
 * The authorizer's setting: the shared API key it answers for tenants without one of their own
 * (AuthorizerOptions.sharedThrottleKey). The construct sets it; the value is no credential.
 */
export const SHARED_THROTTLE_KEY_ENV = 'WEBHOOKS_SHARED_THROTTLE_KEY';

/** `name` names the setting in the message (`tenantThrottle`, `--rate`...). */
export function validateThrottle(name: string, limits: ThrottleLimits): ThrottleLimits {
  for (const field of ['rateLimit', 'burstLimit'] as const) {
    const [min, max] = THROTTLE_RANGE[field];
    const value = limits[field];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${name}.${field} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit };
}

/** A pair of settings given apart (context keys, environment variables): either alone keeps the other's default. */
export function throttleSetting(
  rateLimit: number | undefined,
  burstLimit: number | undefined,
  defaults: ThrottleLimits,
): ThrottleLimits | undefined {
  if (rateLimit === undefined && burstLimit === undefined) return undefined;
  return { rateLimit: rateLimit ?? defaults.rateLimit, burstLimit: burstLimit ?? defaults.burstLimit };
}

/** The tenant default must be within the stage's, or the stage would always throttle first. */
export function checkTenantWithinStage(
  tenant: ThrottleLimits,
  stage: ThrottleLimits,
  names = { tenant: 'tenantThrottle', stage: 'stageThrottle' },
): void {
  if (tenant.rateLimit > stage.rateLimit || tenant.burstLimit > stage.burstLimit)
    throw new Error(
      `${names.tenant} (${tenant.rateLimit}/s, burst ${tenant.burstLimit}) must be within ${names.stage} (${stage.rateLimit}/s, burst ${stage.burstLimit}): the stage would throttle first`,
    );
}

/** The error bodies the gateway answers itself for throttling (`{"error": {code, message}}`). */
export const THROTTLE_ERRORS = {
  /** THROTTLED: the tenant's usage plan, the stage or the account refused the request. */
  rateLimited: {
    status: 429,
    code: 'rate_limited',
    message: 'Too many requests; retry after the number of seconds in the Retry-After header.',
  },
  /**
   * INVALID_API_KEY: the authorizer answered a throttling key no usage plan of the stage holds
   * (the tenant CLI is moving it between plans, or it was deleted). Never the client's doing
   * (clients send no API key), so a retryable 5xx that the ApiServerErrors alarm counts.
   */
  keyUnavailable: {
    status: 503,
    code: 'temporarily_unavailable',
    message: 'The service cannot take this request right now; retry after the number of seconds in the Retry-After header.',
  },
} as const;
