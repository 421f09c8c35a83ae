import { API_GATEWAY_ACCOUNT_THROTTLE } from '../functions/domain/aws-limits.js';
import type { ThrottleLimits } from '../functions/domain/throttle.js';
import { TokenBucket } from '../functions/domain/token-bucket.js';

/**
 * The gateway stand-in's throttling, in the order API Gateway applies its limits
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):
 * the client's usage plan (the bucket of the request's API key, at its plan's limits), then the
 * stage, then the account. A request refused at any of them is refused; one refused further
 * down keeps the tokens it took above (API Gateway does not say otherwise). Public routes
 * require no key and meet the stage and the account only.
 */

export type Admission =
  | { admitted: true }
  | { admitted: false; reason: 'throttled'; retryAfterSeconds: number }
  | { admitted: false; reason: 'invalid-key' };

export interface GatewayThrottleOptions {
  stage: ThrottleLimits;
  /** @default API_GATEWAY_ACCOUNT_THROTTLE */
  account?: ThrottleLimits;
  /** The limits of the plan holding this key value on the stage; undefined for none (INVALID_API_KEY). */
  planLimits: (keyValue: string | undefined) => ThrottleLimits | undefined;
  /** Milliseconds; tests move it. */
  now?: () => number;
}

export class GatewayThrottle {
  private readonly stage: TokenBucket;
  private readonly account: TokenBucket;
  private readonly keys = new Map<string, TokenBucket>();

  constructor(private readonly options: GatewayThrottleOptions) {
    this.stage = new TokenBucket(options.stage, options.now);
    this.account = new TokenBucket(options.account ?? API_GATEWAY_ACCOUNT_THROTTLE, options.now);
  }

  /** `keyRequired`: the method requires an API key (every authorized route); `keyValue` is the authorizer's usageIdentifierKey. */
  admit(keyRequired: boolean, keyValue: string | undefined): Admission {
    const buckets: TokenBucket[] = [];
    if (keyRequired) {
      const limits = this.options.planLimits(keyValue);
      if (!limits || keyValue === undefined) return { admitted: false, reason: 'invalid-key' };
      buckets.push(this.keyBucket(keyValue, limits));
    }
    buckets.push(this.stage, this.account);
    for (const bucket of buckets) {
      const taken = bucket.take();
      if (!taken.allowed) return { admitted: false, reason: 'throttled', retryAfterSeconds: taken.retryAfterSeconds };
    }
    return { admitted: true };
  }

  /** A key moved to another plan gets a full bucket at the new limits. */
  private keyBucket(keyValue: string, limits: ThrottleLimits): TokenBucket {
    const current = this.keys.get(keyValue);
    if (current && current.limits.rateLimit === limits.rateLimit && current.limits.burstLimit === limits.burstLimit) return current;
    const bucket = new TokenBucket(limits, this.options.now);
    this.keys.set(keyValue, bucket);
    return bucket;
  }
}
