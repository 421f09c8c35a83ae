import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, createApi } from '../../functions/app/api.js';
import { buildOpenApiDocument } from '../../functions/app/openapi.js';
import { servedPaths } from '../../functions/app/route-table.js';
import { LOCAL_POLICY, MAX_URL_LENGTH } from '../../functions/domain/address-policy.js';
import {
  API_STAGE_NAME,
  CURSOR_PATTERN,
  ID_PATTERN,
  MAX_CURSOR_CHARS,
  MAX_EVENT_TYPE_CHARS,
  MAX_ID_LENGTH,
  MAX_PAGE_LIMIT,
  MAX_TIME_CHARS,
} from '../../functions/domain/api-limits.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { GATEWAY_FAILURE } from '../../functions/domain/errors.js';
import type { Subscription } from '../../functions/domain/model.js';
import { MAX_EVENTS, URL_SCHEME_PATTERN } from '../../functions/domain/requests.js';
import {
  RotateSecretResponse,
  SubscriptionV0,
  SubscriptionV0List,
  SubscriptionV01Response,
} from '../../functions/domain/response-schemas.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS } from '../../functions/domain/secret-set.js';
import { generateSecret } from '../../functions/domain/signing.js';
import { toV0View, toV01View } from '../../functions/domain/views.js';
import { CLIENT_SCHEMA_FILE, OPENAPI_FILE, renderClientSchema, renderOpenApiDocument } from '../../scripts/generate-openapi.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { license: string };

type Doc = Record<string, any>;

const catalog = loadCatalog();
const doc = buildOpenApiDocument(catalog, API_ROUTES) as Doc;

/** Follows `$ref`s inside the document. */
function resolve(node: any): any {
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    node = (node.$ref as string)
      .slice(2)
      .split('/')
      .reduce((o: any, key) => o?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return node;
}

const requestSchema = (path: string, method: string) => resolve(doc.paths[path][method].requestBody.content['application/json'].schema);

/** Ajv over the document's component schemas, so schemas can be checked against real bodies. */
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'https://openapi.invalid/doc.json', components: doc.components });
let compiled = 0;
const validatorFor = (schema: object) => ajv.compile({ $id: `https://openapi.invalid/s${++compiled}.json`, ...resolveBase(schema) });
/** Rewrites document-local refs so they resolve against the document added above. */
function resolveBase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"https://openapi.invalid/doc.json#/components/'));
}
const componentValidator = (name: string) => validatorFor({ $ref: `#/components/schemas/${name}` });

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const documentedRoutes = Object.entries(doc.paths as Doc).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((m) => HTTP_METHODS.includes(m))
    .map((m) => `${m} ${path}`),
);

const subscription: Subscription = {
  id: '487a7f29-7b80-467d-b20d-7b60c3a14cf0',
  tenantId: 't1',
  url: 'https://hostname.com/webhook/route',
  description: 'KYC state changes',
  events: ['card.created', 'kyc*'],
  version: '0.1',
  status: 'enabled',
  secretName: 'webhooks/t1/487a7f29',
  createdTime: '2022-06-09T18:23:37.585Z',
  updatedTime: '2022-06-09T18:23:37.585Z',
};
const SECRET = 'whsec_XqTEJtniwuEhp0A1c1cTJNsmpR/qgOfB';

describe('docs/openapi.json', () => {
  it('is up to date with the zod schemas and the event catalog', () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed === renderOpenApiDocument(), 'docs/openapi.json is stale: run `npm run openapi` and commit the result').toBe(true);
  });

  it('is generated deterministically', () => {
    expect(JSON.stringify(buildOpenApiDocument(loadCatalog(), API_ROUTES))).toBe(JSON.stringify(doc));
  });
});

describe("client/schema.ts, the typed client's types", () => {
  it('is up to date with docs/openapi.json', async () => {
    const committed = readFileSync(CLIENT_SCHEMA_FILE, 'utf8');
    expect(committed === (await renderClientSchema()), 'client/schema.ts is stale: run `npm run openapi` and commit the result').toBe(true);
  });

  it('is generated deterministically, and types every path and operation of the route table', async () => {
    const schema = await renderClientSchema();
    expect(await renderClientSchema()).toBe(schema);
    for (const r of API_ROUTES) {
      expect(schema, r.path).toContain(`    ${JSON.stringify(r.path)}: {\n`);
      expect(schema, r.operationId).toContain(`    ${r.operationId}: {\n`);
    }
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with title and version', () => {
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.info).toMatchObject({ title: 'Serverless Webhooks API', version: '0.1.0' });
    expect(doc.info.license).toEqual({ name: pkg.license, identifier: pkg.license });
    // A deployment's stage URL, with the stage the stack deploys; or the URL the caller knows.
    expect(doc.servers).toHaveLength(1);
    expect(doc.servers[0].url).toBe(`https://{api_id}.execute-api.{region}.amazonaws.com/${API_STAGE_NAME}`);
    expect(doc.servers[0]).toMatchObject({ 'x-internal': false, description: expect.stringMatching(/production/) });
    expect((buildOpenApiDocument(catalog, API_ROUTES, 'https://api.example.com/prod') as Doc).servers).toEqual([
      { url: 'https://api.example.com/prod', description: 'This deployment (production)', 'x-internal': false },
    ]);
  });

  it("documents on every operation API Gateway's own 4xx and the 500 internal_error, in the error shape", () => {
    const errorSchema = componentValidator('Error');
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const failed = resolve(op.responses['500']);
        expect(failed.content['application/json'].example.error, `${method} ${path}`).toEqual({
          code: GATEWAY_FAILURE.code,
          message: GATEWAY_FAILURE.message,
        });
        const refused = resolve(op.responses['4XX']).content['application/json'];
        expect(refused.example.error.code).toBe('bad_request');
        for (const media of [failed.content['application/json'], refused]) {
          expect(resolve(media.schema)).toBe(doc.components.schemas.Error);
          expect(errorSchema(media.example)).toBe(true);
        }
      }
    }
  });

  it('states the bounds the API enforces, from where they are declared', () => {
    const schemas = doc.components.schemas;
    for (const name of ['CreateSubscriptionV01Request', 'SubscriptionV01']) {
      expect(schemas[name].properties.url).toMatchObject({ maxLength: MAX_URL_LENGTH, pattern: URL_SCHEME_PATTERN });
      expect(schemas[name].properties.events).toMatchObject({ maxItems: MAX_EVENTS, items: { maxLength: MAX_EVENT_TYPE_CHARS } });
    }
    expect(schemas.SubscriptionV01List.properties.webhook_subscriptions.maxItems).toBe(MAX_PAGE_LIMIT);
    expect(schemas.RecoverRequest.properties.since.maxLength).toBe(MAX_TIME_CHARS);
    const list = doc.paths['/api/v0.1/webhooks'].get.parameters as any[];
    expect(list.find((p) => p.name === 'limit').schema).toMatchObject({ format: 'int32', minimum: 1, maximum: MAX_PAGE_LIMIT });
    expect(list.find((p) => p.name === 'cursor').schema).toMatchObject({ maxLength: MAX_CURSOR_CHARS, pattern: CURSOR_PATTERN });
    const id = (doc.paths['/api/v0.1/webhooks/{id}'].get.parameters as any[]).find((p) => p.name === 'id');
    expect(id.schema).toMatchObject({ maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN });
    // What the document says of a secret and a masked header value holds for those the API makes.
    const v01 = toV01View(subscription, generateSecret(), { 'X-Api-Key': 'k_live_5f2b9c1e7a' });
    expect(componentValidator('SubscriptionV01')(v01)).toBe(true);
  });

  it('documents exactly the routes of the table the router serves, at every path each answers', async () => {
    const fromTable = API_ROUTES.flatMap((r) => servedPaths(r).map((path) => `${r.method.toLowerCase()} ${path}`));
    expect(new Set(fromTable).size, 'a route is declared twice').toBe(fromTable.length);
    expect([...documentedRoutes].sort()).toEqual([...fromTable].sort());
    for (const r of API_ROUTES) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      expect(op.operationId).toBe(r.operationId);
      expect(Object.keys(op.responses)).toContain(String(r.response.status));
      if (r.trailingSlash) {
        const alias = doc.paths[`${r.path}/`][r.method.toLowerCase()];
        expect(alias.operationId).toBe(`${r.operationId}TrailingSlash`);
        expect(alias.responses).toEqual(op.responses);
      }
    }
    // And the router serves each one: none answers "no route" (404 not_found with that message) or 405.
    const api = createApi({
      subscriptions: { get: async () => undefined } as never,
      secrets: {} as never,
      bus: {} as never,
      store: { getDeliveries: async () => new Map() } as never,
      deliveries: {} as never,
      catalog,
      policy: LOCAL_POLICY,
      secretNamePrefix: 'p/',
    });
    const call = (method: string, path: string) =>
      api({
        httpMethod: method,
        path,
        headers: { 'content-type': 'text/plain' },
        body: 'not json',
        requestContext: { authorizer: { tenantId: 't1' } },
      } as never);
    for (const r of API_ROUTES) {
      for (const served of servedPaths(r)) {
        const path = served.replaceAll(/\{\w+\}/g, 'x1');
        const res = await call(r.method, path);
        expect(res.statusCode, `${r.method} ${path}: ${res.body}`).not.toBe(405);
        expect(res.body, `${r.method} ${path}`).not.toContain('No route for');
      }
      // And no other form: a trailing slash the route does not declare is no route (404).
      if (!r.trailingSlash) {
        const path = `${r.path.replaceAll(/\{\w+\}/g, 'x1')}/`;
        const res = await call(r.method, path);
        expect(res.statusCode, `${r.method} ${path}`).toBe(404);
        expect(res.body, `${r.method} ${path}`).toContain('No route for');
      }
    }
  });

  it('declares every path parameter, and limit/cursor on lists', () => {
    for (const route of documentedRoutes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path][method];
      const params = ((op.parameters ?? []) as any[]).map(resolve);
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(
          params.find((p) => p.in === 'path' && p.name === name),
          `${route} lacks path parameter ${name}`,
        ).toMatchObject({ required: true });
      }
      expect(op.operationId, `${route} has no operationId`).toBeTypeOf('string');
    }
    for (const path of ['/api/v0.1/webhooks', '/api/v0/webhooks', '/api/v0.1/webhooks/{id}/deliveries']) {
      const params = doc.paths[path].get.parameters as any[];
      expect(params.find((p) => p.name === 'limit')).toMatchObject({
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
      });
      expect(params.find((p) => p.name === 'cursor')).toMatchObject({ in: 'query', required: false });
    }
  });

  it('takes the v0.1 create body from the zod schema (seed 002)', () => {
    const schema = requestSchema('/api/v0.1/webhooks', 'post');
    expect(schema.required).toEqual(expect.arrayContaining(['url', 'events']));
    expect(schema.required).not.toContain('description');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['url', 'events', 'description', 'version', 'status']));
    expect(schema.properties.status.enum).toEqual(['STATUS_ENABLED', 'STATUS_DISABLED']);
    expect(schema.additionalProperties).toBe(false);
    const validate = componentValidator('CreateSubscriptionV01Request');
    expect(
      validate({
        events: ['card.created', 'kyc*'],
        url: 'https://hostname.com/webhook/route',
        description: 'Webhook',
        version: '0.1',
        status: 'STATUS_ENABLED',
      }),
    ).toBe(true);
    expect(validate({ events: ['card.created'] })).toBe(false);
    expect(validate({ events: [], url: 'https://x' })).toBe(false);
  });

  it('lets filter and rate_limit be null (removed) or set, in every create and update body', () => {
    const set = { filter: { card_id: ['c_1'] }, rate_limit: { per_second: 5, burst: 10 } };
    const removed = { filter: null, rate_limit: null };
    const bodies = {
      CreateSubscriptionV01Request: { url: 'https://hostname.com/webhook/route', events: ['card.created'] },
      UpdateSubscriptionV01Request: {},
      CreateSubscriptionV0Request: { callback_url: 'https://hostname.com/webhook/route', events: ['card.created'] },
      UpdateSubscriptionV0Request: {},
    };
    for (const [name, body] of Object.entries(bodies)) {
      const validate = componentValidator(name);
      expect(validate({ ...body, ...set }), `${name} with both set: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate({ ...body, ...removed }), `${name} with both null: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate({ ...body, rate_limit: { per_second: 5 } }), name).toBe(false);
    }
    // zod-to-openapi's form for a nullable $ref (allOf with a null type), which means "never null", is gone.
    expect(JSON.stringify(doc)).not.toMatch(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\[/);
  });

  it('takes the v0 create and update bodies from the zod schemas (seed 001)', () => {
    const create = requestSchema('/api/v0/webhooks', 'post');
    expect(create.required).toEqual(expect.arrayContaining(['callback_url', 'events']));
    const update = requestSchema('/api/v0/webhooks/{id}', 'patch');
    expect(update.properties.action.enum).toEqual(['add_events', 'remove_events']);
    expect(update.properties.status.enum).toEqual(['enabled', 'disabled', 'enable', 'disable']);
    expect(
      componentValidator('UpdateSubscriptionV0Request')({
        events: ['card.created'],
        callback_url: 'https://headquarters.com/webhook/route',
        description: 'KYC state changes update June 20 2021',
        status: 'enabled',
        action: 'add_events',
      }),
    ).toBe(true);
  });

  it('names the Identity and Authorization headers as two apiKey schemes, both required; a portal session as Identity with a bearer token', () => {
    expect(doc.components.securitySchemes).toEqual({
      Identity: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Identity' }),
      Authorization: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Authorization' }),
      PortalSession: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(doc.security).toEqual([{ Identity: [], Authorization: [] }]);
    expect(doc.paths['/api/openapi.json'].get.security).toEqual([]);
    // Exactly the routes a portal session may call offer the second way in.
    for (const r of API_ROUTES.filter((x) => !x.public)) {
      const security = doc.paths[r.path][r.method.toLowerCase()].security;
      expect(security, `${r.method} ${r.path}`).toEqual(
        r.portal
          ? [
              { Identity: [], Authorization: [] },
              { Identity: [], PortalSession: [] },
            ]
          : undefined,
      );
    }
  });

  it('answers errors in the error shape with their codes', () => {
    const create = doc.paths['/api/v0.1/webhooks'].post.responses;
    expect(Object.keys(create)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413']));
    expect(Object.keys(doc.paths['/api/v0/webhooks/{id}'].get.responses)).toEqual(expect.arrayContaining(['200', '401', '404']));
    expect(Object.keys(doc.paths['/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry'].post.responses)).toEqual(
      expect.arrayContaining(['202', '404']),
    );
    const errorSchema = componentValidator('Error');
    for (const status of ['400', '401', '404', '413']) {
      const response = resolve(create[status] ?? doc.paths['/api/v0.1/webhooks/{id}'].get.responses[status]);
      const media = response.content['application/json'];
      expect(resolve(media.schema)).toBe(doc.components.schemas.Error);
      expect(errorSchema(media.example), `example of ${status}`).toBe(true);
    }
    expect(resolve(create['400']).content['application/json'].example.error.code).toBe('validation_failed');
    expect(resolve(doc.paths['/api/v0.1/webhooks/{id}'].get.responses['404']).content['application/json'].example.error.code).toBe(
      'not_found',
    );
    expect(resolve(create['413']).content['application/json'].example.error.code).toBe('payload_too_large');
  });

  it('documents throttling on every route: 429 rate_limited with Retry-After, and 503 on authorized routes', () => {
    const rotate = '/api/v0.1/webhooks/{id}/secret/rotate';
    // A change of custom headers writes the stored secret too, so the PATCH routes share the rotation limit.
    const patches = ['/api/v0.1/webhooks/{id}', '/api/v0/webhooks/{id}'];
    const rotationLimited = (path: string, method: string) => path === rotate || (method === 'patch' && patches.includes(path));
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const limited = resolve(op.responses['429']);
        expect(limited, `${method} ${path}`).toBeDefined();
        expect(limited.headers['Retry-After'].schema).toMatchObject({ type: 'integer', minimum: 1 });
        // The rotation limit's 429 is its own, whose description names the general one too.
        const rotation = rotationLimited(path, method);
        expect(limited.content['application/json'].example.error.code).toBe(rotation ? 'rotation_rate_limited' : 'rate_limited');
        if (rotation) expect(limited.description).toMatch(/`rate_limited`/);
        expect(componentValidator('Error')(limited.content['application/json'].example)).toBe(true);
        const unavailable = op.responses['503'];
        if (op.security?.length === 0) expect(unavailable, `${method} ${path} is public`).toBeUndefined();
        else
          expect(resolve(unavailable).content['application/json'].example.error.code, `${method} ${path}`).toBe('temporarily_unavailable');
      }
    }
  });

  it("declares the rotation limit once: the route's 429 gives the window, as Retry-After's maximum, and the code", () => {
    const limited = resolve(doc.paths['/api/v0.1/webhooks/{id}/secret/rotate'].post.responses['429']);
    expect(limited.headers['Retry-After'].schema).toMatchObject({ minimum: 1, maximum: MIN_SECONDS_BETWEEN_ROTATIONS, example: 360 });
    expect(limited.description).toContain(`${MIN_SECONDS_BETWEEN_ROTATIONS / 60} minutes`);
    expect(MIN_SECONDS_BETWEEN_ROTATIONS).toBe(600);
    // Every subscription route can meet Secrets Manager's account-wide quota: its 503 says so.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>))
      for (const op of Object.values(item))
        if (
          path.startsWith('/api/v0/webhooks') ||
          (path.startsWith('/api/v0.1/webhooks') &&
            !path.includes('deliver') &&
            !path.endsWith('/test') &&
            !path.endsWith('/outcomes') &&
            // Recoveries read no secret.
            !path.includes('/recover'))
        )
          expect(op.responses['503'].$ref, path).toBe('#/components/responses/SecretsBusy');
  });

  it('documents the optional Idempotency-Key header of publishing', () => {
    const params = doc.paths['/api/v0.1/events'].post.parameters as any[];
    expect(params).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }));
  });

  it('puts the event catalog in: each type`s data schema, and the publish body checks data against its type', () => {
    for (const entry of catalog.entries) {
      expect(doc.components.schemas[`EventData.${entry.type}`]).toMatchObject({ required: entry.schema.required });
      expect(Object.keys(doc.webhooks)).toContain(entry.type);
    }
    const publish = validatorFor(requestSchema('/api/v0.1/events', 'post'));
    // The platform's own types (the five operational ones and webhook.endpoint.verification) are documented as webhooks, never as publishable.
    expect(catalog.entries.filter((e) => e.operational).map((e) => e.type)).toContain('webhook.endpoint.verification');
    for (const entry of catalog.entries.filter((e) => !e.operational)) {
      expect(publish({ type: entry.type, data: entry.example }), `${entry.type} example: ${ajv.errorsText(publish.errors)}`).toBe(true);
      expect(publish({ type: entry.type, data: entry.example, id: 'evt_1' })).toBe(true);
    }
    // The platform's own events are documented as webhooks, never as something to publish.
    for (const entry of catalog.entries.filter((e) => e.operational))
      expect(publish({ type: entry.type, data: entry.example })).toBe(false);
    expect(publish({ type: 'no.such.type', data: {} })).toBe(false);
    expect(publish({ type: 'card.created', data: {} })).toBe(false);
    expect(publish({ type: 'card.created', data: catalog.entries.find((e) => e.type === 'card.created')!.example, extra: 1 })).toBe(false);
  });
});

describe('the response schemas', () => {
  it('fit what the views build', () => {
    const v01 = { webhook_subscription: toV01View(subscription, SECRET) };
    expect(SubscriptionV01Response.parse(v01)).toEqual(v01);
    expect(componentValidator('SubscriptionV01Response')(v01)).toBe(true);
    expect(RotateSecretResponse.safeParse({ ...v01, previous_secret_expires_time: '2022-06-10T18:23:37.585Z' }).success).toBe(true);
    const deleted = toV0View({ ...subscription, deletedTime: '2022-06-10T00:00:00.000Z' }, SECRET);
    expect(SubscriptionV0.parse(deleted)).toEqual(deleted);
    expect(SubscriptionV0List.safeParse([toV0View(subscription, SECRET), deleted]).success).toBe(true);
    expect(componentValidator('SubscriptionV0List')([deleted])).toBe(true);
  });
});
