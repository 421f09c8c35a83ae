import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, type ApiDeps, createApi, PORTAL_SCOPE } from '../../functions/app/api.js';
import { createAuthorizer } from '../../functions/app/authorizer.js';
import { exchangePortalLink, guardPortalSession, issuePortalLink } from '../../functions/app/portal-access.js';
import { createPortalAssets, PORTAL_CSP } from '../../functions/app/portal-assets.js';
import { baseUrlOf } from '../../functions/app/portal-routes.js';
import { hashKey } from '../../functions/domain/credentials.js';
import type { Delivery, Tenant } from '../../functions/domain/model.js';
import { hourlyOutcomes } from '../../functions/domain/outcomes.js';
import { validateReceiverGuideUrl } from '../../functions/domain/portal.js';
import type { PortalGrant, PortalSessionStore, TenantRepository } from '../../functions/ports.js';

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

const tenant: Tenant = {
  tenantId: 't1',
  name: 't',
  identity: 'idt_1',
  keyHash: hashKey('key_1'),
  status: 'active',
  createdTime: '2026-01-01T00:00:00.000Z',
};
const tenants: TenantRepository = {
  create: async () => undefined,
  findByIdentity: async (i) => (i === tenant.identity ? tenant : undefined),
  list: async () => [tenant],
  revoke: async () => false,
  setThrottleKey: async () => undefined,
  setThrottle: async () => undefined,
};
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/v0.1/webhooks';
const authEvent = (headers: Record<string, string>) =>
  ({ type: 'REQUEST', methodArn: ARN, headers }) as unknown as APIGatewayRequestAuthorizerEvent;

/** The table entry the router would pick for this method and path. */
const routeFor = (method: string, path: string) =>
  API_ROUTES.find((r) => r.method === method && new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
/** IAM's reading of a policy resource: `*` matches any characters, slashes included. */
const policyAllows = (method: string, path: string) =>
  PORTAL_SCOPE.some((r) => r.method === method && new RegExp(`^${r.path.replaceAll('.', '\\.').replaceAll('*', '.*')}$`).test(path));
const sessionEvent = (method: string, path: string, sessionExpires: string) =>
  ({
    httpMethod: method,
    path,
    requestContext: { authorizer: { tenantId: 't1', scope: 'portal', sessionExpires } },
  }) as unknown as APIGatewayProxyEvent;

describe('portal scope', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const live = '2026-03-01T13:00:00.000Z';

  it('is the routes the table declares portal: true: v0.1 subscriptions, deliveries, recoveries, outcomes, the catalog and the source addresses', () => {
    expect(PORTAL_SCOPE).toEqual([
      { method: 'POST', path: '/api/v0.1/webhooks' },
      { method: 'GET', path: '/api/v0.1/webhooks' },
      { method: 'GET', path: '/api/v0.1/webhooks/*' },
      { method: 'PATCH', path: '/api/v0.1/webhooks/*' },
      { method: 'DELETE', path: '/api/v0.1/webhooks/*' },
      { method: 'POST', path: '/api/v0.1/webhooks/*/secret/rotate' },
      { method: 'POST', path: '/api/v0.1/webhooks/*/verify' },
      { method: 'GET', path: '/api/v0.1/webhooks/*/deliveries' },
      { method: 'GET', path: '/api/v0.1/webhooks/*/deliveries/*' },
      { method: 'POST', path: '/api/v0.1/webhooks/*/deliveries/*/retry' },
      { method: 'POST', path: '/api/v0.1/webhooks/*/test' },
      { method: 'POST', path: '/api/v0.1/webhooks/*/recover' },
      { method: 'GET', path: '/api/v0.1/webhooks/*/recoveries/*' },
      { method: 'GET', path: '/api/v0.1/webhooks/*/outcomes' },
      { method: 'GET', path: '/api/v0.1/event-types' },
      { method: 'GET', path: '/api/v0.1/source-ips' },
    ]);
  });

  it('the policy and the api guard allow those routes and refuse every other', () => {
    for (const [method, path] of [
      ['GET', '/api/v0.1/webhooks'],
      ['POST', '/api/v0.1/webhooks'],
      ['PATCH', '/api/v0.1/webhooks/abc'],
      ['DELETE', '/api/v0.1/webhooks/abc'],
      ['POST', '/api/v0.1/webhooks/abc/secret/rotate'],
      ['GET', '/api/v0.1/webhooks/abc/deliveries'],
      ['POST', '/api/v0.1/webhooks/abc/deliveries/d1/retry'],
      ['POST', '/api/v0.1/webhooks/abc/test'],
      ['POST', '/api/v0.1/webhooks/abc/recover'],
      ['GET', '/api/v0.1/webhooks/abc/recoveries/rcv_1'],
      ['GET', '/api/v0.1/webhooks/abc/outcomes'],
      ['GET', '/api/v0.1/event-types'],
      ['GET', '/api/v0.1/source-ips'],
    ] as const) {
      expect(policyAllows(method, path), `${method} ${path}`).toBe(true);
      const route = routeFor(method, path);
      expect(route, `${method} ${path}`).toBeDefined();
      expect(() => guardPortalSession(sessionEvent(method, path, live), route!, now)).not.toThrow();
    }
    for (const [method, path] of [
      ['POST', '/api/v0.1/events'],
      ['POST', '/api/v0.1/portal/sessions'],
      ['GET', '/api/v0/webhooks'],
      ['DELETE', '/api/v0/webhooks/abc'],
    ] as const) {
      expect(policyAllows(method, path), `${method} ${path}`).toBe(false);
      expect(() => guardPortalSession(sessionEvent(method, path, live), routeFor(method, path)!, now)).toThrow(
        expect.objectContaining({ statusCode: 403, code: 'forbidden' }),
      );
    }
    for (const [method, path] of [
      ['PUT', '/api/v0.1/webhooks/abc'],
      ['GET', '/api/v0.1/webhooksX'],
    ] as const)
      expect(policyAllows(method, path), `${method} ${path}`).toBe(false);
  });
});

describe('portal links and sessions', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it('a link works once and only before it expires; the session it gives is for its tenant', async () => {
    const portal = new MemoryPortal();
    const link = await issuePortalLink(portal, { tenantId: 't1' }, 'https://x.execute-api.eu-west-1.amazonaws.com/prod/', 900, now);
    expect(link.url).toMatch(/^https:\/\/x\.execute-api\.eu-west-1\.amazonaws\.com\/prod\/portal\/#link=pl_[\w-]{43}$/);
    expect(link.expires_time).toBe('2026-03-01T12:15:00.000Z');
    // Only the hash is stored.
    const token = link.url.split('#link=')[1]!;
    expect(JSON.stringify([...portal.links.values()])).not.toContain(token);
    const session = await exchangePortalLink(portal, token, 3600, now);
    expect(session.expires_time).toBe('2026-03-01T13:00:00.000Z');
    await expect(exchangePortalLink(portal, token, 3600, now)).rejects.toMatchObject({ statusCode: 401, code: 'link_expired' });

    const late = await issuePortalLink(portal, { tenantId: 't1' }, 'http://127.0.0.1:1', 900, now);
    await expect(exchangePortalLink(portal, late.url.split('#link=')[1], 3600, new Date(now.getTime() + 901_000))).rejects.toMatchObject({
      code: 'link_expired',
    });
    await expect(exchangePortalLink(portal, 'not a token', 3600, now)).rejects.toMatchObject({ code: 'link_expired' });
  });

  it('the authorizer gives a session only the portal routes, until it ends; tenant keys keep every route', async () => {
    const portal = new MemoryPortal();
    const link = await issuePortalLink(portal, { tenantId: 't1' }, 'https://x/prod/', 900, now);
    const { session_token } = await exchangePortalLink(portal, link.url.split('#link=')[1], 3600, now);
    const authorize = createAuthorizer(tenants, portal, { now: () => now });
    const result = await authorize(authEvent({ Identity: 'portal-session', Authorization: `Bearer ${session_token}` }));
    expect(result.principalId).toBe('t1');
    expect(result.context).toEqual({ tenantId: 't1', scope: 'portal', sessionExpires: '2026-03-01T13:00:00.000Z' });
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: PORTAL_SCOPE.map((r) => `arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/${r.method}${r.path}`),
      },
    ]);
    const ended = createAuthorizer(tenants, portal, { now: () => new Date(now.getTime() + 3601_000) });
    await expect(ended(authEvent({ Identity: 'portal-session', Authorization: `Bearer ${session_token}` }))).rejects.toThrow(
      'Unauthorized',
    );
    await expect(authorize(authEvent({ Identity: 'portal-session', Authorization: session_token }))).rejects.toThrow('Unauthorized');
    // A link token is not a session token.
    await expect(
      authorize(authEvent({ Identity: 'portal-session', Authorization: `Bearer ${link.url.split('#link=')[1]}` })),
    ).rejects.toThrow('Unauthorized');
    const keyed = await authorize(authEvent({ Identity: 'idt_1', Authorization: 'key_1' }));
    expect(keyed.context).toEqual({ tenantId: 't1' });
  });

  it('the api refuses an ended session (a cached authorizer answer) and routes outside the scope', () => {
    const list = routeFor('GET', '/api/v0.1/webhooks')!;
    expect(() => guardPortalSession(sessionEvent('GET', '/api/v0.1/webhooks', '2026-03-01T13:00:00.000Z'), list, now)).not.toThrow();
    expect(() => guardPortalSession(sessionEvent('GET', '/api/v0.1/webhooks', '2026-03-01T11:59:59.000Z'), list, now)).toThrow(
      expect.objectContaining({ statusCode: 401, code: 'session_expired' }),
    );
    expect(() =>
      guardPortalSession(sessionEvent('POST', '/api/v0.1/events', '2026-03-01T13:00:00.000Z'), routeFor('POST', '/api/v0.1/events')!, now),
    ).toThrow(expect.objectContaining({ statusCode: 403 }));
  });
});

describe('the api function with a portal session', () => {
  it('refuses a route not declared portal: true, and an ended session, before reading anything of the request', async () => {
    // No dependency is reached: the guard answers first.
    const api = createApi({ now: () => new Date('2026-03-01T12:00:00.000Z') } as ApiDeps);
    const call = async (method: string, path: string, sessionExpires: string) => {
      const r = await api({ ...sessionEvent(method, path, sessionExpires), headers: {}, body: '{"type":"card.created","data":{}}' });
      return { status: r.statusCode, code: JSON.parse(r.body).error.code };
    };
    expect(await call('POST', '/api/v0.1/events', '2026-03-01T13:00:00.000Z')).toEqual({ status: 403, code: 'forbidden' });
    expect(await call('GET', '/api/v0/webhooks', '2026-03-01T13:00:00.000Z')).toEqual({ status: 403, code: 'forbidden' });
    expect(await call('POST', '/api/v0.1/portal/sessions', '2026-03-01T13:00:00.000Z')).toEqual({ status: 403, code: 'forbidden' });
    expect(await call('GET', '/api/v0.1/webhooks', '2026-03-01T11:00:00.000Z')).toEqual({ status: 401, code: 'session_expired' });
  });
});

describe('hourly outcomes', () => {
  it('counts succeeded and failed deliveries by the hour they were created, over 24 hours', () => {
    const now = new Date('2026-03-01T12:30:00.000Z');
    const d = (createdTime: string, status: Delivery['status'], attempts = 1): Delivery => ({
      id: createdTime,
      tenantId: 't1',
      subscriptionId: 's',
      eventId: 'e',
      eventType: 'card.created',
      status,
      attempts,
      generation: 0,
      createdTime,
      updatedTime: createdTime,
    });
    const hours = hourlyOutcomes(
      [
        d('2026-03-01T12:05:00.000Z', 'succeeded'),
        d('2026-03-01T12:10:00.000Z', 'dead_lettered', 5),
        d('2026-03-01T12:11:00.000Z', 'pending', 2),
        d('2026-03-01T12:12:00.000Z', 'pending', 0),
        d('2026-03-01T12:13:00.000Z', 'skipped', 0),
        d('2026-02-28T13:59:00.000Z', 'succeeded'),
        d('2026-02-28T12:59:00.000Z', 'succeeded'),
      ],
      now,
      24,
    );
    expect(hours).toHaveLength(24);
    expect(hours[0]).toEqual({ hour: '2026-02-28T13:00:00.000Z', succeeded: 1, failed: 0 });
    expect(hours[23]).toEqual({ hour: '2026-03-01T12:00:00.000Z', succeeded: 1, failed: 2 });
    expect(hours.slice(1, 23).every((h) => h.succeeded === 0 && h.failed === 0)).toBe(true);
  });
});

describe('portal page on API Gateway', () => {
  const files = { 'index.html': '<script type="module" src="{{base}}app.js"></script>', 'app.js': 'x' };
  const get = (path: string, contextPath: string) =>
    ({
      httpMethod: 'GET',
      path,
      requestContext: { path: contextPath, domainName: 'abc.execute-api.eu-west-1.amazonaws.com' },
    }) as unknown as APIGatewayProxyEvent;

  it('names its files under the stage, with or without the trailing slash, and the link under it too', async () => {
    const serve = createPortalAssets(files);
    for (const [path, contextPath] of [
      ['/portal/', '/prod/portal/'],
      ['/portal', '/prod/portal'],
    ] as const) {
      const page = await serve(get(path, contextPath));
      expect(page.statusCode).toBe(200);
      expect(page.body).toBe('<script type="module" src="/prod/portal/app.js"></script>');
    }
    expect((await serve(get('/portal/app.js', '/prod/portal/app.js'))).body).toBe('x');
    expect((await serve(get('/portal/../x', '/prod/portal/../x'))).statusCode).toBe(404);
    expect(baseUrlOf(get('/api/v0.1/portal/sessions', '/prod/api/v0.1/portal/sessions'))).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/',
    );
  });

  it('says where the receiver guide is: the one it serves (as plain text, under the stage), or the one configured, escaped', async () => {
    const page = {
      'index.html': '<meta name="receiver-guide" content="{{receiverGuide}}" />',
      'receiving-webhooks.md': '# Receiving webhooks',
    };
    const served = await createPortalAssets(page)(get('/portal/', '/prod/portal/'));
    expect(served.body).toBe('<meta name="receiver-guide" content="/prod/portal/receiving-webhooks.md" />');
    const guide = await createPortalAssets(page)(get('/portal/receiving-webhooks.md', '/prod/portal/receiving-webhooks.md'));
    expect(guide).toMatchObject({ statusCode: 200, body: '# Receiving webhooks' });
    expect(guide.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': PORTAL_CSP });
    const configured = createPortalAssets(page, { receiverGuideUrl: 'https://docs.example.com/hooks?a=1&b="2"' });
    expect((await configured(get('/portal/', '/prod/portal/'))).body).toBe(
      '<meta name="receiver-guide" content="https://docs.example.com/hooks?a=1&amp;b=&quot;2&quot;" />',
    );
  });

  it('says how to get a new link only when told (local mode), escaped; a deployment says nothing more', async () => {
    const page = { 'index.html': '<meta name="new-link-help" content="{{newLinkHelp}}" />' };
    expect((await createPortalAssets(page)(get('/portal/', '/prod/portal/'))).body).toBe('<meta name="new-link-help" content="" />');
    const local = createPortalAssets(page, { newLinkHelp: 'Run "npm run tenant" <here>' });
    expect((await local(get('/portal/', '/portal/'))).body).toBe(
      '<meta name="new-link-help" content="Run &quot;npm run tenant&quot; &lt;here&gt;" />',
    );
  });

  it('takes only an absolute http or https address for the receiver guide', () => {
    expect(validateReceiverGuideUrl('receiverGuideUrl', undefined)).toBeUndefined();
    expect(validateReceiverGuideUrl('receiverGuideUrl', '')).toBeUndefined();
    expect(validateReceiverGuideUrl('receiverGuideUrl', 'https://docs.example.com/receiving')).toBe('https://docs.example.com/receiving');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '/docs/receiving', 'docs.example.com'])
      expect(() => validateReceiverGuideUrl('receiverGuideUrl', bad), bad).toThrow(
        /receiverGuideUrl must be an absolute http or https URL/,
      );
  });
});
