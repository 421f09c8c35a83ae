import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { CURSOR_PATTERN, DEFAULT_PAGE_LIMIT, ID_PATTERN, MAX_CURSOR_CHARS, MAX_ID_LENGTH, MAX_PAGE_LIMIT } from '../domain/api-limits.js';
import type { Catalog } from '../domain/catalog.js';

/**
 * One declaration per route: method, path, request and response schemas, documentation and
 * handler. The router (http.ts `Router`) and the OpenAPI document (openapi.ts) are both built
 * from the same arrays of these, so a route cannot be served without being documented, or
 * documented without being served. Each module exports its own array (`SUBSCRIPTION_V01_ROUTES`,
 * `DELIVERY_ROUTES`, ...); api.ts concatenates them into `API_ROUTES`.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The documented error answers (openapi.ts gives each its status, description and example). */
export type ErrorName =
  | 'ValidationFailed'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  /** The rotation limit's 429; on the rotation route it replaces the generic 429 of every route. */
  | 'RotationRateLimited'
  /** A 503 of Secrets Manager's account-wide quotas; it replaces the generic 503 of the routes that list it. */
  | 'SecretsBusy';

/** What a handler gets: the raw event, the decoded and checked path parameters, the parsed body. */
export interface ApiRequest<Body = undefined> {
  event: APIGatewayProxyEvent;
  params: Record<string, string>;
  body: Body;
  /** The authorizer's tenant; '' on public routes. */
  tenantId: string;
}

export interface RouteResponse {
  status: number;
  description: string;
  /** A zod schema, or a raw JSON Schema object for what zod does not describe. */
  schema: z.ZodType | Record<string, unknown>;
  /** `required`: sent with every such answer (the conformance check holds the API to it). */
  headers?: Record<string, { description: string; required?: boolean; schema: Record<string, unknown> }>;
}

export interface RouteBody<S extends z.ZodType> {
  /** Parses and checks the JSON body before the handler runs; its issues answer 400 by field name. */
  schema: S;
  /** Documents the body with this JSON Schema instead of `schema` (when the catalog refines it). */
  documentAs?: Record<string, unknown>;
  /** An example body for the document; may depend on the event catalog. */
  example?: (catalog: Catalog) => unknown;
}

export interface Route<Ctx, S extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** `{name}` segments are path parameters. Served exactly as written unless `trailingSlash`. */
  path: string;
  /**
   * Also served, and documented, at `path` with a trailing slash: where a contract writes one
   * (seed 001's samples list and create at `/api/v0/webhooks/`). Nowhere else, so that the
   * document names every form the API answers (docs/contributors/api-conformance.md).
   */
  trailingSlash?: true;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /** No authorizer (on AWS either). */
  public?: boolean;
  /**
   * A tenant portal session may call it too. Not written here by hand: a portal route spreads its
   * `portalRouteKey` (portal-route-keys.ts), which the authorizer's policy is built from without
   * this table; the api function's per-request guard reads this flag (portal-access.ts).
   */
  portal?: boolean;
  /** Path parameters: each must be declared, and may set a longest length (longer answers 404). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Documented request headers (besides Identity and Authorization). */
  headers?: z.ZodObject;
  body?: RouteBody<S>;
  response: RouteResponse;
  errors: ErrorName[];
  handler: (request: ApiRequest<z.infer<S>>, ctx: Ctx) => Promise<APIGatewayProxyResult>;
}

/** Every path a route answers at, the written one first (`trailingSlash` adds the other). */
export function servedPaths(r: Pick<Route<unknown>, 'path' | 'trailingSlash'>): string[] {
  return r.trailingSlash ? [r.path, `${r.path}/`] : [r.path];
}

/** Keeps each route's body type for its handler while the arrays hold routes of any body. */
export function route<Ctx, S extends z.ZodType = z.ZodUndefined>(r: Route<Ctx, S>): Route<Ctx, z.ZodType> {
  return r as unknown as Route<Ctx, z.ZodType>;
}

export { MAX_ID_LENGTH };

/** Ids longer than any we issue, or of characters none has, are answered 404 (no such resource). */
export const idParam = (description: string) => z.string().min(1).max(MAX_ID_LENGTH).regex(new RegExp(ID_PATTERN)).meta({ description });

export const SubscriptionIdParams = z.object({
  id: idParam('The subscription id (`id` in v0.1, `webhook_id` in v0)'),
});

export const PageQuery = z.object({
  limit: z
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .meta({ description: `Items per page, 1 to ${MAX_PAGE_LIMIT}`, format: 'int32' }),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_CHARS)
    .regex(new RegExp(CURSOR_PATTERN))
    .optional()
    .meta({ description: 'The `next_cursor` of the previous page' }),
});
