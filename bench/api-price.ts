import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { DynamoPortalSessionStore } from '../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoTenantRepository } from '../functions/adapters/aws/dynamodb-tenants.js';
import { createAuthorizer } from '../functions/app/authorizer.js';
import { hashKey, newCredentials } from '../functions/domain/credentials.js';
import { AUTHORIZER_CACHE_TTL, WebhookApi } from '../lib/constructs/webhook-api.js';
import { startDynamo } from '../local/dynamodb-emulator.js';
import { PRICES, PRICES_DATE, PRICES_REGION, SECONDS_PER_MONTH } from './prices.js';
import { median, paddedData } from './support.js';

/**
 * What the tenant-facing API costs per million requests: the REST API we run (API Gateway v1)
 * against an HTTP API (v2), each with the same cached Lambda REQUEST authorizer, from list prices
 * (bench/prices.ts), the authorizer's memory as the construct sets it and its duration measured
 * against dynalite. README, "The API's price: REST API or HTTP API", has the comparison of
 * behaviours and the decision.
 */

export { SECONDS_PER_MONTH } from './prices.js';

/**
 * Authorizer invocations under API Gateway's result cache: one per distinct credential
 * (Identity + Authorization pair, or portal session) per TTL window in which it calls the API.
 * A credential that calls at least once per window for `seconds` costs ceil(seconds / ttl).
 * This is the floor AWS documents (cache keyed on the identity sources); a credential that calls
 * less often than once per TTL costs one invocation per call instead.
 */
export function cachedAuthorizerInvocations(credentials: number, seconds: number, ttlSeconds: number): number {
  if (!Number.isInteger(credentials) || credentials < 0) throw new Error(`credentials must be a whole number >= 0, got ${credentials}`);
  if (!(seconds > 0)) throw new Error(`seconds must be > 0, got ${seconds}`);
  // A TTL of 0 turns the cache off: every request invokes the authorizer, which this formula cannot count.
  if (!(ttlSeconds > 0)) throw new Error(`ttlSeconds must be > 0 (the cache on), got ${ttlSeconds}`);
  return credentials * Math.ceil(seconds / ttlSeconds);
}

/** Billed HTTP API requests for requests of these sizes: each is metered in 512 KB steps, at least one. */
export function httpMeteredRequests(requestBytes: readonly number[], meterBytes: number = PRICES.apiGateway.httpMeterBytes): number {
  let metered = 0;
  for (const bytes of requestBytes) {
    if (!(bytes >= 0)) throw new Error(`a request size must be >= 0 bytes, got ${bytes}`);
    metered += Math.max(1, Math.ceil(bytes / meterBytes));
  }
  return metered;
}

export interface AuthorizerLambda {
  /** The function's memory setting, MB (Lambda bills GB-seconds with GB = MB / 1024). */
  memoryMb: number;
  /** Billed duration of one invocation, ms (Lambda rounds each invocation up to the next 1 ms). */
  billedMs: number;
}

/** One invocation of an arm64 function: the request charge plus its GB-seconds. */
export function lambdaInvocationCost({ memoryMb, billedMs }: AuthorizerLambda): number {
  if (!(memoryMb > 0) || !(billedMs >= 0)) throw new Error(`memoryMb must be > 0 and billedMs >= 0, got ${memoryMb} MB, ${billedMs} ms`);
  return PRICES.lambda.perRequest + (memoryMb / 1024) * (billedMs / 1000) * PRICES.lambda.perGbSecondArm;
}

/** Requests counted over some period: how many, how many the HTTP API would bill, how many reached the authorizer. */
export interface ApiTraffic {
  requests: number;
  /** The same requests as the HTTP API meters them (httpMeteredRequests). */
  httpMeteredRequests: number;
  authorizerInvocations: number;
}

export interface ApiOptionCost {
  /** API Gateway's request charge. */
  gateway: number;
  /** The authorizer function's invocations (requests and GB-seconds). */
  authorizer: number;
  total: number;
}

/** USD per million requests for each option; the authorizer and its cache are the same in both. */
export function apiPricePerMillion(traffic: ApiTraffic, authorizer: AuthorizerLambda): { rest: ApiOptionCost; http: ApiOptionCost } {
  if (!(traffic.requests > 0)) throw new Error(`requests must be > 0, got ${traffic.requests}`);
  if (traffic.httpMeteredRequests < traffic.requests)
    throw new Error(`every request is metered at least once: ${traffic.httpMeteredRequests} metered < ${traffic.requests} requests`);
  if (!(traffic.authorizerInvocations >= 0)) throw new Error(`authorizerInvocations must be >= 0, got ${traffic.authorizerInvocations}`);
  const perMillion = 1_000_000 / traffic.requests;
  const authorizerCost = traffic.authorizerInvocations * lambdaInvocationCost(authorizer) * perMillion;
  const option = (gateway: number): ApiOptionCost => ({ gateway, authorizer: authorizerCost, total: gateway + authorizerCost });
  return {
    rest: option(traffic.requests * PRICES.apiGateway.restPerRequest * perMillion),
    http: option(traffic.httpMeteredRequests * PRICES.apiGateway.httpPerRequest * perMillion),
  };
}

export interface DurationStats {
  samples: number;
  medianMs: number;
  meanMs: number;
  p99Ms: number;
  /** Mean of each invocation's duration rounded up to 1 ms, as Lambda bills it. */
  billedMs: number;
}

export function durationStats(durationsMs: readonly number[]): DurationStats {
  if (durationsMs.length === 0) throw new Error('no durations');
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    samples: sorted.length,
    medianMs: median(sorted),
    meanMs: sum(sorted) / sorted.length,
    p99Ms: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!,
    billedMs: sum(sorted.map((ms) => Math.max(1, Math.ceil(ms)))) / sorted.length,
  };
}

/**
 * The authorizer function's memory and architecture as `WebhookApi` sets them, read from a
 * construct built without bundling (the template is the same).
 */
export function authorizerSettings(): { memoryMb: number; architecture: string } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ApiPrice');
  const api = new WebhookApi(stack, 'Api', { environment: {}, cloudWatchRole: false });
  const cfn = api.authorizerFunction.function.node.defaultChild as CfnFunction;
  const memoryMb = stack.resolve(cfn.memorySize) as number | undefined;
  const architectures = stack.resolve(cfn.architectures) as string[] | undefined;
  if (typeof memoryMb !== 'number') throw new Error('the authorizer function has no MemorySize in its template');
  const architecture = architectures?.[0] ?? 'x86_64';
  // bench/prices.ts holds Arm's GB-second price only.
  if (architecture !== 'arm64') throw new Error(`the authorizer runs on ${architecture}; bench/prices.ts prices arm64 only`);
  return { memoryMb, architecture };
}

/**
 * Times the authorizer from functions/app/authorizer.ts as local mode wires it (DynamoDB tenant
 * and portal-session stores on dynalite), for tenant credentials: the producers' case, one
 * GetItem and a SHA-256 comparison. Sequential, after a warm-up, so each sample is one warm
 * invocation's work; Lambda's own overhead and cold starts are not in it.
 */
export async function measureAuthorizerDuration(samples = 500, warmup = 50): Promise<DurationStats> {
  const table = 'api-price';
  const dynamo = await startDynamo(undefined, table);
  try {
    const tenants = new DynamoTenantRepository(dynamo.doc, table);
    const portal = new DynamoPortalSessionStore(dynamo.doc, table);
    const credentials = newCredentials();
    const tenantId = 'tnt_api_price';
    await tenants.create({
      tenantId,
      name: 'api price bench',
      identity: credentials.identity,
      keyHash: hashKey(credentials.authorization),
      status: 'active',
      createdTime: new Date().toISOString(),
    });
    const authorize = createAuthorizer(tenants, portal);
    const path = '/api/v0.1/events';
    const event = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:000000000000:apiid/prod/POST${path}`,
      resource: '/{proxy+}',
      path,
      httpMethod: 'POST',
      headers: { Identity: credentials.identity, Authorization: credentials.authorization, 'content-type': 'application/json' },
      multiValueHeaders: {},
      pathParameters: { proxy: path.slice(1) },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: {},
    } as unknown as APIGatewayRequestAuthorizerEvent;
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      const result = await authorize(event);
      const ms = performance.now() - t0;
      // A timing of a refusal would be a timing of something else.
      if (result.principalId !== tenantId) throw new Error(`the authorizer answered ${result.principalId}, not ${tenantId}`);
      return ms;
    };
    for (let i = 0; i < warmup; i++) await once();
    const durations: number[] = [];
    for (let i = 0; i < samples; i++) durations.push(await once());
    return durationStats(durations);
  } finally {
    await dynamo.stop();
  }
}

/** A publish request as a producer sends it: ~1 KB of data, the three headers, the request line. */
export function typicalPublishRequestBytes(): number {
  const body = JSON.stringify({ type: 'card.created', data: paddedData(1024) });
  const head =
    'POST /prod/api/v0.1/events HTTP/1.1\r\n' +
    `Identity: ${newCredentials().identity}\r\nAuthorization: ${newCredentials().authorization}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.byteLength(head) + Buffer.byteLength(body);
}

export interface ApiPriceOptions {
  /**
   * Sizes in bytes of counted API requests (all of them, or a sample that stands for all); only
   * the HTTP API's metering depends on them. @default one typical publish request
   */
  requestBytes?: readonly number[];
  /** Distinct credentials (producers, open portal sessions) calling all month. @default 10 */
  credentials?: number;
  /** API requests in the month. @default 10,000,000 */
  requestsPerMonth?: number;
  /** Timed authorizer invocations. @default 500 */
  samples?: number;
}

export interface ApiPriceFigure {
  /** USD per million API requests, authorizer included. */
  perMillionRequests: { rest: number; http: number };
  /** What an HTTP API would save per million requests, and as a share of the REST price. */
  saving: { perMillionRequests: number; share: number };
  breakdown: { rest: ApiOptionCost; http: ApiOptionCost };
  authorizer: DurationStats & {
    memoryMb: number;
    architecture: string;
    cacheTtlSeconds: number;
    invocationsPerMonth: number;
    invocationsPerMillionRequests: number;
    costPerMillionInvocations: number;
  };
  assumptions: { credentials: number; requestsPerMonth: number; secondsPerMonth: number; httpMeteredPerRequest: number };
  prices: { date: string; region: string };
}

/**
 * The API's price per million requests for REST and HTTP API, for a month of `requestsPerMonth`
 * requests from `credentials` credentials that each call at least once per cache TTL.
 */
export async function measureApiPrice(options: ApiPriceOptions = {}): Promise<ApiPriceFigure> {
  const credentials = options.credentials ?? 10;
  const requestsPerMonth = options.requestsPerMonth ?? 10_000_000;
  const sample = options.requestBytes ?? [typicalPublishRequestBytes()];
  if (sample.length === 0) throw new Error('requestBytes: give at least one request size');
  const { memoryMb, architecture } = authorizerSettings();
  const duration = await measureAuthorizerDuration(options.samples ?? 500);
  const cacheTtlSeconds = AUTHORIZER_CACHE_TTL.toSeconds();
  const invocationsPerMonth = cachedAuthorizerInvocations(credentials, SECONDS_PER_MONTH, cacheTtlSeconds);
  const httpMeteredPerRequest = httpMeteredRequests(sample) / sample.length;
  const lambda = { memoryMb, billedMs: duration.billedMs };
  const breakdown = apiPricePerMillion(
    {
      requests: requestsPerMonth,
      httpMeteredRequests: requestsPerMonth * httpMeteredPerRequest,
      authorizerInvocations: invocationsPerMonth,
    },
    lambda,
  );
  const saving = breakdown.rest.total - breakdown.http.total;
  return {
    perMillionRequests: { rest: breakdown.rest.total, http: breakdown.http.total },
    saving: { perMillionRequests: saving, share: saving / breakdown.rest.total },
    breakdown,
    authorizer: {
      ...duration,
      memoryMb,
      architecture,
      cacheTtlSeconds,
      invocationsPerMonth,
      invocationsPerMillionRequests: (invocationsPerMonth / requestsPerMonth) * 1_000_000,
      costPerMillionInvocations: lambdaInvocationCost(lambda) * 1_000_000,
    },
    assumptions: { credentials, requestsPerMonth, secondsPerMonth: SECONDS_PER_MONTH, httpMeteredPerRequest },
    prices: { date: PRICES_DATE, region: PRICES_REGION },
  };
}
