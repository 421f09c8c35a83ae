import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';

/** Request plumbing shared by every route: JSON in and out, errors as `{"error": {...}}`. */

export const MAX_BODY_BYTES = 256 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function errorResponse(err: ApiError): APIGatewayProxyResult {
  return json(err.statusCode, errorBody(err.code, err.message, err.details));
}

export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new ApiError(
      413,
      'payload_too_large',
      `The request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} bytes (256 KB)`,
    );
  }
  if (bytes.length === 0) throw new ApiError(400, 'invalid_json', 'The request needs a JSON body');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** API Gateway keeps the caller's spelling of header names; HTTP says case does not matter. */
export function headerValue(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  return headerValue(event.headers, name);
}

export type RouteHandler = (event: APIGatewayProxyEvent, params: Record<string, string>) => Promise<APIGatewayProxyResult>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
}

/** Paths like `/api/v0.1/webhooks/{id}`; a trailing slash is accepted, as seed 001's curl uses one. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        const m = /^\{(\w+)\}$/.exec(part);
        if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]!);
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  async handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const path = event.path;
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== event.httpMethod) continue;
      const params: Record<string, string> = {};
      for (const [i, n] of route.names.entries()) params[n] = decodeURIComponent(m[i + 1]!);
      return route.handler(event, params);
    }
    if (pathMatched) throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not allowed on ${path}`);
    throw new ApiError(404, 'not_found', `No route for ${event.httpMethod} ${path}`);
  }
}
