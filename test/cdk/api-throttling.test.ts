import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE, RETRY_AFTER_SECONDS, THROTTLE_ERRORS } from '../../functions/domain/throttle.js';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import { buildStack, cdkJsonContext, functionId, logicalIdOf, SKIP_BUNDLING } from './support.js';

/**
 * Per-tenant throttling on API Gateway: the authorizer supplies each request's API key
 * (apiKeySource AUTHORIZER), authorized methods require one, usage plans throttle each key, the
 * stage throttles everything, and a throttled request is answered in the API's error shape with
 * Retry-After.
 */

const SLOW = 180_000;

let template: Template;
let resources: Record<string, any>;
const ref = (id: string) => ({ Ref: id });

beforeAll(() => {
  template = buildStack().template;
  resources = template.toJSON().Resources;
}, SLOW);

const of = (type: string) =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => ({ id, ...r.Properties }));
const planNamed = (suffix: string) => of('AWS::ApiGateway::UsagePlan').find((p) => p.UsagePlanName.endsWith(suffix))!;

describe('API keys from the authorizer', () => {
  it('takes the API key from the authorizer, never from a client header', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('requires a key on every authorized method, and on none of the public ones (OpenAPI, API reference, portal page, link exchange, inbound webhooks)', () => {
    const methods = of('AWS::ApiGateway::Method');
    const authorized = methods.filter((m) => m.AuthorizationType === 'CUSTOM');
    const open = methods.filter((m) => m.AuthorizationType === 'NONE');
    expect(authorized).toHaveLength(8);
    for (const m of authorized) expect(m.ApiKeyRequired, m.id).toBe(true);
    // GET /api/openapi.json, GET /api/docs and /api/docs/{proxy+}, GET /portal and /portal/{proxy+},
    // POST .../session-tokens, POST /inbound/{source}: no authorizer, so no key to give.
    expect(open.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST']);
    for (const m of open) expect(m.ApiKeyRequired, m.id).toBeUndefined();
    expect(authorized.length + open.length).toBe(methods.length);
  });
});

describe('usage plans', () => {
  const restApi = () => logicalIdOf(template, 'AWS::ApiGateway::RestApi');
  const stage = () => logicalIdOf(template, 'AWS::ApiGateway::Stage');

  it('throttles the stage at 100 a second, burst 200, for everyone together', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: DEFAULT_STAGE_THROTTLE.rateLimit,
          ThrottlingBurstLimit: DEFAULT_STAGE_THROTTLE.burstLimit,
        }),
      ],
    });
    expect(DEFAULT_STAGE_THROTTLE).toEqual({ rateLimit: 100, burstLimit: 200 });
  });

  it("throttles each tenant's key in the default plan at 20 a second, burst 40, on this API's stage", () => {
    const plan = planNamed('-tenants');
    expect(plan.UsagePlanName).toBe('Webhooks-api-tenants');
    expect(plan.Throttle).toEqual({ RateLimit: DEFAULT_TENANT_THROTTLE.rateLimit, BurstLimit: DEFAULT_TENANT_THROTTLE.burstLimit });
    expect(DEFAULT_TENANT_THROTTLE).toEqual({ rateLimit: 20, burstLimit: 40 });
    expect(plan.ApiStages).toEqual([{ ApiId: ref(restApi()), Stage: ref(stage()), Throttle: {} }]);
    // No quota: only rates and bursts, so QUOTA_EXCEEDED never happens.
    expect(plan.Quota).toBeUndefined();
    // Tenants' keys come from the tenant CLI, not the template.
    expect(of('AWS::ApiGateway::UsagePlanKey').filter((k) => k.UsagePlanId.Ref === plan.id)).toEqual([]);
  });

  it('keeps one shared key, in a plan at the stage limits, which the authorizer answers for tenants without a key', () => {
    const shared = planNamed('-shared');
    expect(shared.Throttle).toEqual({ RateLimit: 100, BurstLimit: 200 });
    expect(shared.ApiStages).toEqual([{ ApiId: ref(restApi()), Stage: ref(stage()), Throttle: {} }]);
    const [key] = of('AWS::ApiGateway::ApiKey');
    expect(key!.Enabled).toBe(true);
    expect(of('AWS::ApiGateway::UsagePlanKey')).toEqual([
      expect.objectContaining({ KeyId: ref(key!.id), KeyType: 'API_KEY', UsagePlanId: ref(shared.id) }),
    ]);
    const authorizer = resources[functionId(template, 'authorizer')].Properties.Environment.Variables;
    expect(authorizer.WEBHOOKS_SHARED_THROTTLE_KEY).toEqual(key!.Value);
    // Unique per account and Region: this construct's path plus the stack's UUID without its hyphens.
    expect(key!.Value).toEqual({
      'Fn::Join': [
        '',
        [
          expect.stringMatching(/^[A-Za-z0-9]{10,64}$/),
          { 'Fn::Join': ['', { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] },
        ],
      ],
    });
    // Only the authorizer knows it; no other function gets the variable.
    for (const h of ['api', 'fanout', 'sender'] as const)
      expect(resources[functionId(template, h)].Properties.Environment.Variables.WEBHOOKS_SHARED_THROTTLE_KEY, h).toBeUndefined();
  });

  it('names the plans and the API for the tenant CLI', () => {
    template.hasOutput('RestApiId', { Value: ref(restApi()) });
    template.hasOutput('ApiStageName', { Value: ref(stage()) });
    template.hasOutput('DefaultUsagePlanId', { Value: ref(planNamed('-tenants').id) });
    template.hasOutput('SharedUsagePlanId', { Value: ref(planNamed('-shared').id) });
  });
});

describe('throttled requests', () => {
  const response = (type: string) => of('AWS::ApiGateway::GatewayResponse').find((r) => r.ResponseType === type)!;

  it('answer 429 rate_limited in the error shape, with Retry-After', () => {
    const throttled = response('THROTTLED');
    expect(throttled.StatusCode).toBe('429');
    expect(JSON.parse(throttled.ResponseTemplates['application/json'])).toEqual({
      error: { code: 'rate_limited', message: THROTTLE_ERRORS.rateLimited.message },
    });
    expect(throttled.ResponseParameters).toEqual({ 'gatewayresponse.header.Retry-After': `'${RETRY_AFTER_SECONDS}'` });
    expect(RETRY_AFTER_SECONDS).toBe(1);
  });

  it('answer a key no plan holds (a key being moved between plans) 503 temporarily_unavailable, with Retry-After', () => {
    const invalid = response('INVALID_API_KEY');
    expect(invalid.StatusCode).toBe('503');
    expect(JSON.parse(invalid.ResponseTemplates['application/json']).error.code).toBe('temporarily_unavailable');
    expect(invalid.ResponseParameters).toEqual({ 'gatewayresponse.header.Retry-After': `'${RETRY_AFTER_SECONDS}'` });
  });
});

describe('settings', () => {
  it(
    'take the tenant and stage limits from the construct props and refuse a tenant limit past the stage',
    () => {
      const custom = buildStack({ tenantThrottle: { rateLimit: 5, burstLimit: 10 }, stageThrottle: { rateLimit: 300, burstLimit: 600 } });
      custom.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: 'Webhooks-api-tenants',
        Throttle: { RateLimit: 5, BurstLimit: 10 },
      });
      custom.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: 'Webhooks-api-shared',
        Throttle: { RateLimit: 300, BurstLimit: 600 },
      });
      custom.template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 300, ThrottlingBurstLimit: 600 })],
      });
      expect(() => buildStack({ tenantThrottle: { rateLimit: 150, burstLimit: 40 } })).toThrow(
        /tenantThrottle \(150\/s, burst 40\) must be within stageThrottle \(100\/s, burst 200\)/,
      );
      expect(() => buildStack({ tenantThrottle: { rateLimit: 0.5, burstLimit: 1 } })).toThrow(
        /tenantThrottle.rateLimit must be a whole number from 1 to 10000/,
      );
      expect(() => buildStack({ stageThrottle: { rateLimit: 100, burstLimit: 6000 } })).toThrow(/stageThrottle.burstLimit/);
    },
    SLOW,
  );

  it(
    'take them from context (-c tenantRateLimit=... -c stageBurstLimit=...), either half alone keeping the other default',
    () => {
      const { stack } = createWebhooksApp({
        context: { ...cdkJsonContext(), ...SKIP_BUNDLING, tenantRateLimit: '10', stageBurstLimit: '400' },
      });
      const t = stack.webhooks.webhookApi.throttling;
      expect(stack.resolve((t.defaultUsagePlan.node.defaultChild as any).throttle)).toEqual({ rateLimit: 10, burstLimit: 40 });
      expect(stack.resolve((t.sharedUsagePlan.node.defaultChild as any).throttle)).toEqual({ rateLimit: 100, burstLimit: 400 });
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, tenantBurstLimit: 'lots' } })).toThrow(
        /context tenantBurstLimit must be a whole number/,
      );
    },
    SLOW,
  );
});
