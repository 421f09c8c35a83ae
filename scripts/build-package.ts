/**
 * `npm run build` (and `prepack`): what the packed package holds, in dist/.
 *
 *   dist/lib/**            the CDK constructs, compiled to JavaScript with declarations (tsc)
 *   dist/client/           the typed tenant client (`serverless-webhooks/client`), likewise
 *   dist/functions/domain  the few AWS-free modules the constructs derive settings from
 *   dist/handlers/<name>/  each Lambda pre-bundled (index.mjs, its source map, events/), which
 *                          WebhookFunction uses as it is: an app needs neither TypeScript,
 *                          esbuild nor our sources.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/constructs/webhook-function.js';
import { buildApiDocs, buildPortal, writePortal } from '../portal/build.js';
import { bundleHandler, HANDLERS } from './lib/handler-bundles.js';

const dist = join(PROJECT_ROOT, 'dist');
rmSync(dist, { recursive: true, force: true });

execFileSync(
  process.execPath,
  [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
  },
);
for (const handler of HANDLERS) await bundleHandler(handler, join(dist, 'handlers', handler));
// The portal function serves the page from beside its index.mjs, as TenantPortal bundles it.
writePortal(await buildPortal(), join(dist, 'handlers', 'portal', 'portal'));
writePortal(buildApiDocs(), join(dist, 'handlers', 'portal', 'api-docs'));
console.log(`built ${dist}: lib and client (JavaScript and declarations) and the ${HANDLERS.join(', ')} handlers`);
