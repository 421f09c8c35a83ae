import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImmediateEmfCounts } from '../../functions/adapters/aws/powertools-metrics.js';
import { AuthorizerDeadlineError, createAuthorizer, DEADLINE_MARGIN_MS, UNAUTHORIZED } from '../../functions/app/authorizer.js';
import { hashKey } from '../../functions/domain/credentials.js';
import type { Tenant } from '../../functions/domain/model.js';
import { PORTAL_IDENTITY } from '../../functions/domain/portal.js';
import type { PortalGrant, PortalSessionStore, TenantRepository } from '../../functions/ports.js';

/**
 * What the authorizer counts for each answer that is not an Allow: a refused credential is
 * `AuthorizerRefused` (a 401, nothing to page about), a failure is `AuthorizerFailed` (a 500,
 * what the AuthorizerErrors alarm watches). Lambda's Errors metric counts both alike.
 */

const tenant: Tenant = {
  tenantId: 'tnt_1',
  name: 't',
  identity: 'idt_1',
  keyHash: hashKey('key_1'),
  status: 'active',
  createdTime: '2026-01-01T00:00:00.000Z',
};
const revoked: Tenant = { ...tenant, tenantId: 'tnt_2', identity: 'idt_2', status: 'revoked' };
const now = new Date('2026-03-01T12:00:00.000Z');
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/v0.1/webhooks';
const authEvent = (headers: Record<string, string>) =>
  ({ type: 'REQUEST', methodArn: ARN, headers }) as unknown as APIGatewayRequestAuthorizerEvent;

const tenantsReading = (findByIdentity: TenantRepository['findByIdentity']): TenantRepository => ({
  create: async () => undefined,
  findByIdentity,
  list: async () => [],
  revoke: async () => false,
  setThrottleKey: async () => undefined,
  setThrottle: async () => undefined,
});
const tenants = tenantsReading(async (i) => [tenant, revoked].find((t) => t.identity === i));
const portalReading = (getSession: PortalSessionStore['getSession']): PortalSessionStore => ({
  putLink: async () => undefined,
  takeLink: async () => undefined,
  putSession: async () => undefined,
  getSession,
});
const ended: PortalGrant = { tokenHash: 'h', tenantId: 'tnt_1', expiresTime: '2026-03-01T11:00:00.000Z' };
/** A well-formed session token (`ps_` and 43 base64url characters), whatever its hash finds. */
const SESSION = `Bearer ps_${'a'.repeat(43)}`;

function counted() {
  const counts = new Map<string, number>();
  const logs: { message: string; detail: Record<string, unknown> }[] = [];
  return {
    counts,
    logs,
    options: {
      now: () => now,
      metrics: { count: (name: string, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
      log: (_level: 'error', message: string, detail: Record<string, unknown>) => void logs.push({ message, detail }),
    },
  };
}

describe('a refused credential', () => {
  const refusals: [string, Record<string, string>][] = [
    ['no headers', {}],
    ['a wrong key', { Identity: 'idt_1', Authorization: 'key_typo' }],
    ['an unknown identity', { Identity: 'idt_nobody', Authorization: 'key_1' }],
    ['a revoked tenant', { Identity: 'idt_2', Authorization: 'key_1' }],
    ['a portal session that ended', { Identity: PORTAL_IDENTITY, Authorization: SESSION }],
    ['a portal token of the wrong shape', { Identity: PORTAL_IDENTITY, Authorization: 'Bearer nope' }],
  ];

  for (const [what, headers] of refusals)
    it(`${what}: answers Unauthorized (a 401) and counts AuthorizerRefused, not a failure`, async () => {
      const c = counted();
      const authorize = createAuthorizer(
        tenants,
        portalReading(async () => ended),
        c.options,
      );
      await expect(authorize(authEvent(headers))).rejects.toThrow(new RegExp(`^${UNAUTHORIZED}$`));
      expect(Object.fromEntries(c.counts)).toEqual({ AuthorizerRefused: 1 });
      expect(c.logs).toEqual([]);
    });

  it('an Allow counts nothing', async () => {
    const c = counted();
    const answer = await createAuthorizer(tenants, undefined, c.options)(authEvent({ Identity: 'idt_1', Authorization: 'key_1' }));
    expect(answer.principalId).toBe('tnt_1');
    expect(c.counts.size).toBe(0);
  });
});

describe('an authorizer failure', () => {
  it('a tenant read that fails: the error goes on (a 500, not a 401), counted AuthorizerFailed and logged', async () => {
    const c = counted();
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const authorize = createAuthorizer(
      tenantsReading(async () => {
        throw throttled;
      }),
      undefined,
      c.options,
    );
    const failure = await authorize(authEvent({ Identity: 'idt_1', Authorization: 'key_1' })).catch((err: Error) => err);
    expect(failure).toBe(throttled);
    expect((failure as Error).message).not.toBe(UNAUTHORIZED);
    expect(Object.fromEntries(c.counts)).toEqual({ AuthorizerFailed: 1 });
    expect(c.logs).toEqual([
      { message: 'authorizer failed', detail: { errorName: 'ProvisionedThroughputExceededException', error: throttled.message } },
    ]);
  });

  it('a portal session read that fails is a failure too', async () => {
    const c = counted();
    const authorize = createAuthorizer(
      tenants,
      portalReading(async () => {
        throw new Error('AccessDeniedException');
      }),
      c.options,
    );
    await expect(authorize(authEvent({ Identity: PORTAL_IDENTITY, Authorization: SESSION }))).rejects.toThrow('AccessDeniedException');
    expect(Object.fromEntries(c.counts)).toEqual({ AuthorizerFailed: 1 });
  });

  it('a read that does not answer before the deadline (its timeout less the margin) is a failure it counts itself', async () => {
    const c = counted();
    const hung = tenantsReading(() => new Promise<never>(() => undefined));
    const authorize = createAuthorizer(hung, undefined, c.options);
    // 30 ms left after the margin: the deadline error comes instead of Lambda's timeout.
    const context = { getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 30 };
    await expect(authorize(authEvent({ Identity: 'idt_1', Authorization: 'key_1' }), context)).rejects.toBeInstanceOf(
      AuthorizerDeadlineError,
    );
    expect(Object.fromEntries(c.counts)).toEqual({ AuthorizerFailed: 1 });
    expect(c.logs[0]!.detail.errorName).toBe('AuthorizerDeadlineError');
  });
});

describe('on AWS (Powertools EMF)', () => {
  afterEach(() => vi.restoreAllMocks());

  /** EMF lines written to stdout while `run` ran, parsed. */
  async function emfDuring(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    await run().catch(() => undefined);
    vi.restoreAllMocks();
    return lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('writes the count as its own EMF line before the handler throws: nothing is left to flush', async () => {
    const metrics = new Metrics({ namespace: 'Webhooks', serviceName: 'hooks' });
    const emf = new ImmediateEmfCounts(metrics);
    const refusing = createAuthorizer(tenants, undefined, { metrics: emf });
    const refused = await emfDuring(() => refusing(authEvent({ Identity: 'idt_1', Authorization: 'key_typo' })));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ service: 'hooks', AuthorizerRefused: 1 });
    expect((refused[0]!._aws as any).CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Webhooks',
      Dimensions: [['service']],
      Metrics: [{ Name: 'AuthorizerRefused', Unit: 'Count' }],
    });

    const failing = createAuthorizer(
      tenantsReading(async () => {
        throw new Error('read failed');
      }),
      undefined,
      { metrics: emf },
    );
    const failed = await emfDuring(() => failing(authEvent({ Identity: 'idt_1', Authorization: 'key_1' })));
    expect(failed.map((l) => [l.AuthorizerFailed, l.AuthorizerRefused])).toEqual([[1, undefined]]);
    // An Allow writes no line at all (no "no metrics to publish" warning either).
    expect(await emfDuring(() => refusing(authEvent({ Identity: 'idt_1', Authorization: 'key_1' })))).toEqual([]);
  });
});
