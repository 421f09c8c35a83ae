import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { HANDLER_BUILD_OPTIONS } from '../../scripts/lib/handler-bundles.js';

/**
 * The authorizer runs before every uncached API request, so its bundle (built with the options
 * the stack uses) must stay free of the route table: no zod, no route handlers, no OpenAPI.
 */

let inputs: string[];

beforeAll(async () => {
  const result = await build({
    ...HANDLER_BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [join('functions', 'handlers', 'authorizer.ts')],
    outfile: 'index.mjs',
    write: false,
    metafile: true,
  });
  const outputs = Object.values((result.metafile as Metafile).outputs).filter((o) => o.entryPoint);
  expect(outputs).toHaveLength(1);
  inputs = Object.keys(outputs[0]!.inputs);
}, 60_000);

describe('authorizer function bundle', () => {
  it('holds its own code and the portal route keys', () => {
    expect(inputs).toContain('functions/app/authorizer.ts');
    expect(inputs).toContain('functions/app/portal-route-keys.ts');
  });

  it('holds no zod, no route table and no route handler', () => {
    const heavy = inputs.filter(
      (f) =>
        /node_modules\/(zod|@asteasolutions\/zod-to-openapi)\//.test(f) ||
        /^functions\/app\/(api|http|openapi|route-table|[\w-]+-routes)\.ts$/.test(f) ||
        /^functions\/domain\/(requests|response-schemas|portal-schemas)\.ts$/.test(f),
    );
    expect(heavy).toEqual([]);
  });
});
