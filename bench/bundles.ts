import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile, Plugin } from 'esbuild';
import { INBOUND_SECRET_PREFIX_ENV } from '../functions/domain/inbound/source.js';
import { SHARED_THROTTLE_KEY_ENV } from '../functions/domain/throttle.js';
import { BODY_BUCKET_ENV } from '../functions/runtime/config.js';
import { type HandlerName, PROJECT_ROOT } from '../lib/constructs/webhook-function.js';
import { buildApiDocs, buildPortal, writePortal } from '../portal/build.js';
import { bundleHandler, HANDLER_BUILD_OPTIONS, HANDLERS } from '../scripts/lib/handler-bundles.js';
import { floorSource, handlerSdkImports } from './sdk-floor.js';
import { median } from './support.js';

/**
 * Figure 4: each Lambda's bundle, built with the options the CDK construct gives
 * NodejsFunction (lib/constructs/webhook-function.ts), and its cold module init time in a
 * fresh `node` process, against an empty module imported the same way and against the
 * function's floor (bench/sdk-floor.ts: its AWS SDK clients and commands alone); plus the
 * Powertools Tracer's, Logger's and Metrics' costs (VARIANTS).
 */

export { HANDLERS };

export interface BundleFigure {
  handler: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  initMs: number;
  initRunsMs: number[];
  /** CPU (user + system) spent in the import: steadier than wall time on a shared machine. */
  initCpuMs: number;
  initCpuRunsMs: number[];
}

export interface FloorFigure {
  handler: HandlerName;
  /** The floor's SDK imports, `package: names`. */
  imports: string[];
  bytes: number;
  initMs: number;
  initCpuMs: number;
  initCpuRunsMs: number[];
}

export interface BundlesResult {
  bundles: BundleFigure[];
  floors: FloorFigure[];
  emptyInitMs: number;
  emptyInitRunsMs: number[];
  emptyInitCpuMs: number;
  spawns: number;
  esbuild: Record<string, unknown>;
}

/** Fake but well-formed: init must not reach AWS, and must not see a developer's real credentials. */
function lambdaEnv(taskRoot: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'bench',
    TABLE_NAME: 'webhooks',
    EVENT_BUS_NAME: 'webhooks',
    DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhooks-delivery',
    INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhooks-ingest',
    SECRET_NAME_PREFIX: 'webhooks/Bench/',
    [BODY_BUCKET_ENV]: 'webhooks-bodies-bench',
    [SHARED_THROTTLE_KEY_ENV]: 'bench-shared-throttle-key',
    [INBOUND_SECRET_PREFIX_ENV]: 'webhooks-inbound/Bench/',
    POWERTOOLS_SERVICE_NAME: 'webhooks',
    POWERTOOLS_METRICS_NAMESPACE: 'Webhooks',
  };
}

/** Milliseconds from just before the dynamic import to just after it, in a fresh node: wall and CPU time. */
function initMs(dir: string): { wall: number; cpu: number } {
  const file = join(dir, 'index.mjs');
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(file)}); const w = performance.now() - t; const u = process.cpuUsage(c); console.log(w, (u.user + u.system) / 1000); process.exit(0);`;
  const out = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: dir,
    env: lambdaEnv(dir),
    encoding: 'utf8',
    timeout: 30_000,
  });
  const [wall, cpu] = (out.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(wall) || !Number.isFinite(cpu)) throw new Error(`could not read an init time from ${JSON.stringify(out)}`);
  return { wall: wall!, cpu: cpu! };
}

/**
 * The Tracer's cost, measured beside the shipped bundles: the api and fan-out (which ship with
 * it) built without it, its module stubbed out; the sender (which ships without it) with its
 * middleware; and the Tracer with its middleware alone.
 */
const TRACER_IMPORTS =
  "import { Tracer } from '@aws-lambda-powertools/tracer'; import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';";
const withoutTracer: Plugin = {
  name: 'without-tracer',
  setup(b) {
    b.onResolve({ filter: /runtime\/tracing\.js$/ }, () => ({ path: 'tracing', namespace: 'without-tracer' }));
    b.onLoad({ filter: /.*/, namespace: 'without-tracer' }, () => ({
      contents: 'export const traceHandler = () => ({ before: () => undefined });',
      loader: 'js',
    }));
  },
};
export const VARIANTS: Record<string, { handler: HandlerName; stdin?: string; plugins?: Plugin[] }> = {
  'api, no tracer': { handler: 'api', plugins: [withoutTracer] },
  'fanout, no tracer': { handler: 'fanout', plugins: [withoutTracer] },
  'sender + tracer': {
    handler: 'sender',
    stdin: `${TRACER_IMPORTS} import { handler as sender } from './functions/handlers/sender.ts'; export const handler = sender.use(captureLambdaHandler(new Tracer(), { captureResponse: false }));`,
  },
  'tracer alone': {
    handler: 'sender',
    stdin: `${TRACER_IMPORTS} export const tracer = new Tracer(); export const middleware = captureLambdaHandler(tracer);`,
  },
  // Observability stays (issue 21); what each costs at init, constructed as functions/runtime/observability.ts does.
  'logger alone': {
    handler: 'sender',
    stdin: "import { Logger } from '@aws-lambda-powertools/logger'; export const logger = new Logger({ serviceName: 'webhooks' });",
  },
  'metrics alone': {
    handler: 'sender',
    stdin:
      "import { Metrics } from '@aws-lambda-powertools/metrics'; export const metrics = new Metrics({ namespace: 'Webhooks', serviceName: 'webhooks' });",
  },
};

const floorName = (h: HandlerName) => `${h} floor`;

export async function measureBundles(options: { spawns: number; log: (line: string) => void }): Promise<BundlesResult> {
  const root = mkdtempSync(join(tmpdir(), 'webhooks-bundles-'));
  try {
    const dirs: Record<string, string> = {};
    const metafiles = new Map<HandlerName, Metafile>();
    // The options the CDK construct gives NodejsFunction, and the package build uses (scripts/lib/handler-bundles.ts).
    for (const h of HANDLERS) {
      dirs[h] = join(root, h);
      metafiles.set(h, await bundleHandler(h, dirs[h]!));
    }
    // The portal function serves the page and the API reference from beside its index.mjs, as the package ships them.
    writePortal(await buildPortal(), join(dirs.portal!, 'portal'));
    writePortal(buildApiDocs(), join(dirs.portal!, 'api-docs'));
    for (const [name, v] of Object.entries(VARIANTS)) {
      dirs[name] = join(root, name.replace(/\W+/g, '_'));
      await bundleHandler(v.handler, dirs[name]!, {
        ...(v.stdin ? { stdin: { contents: v.stdin, resolveDir: PROJECT_ROOT, loader: 'ts' } } : {}),
        ...(v.plugins ? { plugins: v.plugins } : {}),
      });
    }
    const floorImports = new Map<HandlerName, string[]>();
    for (const h of HANDLERS) {
      const imports = handlerSdkImports(metafiles.get(h)!);
      floorImports.set(
        h,
        [...imports].map(([pkg, names]) => `${pkg}: ${[...names].sort().join(', ')}`),
      );
      dirs[floorName(h)] = join(root, `${h}_floor`);
      await bundleHandler(h, dirs[floorName(h)]!, { stdin: { contents: floorSource(imports), resolveDir: PROJECT_ROOT, loader: 'ts' } });
    }
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'index.mjs'), '');

    // Round-robin, so a noisy moment hits every subject alike; one unmeasured spawn each first.
    const subjects = [...HANDLERS, ...HANDLERS.map(floorName), ...Object.keys(VARIANTS), 'empty'];
    const dirOf = (s: string) => (s === 'empty' ? empty : dirs[s]!);
    for (const s of subjects) initMs(dirOf(s));
    const runs: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s, [] as number[]]));
    const cpuRuns: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s, [] as number[]]));
    for (let i = 0; i < options.spawns; i++)
      for (const s of subjects) {
        const t = initMs(dirOf(s));
        runs[s]!.push(t.wall);
        cpuRuns[s]!.push(t.cpu);
      }

    const bundles: BundleFigure[] = [...HANDLERS, ...Object.keys(VARIANTS)].map((h) => {
      const code = readFileSync(join(dirs[h]!, 'index.mjs'));
      return {
        handler: h,
        bytes: code.length,
        gzipBytes: gzipSync(code, { level: 9 }).length,
        mapBytes: statSync(join(dirs[h]!, 'index.mjs.map')).size,
        initMs: median(runs[h]!),
        initRunsMs: runs[h]!,
        initCpuMs: median(cpuRuns[h]!),
        initCpuRunsMs: cpuRuns[h]!,
      };
    });
    const floors: FloorFigure[] = HANDLERS.map((h) => ({
      handler: h,
      imports: floorImports.get(h)!,
      bytes: statSync(join(dirs[floorName(h)]!, 'index.mjs')).size,
      initMs: median(runs[floorName(h)]!),
      initCpuMs: median(cpuRuns[floorName(h)]!),
      initCpuRunsMs: cpuRuns[floorName(h)]!,
    }));
    const emptyInitMs = median(runs.empty!);
    for (const b of bundles) {
      options.log(
        `  ${b.handler.padEnd(10)} ${(b.bytes / 1024).toFixed(0).padStart(5)} KiB (gzip ${(b.gzipBytes / 1024).toFixed(0)} KiB)  init ${b.initMs.toFixed(1)} ms  [${b.initRunsMs.map((x) => x.toFixed(0)).join(' ')}]  cpu ${b.initCpuMs.toFixed(1)} ms`,
      );
    }
    const emptyInitCpuMs = median(cpuRuns.empty!);
    options.log(`  empty .mjs  init ${emptyInitMs.toFixed(2)} ms  cpu ${emptyInitCpuMs.toFixed(2)} ms`);
    for (const f of floors) {
      const b = bundles.find((x) => x.handler === f.handler)!;
      options.log(
        `  ${f.handler.padEnd(10)} floor ${(f.bytes / 1024).toFixed(0).padStart(5)} KiB  cpu ${f.initCpuMs.toFixed(1)} ms  -> init cpu ${(b.initCpuMs / f.initCpuMs).toFixed(2)}x, bundle ${(b.bytes / f.bytes).toFixed(2)}x`,
      );
    }
    return {
      bundles,
      floors,
      emptyInitMs,
      emptyInitCpuMs,
      emptyInitRunsMs: runs.empty!,
      spawns: options.spawns,
      esbuild: { ...HANDLER_BUILD_OPTIONS, banner: '(ESM_REQUIRE_BANNER)' },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
