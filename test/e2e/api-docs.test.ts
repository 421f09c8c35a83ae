import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DOCS_PATH, apiDocsCsp } from '../../functions/app/api-docs-assets.js';
import { PORTAL_CSP } from '../../functions/app/portal-assets.js';
import { launchChromium } from '../../portal/chromium.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/**
 * The API reference page (GET /api/docs) in headless Chromium against local mode: Redoc renders
 * the API's own document, with the portal's CSP, and the page asks nothing of any other origin.
 */

// A real browser on a shared 2-core machine: generous per-test time, no timing assertions.
describe('the API reference page in a browser', { timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let browser: Browser;

  beforeAll(async () => {
    [pipeline, browser] = await Promise.all([startTestPipeline(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('is served without credentials, with the portal CSP and no inline script, at /api/docs and /api/docs/', async () => {
    const res = await fetch(`${pipeline.url}${API_DOCS_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The portal's CSP, but for styles with this answer's nonce (Redoc's are <style> elements).
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toBe(apiDocsCsp(nonce!));
    expect(csp.replace(` 'nonce-${nonce}'`, '')).toBe(PORTAL_CSP);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).toContain(`<script defer nonce="${nonce}" src="${API_DOCS_PATH}/redoc.standalone.js"></script>`);
    expect(html).toContain('content="/api/openapi.json"');
    // Without the trailing slash too; each answer with a nonce of its own.
    const again = await fetch(`${pipeline.url}${API_DOCS_PATH}/`);
    const otherNonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(again.headers.get('content-security-policy')!)?.[1];
    expect(otherNonce).not.toBe(nonce);
    expect((await again.text()).replaceAll(otherNonce!, nonce!)).toBe(html);

    const redoc = await fetch(`${pipeline.url}${API_DOCS_PATH}/redoc.standalone.js`);
    expect(redoc.status).toBe(200);
    expect(redoc.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await redoc.text();
    expect(script.length).toBeGreaterThan(500_000);
    // Nothing in it points at a CDN: the bundle's one such address (a logo) is replaced at build.
    expect(script).not.toContain('cdn.redoc.ly');
    expect(script).not.toMatch(/\/\/# sourceMappingURL=\S+\s*$/);

    expect((await fetch(`${pipeline.url}${API_DOCS_PATH}/nope.js`)).status).toBe(404);
    expect((await fetch(`${pipeline.url}${API_DOCS_PATH}`, { method: 'POST' })).status).toBe(405);
  });

  it('renders the reference from our own origin alone, with no CSP violation and no script error', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const origin = new URL(pipeline.url).origin;
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    try {
      await page.goto(`${pipeline.url}${API_DOCS_PATH}`);
      // An operation's title, the info title, and a schema of the catalog: Redoc rendered the document.
      await page.getByRole('heading', { name: 'Serverless Webhooks API' }).first().waitFor({ timeout: 60_000 });
      await page.getByRole('heading', { name: 'Create a subscription' }).first().waitFor({ timeout: 60_000 });
      expect(await page.locator('[data-section-id^="operation/"]').count()).toBeGreaterThan(20);

      expect(requested.length).toBeGreaterThan(0);
      const elsewhere = requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
      expect(elsewhere).toEqual([]);
      expect(requested).toContain(`${origin}/api/openapi.json`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
