import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { HANDLER_BUILD_OPTIONS } from '../../scripts/lib/handler-bundles.js';

/**
 * A tenant's first request pays the api's module init, and V8 compiling the bundle is most of
 * it (bench/README.md, section 4): the api must not carry what it never runs. zod's 48 locales
 * (about 250 KiB) come along whenever a module takes zod's `z` as a named import, which makes
 * the whole namespace live; `import * as z from 'zod'` lets esbuild keep only what is used.
 * An event's data is checked by @cfworker/json-schema (23 KiB of the bundle, an interpreter), not
 * ajv (147 KiB with ajv-formats and its dependencies, a code generator).
 */

let kept: Record<string, number>;

beforeAll(async () => {
  const result = await build({
    ...HANDLER_BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [join('functions', 'handlers', 'api.ts')],
    outfile: 'index.mjs',
    write: false,
    metafile: true,
  });
  const outputs = Object.values((result.metafile as Metafile).outputs).filter((o) => o.entryPoint);
  expect(outputs).toHaveLength(1);
  kept = Object.fromEntries(Object.entries(outputs[0]!.inputs).map(([path, input]) => [path, input.bytesInOutput]));
}, 60_000);

describe('api function bundle', () => {
  it("keeps zod's schemas and none of its locales but English", () => {
    expect(Object.keys(kept).some((f) => f.includes('node_modules/zod/v4/core/schemas.js'))).toBe(true);
    const locales = Object.entries(kept).filter(
      ([f, bytes]) => /node_modules\/zod\/v4\/locales\/(?!en\.js|index\.js)/.test(f) && bytes > 0,
    );
    expect(locales.map(([f]) => f)).toEqual([]);
  });

  it("carries none of the API reference page: Redoc is the portal function's", () => {
    expect(Object.keys(kept).filter((f) => f.includes('node_modules/redoc') || f.includes('api-docs'))).toEqual([]);
  });

  it('checks event data with @cfworker/json-schema and carries no ajv', () => {
    expect(Object.keys(kept).some((f) => f.includes('node_modules/@cfworker/json-schema/'))).toBe(true);
    expect(Object.keys(kept).filter((f) => /node_modules\/(ajv|ajv-formats|fast-uri|json-schema-traverse)\//.test(f))).toEqual([]);
  });
});
