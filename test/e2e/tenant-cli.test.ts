import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { type CliResult, runCli } from '../support/cli.js';
import { addTenant, startTestPipeline, type TestPipeline } from '../support/local.js';

/** `npm run tenant` as an operator runs it: a child process against the running local mode. */

const run = (dataDir: string, args: string[]): Promise<CliResult> => runCli('tenant', dataDir, args);

function cli(pipeline: TestPipeline, ...args: string[]): Promise<CliResult> {
  return run(pipeline.dataDir, args);
}

function headers(creds: { identity: string; authorization: string }, json = false): Record<string, string> {
  return { Identity: creds.identity, Authorization: creds.authorization, ...(json ? { 'content-type': 'application/json' } : {}) };
}

describe('npm run tenant against local mode', () => {
  /** The tenant item as the authorizer reads it. */
  const tenantItem = async (identity: string) => {
    const client = new DynamoDBClient({
      endpoint: pipeline.endpoints.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      return await new DynamoTenantRepository(DynamoDBDocumentClient.from(client), pipeline.endpoints.tableName).findByIdentity(identity);
    } finally {
      client.destroy();
    }
  };
  let pipeline: TestPipeline;
  let created: { identity: string; authorization: string; tenant_id: string; name: string };

  beforeAll(async () => {
    pipeline = await startTestPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('create prints credentials, shown once, that the API accepts', async () => {
    const res = await cli(pipeline, 'create', '--name', 'acme');
    expect(res.code, res.stderr).toBe(0);
    created = JSON.parse(res.stdout);
    expect(Object.keys(created).sort()).toEqual(['authorization', 'identity', 'name', 'tenant_id']);
    expect(created.name).toBe('acme');
    expect(created.tenant_id).toMatch(/^tnt_[0-9a-f]+$/);
    expect(created.identity).toBeTruthy();
    expect(created.authorization).toBeTruthy();

    const listed = await fetch(`${pipeline.url}/api/v0.1/webhooks`, { headers: headers(created) });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { webhook_subscriptions: unknown[] }).webhook_subscriptions).toEqual([]);
  });

  it("keeps the new tenant's subscriptions from the local developer tenant", async () => {
    const res = await fetch(`${pipeline.url}/api/v0.1/webhooks`, {
      method: 'POST',
      headers: headers(created, true),
      body: JSON.stringify({ url: 'http://127.0.0.1:9/x', events: ['card.created'] }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { webhook_subscription: { id: string } }).webhook_subscription.id;
    expect(id).toBeTruthy();

    const own = await fetch(`${pipeline.url}/api/v0.1/webhooks/${id}`, { headers: headers(created) });
    expect(own.status).toBe(200);

    const developerList = await pipeline.call('GET', '/api/v0.1/webhooks');
    expect(developerList.status).toBe(200);
    expect(developerList.body.webhook_subscriptions.map((s: { id: string }) => s.id)).not.toContain(id);
    const developerGet = await pipeline.call('GET', `/api/v0.1/webhooks/${id}`);
    expect(developerGet.status).toBe(404);
  });

  it('list shows the tenant and never a key hash', async () => {
    const res = await cli(pipeline, 'list');
    expect(res.code, res.stderr).toBe(0);
    const tenants = JSON.parse(res.stdout) as Array<Record<string, unknown>>;
    const acme = tenants.find((t) => t.identity === created.identity);
    expect(acme).toMatchObject({
      tenant_id: created.tenant_id,
      name: 'acme',
      identity: created.identity,
      status: 'active',
      revoked_time: null,
    });
    expect(typeof acme!.created_time).toBe('string');
    for (const t of tenants)
      expect(Object.keys(t).sort()).toEqual(['created_time', 'identity', 'name', 'revoked_time', 'status', 'tenant_id', 'throttle']);
    // Made with a throttling key of its own, in the default plan (the test pipeline's limits are the account's).
    expect(acme!.throttle).toEqual({ plan: 'default', rate_limit: 10_000, burst_limit: 5_000 });
    expect(res.stdout).not.toMatch(/hash/i);
    expect(res.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(res.stdout).not.toContain(created.authorization);
    // The local developer tenant is there too.
    expect(tenants.map((t) => t.identity)).toContain(pipeline.credentials.identity);
  });

  it('portal prints a one-time link whose token opens a session on that tenant only', async () => {
    const res = await cli(pipeline, 'portal', '--identity', created.identity);
    expect(res.code, res.stderr).toBe(0);
    const link = JSON.parse(res.stdout);
    expect(Object.keys(link).sort()).toEqual(['expires_time', 'tenant_id', 'url']);
    expect(link.tenant_id).toBe(created.tenant_id);
    expect(link.url).toMatch(new RegExp(`^${pipeline.url}/portal/#link=pl_[A-Za-z0-9_-]{43}$`));
    const linkToken = new URL(link.url).hash.slice('#link='.length);
    const exchange = () =>
      fetch(`${pipeline.url}/api/v0.1/portal/session-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ link_token: linkToken }),
      });
    const session = await exchange();
    expect(session.status).toBe(201);
    const { session_token } = (await session.json()) as { session_token: string };
    const listed = await fetch(`${pipeline.url}/api/v0.1/webhooks`, {
      headers: { Identity: 'portal-session', Authorization: `Bearer ${session_token}` },
    });
    expect(listed.status).toBe(200);
    const own = await fetch(`${pipeline.url}/api/v0.1/webhooks`, { headers: headers(created) });
    const ids = (r: unknown) => (r as { webhook_subscriptions: { id: string }[] }).webhook_subscriptions.map((x) => x.id);
    const mine = ids(await own.json());
    expect(mine.length).toBeGreaterThan(0);
    expect(ids(await listed.json())).toEqual(mine);
    // Once only.
    const again = await exchange();
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('link_expired');

    const unknown = await cli(pipeline, 'portal', '--identity', 'idt_nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tenant has identity idt_nobody');
  });

  it('throttle gives a tenant its own limits and --reset takes them away, moving its API key between usage plans', async () => {
    const own = await cli(pipeline, 'throttle', '--identity', created.identity, '--rate', '50', '--burst', '100');
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({
      tenant_id: created.tenant_id,
      throttle: { plan: 'own', rate_limit: 50, burst_limit: 100 },
    });
    const key = (await tenantItem(created.identity))!.throttleKey!;
    expect(pipeline.usagePlans.limitsForKey(key.value, { apiId: 'local', stage: 'local' })).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(pipeline.usagePlans.getUsagePlans(key.id).map((p) => p.name)).toEqual(['local-local-rate-50-burst-100']);

    const reset = await cli(pipeline, 'throttle', '--identity', created.identity, '--reset');
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout).throttle).toEqual({ plan: 'default', rate_limit: 10_000, burst_limit: 5_000 });
    expect(pipeline.usagePlans.getUsagePlans(key.id).map((p) => p.id)).toEqual([pipeline.endpoints.apiGateway!.defaultUsagePlanId]);
    expect((await tenantItem(created.identity))!.throttle).toBeUndefined();
    // The tenant's requests still go through.
    expect((await fetch(`${pipeline.url}/api/v0.1/webhooks`, { headers: headers(created) })).status).toBe(200);

    const unknown = await cli(pipeline, 'throttle', '--identity', 'idt_nobody', '--rate', '1', '--burst', '1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tenant has identity idt_nobody');
  });

  it('backfill gives tenants from before per-tenant throttling a key of their own, once', async () => {
    const older = await addTenant(pipeline, 'from before');
    const listedBefore = JSON.parse((await cli(pipeline, 'list')).stdout) as { identity: string; throttle: { plan: string } }[];
    expect(listedBefore.find((t) => t.identity === older.identity)!.throttle.plan).toBe('shared');
    const res = await cli(pipeline, 'backfill');
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout);
    expect(result.keyed).toEqual(expect.arrayContaining([{ tenant_id: older.tenantId, identity: older.identity }]));
    const key = (await tenantItem(older.identity))!.throttleKey!;
    expect(pipeline.usagePlans.getUsagePlans(key.id).map((p) => p.id)).toEqual([pipeline.endpoints.apiGateway!.defaultUsagePlanId]);
    expect((await fetch(`${pipeline.url}/api/v0.1/webhooks`, { headers: headers(older) })).status).toBe(200);
    const again = JSON.parse((await cli(pipeline, 'backfill')).stdout);
    expect(again.keyed).toEqual([]);
  });

  it('revoke makes the API answer 401; a second revoke exits 1', async () => {
    const key = (await tenantItem(created.identity))!.throttleKey!;
    const res = await cli(pipeline, 'revoke', '--identity', created.identity);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ identity: created.identity, tenant_id: created.tenant_id, status: 'revoked' });

    const denied = await fetch(`${pipeline.url}/api/v0.1/webhooks`, { headers: headers(created) });
    expect(denied.status).toBe(401);
    // Its API key is deleted (one of the account's 10,000 freed) and off the tenant item.
    expect(pipeline.usagePlans.limitsForKey(key.value, { apiId: 'local', stage: 'local' })).toBeUndefined();
    expect(pipeline.usagePlans.getUsagePlans(key.id)).toEqual([]);
    expect((await tenantItem(created.identity))!.throttleKey).toBeUndefined();
    // The developer tenant is untouched.
    expect((await pipeline.call('GET', '/api/v0.1/webhooks')).status).toBe(200);

    const again = await cli(pipeline, 'revoke', '--identity', created.identity);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already revoked/);
    expect(again.stdout).toBe('');

    const missing = await cli(pipeline, 'revoke', '--identity', 'idt_doesnotexist');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant/);
  });

  it('bad usage exits 2 with a usage message and changes nothing', async () => {
    const count = async () => {
      const res = await cli(pipeline, 'list');
      expect(res.code, res.stderr).toBe(0);
      return (JSON.parse(res.stdout) as unknown[]).length;
    };
    const before = await count();
    const bad: string[][] = [
      [],
      ['frobnicate'],
      ['create'],
      ['create', '--name', ''],
      ['create', '--name', '   '],
      ['create', '--name', 'x'.repeat(201)],
      ['create', '--name', 'acme', '--colour', 'blue'],
      ['create', '--name', 'acme', 'extra'],
      ['list', '--name', 'acme'],
      ['revoke'],
      ['throttle', '--identity', 'idt_x'],
      ['throttle', '--identity', 'idt_x', '--rate', '5'],
      ['throttle', '--identity', 'idt_x', '--rate', '0', '--burst', '5'],
      ['throttle', '--identity', 'idt_x', '--rate', '1.5', '--burst', '5'],
      ['throttle', '--identity', 'idt_x', '--rate', '5', '--burst', '5001'],
      ['throttle', '--identity', 'idt_x', '--reset', '--rate', '5', '--burst', '5'],
      ['throttle', '--rate', '5', '--burst', '5'],
      ['list', '--rate', '5'],
      ['backfill', '--identity', 'idt_x'],
    ];
    const results = await Promise.all(bad.map((args) => cli(pipeline, ...args)));
    results.forEach((res, i) => {
      expect(res.code, `args ${JSON.stringify(bad[i])}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toContain('usage: npm run tenant');
      expect(res.stdout).toBe('');
    });
    expect(await count()).toBe(before);

    const longest = await cli(pipeline, 'create', '--name', 'y'.repeat(200));
    expect(longest.code, longest.stderr).toBe(0);
    expect(await count()).toBe(before + 1);
  }, 90_000);

  it('says local mode is not running when the endpoints file is missing', async () => {
    const res = await run(join(pipeline.dataDir, 'nowhere'), ['list']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('local mode is not running: start it with npm start');
  });
});
