import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { errorBody, headerValue, MAX_BODY_BYTES } from '../functions/app/http.js';

/**
 * Local stand-in for API Gateway (REST, Lambda proxy): turns each HTTP request into the
 * event API Gateway sends, runs the same REQUEST authorizer first and answers 401 as the
 * stack's gateway responses do.
 */
export interface GatewayOptions {
  port: number;
  host?: string;
  api: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  authorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  /** Routes that skip the authorizer (the OpenAPI document). */
  publicPaths?: readonly string[];
  /** Reuse an Allow for the same identity headers this long, as API Gateway's result cache does. */
  authorizerCacheTtlSeconds?: number;
}

export interface Gateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const STAGE = 'local';
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
  const authorizerCache = new Map<string, { tenantId: string; expires: number }>();
  const server: Server = createServer(async (req, res) => {
    const send = (r: APIGatewayProxyResult) => {
      res.writeHead(r.statusCode, { ...(r.headers as Record<string, string>) });
      res.end(r.body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const body = await readBody(req);
      if (body === 'too-large')
        return send({
          statusCode: 413,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(errorBody('payload_too_large', 'Request body too large')),
        });
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
      let tenantId: string | undefined;
      const cacheKey = `${headerValue(headers, 'Identity') ?? ''}\n${headerValue(headers, 'Authorization') ?? ''}`;
      const cached = authorizerCache.get(cacheKey);
      if (cached && cached.expires > Date.now() && !options.publicPaths?.includes(path)) tenantId = cached.tenantId;
      else if (!options.publicPaths?.includes(path)) {
        try {
          const result = await options.authorizer({
            type: 'REQUEST',
            methodArn: `${METHOD_ARN_PREFIX}/${STAGE}/${method}${path}`,
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
          tenantId = result.context?.tenantId as string | undefined;
          if (tenantId && cacheTtlMs > 0) authorizerCache.set(cacheKey, { tenantId, expires: Date.now() + cacheTtlMs });
        } catch {
          return send({
            statusCode: 401,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(errorBody('unauthorized', 'Missing or invalid Identity and Authorization headers')),
          });
        }
      }
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
          path: `/${STAGE}${path}`,
          resourcePath: '/{proxy+}',
          authorizer: tenantId ? { tenantId, principalId: tenantId } : null,
        },
      } as unknown as APIGatewayProxyEvent;
      send(await options.api(event));
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
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
