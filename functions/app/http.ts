import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import { parseBody } from '../domain/requests.js';
import { headerValue } from './header-value.js';
import { tenantOf } from './request-context.js';
import type { Route } from './route-table.js';

export { headerValue };

/** Request plumbing shared by every route: JSON in and out, errors as `{"error": {...}}`. */

/**
 * 1 MiB, the largest event the pipeline carries (bus-entry.ts, MAX_EVENT_BYTES), since SQS,
 * EventBridge and asynchronous Lambda take 1 MB (2026-01-29). API Gateway itself takes 10 MB.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

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
  return json(err.statusCode, errorBody(err.code, err.message, err.details), err.headers);
}

/** `application/json`, `application/<anything>+json`, with or without parameters such as charset. */
export function isJsonMediaType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * The body as JSON. A body with no content type is read as JSON (many clients send none); one
 * with another content type is refused with 415 rather than guessed at.
 */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new ApiError(413, 'payload_too_large', `The request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} bytes (1 MiB)`);
  }
  const contentType = header(event, 'Content-Type');
  if (contentType !== undefined && contentType.trim() !== '' && !isJsonMediaType(contentType)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `The request body must be JSON, sent with Content-Type: application/json; it was sent as ${contentType.slice(0, 100)}`,
    );
  }
  if (bytes.length === 0) throw new ApiError(400, 'invalid_json', 'The request needs a JSON body');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  return headerValue(event.headers, name);
}

interface CompiledRoute<Ctx> {
  route: Route<Ctx>;
  pattern: RegExp;
  names: string[];
}

function compile<Ctx>(route: Route<Ctx>): CompiledRoute<Ctx> {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}${route.trailingSlash ? '/?' : ''}$`), names };
}

/**
 * Serves a route table (route-table.ts). Before a handler runs: the tenant is read (except on
 * public routes), path parameters are percent-decoded and checked against the route's `params`
 * schema (a malformed encoding is a 400, an id no route could have issued a 404), and a declared
 * body is read as JSON and parsed with its schema. Paths like `/api/v0.1/webhooks/{id}`, exactly
 * as written; with a trailing slash only on routes that declare `trailingSlash` (route-table.ts).
 */
export class Router<Ctx> {
  private readonly routes: CompiledRoute<Ctx>[];

  /** `guard` sees each request's route before anything else is read, and may refuse it by throwing. */
  constructor(
    routes: readonly Route<Ctx>[],
    private readonly ctx: Ctx,
    private readonly guard?: (route: Route<Ctx>, event: APIGatewayProxyEvent) => void,
  ) {
    this.routes = routes.map(compile);
  }

  async handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const path = event.path ?? '';
    let pathMatched = false;
    for (const { route, pattern, names } of this.routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== event.httpMethod) continue;
      this.guard?.(route, event);
      const tenantId = route.public ? '' : tenantOf(event);
      const params: Record<string, string> = {};
      for (const [i, n] of names.entries()) params[n] = decodeSegment(m[i + 1]!);
      checkParams(route, params);
      const body = route.body ? parseBody(route.body.schema, readJsonBody(event)) : undefined;
      return route.handler({ event, params, body, tenantId }, this.ctx);
    }
    if (pathMatched) throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not allowed on ${path.slice(0, 300)}`);
    throw new ApiError(404, 'not_found', `No route for ${String(event.httpMethod).slice(0, 10)} ${path.slice(0, 300)}`);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(
      400,
      'invalid_path',
      `The path segment ${segment.slice(0, 100)} is not valid percent-encoded UTF-8 (write % as %25)`,
    );
  }
}

function checkParams<Ctx>(route: Route<Ctx>, params: Record<string, string>): void {
  if (!route.params) return;
  const result = route.params.safeParse(params);
  if (result.success) return;
  const name = String(result.error.issues[0]?.path[0] ?? 'id');
  throw new ApiError(
    404,
    'not_found',
    `No resource has the ${name} ${params[name]?.slice(0, 60) ?? ''}${(params[name]?.length ?? 0) > 60 ? '...' : ''}`,
  );
}
