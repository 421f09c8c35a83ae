import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../functions/app/api.js';
import { createAuthorizer } from '../../functions/app/authorizer.js';
import { exchangePortalLink, issuePortalLink, portalTenantOf } from '../../functions/app/portal-access.js';
import { hashKey } from '../../functions/domain/credentials.js';
import type { Tenant } from '../../functions/domain/model.js';
import type { PortalGrant, PortalSessionStore, TenantRepository } from '../../functions/ports.js';

/** The authorizer names each request's API key (`usageIdentifierKey`), which API Gateway throttles by. */

class MemoryPortal implements PortalSessionStore {
  links = new Map<string, PortalGrant>();
  sessions = new Map<string, PortalGrant>();
  async putLink(l: PortalGrant) {
    this.links.set(l.tokenHash, l);
  }
  async takeLink(h: string) {
    const l = this.links.get(h);
    this.links.delete(h);
    return l;
  }
  async putSession(s: PortalGrant) {
    this.sessions.set(s.tokenHash, s);
  }
  async getSession(h: string) {
    return this.sessions.get(h);
  }
}

const base = { name: 't', status: 'active', createdTime: '2026-01-01T00:00:00.000Z' } as const;
const keyed: Tenant = {
  ...base,
  tenantId: 'tnt_keyed',
  identity: 'idt_keyed',
  keyHash: hashKey('key_keyed'),
  throttleKey: { id: 'k1d', value: 'tenantThrottleKeyValue0123456789' },
};
/** Created before per-tenant throttling: no key of its own. */
const older: Tenant = { ...base, tenantId: 'tnt_older', identity: 'idt_older', keyHash: hashKey('key_older') };
const tenants: TenantRepository = {
  create: async () => undefined,
  findByIdentity: async (i) => [keyed, older].find((t) => t.identity === i),
  list: async () => [keyed, older],
  revoke: async () => false,
  setThrottleKey: async () => undefined,
  setThrottle: async () => undefined,
};
const SHARED = 'sharedThrottleKeyValue0123456789';
const now = new Date('2026-03-01T12:00:00.000Z');
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/v0.1/webhooks';
const authEvent = (headers: Record<string, string>) =>
  ({ type: 'REQUEST', methodArn: ARN, headers }) as unknown as APIGatewayRequestAuthorizerEvent;

async function sessionFor(portal: MemoryPortal, tenant: Tenant): Promise<string> {
  const link = await issuePortalLink(portal, portalTenantOf(tenant), 'https://x/prod/', 900, now);
  return (await exchangePortalLink(portal, link.url.split('#link=')[1], 3600, now)).session_token;
}

describe('the authorizer names the API key API Gateway throttles by', () => {
  const portal = new MemoryPortal();
  const authorize = createAuthorizer(tenants, portal, { now: () => now, sharedThrottleKey: SHARED });

  it("answers the tenant's own key, read from the tenant item it already read, and never its Authorization value", async () => {
    const result = await authorize(authEvent({ Identity: 'idt_keyed', Authorization: 'key_keyed' }));
    expect(result.usageIdentifierKey).toBe('tenantThrottleKeyValue0123456789');
    expect(result.usageIdentifierKey).not.toBe('key_keyed');
    expect(result.context).toEqual({ tenantId: 'tnt_keyed', throttleKey: 'tenantThrottleKeyValue0123456789' });
  });

  it('answers the shared key for a tenant created before per-tenant throttling, so its requests go on', async () => {
    const result = await authorize(authEvent({ Identity: 'idt_older', Authorization: 'key_older' }));
    expect(result.usageIdentifierKey).toBe(SHARED);
    // Only a key of its own goes into the context (and onto the portal links it asks for).
    expect(result.context).toEqual({ tenantId: 'tnt_older' });
  });

  it("answers a portal session its tenant's key, carried from the link to the session", async () => {
    const session = await sessionFor(portal, keyed);
    expect([...portal.sessions.values()].map((s) => s.throttleKey)).toContain('tenantThrottleKeyValue0123456789');
    const result = await authorize(authEvent({ Identity: 'portal-session', Authorization: `Bearer ${session}` }));
    expect(result.principalId).toBe('tnt_keyed');
    expect(result.usageIdentifierKey).toBe('tenantThrottleKeyValue0123456789');

    const olderSession = await sessionFor(portal, older);
    const shared = await authorize(authEvent({ Identity: 'portal-session', Authorization: `Bearer ${olderSession}` }));
    expect(shared.usageIdentifierKey).toBe(SHARED);
  });

  it('answers no key at all when it has none to give (API Gateway then refuses, as for an unknown key)', async () => {
    const bare = createAuthorizer(tenants, portal, { now: () => now });
    expect((await bare(authEvent({ Identity: 'idt_older', Authorization: 'key_older' }))).usageIdentifierKey).toBeUndefined();
    expect((await bare(authEvent({ Identity: 'idt_keyed', Authorization: 'key_keyed' }))).usageIdentifierKey).toBe(
      'tenantThrottleKeyValue0123456789',
    );
  });

  it('puts the key of the tenant asking onto the portal link the API issues (POST /api/v0.1/portal/sessions)', async () => {
    const links = new MemoryPortal();
    const api = createApi({ portal: links, baseUrl: () => 'https://x/prod/' } as unknown as Parameters<typeof createApi>[0]);
    const res = await api({
      httpMethod: 'POST',
      path: '/api/v0.1/portal/sessions',
      headers: {},
      body: null,
      requestContext: { authorizer: { tenantId: 'tnt_keyed', throttleKey: 'tenantThrottleKeyValue0123456789' } },
    } as unknown as APIGatewayProxyEvent);
    expect(res.statusCode).toBe(201);
    expect([...links.links.values()]).toEqual([
      expect.objectContaining({ tenantId: 'tnt_keyed', throttleKey: 'tenantThrottleKeyValue0123456789' }),
    ]);
  });
});
