import type { ThrottleLimits } from './throttle.js';

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The token bucket API Gateway throttles with: it holds up to `burstLimit` tokens, starts full,
 * refills at `rateLimit` tokens a second, and each request takes one. A request that finds less
 * than a whole token is refused and told how many whole seconds until one is back. `now` is in
 * milliseconds and injectable, so tests move time instead of waiting for it.
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.burstLimit;
    this.updated = now();
  }

  take(): TakeResult {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.limits.rateLimit)) };
  }

  /** Whole tokens left now (what a burst could still take). */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const at = this.now();
    // A clock that steps back (tests, NTP) adds nothing rather than taking tokens away.
    const elapsedSeconds = Math.max(0, at - this.updated) / 1000;
    this.tokens = Math.min(this.limits.burstLimit, this.tokens + elapsedSeconds * this.limits.rateLimit);
    this.updated = Math.max(this.updated, at);
  }
}
