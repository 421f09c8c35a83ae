import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PUBLIC_PATHS } from '../functions/app/api.js';
import { INBOUND_SECRET_PREFIX_ENV } from '../functions/domain/inbound/source.js';
import { SHARED_THROTTLE_KEY_ENV } from '../functions/domain/throttle.js';
import { BODY_BUCKET_ENV } from '../functions/runtime/config.js';
import { PROJECT_ROOT } from '../lib/constructs/webhook-function.js';
import { LOCAL_BODY_BUCKET } from '../local/body-bucket.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.js';
import {
  ACCOUNT_THROTTLE_ONLY,
  LOCAL_INBOUND_SECRET_PREFIX,
  LOCAL_SECRET_PREFIX,
  LOCAL_SHARED_THROTTLE_KEY,
  LOCAL_TABLE,
  type LocalPipeline,
  startLocalPipeline,
} from '../local/pipeline.js';
import { bundleHandler } from '../scripts/lib/handler-bundles.js';
import { median } from './support.js';

/**
 * Issue 21, item 3: a tenant's first request end to end, through local mode's API Gateway
 * stand-in in a fresh process whose authorizer and api are the Lambda bundles, imported on their
 * first invocation as a cold start does (bench/cold-gateway.mjs), against the same request warm.
 * The request is a list of the tenant's subscriptions (the authorizer's tenant read, the api's
 * query and its signing secrets), against the DynamoDB, SQS and Secrets Manager stand-ins of a
 * local pipeline run beside it; every other AWS endpoint points at a closed loopback port.
 */

export interface ColdPathFigure {
  runs: number;
  coldMs: number;
  warmMs: number;
  ratio: number;
  coldRunsMs: number[];
  warmRunsMs: number[];
  /** Inside the fresh process: each bundle's import, wall and CPU (medians). */
  imports: Record<'authorizer' | 'api', { ms: number; cpuMs: number }>;
}

interface Child {
  port: number;
  loaded: Map<string, { ms: number; cpuMs: number }>;
  stop(): Promise<void>;
}

async function startChild(script: string, config: object, env: NodeJS.ProcessEnv): Promise<Child> {
  const child: ChildProcess = fork(script, [JSON.stringify(config)], {
    execPath: process.execPath,
    execArgv: [],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const loaded = new Map<string, { ms: number; cpuMs: number }>();
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { port?: number; loaded?: string; ms: number; cpuMs: number }) => {
      if (m.port) resolve(m.port);
      if (m.loaded) loaded.set(m.loaded, { ms: m.ms, cpuMs: m.cpuMs });
    });
    child.once('exit', (code) => reject(new Error(`the cold gateway exited with ${code} before listening`)));
  });
  return {
    port,
    loaded,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function measureColdPath(options: {
  runs: number;
  warmRequests: number;
  log: (line: string) => void;
}): Promise<ColdPathFigure> {
  const root = mkdtempSync(join(tmpdir(), 'webhooks-cold-path-'));
  const dataDir = join(root, 'data');
  let p: LocalPipeline | undefined;
  try {
    p = await startLocalPipeline({ port: 0, dataDir, ...ACCOUNT_THROTTLE_ONLY, resumeIntervalMs: 3_600_000, log: () => undefined });
    const headers = { Identity: p.credentials.identity, Authorization: p.credentials.authorization, 'content-type': 'application/json' };
    const created = await fetch(`${p.url}/api/v0.1/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: 'https://example.com/hook', events: ['card.created'] }),
    });
    if (created.status !== 201) throw new Error(`could not create a subscription: ${created.status} ${await created.text()}`);

    // The gateway stand-in is bundled too, so the fresh process loads no TypeScript tooling.
    const gateway = join(root, 'gateway.mjs');
    await build({
      entryPoints: [join(PROJECT_ROOT, 'local', 'http-gateway.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: gateway,
      logLevel: 'warning',
    });
    const dirs = { authorizer: join(root, 'authorizer'), api: join(root, 'api') };
    await bundleHandler('authorizer', dirs.authorizer);
    await bundleHandler('api', dirs.api);

    const e = p.endpoints;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      // Anything not named here goes to a closed loopback port, never out.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: e.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SQS: e.sqsEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: e.inbound!.secretsManagerEndpoint,
      TABLE_NAME: LOCAL_TABLE,
      EVENT_BUS_NAME: 'webhooks',
      DELIVERY_QUEUE_URL: e.deliveryQueueUrl,
      INGEST_QUEUE_URL: e.ingestQueueUrl,
      SECRET_NAME_PREFIX: LOCAL_SECRET_PREFIX,
      [BODY_BUCKET_ENV]: LOCAL_BODY_BUCKET,
      [SHARED_THROTTLE_KEY_ENV]: LOCAL_SHARED_THROTTLE_KEY,
      [INBOUND_SECRET_PREFIX_ENV]: LOCAL_INBOUND_SECRET_PREFIX,
      POWERTOOLS_SERVICE_NAME: 'webhooks',
      POWERTOOLS_METRICS_NAMESPACE: 'Webhooks',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      LAMBDA_TASK_ROOT: dirs.api,
    };
    const script = fileURLToPath(new URL('./cold-gateway.mjs', import.meta.url));
    const config = { gateway, authorizer: dirs.authorizer, api: dirs.api, publicPaths: PUBLIC_PATHS };
    const request = async (port: number): Promise<number> => {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/api/v0.1/webhooks`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`the cold gateway answered ${res.status}: ${text.slice(0, 300)}`);
      return performance.now() - t;
    };
    // The parent's own client warm first, so the first figure is the fresh process's alone.
    await fetch(`${p.url}/api/v0.1/webhooks`, { headers }).then((r) => r.arrayBuffer());

    const coldRunsMs: number[] = [];
    const warmRunsMs: number[] = [];
    const imports = { authorizer: [] as { ms: number; cpuMs: number }[], api: [] as { ms: number; cpuMs: number }[] };
    for (let r = 0; r < options.runs; r++) {
      const child = await startChild(script, config, env);
      try {
        coldRunsMs.push(await request(child.port));
        const warm: number[] = [];
        for (let i = 0; i < options.warmRequests; i++) warm.push(await request(child.port));
        warmRunsMs.push(median(warm));
        imports.authorizer.push(child.loaded.get('authorizer')!);
        imports.api.push(child.loaded.get('api')!);
      } finally {
        await child.stop();
      }
      options.log(`  run ${r + 1}: first request ${coldRunsMs.at(-1)!.toFixed(0)} ms, warm ${warmRunsMs.at(-1)!.toFixed(1)} ms`);
    }
    const coldMs = median(coldRunsMs);
    const warmMs = median(warmRunsMs);
    const summary = (xs: { ms: number; cpuMs: number }[]) => ({ ms: median(xs.map((x) => x.ms)), cpuMs: median(xs.map((x) => x.cpuMs)) });
    return {
      runs: options.runs,
      coldMs,
      warmMs,
      ratio: coldMs / warmMs,
      coldRunsMs,
      warmRunsMs,
      imports: { authorizer: summary(imports.authorizer), api: summary(imports.api) },
    };
  } finally {
    await p?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
