import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { runCli } from '../support/cli.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';

/** The local gateway caches authorizer answers when asked to, as API Gateway does on AWS. */
describe('authorizer result cache in the local gateway', () => {
  let cached: TestPipeline;
  beforeAll(async () => {
    cached = await startTestPipeline({ authorizerCacheTtlSeconds: 300 });
  });
  afterAll(async () => cached?.stop());

  it('keeps answering for a revoked key until the cached answer expires, and never caches a refusal', async () => {
    const tenant = await addTenant(cached);
    const wrong = await cached.call('GET', '/api/v0.1/webhooks', undefined, { ...as(tenant), Authorization: 'key_wrong' });
    expect(wrong.status).toBe(401);
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, as(tenant))).status).toBe(200);
    const client = new DynamoDBClient({
      endpoint: cached.endpoints.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await new DynamoTenantRepository(DynamoDBDocumentClient.from(client), cached.endpoints.tableName).revoke(
      tenant.identity,
      new Date().toISOString(),
    );
    client.destroy();
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, as(tenant))).status).toBe(200);
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, { ...as(tenant), Authorization: 'key_wrong' })).status).toBe(401);
  });

  it("is flushed by the tenant CLI's backfill, so tenants given keys are authorized afresh and name them", async () => {
    const older = await addTenant(cached, 'from before');
    const authorizerRuns = () => cached.usage.snapshot().lambda.authorizer.invocations;
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, as(older))).status).toBe(200);
    const first = authorizerRuns();
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, as(older))).status).toBe(200);
    expect(authorizerRuns()).toBe(first);
    const backfill = await runCli('tenant', cached.dataDir, ['backfill']);
    expect(backfill.code, backfill.stderr).toBe(0);
    expect((await cached.call('GET', '/api/v0.1/webhooks', undefined, as(older))).status).toBe(200);
    expect(authorizerRuns()).toBe(first + 1);
  });
});
