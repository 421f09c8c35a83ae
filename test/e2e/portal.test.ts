import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPortalSessionStore } from '../../functions/adapters/aws/dynamodb-portal-sessions.js';
import { issuePortalLink } from '../../functions/app/portal-access.js';
import { PORTAL_CSP } from '../../functions/app/portal-assets.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { portalLinkUrl } from '../../functions/domain/portal.js';
import { newPortalToken, portalTokenHash } from '../../functions/domain/portal-tokens.js';
import { SOURCE_IPS_PATH } from '../../functions/domain/source-ips.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { launchChromium } from '../../portal/chromium.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * The tenant portal in headless Chromium against local mode: every view a tenant uses, the link
 * rules, tenant isolation and XSS payloads. Set PORTAL_SCREENSHOTS=docs to refresh docs/portal-*.png.
 */

const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS;
const XSS_IMG = '<img src=x onerror=alert("img")>';
const XSS_SCRIPT = '<script>alert("script")</script>';

// A real browser on a shared 2-core machine: generous per-test time, no timing assertions.
describe('tenant portal in a browser', { timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;
  let hostile: Receiver;
  let browser: Browser;
  let portalStore: DynamoPortalSessionStore;
  let dynamo: DynamoDBClient;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [pipeline, receiver, browser] = await Promise.all([startTestPipeline({ retrySchedule: [1, 1] }), startReceiver(), launchChromium()]);
    // Answers every delivery with a failing status and markup in the body (the response excerpt).
    hostile = await startReceiver((_r, _n, res) => void res.writeHead(500, { 'content-type': 'text/html' }).end(`${XSS_SCRIPT}${XSS_IMG}`));
    dynamo = new DynamoDBClient({ endpoint: pipeline.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    portalStore = new DynamoPortalSessionStore(DynamoDBDocumentClient.from(dynamo), pipeline.endpoints.tableName);
  });
  afterAll(async () => {
    await browser?.close();
    dynamo?.destroy();
    await Promise.all([pipeline?.stop(), receiver?.close(), hostile?.close()]);
  });

  async function open(url: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    return { context, page };
  }

  const shot = async (page: Page, name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/portal-${name}.png`, fullPage: true });
  };

  it('serves the page with a CSP that allows no inline script', async () => {
    const res = await fetch(`${pipeline.url}/portal/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(PORTAL_CSP);
    expect(PORTAL_CSP).toContain("script-src 'self'");
    expect(PORTAL_CSP).not.toContain('unsafe-inline');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    // Without the trailing slash too (API Gateway may drop it): the page names its files by absolute path.
    expect(html).toContain('<script type="module" src="/portal/app.js"></script>');
    const bare = await fetch(`${pipeline.url}/portal`);
    expect(bare.status).toBe(200);
    expect(await bare.text()).toBe(html);
    for (const [file, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['app.css', 'text/css; charset=utf-8'],
    ]) {
      const asset = await fetch(`${pipeline.url}/portal/${file}`);
      expect(asset.headers.get('content-type')).toBe(type);
      expect(asset.headers.get('content-security-policy')).toBe(PORTAL_CSP);
    }
    expect((await fetch(`${pipeline.url}/portal/nothing.js`)).status).toBe(404);
    expect((await fetch(`${pipeline.url}/portal/`, { method: 'POST' })).status).toBe(405);
  });

  it('link -> list -> create -> publish -> delivery -> Retry -> Send test event -> Rotate secret', async () => {
    const issued = await pipeline.call('POST', '/api/v0.1/portal/sessions');
    expect(issued.status).toBe(201);
    expect(issued.body.url).toMatch(new RegExp(`^${pipeline.url}/portal/#link=pl_`));
    expect(Date.parse(issued.body.expires_time) - Date.now()).toBeGreaterThan(14 * 60 * 1000);

    const { context, page } = await open(issued.body.url);
    await page.getByRole('heading', { name: 'Subscriptions', exact: true }).waitFor();
    // The one-time token leaves the address bar at once, and the session token is in memory only.
    expect(page.url()).not.toContain('pl_');
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    await page.getByText('No subscriptions yet').waitFor();

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description').fill('Card events for the ledger');
    await page.getByRole('checkbox', { name: 'card.created' }).check();
    await shot(page, 'create');
    await page.getByRole('button', { name: 'Create subscription', exact: true }).click();
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    const subscriptionId = decodeURIComponent(/#\/subscriptions\/(.+)$/.exec(page.url())![1]!);

    const example = loadCatalog().entries.find((e) => e.type === 'card.created')!.example;
    const published = await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: example });
    expect(published.status).toBe(202);
    await receiver.waitFor(1);
    const row = page.locator(`tbody.delivery[data-event-id="${published.body.id}"]`);
    await row.getByText('succeeded', { exact: true }).waitFor();
    await page.getByRole('img', { name: /Last 24 hours: 1 succeeded, 0 failed/ }).waitFor();

    await row.getByRole('button', { name: 'Retry', exact: true }).click();
    const [first, second] = await receiver.waitFor(2);
    expect(second!.headers['webhook-id']).toBe(published.body.id);
    expect(second!.body).toBe(first!.body);
    await page.getByRole('status').getByText('queued again').waitFor();
    await row.getByRole('cell', { name: '2', exact: true }).waitFor();
    await row.getByRole('button', { name: 'Show attempts' }).click();
    await row.getByRole('table', { name: 'Attempts' }).getByRole('row').nth(2).waitFor();

    await page.getByRole('button', { name: 'Send test event', exact: true }).click();
    const [, , test] = await receiver.waitFor(3);
    expect(JSON.parse(test!.body).type).toBe('webhook.test');
    await page
      .getByRole('status')
      .getByText(/Test event evt_test_\S+ queued/)
      .waitFor();

    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const before = await page.getByTestId('secret').textContent();
    expect(before).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    await page
      .getByRole('status')
      .getByText(/Secret rotated/)
      .waitFor();
    const after = await page.getByTestId('secret').textContent();
    expect(after).toMatch(/^whsec_/);
    expect(after).not.toBe(before);
    const stored = await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}`);
    expect(stored.body.webhook_subscription.secret).toBe(after);

    // Beside the secret, a link to the receiver guide (docs/receiving-webhooks.md), which the portal
    // serves itself unless the operator names another address; it opens in a new tab.
    const guide = page.locator('dd.secret').getByRole('link', { name: 'Receiving webhooks', exact: true });
    expect(await guide.getAttribute('href')).toBe(`${pipeline.url}/portal/receiving-webhooks.md`);
    expect(await guide.getAttribute('target')).toBe('_blank');
    expect(await guide.getAttribute('rel')).toBe('noopener noreferrer');
    const [tab] = await Promise.all([context.waitForEvent('page'), guide.click()]);
    await tab.getByText('# Receiving webhooks').waitFor();
    expect(await tab.locator('body').textContent()).toContain('## 5. Rotate the secret without downtime');
    await tab.close();

    // The status filter asks the API for one status only.
    await page.getByLabel('Status').selectOption('dead_lettered');
    await page.getByText('No deliveries with status dead_lettered yet.').waitFor();
    await page.getByLabel('Status').selectOption('succeeded');
    await page.locator('tbody.delivery').nth(1).waitFor();
    expect(await page.locator('tbody.delivery').getByText('succeeded', { exact: true }).count()).toBe(
      await page.locator('tbody.delivery').count(),
    );
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Hide secret' }).click();
    await shot(page, 'subscription');

    // Edit, disable, then delete after the confirmation.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByRole('textbox', { name: 'Description' }).fill('Card events, edited');
    // A payload filter the server refuses shows its reason; a valid one is saved and shown.
    const filterBox = page.getByRole('textbox', { name: 'Payload filter (optional)' });
    await filterBox.fill('{"amount": "100"}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').getByText('filter.amount: must be an array of values or matchers').waitFor();
    await filterBox.fill('{"card_id": [{"prefix": "card_"}]}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Card events, edited').waitFor();
    expect(await page.getByTestId('filter').textContent()).toContain('"prefix": "card_"');
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await page.getByRole('status').getByText('Subscription disabled').waitFor();
    expect((await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}`)).body.webhook_subscription).toMatchObject({
      description: 'Card events, edited',
      filter: { card_id: [{ prefix: 'card_' }] },
      status: 'STATUS_DISABLED',
    });

    await page.getByRole('link', { name: 'Event catalog' }).click();
    await page.getByRole('heading', { name: 'card.created' }).waitFor();
    // The platform's own events are listed apart, each marked as such.
    await page.getByRole('heading', { name: 'Platform events' }).waitFor();
    expect(await page.locator('[data-event-type="webhook.delivery.dead_lettered"] .badge.platform').textContent()).toBe('platform');
    expect(await page.locator('[data-event-type="card.created"] .badge.platform').count()).toBe(0);
    await shot(page, 'catalog');

    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('link', { name: receiver.url }).waitFor();
    await shot(page, 'list');
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByText('No subscriptions yet').waitFor();
    expect((await pipeline.call('GET', `/api/v0.1/webhooks/${subscriptionId}`)).status).toBe(404);
    await context.close();
  });

  it('a used link and an expired one show only that the link cannot be used', async () => {
    const link = await pipeline.portalLink();
    const first = await open(link.url);
    await first.page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await first.context.close();

    const used = await open(link.url);
    await used.page.getByRole('alert').getByText('This link has expired or was already used.').waitFor();
    expect(await used.page.getByRole('heading', { name: 'Subscriptions' }).count()).toBe(0);
    // Local mode says how to get another: here the reader is their own operator.
    expect((await used.page.locator('body').textContent())?.trim()).toBe(
      `Webhooks portalThis link has expired or was already used. Ask for a new portal link.Running locally: npm run -s tenant -- portal --identity ${pipeline.credentials.identity} prints a new link.`,
    );
    await shot(used.page, 'link-expired');
    await used.context.close();

    const token = newPortalToken('link');
    const tenantId = `tnt_local_${pipeline.credentials.identity.slice(-8)}`;
    await portalStore.putLink({ tokenHash: portalTokenHash(token), tenantId, expiresTime: new Date(Date.now() - 1000).toISOString() });
    const expired = await open(portalLinkUrl(`${pipeline.url}/`, token));
    await expired.page.getByRole('alert').getByText('This link has expired or was already used.').waitFor();
    expect(await expired.page.getByRole('table').count()).toBe(0);
    await expired.context.close();
  });

  it("another tenant's session sees none of the first tenant's subscriptions and reaches no other route", async () => {
    const mine = await pipeline.call('POST', '/api/v0.1/webhooks', {
      url: `${receiver.url}/tenant-a`,
      description: 'tenant A only',
      events: ['card.created'],
    });
    expect(mine.status).toBe(201);
    const other = await addTenant(pipeline, 'tenant B');
    const link = await issuePortalLink(portalStore, { tenantId: other.tenantId }, `${pipeline.url}/`, 900, new Date());
    const { context, page } = await open(link.url);
    await page.getByText('No subscriptions yet').waitFor();
    expect(await page.getByText('tenant-a').count()).toBe(0);
    await page.goto(`${pipeline.url}/portal/#/subscriptions/${mine.body.webhook_subscription.id}`);
    // A reload drops the in-memory session: the page asks for a new link rather than showing anything.
    await page.getByRole('alert').waitFor();
    expect(await page.getByText('tenant-a').count()).toBe(0);
    await context.close();

    // The session token itself, outside the page: tenant B's data only, and only the portal's routes.
    const again = await issuePortalLink(portalStore, { tenantId: other.tenantId }, `${pipeline.url}/`, 900, new Date());
    const exchanged = await pipeline.call(
      'POST',
      '/api/v0.1/portal/session-tokens',
      {
        link_token: new URLSearchParams(new URL(again.url).hash.slice(1)).get('link'),
      },
      { Identity: '', Authorization: '' },
    );
    expect(exchanged.status).toBe(201);
    const session = { Identity: 'portal-session', Authorization: `Bearer ${exchanged.body.session_token}` };
    expect((await pipeline.call('GET', '/api/v0.1/webhooks', undefined, session)).body.webhook_subscriptions).toEqual([]);
    expect((await pipeline.call('GET', `/api/v0.1/webhooks/${mine.body.webhook_subscription.id}`, undefined, session)).status).toBe(404);
    expect((await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: {} }, session)).status).toBe(403);
    expect((await pipeline.call('GET', '/api/v0/webhooks', undefined, session)).status).toBe(403);
    expect((await pipeline.call('POST', '/api/v0.1/portal/sessions', undefined, session)).status).toBe(403);
    expect((await pipeline.call('GET', '/api/v0.1/webhooks', undefined, { ...session, Authorization: 'Bearer ps_x' })).status).toBe(401);
    expect((await pipeline.call('GET', '/api/v0.1/webhooks', undefined, as(other))).body.webhook_subscriptions).toEqual([]);
    const badFilter = await pipeline.call('GET', `/api/v0.1/webhooks/${mine.body.webhook_subscription.id}/deliveries?status=bogus`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.details).toEqual([
      { field: 'status', message: 'must be one of succeeded, pending, dead_lettered, skipped' },
    ]);
  });

  it("shows a subscription's custom headers by name with masked values, never in full; its edit form keeps, refuses and replaces them", async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', {
      url: `${receiver.url}/with-headers`,
      events: ['card.created'],
      headers: { 'X-Api-Key': 'k_live_5f2b9c1e7a0d4b8f' },
    });
    expect(created.status).toBe(201);
    const { context, page } = await open((await pipeline.portalLink()).url);
    await page.getByRole('link', { name: created.body.webhook_subscription.url }).click();
    await page.getByRole('heading', { name: created.body.webhook_subscription.url }).waitFor();
    expect(await page.getByTestId('headers').textContent()).toBe('X-Api-Key: k_li…');
    expect(await page.content()).not.toContain('k_live_5f2b');
    const id = created.body.webhook_subscription.id as string;
    const stored = async () => (await pipeline.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription;

    // An edit that does not ask to replace them keeps them (the form cannot show the values).
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    expect(await page.getByTestId('headers-input').isDisabled()).toBe(true);
    await page.getByLabel('Description').fill('kept headers');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('kept headers').first().waitFor();
    expect((await stored()).headers).toEqual({ 'X-Api-Key': 'k_li…' });

    // A name the signature uses: the server's 400 is shown and nothing changes.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByTestId('replace-headers').check();
    await page.getByTestId('headers-input').fill('webhook-signature: forged');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('alert')
      .getByText(/headers\.webhook-signature/)
      .waitFor();
    expect((await stored()).headers).toEqual({ 'X-Api-Key': 'k_li…' });

    // Replaced: the new set, masked.
    await page.getByTestId('headers-input').fill('X-Api-Key: k_test_9a8b7c6d5e4f3a2b\nX-Tenant: acme-corporation');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('headers').getByText('X-Tenant: acme…').waitFor();
    expect((await stored()).headers).toEqual({ 'X-Api-Key': 'k_te…', 'X-Tenant': 'acme…' });
    expect(await page.content()).not.toContain('k_test_9a8b');

    // A second change within the rotation window (10 minutes, shared with secret rotation): the 429 is shown, nothing changes.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByTestId('replace-headers').check();
    await page.getByTestId('headers-input').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('alert')
      .getByText(/10 minutes|rotat/i)
      .first()
      .waitFor();
    expect((await stored()).headers).toEqual({ 'X-Api-Key': 'k_te…', 'X-Tenant': 'acme…' });
    await context.close();
    expect((await pipeline.call('DELETE', `/api/v0.1/webhooks/${id}`)).status).toBe(200);
  });

  it("shows a subscription's rate limit, and its edit form sets, refuses and removes one", async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', {
      url: `${receiver.url}/rate-limited`,
      events: ['card.created'],
      rate_limit: { per_second: 5, burst: 10 },
    });
    expect(created.status).toBe(201);
    const id = created.body.webhook_subscription.id as string;
    const { context, page } = await open((await pipeline.portalLink()).url);
    await page.getByRole('link', { name: created.body.webhook_subscription.url }).click();
    await page.getByRole('heading', { name: created.body.webhook_subscription.url }).waitFor();
    expect(await page.getByTestId('rate-limit').textContent()).toBe('5 per second, bursts of up to 10');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    // Out of bounds: the server's reason is shown and nothing changes.
    await page.getByTestId('rate-per-second').fill('501');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').getByText('rate_limit.per_second: must be at most 500').waitFor();
    await page.getByTestId('rate-per-second').fill('2');
    await page.getByTestId('rate-burst').fill('3');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('rate-limit').getByText('2 per second, bursts of up to 3').waitFor();
    expect((await pipeline.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.rate_limit).toEqual({
      per_second: 2,
      burst: 3,
    });
    // Both boxes empty: no limit.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByTestId('rate-per-second').fill('');
    await page.getByTestId('rate-burst').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('rate-limit').getByText('None: deliveries go as fast as they come').waitFor();
    expect((await pipeline.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription).not.toHaveProperty('rate_limit');
    await context.close();
    expect((await pipeline.call('DELETE', `/api/v0.1/webhooks/${id}`)).status).toBe(200);
  });

  it("'Retry all failed since ...' sends the dead letters again and shows the count; a disabled subscription shows why, and enabling offers what it missed", async () => {
    let status = 500;
    const flaky = await startReceiver((_r, _n, res) => void res.writeHead(status).end(status === 200 ? 'ok' : 'down'));
    try {
      const created = await pipeline.call('POST', '/api/v0.1/webhooks', { url: `${flaky.url}/recover`, events: ['card.created'] });
      const id: string = created.body.webhook_subscription.id;
      const published = await pipeline.call('POST', '/api/v0.1/events', {
        type: 'card.created',
        data: { card_id: 'c_r', customer_id: 'u' },
      });
      await eventually('the delivery to be dead-lettered', async () => {
        const list = await pipeline.call('GET', `/api/v0.1/webhooks/${id}/deliveries?status=dead_lettered`);
        return list.body.deliveries.some((d: { event_id: string }) => d.event_id === published.body.id) ? true : undefined;
      });
      status = 200;
      const { context, page } = await open((await pipeline.portalLink()).url);
      await page.getByRole('link', { name: created.body.webhook_subscription.url }).click();
      await page.getByRole('heading', { name: created.body.webhook_subscription.url }).waitFor();
      await page.getByRole('button', { name: /^Retry all failed since/ }).click();
      await page.getByTestId('recovery').getByText('Done: 1 deliveries queued again (1 found).').waitFor();
      await page.locator(`tbody.delivery[data-event-id="${published.body.id}"]`).getByText('succeeded', { exact: true }).waitFor();
      expect(flaky.requests.filter((r) => r.headers['webhook-id'] === published.body.id)).toHaveLength(4);

      // Disabled by hand: the page says so and since when; enabling offers to retry from then.
      await page.getByRole('button', { name: 'Disable', exact: true }).click();
      await page
        .getByTestId('disabled')
        .getByText(/disabled by hand/)
        .waitFor();
      expect(await page.getByRole('button', { name: /^Retry all failed since/ }).count()).toBe(0);
      const disabledTime: string = (await pipeline.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.disabled_time;
      await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c_missed', customer_id: 'u' } });
      await page.getByRole('button', { name: 'Enable', exact: true }).click();
      await page
        .getByRole('status')
        .getByText(/It missed what came since/)
        .waitFor();
      const since = await page.getByLabel('Retry failed since').inputValue();
      const d = new Date(disabledTime);
      expect(since).toBe(
        `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`,
      );
      await page.getByRole('button', { name: /^Retry all failed since/ }).click();
      await page
        .getByTestId('recovery')
        .getByText(/^Done: 1 deliveries queued again/)
        .waitFor();
      await context.close();
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await flaky.close();
    }
  });

  it('renders markup in URLs, descriptions and response excerpts as text and runs none of it', async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', {
      url: `${hostile.url}?q=${XSS_SCRIPT}${XSS_IMG}`,
      description: `${XSS_IMG} ${XSS_SCRIPT}`,
      events: ['card.created'],
    });
    expect(created.status).toBe(201);
    const sub = created.body.webhook_subscription;
    const example = loadCatalog().entries.find((e) => e.type === 'card.created')!.example;
    await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: example });
    await hostile.waitFor(1);

    const { context, page } = await open((await pipeline.portalLink()).url);
    await page.getByRole('link', { name: sub.url }).click();
    await page.getByRole('heading', { name: sub.url }).waitFor();
    await page.getByText(sub.description, { exact: true }).waitFor();
    const row = page.locator('tbody.delivery').first();
    await row.getByRole('button', { name: 'Show attempts' }).click();
    const excerpt = row.locator('pre.excerpt').first();
    await excerpt.waitFor();
    expect(await excerpt.textContent()).toBe(`${XSS_SCRIPT}${XSS_IMG}`);
    await shot(page, 'failed-delivery');

    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').evaluateAll((els) => els.map((e) => e.getAttribute('src')))).toEqual(['/portal/app.js']);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('shows the addresses webhooks come from when they are fixed (as local mode truthfully sends from 127.0.0.1), and nothing when not', async () => {
    // Unset (the default pipeline, as the stack without staticSourceIps): the API answers an empty list, the page shows none.
    const unset = await pipeline.call('GET', SOURCE_IPS_PATH);
    expect(unset).toMatchObject({ status: 200, body: { source_ips: [] } });
    const plain = await openAwaitingSourceIps((await pipeline.portalLink()).url);
    expect(await plain.answered).toEqual({ source_ips: [] });
    await plain.page.getByRole('heading', { name: 'Subscriptions', exact: true }).waitFor();
    expect(await plain.page.getByTestId('source-ips').count()).toBe(0);
    expect(await plain.page.getByText('Webhooks come from').count()).toBe(0);
    await plain.context.close();

    const fixed = await startTestPipeline({ sourceIps: ['127.0.0.1'] });
    try {
      expect(await fixed.call('GET', SOURCE_IPS_PATH)).toMatchObject({ status: 200, body: { source_ips: ['127.0.0.1'] } });
      // What the list says is where deliveries really come from.
      const created = await fixed.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
      expect(created.status).toBe(201);
      const before = receiver.requests.length;
      const example = loadCatalog().entries.find((e) => e.type === 'card.created')!.example;
      expect((await fixed.call('POST', '/api/v0.1/events', { type: 'card.created', data: example })).status).toBe(202);
      const got = await receiver.waitFor(before + 1);
      expect(got.at(-1)!.remoteAddress).toBe('127.0.0.1');

      const shown = await openAwaitingSourceIps((await fixed.portalLink()).url);
      expect(await shown.answered).toEqual({ source_ips: ['127.0.0.1'] });
      const note = shown.page.getByTestId('source-ips');
      await note.waitFor();
      expect(await note.textContent()).toContain('Webhooks come from these IP addresses: 127.0.0.1.');
      expect(await note.locator('code').allTextContents()).toEqual(['127.0.0.1']);
      await shot(shown.page, 'source-ips');
      await shown.context.close();
    } finally {
      await fixed.stop();
    }
    expect(pageErrors).toEqual([]);
  });

  /** Opens the page and resolves `answered` with the page's own GET of the source addresses. */
  async function openAwaitingSourceIps(url: string): Promise<{ context: BrowserContext; page: Page; answered: Promise<unknown> }> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(SOURCE_IPS_PATH)).then((r) => r.json());
    await page.goto(url);
    return { context, page, answered };
  }
});

describe('tenant portal, endpoint verification', { timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;
  let browser: Browser;
  const isVerification = (body: string) => (JSON.parse(body) as { type: string }).type === 'webhook.endpoint.verification';

  beforeAll(async () => {
    [pipeline, receiver, browser] = await Promise.all([
      startTestPipeline({ verification: 'challenge', verificationSchedule: [1] }),
      // Answers the verification without its challenge until the test fixes it.
      startReceiver((r, _n, res) => void res.writeHead(200).end(isVerification(r.body) ? 'wrong' : 'ok')),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([pipeline?.stop(), receiver?.close()]);
  });

  it('shows a failed verification with its last error, and "Verify again" verifies the fixed endpoint', async () => {
    const created = await pipeline.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    expect(created.status).toBe(201);
    const sub = created.body.webhook_subscription;
    await eventually('the verification to fail', async () => {
      const v = (await pipeline.call('GET', `/api/v0.1/webhooks/${sub.id}`)).body.webhook_subscription.verification;
      return v.status === 'failed' ? v : undefined;
    });

    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto((await pipeline.portalLink()).url);
    await page.getByRole('link', { name: sub.url }).click();
    await page.getByRole('heading', { name: sub.url }).waitFor();
    expect(await page.getByTestId('verification-status').textContent()).toMatch(/^Failed/);
    expect(await page.getByTestId('verification-error').textContent()).toContain('without the challenge');

    receiver.respond((r, _n, res) => {
      const event = JSON.parse(r.body) as { type: string; data: { challenge?: string } };
      res.writeHead(200).end(isVerification(r.body) ? event.data.challenge : 'ok');
    });
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByText('Verification request sent').waitFor();
    // The page reads the subscription again while it is pending, until the endpoint has answered.
    await page
      .getByTestId('verification-status')
      .filter({ hasText: /^Verified/ })
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('verification-error').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
