import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
  type ZodMediaTypeObject,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Catalog } from '../domain/catalog.js';
import { PORTAL_EXCHANGE_PATH, PORTAL_SESSIONS_PATH } from '../domain/portal.js';
import {
  DeliveryListQuery,
  ExchangeLinkRequest,
  OUTCOME_HOURS,
  OutcomesResponse,
  PortalLinkResponse,
  PortalSessionResponse,
} from '../domain/portal-schemas.js';
import {
  CreateSubscriptionV0,
  CreateSubscriptionV01,
  MAX_EVENTS,
  PublishEvent,
  UpdateSubscriptionV0,
  UpdateSubscriptionV01,
} from '../domain/requests.js';
import {
  DeliveryList,
  DeliveryResponse,
  ErrorBody,
  EventTypeList,
  PublishedEvent,
  RotateSecretResponse,
  SubscriptionV0,
  SubscriptionV0List,
  SubscriptionV01List,
  SubscriptionV01Response,
  TestEventResponse,
} from '../domain/response-schemas.js';
import { MAX_BODY_BYTES } from './http.js';

/**
 * The OpenAPI 3.1 document, generated from the zod request and response schemas and the event
 * catalog. The api function serves it at `GET /api/openapi.json`; `npm run openapi` writes it to
 * `docs/openapi.json`. Nothing here mutates the shared schemas: `.meta()` returns copies.
 */

export const OPENAPI_TITLE = 'Serverless Webhooks API';
export const OPENAPI_VERSION = '0.1.0';

// Request bodies get component names here; requests.ts stays free of documentation concerns.
const CreateSubscriptionV01Request = CreateSubscriptionV01.meta({
  id: 'CreateSubscriptionV01Request',
  description: `Seed 002. \`events\` lists 1 to ${MAX_EVENTS} event types or prefix wildcards such as \`card*\`; \`url\` must be https and resolve to a public address.`,
});
const UpdateSubscriptionV01Request = UpdateSubscriptionV01.meta({
  id: 'UpdateSubscriptionV01Request',
  description: 'Seed 002. Only the fields sent change; `events` replaces the whole list.',
});
const CreateSubscriptionV0Request = CreateSubscriptionV0.meta({
  id: 'CreateSubscriptionV0Request',
  description: 'Seed 001. `callback_url` must be https and resolve to a public address.',
});
const UpdateSubscriptionV0Request = UpdateSubscriptionV0.meta({
  id: 'UpdateSubscriptionV0Request',
  description:
    'Seed 001. Only the fields sent change. Without `action`, `events` replaces the list; with `action` `add_events` or `remove_events` it is added to or removed from it (`events` is then required).',
});
const PublishEventRequest = PublishEvent.meta({
  id: 'PublishEventRequest',
  description:
    '`data` must match the JSON Schema of the event type (see `GET /api/v0.1/event-types`). `id` defaults to a new `evt_...` id.',
});

const SubscriptionIdParams = z.object({
  id: z.string().min(1).meta({ description: 'The subscription id (`id` in v0.1, `webhook_id` in v0)' }),
});
const DeliveryParams = SubscriptionIdParams.extend({
  delivery_id: z.string().min(1).meta({ description: 'The delivery id' }),
});
const PageQuery = z.object({
  limit: z.int().min(1).max(100).default(50).meta({ description: 'Items per page, 1 to 100' }),
  cursor: z.string().min(1).optional().meta({ description: 'The `next_cursor` of the previous page' }),
});
const PublishHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().meta({
    description: 'Makes the request safe to retry: a repeated publish with the same key is accepted once and answers with the same event',
  }),
});
const WebhookHeaders = z.object({
  'webhook-id': z.string().meta({ description: 'The event id; the same on every attempt, so receivers can deduplicate' }),
  'webhook-timestamp': z.string().meta({ description: 'Unix seconds of this attempt; reject it when far from your clock' }),
  'webhook-signature': z.string().meta({
    description: 'Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  }),
});

const SECURITY = [{ Identity: [], Authorization: [] }];
const SECURITY_SCHEMES = {
  Identity: { type: 'apiKey', in: 'header', name: 'Identity', description: "The tenant's identity; sent together with Authorization" },
  Authorization: { type: 'apiKey', in: 'header', name: 'Authorization', description: "The tenant's key; sent together with Identity" },
} as const;

const ERROR_RESPONSES = {
  ValidationFailed: [
    'validation_failed',
    'The request is not valid (`validation_failed`, one `details` entry per field, or `invalid_json`); nothing was changed',
    'The request is not valid. url: must use https',
    [{ field: 'url', message: 'must use https' }],
  ],
  Unauthorized: [
    'unauthorized',
    'The Identity and Authorization headers are missing',
    'Send the tenant credentials in the Identity and Authorization headers.',
  ],
  Forbidden: ['forbidden', 'The credentials are not valid', 'These credentials are not valid or may not use this resource.'],
  NotFound: [
    'not_found',
    'No such resource for this tenant (resources of other tenants are not found either)',
    'Subscription 487a7f29-7b80-467d-b20d-7b60c3a14cf0 was not found',
  ],
  PayloadTooLarge: [
    'payload_too_large',
    `The body is larger than ${MAX_BODY_BYTES / 1024} KB`,
    `The request body is 300000 bytes; the limit is ${MAX_BODY_BYTES} bytes (256 KB)`,
  ],
} as const satisfies Record<string, readonly [string, string, string, ...unknown[]]>;
type ErrorName = keyof typeof ERROR_RESPONSES;
const STATUS_OF: Record<ErrorName, string> = {
  ValidationFailed: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  PayloadTooLarge: '413',
};

const errorRef = (name: ErrorName) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: ZodMediaTypeObject['schema']) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: json(schema) });

/** Component name of the schema of one event type's `data`. */
export const eventDataSchemaName = (type: string) => `EventData.${type}`;

export function buildOpenApiDocument(catalog: Catalog, serverUrl?: string): object {
  const registry = new OpenAPIRegistry();

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, { ...scheme });
  for (const [name, [code, description, message, details]] of Object.entries(ERROR_RESPONSES) as [
    ErrorName,
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
  const eventTypeSchemas = catalog.entries.map((e) => envelopeFor(e.type, { $ref: `#/components/schemas/${eventDataSchemaName(e.type)}` }));
  registry.registerComponent('schemas', 'PublishEventByType', {
    description: 'Which `data` goes with which `type`: one alternative per event type of the catalog',
    oneOf: eventTypeSchemas,
  });

  const route = (config: RouteConfig & { errors: ErrorName[]; public?: boolean }) => {
    const { errors, public: isPublic, responses, ...rest } = config;
    registry.registerPath({
      ...rest,
      ...(isPublic ? { security: [] } : {}),
      responses: {
        ...responses,
        ...Object.fromEntries(errors.map((e) => [STATUS_OF[e], errorRef(e)])),
      },
    });
  };
  const body = (schema: z.ZodType, description?: string) => ({
    required: true,
    ...(description ? { description } : {}),
    content: json(schema),
  });
  const auth: ErrorName[] = ['Unauthorized', 'Forbidden'];
  const withBody: ErrorName[] = ['ValidationFailed', ...auth, 'PayloadTooLarge'];
  const v01 = 'Subscriptions (v0.1)';
  const v0 = 'Subscriptions (v0)';

  // Seed 002: /api/v0.1/webhooks
  route({
    method: 'post',
    path: '/api/v0.1/webhooks',
    operationId: 'createSubscriptionV01',
    tags: [v01],
    summary: 'Create a subscription',
    request: { body: body(CreateSubscriptionV01Request) },
    responses: { 201: ok('The subscription, with its signing secret', SubscriptionV01Response) },
    errors: withBody,
  });
  route({
    method: 'get',
    path: '/api/v0.1/webhooks',
    operationId: 'listSubscriptionsV01',
    tags: [v01],
    summary: 'List subscriptions',
    request: { query: PageQuery },
    responses: { 200: ok('One page of subscriptions, oldest first', SubscriptionV01List) },
    errors: ['ValidationFailed', ...auth],
  });
  route({
    method: 'get',
    path: '/api/v0.1/webhooks/{id}',
    operationId: 'getSubscriptionV01',
    tags: [v01],
    summary: 'Get a subscription',
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('The subscription', SubscriptionV01Response) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'patch',
    path: '/api/v0.1/webhooks/{id}',
    operationId: 'updateSubscriptionV01',
    tags: [v01],
    summary: 'Update a subscription',
    request: { params: SubscriptionIdParams, body: body(UpdateSubscriptionV01Request) },
    responses: { 200: ok('The updated subscription', SubscriptionV01Response) },
    errors: [...withBody, 'NotFound'],
  });
  route({
    method: 'delete',
    path: '/api/v0.1/webhooks/{id}',
    operationId: 'deleteSubscriptionV01',
    tags: [v01],
    summary: 'Delete a subscription',
    description: 'It gets no new deliveries; deliveries already queued are skipped.',
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('The deleted subscription', SubscriptionV01Response) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'post',
    path: '/api/v0.1/webhooks/{id}/secret/rotate',
    operationId: 'rotateSecret',
    tags: [v01],
    summary: 'Rotate the signing secret',
    description:
      'Deliveries are signed with both the new and the previous secret until `previous_secret_expires_time`, so receivers can switch without losing events.',
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('The subscription with its new secret', RotateSecretResponse) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'post',
    path: '/api/v0.1/webhooks/{id}/test',
    operationId: 'sendTestEvent',
    tags: [v01],
    summary: 'Send a test event',
    description: 'Queues a `webhook.test` event for this subscription only; it is signed and retried like any other.',
    request: { params: SubscriptionIdParams },
    responses: { 202: ok('The test event was queued', TestEventResponse) },
    errors: [...auth, 'NotFound'],
  });

  // Deliveries of a subscription
  route({
    method: 'get',
    path: '/api/v0.1/webhooks/{id}/deliveries',
    operationId: 'listDeliveries',
    tags: ['Deliveries'],
    summary: 'List deliveries',
    description: 'Deliveries of events to this subscription, newest first.',
    request: { params: SubscriptionIdParams, query: DeliveryListQuery },
    responses: { 200: ok('One page of deliveries', DeliveryList) },
    errors: ['ValidationFailed', ...auth, 'NotFound'],
  });
  route({
    method: 'get',
    path: '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}',
    operationId: 'getDelivery',
    tags: ['Deliveries'],
    summary: 'Get a delivery and its attempts',
    request: { params: DeliveryParams },
    responses: { 200: ok('The delivery with every attempt recorded', DeliveryResponse) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'post',
    path: '/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry',
    operationId: 'retryDelivery',
    tags: ['Deliveries'],
    summary: 'Retry a delivery',
    description: 'Sends the same event again (same `webhook-id`), as a new attempt.',
    request: { params: DeliveryParams },
    responses: { 202: ok('The retry was queued', DeliveryResponse) },
    errors: [...auth, 'NotFound'],
  });

  // The tenant portal (functions/app/portal-routes.ts)
  route({
    method: 'get',
    path: '/api/v0.1/webhooks/{id}/outcomes',
    operationId: 'getDeliveryOutcomes',
    tags: ['Deliveries'],
    summary: 'Outcomes per hour',
    description: `Of the deliveries created in each of the last ${OUTCOME_HOURS} hours, how many succeeded and how many failed.`,
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('Succeeded and failed deliveries per hour', OutcomesResponse) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'post',
    path: PORTAL_SESSIONS_PATH,
    operationId: 'createPortalLink',
    tags: ['Portal'],
    summary: 'Create a portal link',
    description:
      'A link to the tenant portal for people at the tenant. The one-time token is in the fragment; the page exchanges it for a session token that works only on the portal routes of this tenant.',
    responses: { 201: ok('The link and when it stops working', PortalLinkResponse) },
    errors: auth,
  });
  route({
    method: 'post',
    path: PORTAL_EXCHANGE_PATH,
    operationId: 'exchangePortalLink',
    tags: ['Portal'],
    summary: 'Exchange a portal link for a session',
    description:
      'Public: the link token is the credential, and works once. Answers 401 `link_expired` for a used, expired or unknown link.',
    public: true,
    request: { body: body(ExchangeLinkRequest) },
    responses: { 201: ok("A session token for the portal routes of the link's tenant", PortalSessionResponse) },
    errors: ['ValidationFailed', 'Unauthorized', 'PayloadTooLarge'],
  });

  // Events
  route({
    method: 'get',
    path: '/api/v0.1/event-types',
    operationId: 'listEventTypes',
    tags: ['Events'],
    summary: 'List the event types',
    description: 'The catalog: every event type with the JSON Schema of its `data` and an example.',
    responses: { 200: ok('The event type catalog', EventTypeList) },
    errors: auth,
  });
  const firstEntry = catalog.entries[0];
  route({
    method: 'post',
    path: '/api/v0.1/events',
    operationId: 'publishEvent',
    tags: ['Events'],
    summary: 'Publish an event',
    description: 'Delivers the event to every subscription of this tenant whose `events` match its type.',
    request: {
      headers: PublishHeaders,
      body: {
        required: true,
        content: {
          'application/json': {
            schema: { allOf: [{ $ref: '#/components/schemas/PublishEventRequest' }, { $ref: '#/components/schemas/PublishEventByType' }] },
            ...(firstEntry ? { example: { type: firstEntry.type, data: structuredClone(firstEntry.example) } } : {}),
          },
        },
      },
    },
    responses: { 202: ok('The event was accepted for delivery', PublishedEvent) },
    errors: withBody,
  });

  // Seed 001: /api/v0/webhooks
  route({
    method: 'post',
    path: '/api/v0/webhooks',
    operationId: 'createSubscriptionV0',
    tags: [v0],
    summary: 'Create a subscription',
    request: { body: body(CreateSubscriptionV0Request) },
    responses: { 201: ok('The subscription, with its signing secret', SubscriptionV0) },
    errors: withBody,
  });
  route({
    method: 'get',
    path: '/api/v0/webhooks',
    operationId: 'listSubscriptionsV0',
    tags: [v0],
    summary: 'List subscriptions',
    request: { query: PageQuery },
    responses: {
      200: {
        description: 'One page of subscriptions, oldest first',
        headers: {
          'x-next-cursor': { description: 'Pass as `cursor` to fetch the next page; absent on the last page', schema: { type: 'string' } },
        },
        content: json(SubscriptionV0List),
      },
    },
    errors: ['ValidationFailed', ...auth],
  });
  route({
    method: 'get',
    path: '/api/v0/webhooks/{id}',
    operationId: 'getSubscriptionV0',
    tags: [v0],
    summary: 'Get a subscription',
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('The subscription', SubscriptionV0) },
    errors: [...auth, 'NotFound'],
  });
  route({
    method: 'patch',
    path: '/api/v0/webhooks/{id}',
    operationId: 'updateSubscriptionV0',
    tags: [v0],
    summary: 'Update a subscription',
    request: { params: SubscriptionIdParams, body: body(UpdateSubscriptionV0Request) },
    responses: { 200: ok('The updated subscription', SubscriptionV0) },
    errors: [...withBody, 'NotFound'],
  });
  route({
    method: 'delete',
    path: '/api/v0/webhooks/{id}',
    operationId: 'deleteSubscriptionV0',
    tags: [v0],
    summary: 'Delete a subscription',
    description: 'Answers with `deleted_at` and `status: disabled`.',
    request: { params: SubscriptionIdParams },
    responses: { 200: ok('The deleted subscription', SubscriptionV0) },
    errors: [...auth, 'NotFound'],
  });

  route({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['Meta'],
    summary: 'This OpenAPI document',
    public: true,
    responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
    errors: [],
  });

  // What receivers get: one signed POST per event type (Standard Webhooks).
  const deliveredEnvelope = (type: string, data: object) =>
    envelopeFor(type, data, {
      id: { type: 'string', description: 'The event id, equal to the webhook-id header' },
      timestamp: { type: 'string', format: 'date-time' },
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
    [...registry.definitions, { type: 'schema', schema: ErrorBody }, { type: 'schema', schema: PublishEventRequest }],
    { sortComponents: 'alphabetically' },
  );
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: OPENAPI_TITLE,
      version: OPENAPI_VERSION,
      description: [
        'Manage webhook subscriptions, read delivery history, and publish events.',
        '',
        'Two versions of one set of subscriptions are served: `/api/v0.1/webhooks` (`url`, `STATUS_ENABLED`, responses wrapped in `webhook_subscription`) and `/api/v0/webhooks` (`callback_url`, `webhook_id`, `enabled`).',
        'Authenticate every request with the `Identity` and `Authorization` headers. Errors are `{"error": {"code", "message", "details"?}}` with a stable `code`.',
        'Deliveries are signed with the Standard Webhooks scheme; see `webhooks` for what receivers get.',
      ].join('\n'),
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: SECURITY,
    tags: [
      { name: v01, description: 'Seed 002' },
      { name: v0, description: 'Seed 001' },
      { name: 'Deliveries', description: 'Delivery history, attempts and manual retries' },
      { name: 'Events', description: 'The event type catalog and publishing' },
      { name: 'Receiving webhooks', description: 'What your endpoint receives' },
      { name: 'Meta' },
    ],
  });
}
