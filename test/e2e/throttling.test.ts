import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_AFTER_SECONDS } from '../../functions/domain/throttle.js';
import { runCli } from '../support/cli.js';
import { addKeyedTenant, addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';

/**
 * Per-tenant API throttling in local mode, as API Gateway applies it: each tenant's key has its
 * own bucket (the default plan's limits, or its own), then the stage's. The limits are low (a
 * burst of 5 at 1 a second) and requests go out together, so what is asserted holds however slow
 * the machine is: nothing waits on a timer, and no count depends on how long a request took.
 */

const LIST = '/api/v0.1/webhooks';
type Answer = { status: number; body: any; headers: Headers };

/** `n` requests at once with these credentials. */
const burst = (p: TestPipeline, n: number, headers: Record<string, string>, path = LIST): Promise<Answer[]> =>
  Promise.all(Array.from({ length: n }, () => p.call('GET', path, undefined, headers)));
const statuses = (answers: Answer[]) => answers.map((a) => a.status);
const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;
const apiInvocations = (p: TestPipeline) => p.usage.snapshot().lambda.api.invocations;

function expectRateLimited(answers: Answer[]): void {
  for (const a of answers.filter((x) => x.status === 429)) {
    expect(a.body).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('Retry-After') } });
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS);
  }
}

describe('per-tenant throttling in local mode', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline({ tenantThrottle: { rateLimit: 1, burstLimit: 5 }, stageThrottle: { rateLimit: 100, burstLimit: 200 } });
  });
  afterAll(async () => p?.stop());

  it('answers a tenant past its limit 429 with Retry-After, before the api function, while another tenant is answered normally', async () => {
    const noisy = await addKeyedTenant(p, 'noisy');
    const quiet = await addKeyedTenant(p, 'quiet');
    const before = apiInvocations(p);
    const [loud, calm] = await Promise.all([burst(p, 20, as(noisy)), burst(p, 5, as(quiet))]);

    // The noisy tenant's bucket holds 5: those pass, and most of the rest are refused.
    expect(count(loud, 200)).toBeGreaterThanOrEqual(5);
    expect(count(loud, 429)).toBeGreaterThanOrEqual(1);
    expect(count(loud, 200) + count(loud, 429)).toBe(20);
    expectRateLimited(loud);
    // The quiet tenant, at the same moment, within its own 5: every request answered.
    expect(statuses(calm)).toEqual([200, 200, 200, 200, 200]);
    // A throttled request never reaches the api function.
    expect(apiInvocations(p) - before).toBe(count(loud, 200) + count(calm, 200));
  });

  it('gives a tenant its own limits with the tenant CLI (throttle), and list shows them', async () => {
    const big = await addKeyedTenant(p, 'big customer');
    const res = await runCli('tenant', p.dataDir, ['throttle', '--identity', big.identity, '--rate', '50', '--burst', '100']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ identity: big.identity, throttle: { plan: 'own', rate_limit: 50, burst_limit: 100 } });
    const small = await addKeyedTenant(p, 'small customer');
    const [bigAnswers, smallAnswers] = await Promise.all([burst(p, 20, as(big)), burst(p, 20, as(small))]);
    expect(statuses(bigAnswers)).toEqual(Array(20).fill(200));
    expect(count(smallAnswers, 429)).toBeGreaterThanOrEqual(1);
    expectRateLimited(smallAnswers);

    const list = await runCli('tenant', p.dataDir, ['list']);
    const listed = (JSON.parse(list.stdout) as { identity: string; throttle: unknown }[]).filter((t) =>
      [big.identity, small.identity].includes(t.identity),
    );
    expect(listed.map((t) => t.throttle)).toEqual([
      { plan: 'own', rate_limit: 50, burst_limit: 100 },
      { plan: 'default', rate_limit: 1, burst_limit: 5 },
    ]);
  });

  it("throttles a portal session as its tenant: the session's requests take from the tenant's bucket", async () => {
    const tenant = await addKeyedTenant(p, 'portal user');
    const link = await p.call('POST', '/api/v0.1/portal/sessions', undefined, as(tenant));
    expect(link.status).toBe(201);
    const exchange = await p.call('POST', '/api/v0.1/portal/session-tokens', {
      link_token: new URL(link.body.url).hash.slice('#link='.length),
    });
    expect(exchange.status).toBe(201);
    const session = { Identity: 'portal-session', Authorization: `Bearer ${exchange.body.session_token}` };
    const answers = await burst(p, 20, session);
    // The link took one of the 5 tokens; the session had what was left.
    expect(count(answers, 200)).toBeGreaterThanOrEqual(4);
    expect(count(answers, 429)).toBeGreaterThanOrEqual(1);
    expectRateLimited(answers);
  });

  it('lets a tenant created before per-tenant throttling through on the shared key, at the stage limits, until it has its own', async () => {
    const older = await addTenant(p, 'from before');
    expect(statuses(await burst(p, 20, as(older)))).toEqual(Array(20).fill(200));
  });
});

describe('the stage limit in local mode', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startTestPipeline({ tenantThrottle: { rateLimit: 1, burstLimit: 3 }, stageThrottle: { rateLimit: 1, burstLimit: 3 } });
  });
  afterAll(async () => p?.stop());

  it('throttles everyone together, public routes too', async () => {
    const answers = await burst(p, 10, {}, '/api/openapi.json');
    expect(count(answers, 200)).toBeGreaterThanOrEqual(3);
    expect(count(answers, 429)).toBeGreaterThanOrEqual(1);
    expectRateLimited(answers);
  });
});
