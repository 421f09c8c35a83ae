import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_CSP } from '../../functions/app/portal-assets.js';
import { TenantPortal } from '../../lib/constructs/tenant-portal.js';
import { ESM_REQUIRE_BANNER, PROJECT_ROOT, WebhookFunction } from '../../lib/constructs/webhook-function.js';
import { cdkJsonContext } from './support.js';

/**
 * The one test that really bundles (local esbuild, no Docker): the api function alone, through
 * the same factory the stack uses, so the other three bundle the same way.
 */

let outdir: string;
let assetDir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'webhooks-bundle-'));
  const app = new App({ outdir, context: cdkJsonContext() });
  const stack = new Stack(app, 'Bundle');
  const api = new WebhookFunction(stack, 'Api', { handler: 'api', description: 'bundling test', environment: {} });
  const assembly = app.synth();
  // The code asset is staged as asset.<hash> and uploaded as <hash>.zip.
  const code = stack.resolve((api.function.node.defaultChild as CfnFunction).code) as { s3Key: string };
  assetDir = join(assembly.directory, `asset.${code.s3Key.replace(/\.zip$/, '')}`);
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('api function bundle', () => {
  it('is an ESM index.mjs that defines require for CommonJS dependencies, with a source map', () => {
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);
  });

  it('carries the event catalog in events/', () => {
    const catalog = join(PROJECT_ROOT, 'events');
    expect(existsSync(join(assetDir, 'events', 'kyc.verification.success.json'))).toBe(true);
    expect(readdirSync(join(assetDir, 'events')).sort()).toEqual(readdirSync(catalog).sort());
    expect(readFileSync(join(assetDir, 'events', 'kyc.verification.success.json'), 'utf8')).toBe(
      readFileSync(join(catalog, 'kyc.verification.success.json'), 'utf8'),
    );
  });

  it('loads in Node as Lambda would load it and exports handler', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--no-warnings',
        '--input-type=module',
        '-e',
        "const m = await import(process.cwd() + '/index.mjs'); console.log(typeof m.handler);",
      ],
      {
        cwd: assetDir,
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          LAMBDA_TASK_ROOT: assetDir,
          AWS_REGION: 'us-east-1',
          TABLE_NAME: 'table',
          WEBHOOKS_BODY_BUCKET: 'bodies',
          EVENT_BUS_NAME: 'bus',
          DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery',
          SECRET_NAME_PREFIX: 'webhooks/Test/',
          WEBHOOKS_MODE: 'aws',
        },
      },
    );
    expect(out.trim()).toBe('function');
  });
});

describe('portal function bundle', () => {
  let portalOut: string;
  let portalAsset: string;
  beforeAll(() => {
    portalOut = mkdtempSync(join(tmpdir(), 'webhooks-portal-bundle-'));
    const app = new App({ outdir: portalOut, context: cdkJsonContext() });
    const stack = new Stack(app, 'PortalBundle');
    const api = new RestApi(stack, 'Api');
    const portal = new TenantPortal(stack, 'Portal', { api });
    const assembly = app.synth();
    const code = stack.resolve((portal.portalFunction.function.node.defaultChild as CfnFunction).code) as { s3Key: string };
    portalAsset = join(assembly.directory, `asset.${code.s3Key.replace(/\.zip$/, '')}`);
  }, 120_000);
  afterAll(() => {
    if (portalOut) rmSync(portalOut, { recursive: true, force: true });
  });

  it('serves the built page from beside index.mjs, with its CSP', () => {
    expect(readdirSync(join(portalAsset, 'portal')).sort()).toEqual(['app.css', 'app.js', 'index.html', 'receiving-webhooks.md']);
    const out = execFileSync(
      process.execPath,
      [
        '--no-warnings',
        '--input-type=module',
        '-e',
        "const m = await import(process.cwd() + '/index.mjs'); const r = await m.handler({ httpMethod: 'GET', path: '/portal/app.js' }); console.log(JSON.stringify({ s: r.statusCode, h: r.headers, n: r.body.length }));",
      ],
      { cwd: portalAsset, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: portalAsset } },
    );
    const answer = JSON.parse(out.trim());
    expect(answer.s).toBe(200);
    expect(answer.h['content-security-policy']).toBe(PORTAL_CSP);
    expect(answer.h['content-type']).toBe('text/javascript; charset=utf-8');
    expect(answer.n).toBe(readFileSync(join(portalAsset, 'portal', 'app.js'), 'utf8').length);
  });

  it('serves the API reference page and Redoc from beside index.mjs, not from the api function', () => {
    expect(readdirSync(join(portalAsset, 'api-docs')).sort()).toEqual([
      'api-docs.js',
      'index.html',
      'redoc.standalone.js',
      'redoc.standalone.js.LICENSE.txt',
    ]);
    const out = execFileSync(
      process.execPath,
      [
        '--no-warnings',
        '--input-type=module',
        '-e',
        "const m = await import(process.cwd() + '/index.mjs'); const a = []; for (const path of ['/api/docs', '/api/docs/redoc.standalone.js']) { const r = await m.handler({ httpMethod: 'GET', path, requestContext: { path: '/prod' + path } }); a.push({ s: r.statusCode, h: r.headers, n: r.body.length, b: r.body.slice(0, 2000) }); } console.log(JSON.stringify(a));",
      ],
      { cwd: portalAsset, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: portalAsset } },
    );
    const [page, redoc] = JSON.parse(out.trim());
    expect(page.s).toBe(200);
    expect(page.h['content-type']).toBe('text/html; charset=utf-8');
    expect(page.h['content-security-policy']).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self' 'nonce-/);
    // The stage's prefix, as on AWS: the page names its files and the document under it.
    expect(page.b).toContain('src="/prod/api/docs/redoc.standalone.js"');
    expect(page.b).toContain('content="/prod/api/openapi.json"');
    expect(redoc.s).toBe(200);
    expect(redoc.n).toBe(readFileSync(join(portalAsset, 'api-docs', 'redoc.standalone.js'), 'utf8').length);
    expect(redoc.n).toBeGreaterThan(500_000);
  });

  it('says where the receiver guide is: the one beside the page, or WEBHOOKS_RECEIVER_GUIDE_URL', () => {
    const page = (env: Record<string, string>) =>
      execFileSync(
        process.execPath,
        [
          '--no-warnings',
          '--input-type=module',
          '-e',
          "const m = await import(process.cwd() + '/index.mjs'); for (const path of ['/portal/', '/portal/receiving-webhooks.md']) { const r = await m.handler({ httpMethod: 'GET', path }); console.log(JSON.stringify({ s: r.statusCode, t: r.headers['content-type'], b: r.body })); }",
        ],
        { cwd: portalAsset, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: portalAsset, ...env } },
      )
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { s: number; t: string; b: string });
    const [index, guide] = page({});
    expect(index!.b).toContain('<meta name="receiver-guide" content="/portal/receiving-webhooks.md" />');
    expect(guide).toMatchObject({ s: 200, t: 'text/plain; charset=utf-8' });
    expect(guide!.b).toBe(readFileSync(new URL('../../docs/receiving-webhooks.md', import.meta.url), 'utf8'));
    const [configured] = page({ WEBHOOKS_RECEIVER_GUIDE_URL: 'https://docs.acme.example/receiving' });
    expect(configured!.b).toContain('<meta name="receiver-guide" content="https://docs.acme.example/receiving" />');
  });
});
