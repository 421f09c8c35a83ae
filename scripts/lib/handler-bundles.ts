import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import {
  ESM_REQUIRE_BANNER,
  HANDLER_NAMES,
  type HandlerName,
  PROJECT_ROOT,
  WEBHOOK_ESBUILD_TARGET,
  WEBHOOK_MAIN_FIELDS,
} from '../../lib/constructs/webhook-function.js';

/** The handlers under functions/handlers/, one Lambda each. */
export const HANDLERS: readonly HandlerName[] = HANDLER_NAMES;

/**
 * What NodejsFunction passes esbuild for the construct's bundling props
 * (lib/constructs/webhook-function.ts): format ESM, target node24, platform node, mainFields
 * module,main, the require banner, minify, a source map without sources content, and no
 * externals (bundleAwsSDK: true). The package build and the bench bundle with exactly these, so
 * the pre-bundled handlers are the ones `cdk synth` builds from source.
 */
export const HANDLER_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: WEBHOOK_ESBUILD_TARGET,
  format: 'esm',
  mainFields: [...WEBHOOK_MAIN_FIELDS],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: 'warning',
};

/**
 * Bundles functions/handlers/<handler>.ts (or `entry`) into `outDir`/index.mjs, with the event
 * catalog in `outDir`/events; answers esbuild's metafile (what each source put in the bundle).
 */
export async function bundleHandler(
  handler: HandlerName,
  outDir: string,
  options: { stdin?: BuildOptions['stdin']; plugins?: BuildOptions['plugins'] } = {},
): Promise<Metafile> {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    ...HANDLER_BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    ...(options.stdin ? { stdin: options.stdin } : { entryPoints: [join('functions', 'handlers', `${handler}.ts`)] }),
    outfile: join(outDir, 'index.mjs'),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    metafile: true,
  });
  cpSync(join(PROJECT_ROOT, 'events'), join(outDir, 'events'), { recursive: true });
  return result.metafile;
}
