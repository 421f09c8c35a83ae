import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
  type ZodMediaTypeObject,
} from '@asteasolutions/zod-to-openapi';
import * as zod from 'zod';
import { API_STAGE_NAME, ID_PATTERN, MAX_ID_LENGTH, MAX_TIME_CHARS } from '../domain/api-limits.js';
import { MAX_EVENT_BYTES } from '../domain/bus-entry.js';
import type { Catalog } from '../domain/catalog.js';
import { budgetSpent } from '../domain/errors.js';
import { GATEWAY_RESPONSES } from '../domain/gateway-responses.js';
import { PORTAL_IDENTITY } from '../domain/portal.js';
import { ErrorBody } from '../domain/response-schemas.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS, ROTATION_RATE_LIMITED, rotationTooSoon } from '../domain/secret-set.js';
import { MAX_SIGNATURE_HEADER_CHARS, SIGNATURE_HEADER_PATTERN, UNIX_SECONDS_DIGITS } from '../domain/signing.js';
import { RETRY_AFTER_SECONDS, THROTTLE_ERRORS } from '../domain/throttle.js';
import { MAX_BODY_BYTES } from './http.js';
import { type ErrorName, type Route, servedPaths } from './route-table.js';

/**
 * The OpenAPI 3.1 document, generated from the route table (route-table.ts: each route's
 * method, path, zod request and response schemas) and the event catalog. The api function serves it at `GET /api/openapi.json`; `npm run openapi` writes it to
 * `docs/openapi.json`. Nothing here mutates the shared schemas: `.meta()` returns copies.
 */

export const OPENAPI_TITLE = 'Serverless Webhooks API';
export const OPENAPI_VERSION = '0.1.0';
/** package.json's license (test/unit/openapi.test.ts holds them equal). */
export const OPENAPI_LICENSE = { name: 'MIT', identifier: 'MIT' } as const;

/**
 * Where the API is: a deployment's stage URL (the stack's output), or `serverUrl` when the caller
 * knows it. Local mode (`npm start`) serves the same paths over http on 127.0.0.1.
 */
export function openApiServers(serverUrl?: string) {
  return serverUrl
    ? [{ url: serverUrl, description: 'This deployment (production)', 'x-internal': false }]
    : [
        {
          url: `https://{api_id}.execute-api.{region}.amazonaws.com/${API_STAGE_NAME}`,
          description:
            "A deployment (production): the stack's API URL output. Local mode (`npm start`, for development and testing) serves the same paths over http on 127.0.0.1",
          'x-internal': false,
          variables: {
            api_id: { default: 'abcdef1234', description: "The REST API's id (the API URL output starts with it)" },
            region: { default: 'eu-west-1', description: 'The AWS Region of the stack' },
          },
        },
      ];
}

const WebhookHeaders = zod.object({
  'webhook-id': zod
    .string()
    .max(MAX_ID_LENGTH)
    .regex(new RegExp(ID_PATTERN))
    .meta({ description: 'The event id; the same on every attempt, so receivers can deduplicate' }),
  'webhook-timestamp': zod
    .string()
    .max(UNIX_SECONDS_DIGITS)
    .regex(/^[0-9]+$/)
    .meta({ description: 'Unix seconds of this attempt; reject it when far from your clock' }),
  'webhook-signature': zod.string().max(MAX_SIGNATURE_HEADER_CHARS).regex(new RegExp(SIGNATURE_HEADER_PATTERN)).meta({
    description: 'Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  }),
});

/**
 * As the authorizer reads them (authorizer.ts): both headers, always. Either the tenant's identity
 * and key, or, on the routes a portal session may call, `Identity: portal-session` with the
 * session token as a bearer Authorization. Either missing is a 401 before the authorizer runs.
 */
const SECURITY = [{ Identity: [], Authorization: [] }];
const PORTAL_SECURITY = [...SECURITY, { Identity: [], PortalSession: [] }];
const SECURITY_SCHEMES = {
  Identity: {
    type: 'apiKey',
    in: 'header',
    name: 'Identity',
    description: `The tenant's identity, sent together with Authorization; \`${PORTAL_IDENTITY}\` with a portal session token`,
  },
  Authorization: { type: 'apiKey', in: 'header', name: 'Authorization', description: "The tenant's key; sent together with Identity" },
  PortalSession: {
    type: 'http',
    scheme: 'bearer',
    description: `A portal session token (\`Authorization: Bearer ps_...\`, from POST /api/v0.1/portal/session-tokens), sent with \`Identity: ${PORTAL_IDENTITY}\`; only on the routes the portal may call`,
  },
} as const;

const ERROR_RESPONSES = {
  ValidationFailed: [
    'validation_failed',
    'The request is not valid (`validation_failed`, one `details` entry per field, or `invalid_json`, or `invalid_path`: a path segment is not valid percent-encoded UTF-8); nothing was changed',
    'The request is not valid. url: must use https',
    [{ field: 'url', message: 'must use https' }],
  ],
  Unauthorized: [
    GATEWAY_RESPONSES.UNAUTHORIZED.code,
    `\`${GATEWAY_RESPONSES.UNAUTHORIZED.code}\` (API Gateway's answer): ${GATEWAY_RESPONSES.UNAUTHORIZED.cause}. The api function answers 401 \`session_expired\` for a portal session that ended while API Gateway still held the authorizer's answer, and (exchanging a portal link) \`link_expired\`. Nothing was done`,
    GATEWAY_RESPONSES.UNAUTHORIZED.message,
  ],
  Forbidden: [
    GATEWAY_RESPONSES.ACCESS_DENIED.code,
    `\`${GATEWAY_RESPONSES.ACCESS_DENIED.code}\`: ${GATEWAY_RESPONSES.ACCESS_DENIED.cause} (API Gateway checks the policy; the api function checks the same again). Nothing was done`,
    GATEWAY_RESPONSES.ACCESS_DENIED.message,
  ],
  NotFound: [
    'not_found',
    'No such resource for this tenant (resources of other tenants are not found either)',
    'Subscription 487a7f29-7b80-467d-b20d-7b60c3a14cf0 was not found',
  ],
  Conflict: [
    'subscription_limit_reached',
    'The request conflicts with the current state, nothing was changed: `subscription_limit_reached` (the tenant has as many subscriptions as it may), `subscription_disabled`, `idempotency_conflict`, `idempotency_in_progress`',
    'This tenant already has 1000 subscriptions, the most it may have; delete one before creating another',
  ],
  PayloadTooLarge: [
    'payload_too_large',
    `The body is larger than ${MAX_BODY_BYTES} bytes (1 MiB), or (publishing) the event as delivered is larger than ${MAX_EVENT_BYTES} bytes`,
    `The request body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES} bytes (1 MiB)`,
  ],
  UnsupportedMediaType: [
    'unsupported_media_type',
    'The body was sent with a content type other than JSON (a body with no content type is read as JSON)',
    'The request body must be JSON, sent with Content-Type: application/json; it was sent as text/plain',
  ],
} as const satisfies Record<Exclude<ErrorName, RetryableName>, readonly [string, string, string, ...unknown[]]>;

/**
 * Route-specific answers with Retry-After. Each names its status's generic cause too (the
 * throttling below answers on every route), as an OpenAPI route holds one answer per status.
 */
const ROTATION_EXAMPLE = rotationTooSoon(
  '487a7f29-7b80-467d-b20d-7b60c3a14cf0',
  '2026-12-01T10:00:00.000Z',
  new Date('2026-12-01T10:04:00.000Z'),
);
const RETRYABLE_RESPONSES = {
  RotationRateLimited: {
    status: 429,
    code: ROTATION_RATE_LIMITED,
    message: ROTATION_EXAMPLE.message,
    retryAfterExample: Number(ROTATION_EXAMPLE.headers!['Retry-After']),
    description: `\`${ROTATION_RATE_LIMITED}\`: the secret was rotated, or its custom headers changed, less than ${MIN_SECONDS_BETWEEN_ROTATIONS / 60} minutes ago (at most one rotation or change of headers per subscription per ${MIN_SECONDS_BETWEEN_ROTATIONS / 60} minutes: each is a new Secrets Manager version, which AWS advises making no more often); Retry-After is the seconds until the next rotation is allowed, at most ${MIN_SECONDS_BETWEEN_ROTATIONS}. Or \`rate_limited\`: the tenant's own request rate or the stage's. Nothing was done`,
    retryAfterMaximum: MIN_SECONDS_BETWEEN_ROTATIONS,
  },
  SecretsBusy: {
    ...THROTTLE_ERRORS.keyUnavailable,
    message: budgetSpent('SecretsManager.BatchGetSecretValue').message,
    description:
      "`temporarily_unavailable`: Secrets Manager's request quota for the whole account is spent for this second (signing secrets are read and written there), or the tenant's throttling is being changed. Nothing was done; retry after Retry-After seconds",
    // An account's budget frees up the next second (dynamodb-call-budget.ts), Secrets Manager's throttling too.
    retryAfterMaximum: RETRY_AFTER_SECONDS,
    retryAfterExample: RETRY_AFTER_SECONDS,
  },
} as const;
type RetryableName = keyof typeof RETRYABLE_RESPONSES;

const STATUS_OF: Record<ErrorName, string> = {
  ValidationFailed: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  Conflict: '409',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  RotationRateLimited: String(RETRYABLE_RESPONSES.RotationRateLimited.status),
  SecretsBusy: String(RETRYABLE_RESPONSES.SecretsBusy.status),
};

/**
 * What API Gateway answers itself when it throttles, on any route (the stage's limit), and on
 * authorized routes (the tenant's own): documented for every route, not listed by each.
 */
const THROTTLE_RESPONSES = {
  RateLimited: {
    ...THROTTLE_ERRORS.rateLimited,
    description:
      "Too many requests: the tenant's own limit (each tenant's API key has one) or the stage's, for everyone together. Nothing was done; retry after Retry-After seconds",
  },
  TemporarilyUnavailable: {
    ...THROTTLE_ERRORS.keyUnavailable,
    description:
      "The tenant's throttling is being changed (for a moment, its requests cannot be counted). Nothing was done; retry after Retry-After seconds",
  },
} as const;
type ThrottleResponseName = keyof typeof THROTTLE_RESPONSES;

/**
 * Answers not of one route but of any: the rest of what API Gateway answers itself
 * (GATEWAY_RESPONSES; its 401 and 403 are the Unauthorized and Forbidden above), and the
 * router's for a malformed path segment. Documented for every route they can answer, as the
 * throttling is.
 */
const GENERAL_RESPONSES = {
  RequestTooLarge: GATEWAY_RESPONSES.REQUEST_TOO_LARGE,
  GatewayFailure: {
    ...GATEWAY_RESPONSES.DEFAULT_5XX,
    status: 500,
    cause: `${GATEWAY_RESPONSES.DEFAULT_5XX.cause}; or the api function failed unexpectedly. The request may be retried (a publish with an Idempotency-Key is safe to retry)`,
  },
  GatewayTimeout: GATEWAY_RESPONSES.INTEGRATION_TIMEOUT,
  // Not API Gateway's, but as general: the router's answer on every route with path parameters (http.ts).
  InvalidPath: {
    status: 400,
    code: 'invalid_path',
    message: 'The path segment %ZZ is not valid percent-encoded UTF-8 (write % as %25)',
    cause: 'A path segment is not valid percent-encoded UTF-8; nothing was done',
  },
} as const;
type GeneralResponseName = keyof typeof GENERAL_RESPONSES;

/** Any other refusal API Gateway makes itself (the stack's DEFAULT_4XX gateway response, `bad_request`). */
const GENERIC_RESPONSES = {
  GatewayRefused: {
    status: '4XX',
    code: 'bad_request',
    message: 'Invalid request body',
    description:
      "`bad_request`, any other 4xx: API Gateway refused the request itself before the API saw it (the message is API Gateway's). Nothing was done",
  },
} as const;
type GenericResponseName = keyof typeof GENERIC_RESPONSES;

/** Throttling's Retry-After is static on AWS (its gateway responses'), and local mode's never more. */
const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    required: true,
    schema: {
      type: 'integer' as const,
      format: 'int32',
      minimum: RETRY_AFTER_SECONDS,
      maximum: RETRY_AFTER_SECONDS,
      example: RETRY_AFTER_SECONDS,
    },
  },
};

const errorRef = (name: ErrorName | ThrottleResponseName | GeneralResponseName | GenericResponseName) => ({
  $ref: `#/components/responses/${name}`,
});
const json = (schema: ZodMediaTypeObject['schema']) => ({ 'application/json': { schema } });

/** Component name of the schema of one event type's `data`. */
export const eventDataSchemaName = (type: string) => `EventData.${type}`;

export function buildOpenApiDocument<Ctx>(catalog: Catalog, routes: readonly Route<Ctx>[], serverUrl?: string): object {
  const registry = new OpenAPIRegistry();

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, { ...scheme });
  for (const [name, [code, description, message, details]] of Object.entries(ERROR_RESPONSES) as [
    Exclude<ErrorName, RetryableName>,
    readonly [string, string, string, unknown?],
  ][]) {
    registry.registerComponent('responses', name, {
      description,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          example: { error: { code, message, ...(details ? { details } : {}) } },
        },
      },
    });
  }

  for (const [name, { code, message, description, retryAfterMaximum, retryAfterExample }] of Object.entries(RETRYABLE_RESPONSES)) {
    const { schema, ...header } = RETRY_AFTER_HEADER['Retry-After'];
    registry.registerComponent('responses', name, {
      description,
      headers: {
        'Retry-After': {
          ...header,
          schema: { ...schema, example: retryAfterExample, maximum: retryAfterMaximum },
        },
      },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code, message } } } },
    });
  }

  for (const [name, { code, message, description }] of Object.entries(GENERIC_RESPONSES)) {
    registry.registerComponent('responses', name, {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code, message } } } },
    });
  }

  for (const [name, { code, message, description }] of Object.entries(THROTTLE_RESPONSES)) {
    registry.registerComponent('responses', name, {
      description,
      headers: RETRY_AFTER_HEADER,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code, message } } } },
    });
  }

  for (const [name, { code, message, cause }] of Object.entries(GENERAL_RESPONSES)) {
    registry.registerComponent('responses', name, {
      description: `\`${code}\`: ${cause}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code, message } } } },
    });
  }

  // The catalog: one schema per event type's `data`, as written in events/<type>.json.
  for (const entry of catalog.entries) {
    const { $schema: _dialect, $id: _id, ...schema } = structuredClone(entry.schema);
    registry.registerComponent('schemas', eventDataSchemaName(entry.type), {
      ...schema,
      description: entry.description,
      examples: [structuredClone(entry.example)],
    });
  }
  /** `{type, data}` with `type` fixed; `more` adds required properties (the delivered envelope has `id` and `timestamp`). */
  const envelopeFor = (type: string, data: object, more: Record<string, object> = {}) => ({
    type: 'object' as const,
    title: type,
    required: ['type', 'data', ...Object.keys(more)],
    properties: { ...more, type: { const: type }, data },
  });
  // Only tenants' own types can be published; operational ones are the pipeline's.
  const eventTypeSchemas = catalog.entries
    .filter((e) => !e.operational)
    .map((e) => envelopeFor(e.type, { $ref: `#/components/schemas/${eventDataSchemaName(e.type)}` }));
  registry.registerComponent('schemas', 'PublishEventByType', {
    description: 'Which `data` goes with which `type`: one alternative per event type of the catalog that tenants may publish',
    oneOf: eventTypeSchemas,
  });

  for (const r of routes) for (const path of servedPaths(r)) registry.registerPath(pathConfig(r, catalog, path));

  // What receivers get: one signed POST per event type (Standard Webhooks).
  const deliveredEnvelope = (type: string, data: object) =>
    envelopeFor(type, data, {
      id: { type: 'string', maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN, description: 'The event id, equal to the webhook-id header' },
      timestamp: { type: 'string', format: 'date-time', maxLength: MAX_TIME_CHARS },
    });
  const webhook = (type: string, summary: string, data: object) =>
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `receive.${type}`,
      tags: ['Receiving webhooks'],
      summary,
      security: [],
      description: 'Verify the signature with any Standard Webhooks library before trusting the body.',
      request: {
        headers: WebhookHeaders,
        body: { required: true, content: { 'application/json': { schema: deliveredEnvelope(type, data) } } },
      },
      responses: {
        '2XX': { description: 'Any 2xx ends the delivery' },
        default: { description: 'Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered' },
      },
    });
  for (const e of catalog.entries) webhook(e.type, e.description, { $ref: `#/components/schemas/${eventDataSchemaName(e.type)}` });
  webhook('webhook.test', 'A test event, sent by POST /api/v0.1/webhooks/{id}/test', { type: 'object' });

  const generator = new OpenApiGeneratorV31(
    // Referenced only through raw $refs above, so named here. (A bare zod schema would not do:
    // the generator takes its `type` property for a definition kind.)
    [
      ...registry.definitions,
      { type: 'schema', schema: ErrorBody },
      ...routes.flatMap((r) => (r.body?.documentAs ? [{ type: 'schema' as const, schema: r.body.schema }] : [])),
    ],
    { sortComponents: 'alphabetically' },
  );
  const document = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: OPENAPI_TITLE,
      version: OPENAPI_VERSION,
      license: OPENAPI_LICENSE,
      description: [
        'Manage webhook subscriptions, read delivery history, and publish events.',
        '',
        'Two versions of one set of subscriptions are served: `/api/v0.1/webhooks` (`url`, `STATUS_ENABLED`, responses wrapped in `webhook_subscription`) and `/api/v0/webhooks` (`callback_url`, `webhook_id`, `enabled`).',
        'Authenticate every request with the `Identity` and `Authorization` headers. Errors are `{"error": {"code", "message", "details"?}}` with a stable `code`.',
        'Each tenant has a request rate of its own (and the API one for everyone together): past it, requests are answered 429 `rate_limited` with a `Retry-After` header (seconds), before anything is done.',
        'Deliveries are signed with the Standard Webhooks scheme; see `webhooks` for what receivers get.',
      ].join('\n'),
    },
    servers: openApiServers(serverUrl),
    security: SECURITY,
    tags: [
      { name: 'Subscriptions (v0.1)', description: 'Seed 002' },
      { name: 'Subscriptions (v0)', description: 'Seed 001' },
      { name: 'Deliveries', description: 'Delivery history, attempts and manual retries' },
      { name: 'Events', description: 'The event type catalog and publishing' },
      { name: 'Portal', description: 'Links to the tenant portal, and their exchange for portal sessions' },
      { name: 'Receiving webhooks', description: 'What your endpoint receives' },
      { name: 'Meta', description: 'This document' },
    ],
  });
  return nullableRefsAsAnyOf(document);
}

/**
 * zod-to-openapi writes a nullable referenced schema (`PayloadFilterSchema.nullable()`) for 3.1
 * as `allOf: [{$ref}, {type: [..., 'null']}]`, which is not "the schema or null": null must still
 * fit the referenced schema, so validators refuse it and generated clients type the field as
 * unusable (openapi-typescript: `PayloadFilter & (Record<string, never> | null)`). The upstream
 * fix, https://github.com/asteasolutions/zod-to-openapi/pull/387 (open), writes what is meant,
 * `anyOf: [{$ref}, {type: 'null'}]`; so does this, until it is released.
 */
export function nullableRefsAsAnyOf<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableRefsAsAnyOf) as T;
  if (!node || typeof node !== 'object') return node;
  const { allOf, ...rest } = node as { allOf?: unknown };
  if (isNullableRef(allOf)) return { ...nullableRefsAsAnyOf(rest), anyOf: [allOf[0], { type: 'null' }] } as T;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, nullableRefsAsAnyOf(v)])) as T;
}

/** `[{$ref}, {type: [t, 'null']}]`, and nothing else. */
function isNullableRef(allOf: unknown): allOf is [{ $ref: string }, { type: string[] }] {
  if (!Array.isArray(allOf) || allOf.length !== 2) return false;
  const [ref, override] = allOf as [Record<string, unknown>, Record<string, unknown>];
  const only = (o: unknown, key: string) => typeof o === 'object' && o !== null && Object.keys(o).length === 1 && key in o;
  return (
    only(ref, '$ref') &&
    typeof ref.$ref === 'string' &&
    only(override, 'type') &&
    Array.isArray(override.type) &&
    override.type.length === 2 &&
    override.type.includes('null')
  );
}

/** One table entry as zod-to-openapi's path config: its schemas, its answer and its documented errors. */
function pathConfig<Ctx>(r: Route<Ctx>, catalog: Catalog, path = r.path): RouteConfig {
  // The trailing-slash form of a route (servedPaths): the same operation under an id of its own.
  const alias = path !== r.path;
  const request: NonNullable<RouteConfig['request']> = {};
  if (r.params) request.params = r.params;
  if (r.query) request.query = r.query;
  if (r.headers) request.headers = r.headers;
  if (r.body) {
    const example = r.body.example?.(catalog);
    request.body = {
      required: true,
      content: {
        'application/json': {
          schema: (r.body.documentAs ?? r.body.schema) as ZodMediaTypeObject['schema'],
          ...(example !== undefined ? { example } : {}),
        },
      },
    };
  }
  const response: ResponseConfig = {
    description: r.response.description,
    ...(r.response.headers ? { headers: r.response.headers } : {}),
    content: json(r.response.schema as ZodMediaTypeObject['schema']),
  };
  return {
    method: r.method.toLowerCase() as RouteConfig['method'],
    path,
    operationId: alias ? `${r.operationId}TrailingSlash` : r.operationId,
    tags: r.tags,
    summary: alias ? `${r.summary} (with a trailing slash)` : r.summary,
    ...(r.description || alias
      ? {
          description: [
            alias
              ? `The same operation as \`${r.method} ${r.path}\`, at the path with a trailing slash, as seed 001's samples write it.`
              : '',
            r.description ?? '',
          ]
            .filter(Boolean)
            .join('\n\n'),
        }
      : {}),
    ...(r.public ? { security: [] } : r.portal ? { security: PORTAL_SECURITY } : {}),
    ...(Object.keys(request).length ? { request } : {}),
    responses: {
      [r.response.status]: response,
      [GENERIC_RESPONSES.GatewayRefused.status]: errorRef('GatewayRefused'),
      [String(THROTTLE_RESPONSES.RateLimited.status)]: errorRef('RateLimited'),
      // What API Gateway answers itself: the authorizer's refusals on authorized routes, its size
      // limit, and its failures and timeout on every route (GATEWAY_RESPONSES).
      ...(r.public ? {} : { [STATUS_OF.Unauthorized]: errorRef('Unauthorized'), [STATUS_OF.Forbidden]: errorRef('Forbidden') }),
      [String(GENERAL_RESPONSES.RequestTooLarge.status)]: errorRef('RequestTooLarge'),
      [String(GENERAL_RESPONSES.GatewayFailure.status)]: errorRef('GatewayFailure'),
      [String(GENERAL_RESPONSES.GatewayTimeout.status)]: errorRef('GatewayTimeout'),
      ...(r.params ? { [String(GENERAL_RESPONSES.InvalidPath.status)]: errorRef('InvalidPath') } : {}),
      // Only authorized routes carry a throttling key (public ones meet the stage's limit alone).
      ...(r.public ? {} : { [String(THROTTLE_RESPONSES.TemporarilyUnavailable.status)]: errorRef('TemporarilyUnavailable') }),
      // After the generic ones: a route's own answer for a status replaces the generic one.
      ...Object.fromEntries(r.errors.map((e) => [STATUS_OF[e], errorRef(e)])),
    },
  };
}
