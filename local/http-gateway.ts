import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { UNAUTHORIZED } from '../functions/app/authorizer.js';
import { errorBody, headerValue, MAX_BODY_BYTES } from '../functions/app/http.js';
import { GATEWAY_FAILURE } from '../functions/domain/errors.js';
import { GATEWAY_RESPONSES, type GatewayResponseType } from '../functions/domain/gateway-responses.js';
import { RETRY_AFTER_SECONDS } from '../functions/domain/throttle.js';
import type { Admission, GatewayThrottle } from './gateway-throttle.js';

/**
 * Local stand-in for API Gateway (REST, Lambda proxy): turns each HTTP request into the
 * event API Gateway sends, runs the same REQUEST authorizer first and answers 401 for a
 * refusal and 500 for a failure of the authorizer, as the stack's gateway responses do. With
 * `throttle`, it throttles as the stage and the usage plans do (gateway-throttle.ts), by the
 * API key the authorizer names, before any function runs.
 */
export interface GatewayOptions {
  port: number;
  host?: string;
  api: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  authorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  /** Routes that skip the authorizer (the OpenAPI document). */
  publicPaths?: readonly string[];
  /** Paths under a prefix served by another function, without the authorizer (the portal's files). */
  sites?: readonly { prefix: string; handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> }[];
  /** Reuse an Allow for the same identity headers this long, as API Gateway's result cache does. */
  authorizerCacheTtlSeconds?: number;
  /** Per-key, stage and account throttling; none without it. */
  throttle?: GatewayThrottle;
  /** Sees every answer as it is sent, the gateway's own included (the tests' OpenAPI conformance check). */
  observe?: (exchange: GatewayExchange) => void;
}

/** One request and the answer the client got. */
export interface GatewayExchange {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  query: URLSearchParams;
  /** As Node gives them: lowercased names. */
  requestHeaders: Readonly<Record<string, string | string[] | undefined>>;
  /** Answered by a site (the portal's files), which the API's document does not describe. */
  site: boolean;
  response: APIGatewayProxyResult;
}

export interface Gateway {
  url: string;
  port: number;
  /** Drops every cached authorizer answer (API Gateway's FlushStageAuthorizersCache). */
  flushAuthorizerCache(): void;
  stop(): Promise<void>;
}

/** The stage and REST API id local mode's usage plans name (as the stack's name `prod` and its API). */
export const LOCAL_STAGE = 'local';
export const LOCAL_REST_API_ID = 'local';
const STAGE = LOCAL_STAGE;
const METHOD_ARN_PREFIX = 'arn:aws:execute-api:us-east-1:000000000000:local';

/** API Gateway's own cap is 10 MB; past that it never reaches the Lambda. */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > Math.max(GATEWAY_MAX_BYTES, MAX_BODY_BYTES)) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const cacheTtlMs = (options.authorizerCacheTtlSeconds ?? 0) * 1000;
  const authorizerCache = new Map<string, { context: Record<string, unknown>; policy: APIGatewayAuthorizerResult; expires: number }>();
  const server: Server = createServer(async (req, res) => {
    const url = URL.parse(req.url ?? '/', 'http://local') ?? new URL('http://local/');
    let site: NonNullable<GatewayOptions['sites']>[number] | undefined;
    const send = (r: APIGatewayProxyResult) => {
      res.writeHead(r.statusCode, { ...(r.headers as Record<string, string>) });
      res.end(r.body);
      options.observe?.({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        requestHeaders: req.headers,
        site: site !== undefined,
        response: r,
      });
    };
    try {
      const body = await readBody(req);
      if (body === 'too-large') return send(gatewayResponse('REQUEST_TOO_LARGE'));
      const headers: Record<string, string> = {};
      const multiValueHeaders: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        // API Gateway keeps the caller's spelling; Node lowercases. Handlers match case-insensitively.
        headers[k] = Array.isArray(v) ? v.join(',') : v;
        multiValueHeaders[k] = Array.isArray(v) ? v : [v];
      }
      const query: Record<string, string> = {};
      const multiQuery: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) {
        query[k] = v;
        multiQuery[k] = [...(multiQuery[k] ?? []), v];
      }
      const method = req.method ?? 'GET';
      const requestId = randomUUID();
      const path = url.pathname;
      const methodArn = `${METHOD_ARN_PREFIX}/${STAGE}/${method}${path}`;
      site = options.sites?.find((x) => path === x.prefix || path.startsWith(`${x.prefix}/`));
      // API Gateway matches `/a/` to the resource `/a` (the function still sees `/a/`).
      const isPublic = site !== undefined || options.publicPaths?.includes(path.length > 1 ? path.replace(/\/$/, '') : path);
      let context: Record<string, unknown> | undefined;
      const cacheKey = `${headerValue(headers, 'Identity') ?? ''}\n${headerValue(headers, 'Authorization') ?? ''}`;
      const cached = authorizerCache.get(cacheKey);
      let result: APIGatewayAuthorizerResult | undefined;
      if (cached && cached.expires > Date.now() && !isPublic) result = cached.policy;
      else if (!isPublic) {
        try {
          result = await options.authorizer({
            type: 'REQUEST',
            methodArn,
            resource: '/{proxy+}',
            path,
            httpMethod: method,
            headers,
            multiValueHeaders,
            pathParameters: { proxy: path.slice(1) },
            queryStringParameters: query,
            multiValueQueryStringParameters: multiQuery,
            stageVariables: null,
            requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
          });
          if (result.context?.tenantId && cacheTtlMs > 0)
            authorizerCache.set(cacheKey, { context: result.context, policy: result, expires: Date.now() + cacheTtlMs });
        } catch (err) {
          // As API Gateway: exactly `Unauthorized` is a 401, any other failure of the authorizer a 500.
          return send(
            (err as Error).message === UNAUTHORIZED
              ? gatewayResponse('UNAUTHORIZED')
              : gatewayResponse('DEFAULT_5XX', GATEWAY_FAILURE.status),
          );
        }
      }
      if (result) {
        // As API Gateway does: the (possibly cached) policy must allow this method and path.
        if (!policyAllows(result, methodArn)) return send(gatewayResponse('ACCESS_DENIED'));
        context = result.context as Record<string, unknown> | undefined;
      }
      // Authorized routes require an API key, and the authorizer supplies it (key source AUTHORIZER).
      const admission = options.throttle?.admit(!isPublic, result?.usageIdentifierKey ?? undefined);
      if (admission && !admission.admitted) return send(refusal(admission));
      const tenantId = context?.tenantId as string | undefined;
      const event = {
        resource: '/{proxy+}',
        path,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: Object.keys(query).length ? query : null,
        multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
        pathParameters: { proxy: path.slice(1) },
        stageVariables: null,
        body: body.length ? body.toString('utf8') : null,
        isBase64Encoded: false,
        requestContext: {
          requestId,
          stage: STAGE,
          httpMethod: method,
          // The path as the caller sent it: local URLs carry no stage, like a custom domain's.
          path,
          resourcePath: '/{proxy+}',
          authorizer: tenantId ? { ...context, principalId: tenantId } : null,
        },
      } as unknown as APIGatewayProxyEvent;
      send(await (site ? site.handler(event) : options.api(event)));
    } catch (err) {
      send({
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(errorBody('internal_error', (err as Error).message)),
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    flushAuthorizerCache: () => authorizerCache.clear(),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** As the stack's gateway response of `type` answers (GATEWAY_RESPONSES); `status` for a DEFAULT_* type. */
function gatewayResponse(type: GatewayResponseType, status?: number, retryAfterSeconds = RETRY_AFTER_SECONDS): APIGatewayProxyResult {
  const r = GATEWAY_RESPONSES[type];
  return {
    statusCode: ('status' in r ? r.status : undefined) ?? status ?? 500,
    headers: { 'content-type': 'application/json', ...('retryAfter' in r ? { 'retry-after': String(retryAfterSeconds) } : {}) },
    body: JSON.stringify(errorBody(r.code, ('message' in r ? r.message : undefined) ?? 'The request was refused.')),
  };
}

/** As the stack's THROTTLED and INVALID_API_KEY gateway responses answer. */
function refusal(admission: Exclude<Admission, { admitted: true }>): APIGatewayProxyResult {
  return admission.reason === 'throttled'
    ? gatewayResponse('THROTTLED', undefined, admission.retryAfterSeconds)
    : gatewayResponse('INVALID_API_KEY');
}

/** Allow statements whose Resource (with `*` wildcards, as IAM matches them) covers the method ARN. */
function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  return result.policyDocument.Statement.some((st) => {
    if (st.Effect !== 'Allow' || !('Resource' in st)) return false;
    const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
    return resources.some((r) =>
      new RegExp(
        `^${String(r)
          .split('*')
          .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(methodArn),
    );
  });
}
