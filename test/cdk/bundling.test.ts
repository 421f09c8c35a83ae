import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
