import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { GatewayExchange } from '../../local/http-gateway.js';
import { ACCOUNT_THROTTLE_ONLY, type LocalOptions, type LocalPipeline, startLocalPipeline } from '../../local/pipeline.js';
import { type Conformance, loadConformance } from './openapi-conformance.js';

/** Local mode in-process on free ports with a throw-away data directory. */
export interface TestPipeline extends LocalPipeline {
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Answers so far that do not match docs/openapi.json (stop() fails with them). */
  apiViolations(): readonly string[];
}

let conformance: Conformance | undefined;

/**
 * Every answer the gateway sends is checked against docs/openapi.json (openapi-conformance.ts),
 * whatever the test asserts itself; the portal's files and inbound webhooks are outside the
 * document. Each violation names the test that received it.
 */
function conformanceObserver(violations: string[]): (x: GatewayExchange) => void {
  conformance ??= loadConformance();
  const check = conformance;
  return (x) => {
    if (x.site) return;
    const problems = check.check({
      method: x.method,
      path: x.path,
      status: x.response.statusCode,
      headers: { ...x.response.headers },
      body: x.response.body,
    });
    const test = expect.getState().currentTestName ?? '(outside a test)';
    for (const p of problems) violations.push(`[${test}] ${p}`);
  };
}

/**
 * Unless a test sets its own limits, the stage and every tenant get the account's, which no test
 * reaches: a test about something else must not pass or fail with how fast the machine sends.
 * The throttling tests set low ones (test/e2e/throttling.test.ts).
 */
export async function startTestPipeline(options: LocalOptions = {}): Promise<TestPipeline> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'webhooks-test-'));
  const violations: string[] = [];
  const observe = conformanceObserver(violations);
  const pipeline = await startLocalPipeline({
    port: 0,
    ...ACCOUNT_THROTTLE_ONLY,
    ...options,
    dataDir,
    observeApi: (x) => {
      observe(x);
      options.observeApi?.(x);
    },
  });
  const call: TestPipeline['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(pipeline.url + path, {
      method,
      headers: {
        Identity: pipeline.credentials.identity,
        Authorization: pipeline.credentials.authorization,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...pipeline,
    call,
    apiViolations: () => violations,
    async stop() {
      await pipeline.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (violations.length) {
        const distinct = [...new Set(violations)];
        throw new Error(
          `${violations.length} answers of local mode do not match docs/openapi.json (test/support/openapi-conformance.ts):\n${distinct.slice(0, 40).join('\n')}${distinct.length > 40 ? `\n... and ${distinct.length - 40} more` : ''}`,
        );
      }
    },
  };
}

/**
 * A further tenant, written straight to local mode's DynamoDB as `npm run tenant` would, but
 * without a throttling key: like a tenant created before per-tenant throttling, the shared key
 * throttles it (at the stage's limits).
 */
export async function addTenant(
  pipeline: LocalPipeline,
  name = 'other tenant',
): Promise<{ tenantId: string; identity: string; authorization: string }> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const { DynamoTenantRepository } = await import('../../functions/adapters/aws/dynamodb-tenants.js');
  const { newCredentials, hashKey } = await import('../../functions/domain/credentials.js');
  const { LOCAL_CREDENTIALS, LOCAL_REGION } = await import('../../local/local-aws.js');
  const client = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const repo = new DynamoTenantRepository(DynamoDBDocumentClient.from(client), pipeline.endpoints.tableName);
  const creds = newCredentials();
  const tenantId = `tnt_${creds.identity.slice(4, 16)}`;
  await repo.create({
    tenantId,
    name,
    identity: creds.identity,
    keyHash: hashKey(creds.authorization),
    status: 'active',
    createdTime: new Date().toISOString(),
  });
  client.destroy();
  return { tenantId, ...creds };
}

export function as(creds: { identity: string; authorization: string }): Record<string, string> {
  return { Identity: creds.identity, Authorization: creds.authorization };
}

/**
 * A further tenant made as `npm run tenant -- create` makes it, in this process: a throttling key
 * of its own in the default plan, through the CLI's API Gateway adapter and local mode's stand-in.
 */
export async function addKeyedTenant(
  pipeline: LocalPipeline,
  name = 'keyed tenant',
): Promise<{ tenantId: string; identity: string; authorization: string }> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const { APIGatewayClient } = await import('@aws-sdk/client-api-gateway');
  const { DynamoTenantRepository } = await import('../../functions/adapters/aws/dynamodb-tenants.js');
  const { createTenant } = await import('../../scripts/lib/tenant-commands.js');
  const { ApiGatewayThrottlePlans } = await import('../../scripts/lib/throttle-plans.js');
  const { LOCAL_CREDENTIALS, LOCAL_REGION } = await import('../../local/local-aws.js');
  const api = pipeline.endpoints.apiGateway!;
  const config = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: pipeline.endpoints.dynamodbEndpoint });
  const apiGateway = new APIGatewayClient({ ...config, endpoint: api.endpoint });
  try {
    const created = await createTenant(
      new DynamoTenantRepository(DynamoDBDocumentClient.from(dynamodb), pipeline.endpoints.tableName),
      new ApiGatewayThrottlePlans(apiGateway, api),
      { name },
    );
    return { tenantId: created.tenant_id, identity: created.identity, authorization: created.authorization };
  } finally {
    dynamodb.destroy();
    apiGateway.destroy();
  }
}
