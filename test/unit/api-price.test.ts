import { describe, expect, it } from 'vitest';
import {
  apiPricePerMillion,
  authorizerSettings,
  cachedAuthorizerInvocations,
  durationStats,
  httpMeteredRequests,
  lambdaInvocationCost,
  measureApiPrice,
  SECONDS_PER_MONTH,
  typicalPublishRequestBytes,
} from '../../bench/api-price.js';
import { MAX_BODY_BYTES } from '../../functions/app/http.js';
import { AUTHORIZER_CACHE_TTL } from '../../lib/constructs/webhook-api.js';

describe('the API price model', () => {
  it('counts one authorizer invocation per credential per cache TTL window', () => {
    // 30 days = 2,592,000 s = 8,640 windows of 300 s.
    expect(cachedAuthorizerInvocations(1, SECONDS_PER_MONTH, 300)).toBe(8_640);
    expect(cachedAuthorizerInvocations(10, SECONDS_PER_MONTH, 300)).toBe(86_400);
    // A window begun is a window paid for.
    expect(cachedAuthorizerInvocations(1, 301, 300)).toBe(2);
    expect(cachedAuthorizerInvocations(0, SECONDS_PER_MONTH, 300)).toBe(0);
    expect(() => cachedAuthorizerInvocations(1, SECONDS_PER_MONTH, 0)).toThrow(/cache on/);
    expect(() => cachedAuthorizerInvocations(1.5, SECONDS_PER_MONTH, 300)).toThrow(/whole number/);
  });

  it('meters HTTP API requests in 512 KB steps, at least one each', () => {
    const kb512 = 512 * 1024;
    // 1 + 1 + 1 + 2 + 4 (1,600,000 / 524,288 = 3.05).
    expect(httpMeteredRequests([0, 1_024, kb512, kb512 + 1, 1_600_000])).toBe(9);
    // A request at the API's body limit (1 MiB and its headers) is three metered requests.
    expect(httpMeteredRequests([MAX_BODY_BYTES + 4_096])).toBe(3);
    expect(() => httpMeteredRequests([-1])).toThrow(/>= 0/);
  });

  it('prices an arm64 invocation by its request and GB-seconds', () => {
    // $0.20 per million requests + 0.25 GB x 0.004 s x $0.0000133334.
    expect(lambdaInvocationCost({ memoryMb: 256, billedMs: 4 })).toBeCloseTo(0.0000002 + 0.25 * 0.004 * 0.0000133334, 15);
    expect(lambdaInvocationCost({ memoryMb: 1024, billedMs: 1000 })).toBeCloseTo(0.0000002 + 0.0000133334, 15);
  });

  it('gives both options per million requests with the same cached authorizer', () => {
    // 10 million requests from 10 credentials in a month: 86,400 authorizer invocations of 4 ms at 256 MB.
    const perInvocation = 0.0000002 + 0.25 * 0.004 * 0.0000133334; // $2.133334e-7
    const authorizer = (86_400 * perInvocation) / 10; // per million requests: $0.00184320...
    const price = apiPricePerMillion(
      { requests: 10_000_000, httpMeteredRequests: 10_000_000, authorizerInvocations: 86_400 },
      { memoryMb: 256, billedMs: 4 },
    );
    expect(price.rest.gateway).toBeCloseTo(3.5, 12);
    expect(price.http.gateway).toBeCloseTo(1.0, 12);
    expect(price.rest.authorizer).toBeCloseTo(authorizer, 12);
    expect(price.http.authorizer).toBeCloseTo(authorizer, 12);
    expect(price.rest.total).toBeCloseTo(3.5018432, 6);
    expect(price.http.total).toBeCloseTo(1.0018432, 6);

    // Requests over 512 KB cost the HTTP API more: a million requests metered as 1.5 million.
    const big = apiPricePerMillion(
      { requests: 1_000_000, httpMeteredRequests: 1_500_000, authorizerInvocations: 0 },
      { memoryMb: 256, billedMs: 4 },
    );
    expect(big.http.total).toBeCloseTo(1.5, 12);
    expect(big.rest.total).toBeCloseTo(3.5, 12);

    // Without the cache every request is an invocation: $0.2133 per million requests on top.
    const uncached = apiPricePerMillion(
      { requests: 1_000_000, httpMeteredRequests: 1_000_000, authorizerInvocations: 1_000_000 },
      { memoryMb: 256, billedMs: 4 },
    );
    expect(uncached.rest.authorizer).toBeCloseTo(0.2133334, 6);

    expect(() =>
      apiPricePerMillion({ requests: 0, httpMeteredRequests: 0, authorizerInvocations: 0 }, { memoryMb: 256, billedMs: 1 }),
    ).toThrow();
    expect(() =>
      apiPricePerMillion({ requests: 2, httpMeteredRequests: 1, authorizerInvocations: 0 }, { memoryMb: 256, billedMs: 1 }),
    ).toThrow(/at least once/);
  });

  it('bills each timed invocation rounded up to the next millisecond', () => {
    const s = durationStats([0.2, 1.0, 1.01, 2.5]);
    expect(s.samples).toBe(4);
    // ceil: 1, 1, 2, 3.
    expect(s.billedMs).toBe(7 / 4);
    expect(s.medianMs).toBeCloseTo(1.005, 12);
    expect(s.meanMs).toBeCloseTo(4.71 / 4, 12);
    expect(s.p99Ms).toBe(2.5);
  });

  it("reads the authorizer's memory and architecture from the construct", () => {
    // WebhookFunction's default, which WebhookApi keeps for the authorizer.
    expect(authorizerSettings()).toEqual({ memoryMb: 256, architecture: 'arm64' });
  });

  it('measures the authorizer against dynalite and prices a month of traffic', async () => {
    const figure = await measureApiPrice({ samples: 40, credentials: 10, requestsPerMonth: 10_000_000 });
    expect(figure.authorizer.samples).toBe(40);
    expect(figure.authorizer.medianMs).toBeGreaterThan(0);
    expect(figure.authorizer.billedMs).toBeGreaterThanOrEqual(1);
    expect(figure.authorizer.cacheTtlSeconds).toBe(AUTHORIZER_CACHE_TTL.toSeconds());
    expect(figure.authorizer.invocationsPerMonth).toBe(86_400);
    expect(figure.authorizer.invocationsPerMillionRequests).toBe(8_640);
    // A publish request of ~1 KB is one metered HTTP API request.
    expect(typicalPublishRequestBytes()).toBeGreaterThan(1_024);
    expect(figure.assumptions.httpMeteredPerRequest).toBe(1);
    const authorizer = 8_640 * lambdaInvocationCost({ memoryMb: 256, billedMs: figure.authorizer.billedMs });
    expect(figure.perMillionRequests.rest).toBeCloseTo(3.5 + authorizer, 12);
    expect(figure.perMillionRequests.http).toBeCloseTo(1.0 + authorizer, 12);
    expect(figure.saving.perMillionRequests).toBeCloseTo(2.5, 12);
    expect(figure.saving.share).toBeCloseTo(2.5 / (3.5 + authorizer), 12);
  });
});
