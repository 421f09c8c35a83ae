import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetUsagePlanCommand,
  GetUsagePlansCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiGatewayThrottlePlans, overridePlanName } from '../../scripts/lib/throttle-plans.js';

/**
 * The tenant CLI's API Gateway calls, request by request (API Gateway cannot run here; local
 * mode's stand-in answers the same calls in test/integration/api-gateway-control.test.ts).
 */

const mock = mockClient(APIGatewayClient);
const API = { restApiId: 'a1b2c3', stage: 'prod', defaultUsagePlanId: 'plan-default', sharedUsagePlanId: 'plan-shared' };
const ourStage = [{ apiId: 'a1b2c3', stage: 'prod' }];
const plans = () => new ApiGatewayThrottlePlans(new APIGatewayClient({ region: 'eu-west-1' }), API);
/** Every call in order, as [operation, input]. */
const sent = () =>
  mock.calls().map((c) => [(c.args[0] as object).constructor.name.replace(/Command$/, ''), (c.args[0] as { input: unknown }).input]);

beforeEach(() => mock.reset());

describe('ApiGatewayThrottlePlans', () => {
  it('creates an enabled key named after the tenant and adds it to the default plan', async () => {
    mock.on(CreateApiKeyCommand).resolves({ id: 'key1', value: 'v'.repeat(40) });
    mock.on(CreateUsagePlanKeyCommand).resolves({ id: 'key1', type: 'API_KEY' });
    expect(await plans().createKey('tnt_1')).toEqual({ id: 'key1', value: 'v'.repeat(40) });
    expect(sent()).toEqual([
      [
        'CreateApiKey',
        {
          name: 'tnt_1',
          description: 'Throttling identity of tenant tnt_1 on a1b2c3/prod; never a credential (API key source AUTHORIZER)',
          enabled: true,
        },
      ],
      ['CreateUsagePlanKey', { usagePlanId: 'plan-default', keyId: 'key1', keyType: 'API_KEY' }],
    ]);
  });

  it('deletes the key again when it cannot join its plan, so no key counts against the quota for nothing', async () => {
    mock.on(CreateApiKeyCommand).resolves({ id: 'key1', value: 'v'.repeat(40) });
    mock.on(CreateUsagePlanKeyCommand).rejects(new NotFoundException({ message: 'Invalid Usage Plan ID specified', $metadata: {} }));
    mock.on(DeleteApiKeyCommand).resolves({});
    await expect(plans().createKey('tnt_1')).rejects.toThrow('Invalid Usage Plan ID specified');
    expect(sent().map(([op]) => op)).toEqual(['CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
    expect(mock.commandCalls(DeleteApiKeyCommand)[0]!.args[0].input).toStrictEqual({ apiKey: 'key1' });
  });

  it("moves a key into the plan for its limits, made on first use on this API's stage, out of the one it was in", async () => {
    const name = overridePlanName(API, { rateLimit: 50, burstLimit: 100 });
    expect(name).toBe('a1b2c3-prod-rate-50-burst-100');
    mock.on(GetUsagePlansCommand, { limit: 500 }).resolves({
      items: [
        { id: 'plan-default', name: 'Webhooks-api-tenants', apiStages: ourStage },
        { id: 'other', name, apiStages: [{ apiId: 'zzz', stage: 'prod' }] },
      ],
    });
    mock.on(GetUsagePlansCommand, { limit: 500, keyId: 'key1' }).resolves({ items: [{ id: 'plan-default', apiStages: ourStage }] });
    mock.on(CreateUsagePlanCommand).resolves({ id: 'plan-50' });
    mock.on(DeleteUsagePlanKeyCommand).resolves({});
    mock.on(CreateUsagePlanKeyCommand).resolves({});
    await plans().assign({ id: 'key1', value: 'v'.repeat(40) }, { rateLimit: 50, burstLimit: 100 });
    expect(sent()).toEqual([
      ['GetUsagePlans', { limit: 500 }],
      [
        'CreateUsagePlan',
        {
          name: 'a1b2c3-prod-rate-50-burst-100',
          description: 'Tenants given their own limits of 50 requests a second, burst 100 (npm run tenant -- throttle)',
          apiStages: [{ apiId: 'a1b2c3', stage: 'prod' }],
          throttle: { rateLimit: 50, burstLimit: 100 },
        },
      ],
      ['GetUsagePlans', { limit: 500, keyId: 'key1' }],
      // Out of the old plan first: a key may be in one plan per stage.
      ['DeleteUsagePlanKey', { usagePlanId: 'plan-default', keyId: 'key1' }],
      ['CreateUsagePlanKey', { usagePlanId: 'plan-50', keyId: 'key1', keyType: 'API_KEY' }],
    ]);
  });

  it('reuses the plan for the same limits, across pages, and changes nothing for a key already there', async () => {
    const name = overridePlanName(API, { rateLimit: 5, burstLimit: 10 });
    mock
      .on(GetUsagePlansCommand, { limit: 500 })
      .resolves({ items: [{ id: 'plan-default', apiStages: ourStage }], position: 'p2' })
      .on(GetUsagePlansCommand, { limit: 500, position: 'p2' })
      .resolves({ items: [{ id: 'plan-5', name, apiStages: ourStage }] })
      .on(GetUsagePlansCommand, { limit: 500, keyId: 'key1' })
      .resolves({ items: [{ id: 'plan-5', name, apiStages: ourStage }] });
    await plans().assign({ id: 'key1', value: 'v' }, { rateLimit: 5, burstLimit: 10 });
    expect(sent()).toEqual([
      ['GetUsagePlans', { limit: 500 }],
      ['GetUsagePlans', { limit: 500, position: 'p2' }],
      ['GetUsagePlans', { limit: 500, keyId: 'key1' }],
    ]);
  });

  it("moves a key back to the default plan, leaving other stages' plans alone", async () => {
    mock.on(GetUsagePlansCommand, { limit: 500, keyId: 'key1' }).resolves({
      items: [
        { id: 'plan-5', apiStages: ourStage },
        { id: 'elsewhere', apiStages: [{ apiId: 'a1b2c3', stage: 'test' }] },
      ],
    });
    mock.on(DeleteUsagePlanKeyCommand).resolves({});
    mock.on(CreateUsagePlanKeyCommand).resolves({});
    await plans().assign({ id: 'key1', value: 'v' }, undefined);
    expect(sent()).toEqual([
      ['GetUsagePlans', { limit: 500, keyId: 'key1' }],
      ['DeleteUsagePlanKey', { usagePlanId: 'plan-5', keyId: 'key1' }],
      ['CreateUsagePlanKey', { usagePlanId: 'plan-default', keyId: 'key1', keyType: 'API_KEY' }],
    ]);
  });

  it('deletes a key: out of its plans on the stage, then DeleteApiKey (already gone is fine)', async () => {
    mock.on(GetUsagePlansCommand, { limit: 500, keyId: 'key1' }).resolves({ items: [{ id: 'plan-default', apiStages: ourStage }] });
    mock.on(DeleteUsagePlanKeyCommand).resolves({});
    mock.on(DeleteApiKeyCommand).rejects(new NotFoundException({ message: 'Invalid API Key identifier specified', $metadata: {} }));
    await plans().deleteKey({ id: 'key1', value: 'v' });
    expect(sent()).toEqual([
      ['GetUsagePlans', { limit: 500, keyId: 'key1' }],
      ['DeleteUsagePlanKey', { usagePlanId: 'plan-default', keyId: 'key1' }],
      ['DeleteApiKey', { apiKey: 'key1' }],
    ]);
  });

  it('reads the default and shared plans for their limits', async () => {
    mock
      .on(GetUsagePlanCommand, { usagePlanId: 'plan-default' })
      .resolves({ throttle: { rateLimit: 20, burstLimit: 40 } })
      .on(GetUsagePlanCommand, { usagePlanId: 'plan-shared' })
      .resolves({ throttle: { rateLimit: 100, burstLimit: 200 } });
    expect(await plans().planLimits()).toEqual({ default: { rateLimit: 20, burstLimit: 40 }, shared: { rateLimit: 100, burstLimit: 200 } });
  });

  it("flushes the stage's authorizer cache", async () => {
    mock.on(FlushStageAuthorizersCacheCommand).resolves({});
    await plans().flushAuthorizerCache();
    expect(sent()).toEqual([['FlushStageAuthorizersCache', { restApiId: 'a1b2c3', stageName: 'prod' }]]);
  });

  it('paces key creation when asked (CreateApiKey: 5 a second per account)', async () => {
    mock.on(CreateApiKeyCommand).resolves({ id: 'k', value: 'v' });
    mock.on(CreateUsagePlanKeyCommand).resolves({});
    const order: string[] = [];
    const paced = new ApiGatewayThrottlePlans(new APIGatewayClient({ region: 'eu-west-1' }), API, async () => {
      order.push(`pace before call ${mock.calls().length}`);
    });
    await paced.createKey('tnt_1');
    await paced.createKey('tnt_2');
    expect(order).toEqual(['pace before call 0', 'pace before call 2']);
  });
});
