import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiGatewayControl, startApiGatewayControl } from '../../local/api-gateway-control.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { LocalUsagePlans } from '../../local/usage-plans.js';
import { ApiGatewayThrottlePlans } from '../../scripts/lib/throttle-plans.js';

/**
 * The tenant CLI's API Gateway adapter against local mode's stand-in, through the real SDK: the
 * same calls test/unit/throttle-plans.test.ts checks one by one, answered by the rules the
 * design relies on (one plan per stage per key, enabled keys only, unique values).
 */
describe("local mode's API Gateway keys and usage plans", () => {
  let dir: string;
  let plans: LocalUsagePlans;
  let control: ApiGatewayControl;
  let client: APIGatewayClient;
  const stage = { apiId: 'local', stage: 'local' };
  let api: { restApiId: string; stage: string; defaultUsagePlanId: string; sharedUsagePlanId: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhooks-apigw-'));
    plans = new LocalUsagePlans(join(dir, 'plans.json'));
    const defaultUsagePlanId = plans.deploy({ name: 'tenants', stage, throttle: { rateLimit: 20, burstLimit: 40 } });
    const sharedUsagePlanId = plans.deploy({
      name: 'shared',
      stage,
      throttle: { rateLimit: 100, burstLimit: 200 },
      keyValue: 's'.repeat(32),
    });
    api = { restApiId: 'local', stage: 'local', defaultUsagePlanId, sharedUsagePlanId };
    control = await startApiGatewayControl(plans);
    client = new APIGatewayClient({ endpoint: control.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    client?.destroy();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a key in the default plan, moves it to the plan for its own limits and back, and deletes it', async () => {
    const adapter = new ApiGatewayThrottlePlans(client, api);
    const key = await adapter.createKey('tnt_a');
    expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(plans.limitsForKey(key.value, stage)).toEqual({ rateLimit: 20, burstLimit: 40 });

    await adapter.assign(key, { rateLimit: 50, burstLimit: 100 });
    expect(plans.limitsForKey(key.value, stage)).toEqual({ rateLimit: 50, burstLimit: 100 });
    // A second tenant with the same limits shares the plan (its bucket stays its own).
    const other = await adapter.createKey('tnt_b', { rateLimit: 50, burstLimit: 100 });
    expect(plans.getUsagePlans().filter((p) => p.name === 'local-local-rate-50-burst-100')).toEqual([
      expect.objectContaining({ keyIds: [key.id, other.id], throttle: { rateLimit: 50, burstLimit: 100 } }),
    ]);
    await adapter.assign(key, { rateLimit: 50, burstLimit: 100 });
    expect(plans.getUsagePlans(key.id).map((p) => p.name)).toEqual(['local-local-rate-50-burst-100']);

    await adapter.assign(key, undefined);
    expect(plans.getUsagePlans(key.id).map((p) => p.id)).toEqual([api.defaultUsagePlanId]);
    expect(await adapter.planLimits()).toEqual({ default: { rateLimit: 20, burstLimit: 40 }, shared: { rateLimit: 100, burstLimit: 200 } });

    await adapter.deleteKey(key);
    expect(plans.limitsForKey(key.value, stage)).toBeUndefined();
    expect(plans.getUsagePlans(key.id)).toEqual([]);
    await adapter.deleteKey(key);
  });

  it('keeps a key in one plan per stage, refuses unknown keys and plans, and values twice', async () => {
    const adapter = new ApiGatewayThrottlePlans(client, api);
    const key = await adapter.createKey('tnt_c');
    await expect(
      client.send(new CreateUsagePlanKeyCommand({ usagePlanId: api.sharedUsagePlanId, keyId: key.id, keyType: 'API_KEY' })),
    ).rejects.toBeInstanceOf(ConflictException);
    await expect(
      client.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'nope', keyId: key.id, keyType: 'API_KEY' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(client.send(new CreateApiKeyCommand({ value: key.value, enabled: true }))).rejects.toBeInstanceOf(ConflictException);
  });

  it('throttles nobody by a key that was never enabled: API Gateway finds no valid key', async () => {
    const disabled = await client.send(new CreateApiKeyCommand({ name: 'forgot to enable' }));
    expect(disabled.enabled).toBe(false);
    await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: api.defaultUsagePlanId, keyId: disabled.id!, keyType: 'API_KEY' }));
    expect(plans.limitsForKey(disabled.value!, stage)).toBeUndefined();
    expect(plans.limitsForKey('s'.repeat(32), stage)).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(plans.limitsForKey('s'.repeat(32), { apiId: 'local', stage: 'other' })).toBeUndefined();
  });

  it('keeps everything across a restart, and a redeploy updates the plans in place', async () => {
    const adapter = new ApiGatewayThrottlePlans(client, api);
    const key = await adapter.createKey('tnt_d', { rateLimit: 7, burstLimit: 9 });
    const again = new LocalUsagePlans(join(dir, 'plans.json'));
    expect(again.limitsForKey(key.value, stage)).toEqual({ rateLimit: 7, burstLimit: 9 });
    expect(again.deploy({ name: 'tenants', stage, throttle: { rateLimit: 30, burstLimit: 60 } })).toBe(api.defaultUsagePlanId);
    expect(again.getUsagePlan(api.defaultUsagePlanId).throttle).toEqual({ rateLimit: 30, burstLimit: 60 });
  });
});
