import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, buildSync } from 'esbuild';
import { RECEIVER_GUIDE_FILE } from '../functions/domain/portal.js';

/**
 * Bundles the tenant portal (portal/src) with the project's esbuild: `index.html`, `app.js`
 * (Preact and the views) and `app.css`, and serves the receiver guide beside them
 * (docs/receiving-webhooks.md, which the page links to from a subscription's secret). Local mode builds it in memory at start; the CDK
 * construct builds it at synth into the portal function's asset; `npm run bench` weighs it.
 */

export const PORTAL_SRC = fileURLToPath(new URL('./src/', import.meta.url));
export const RECEIVER_GUIDE = fileURLToPath(new URL('../docs/receiving-webhooks.md', import.meta.url));

export type PortalFiles = Record<string, string>;

const options: BuildOptions = {
  entryPoints: { app: join(PORTAL_SRC, 'main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  outdir: 'portal-out',
  write: false,
  logLevel: 'silent',
};

function collect(outputFiles: { path: string; text: string }[]): PortalFiles {
  const files: PortalFiles = {
    'index.html': readFileSync(join(PORTAL_SRC, 'index.html'), 'utf8'),
    [RECEIVER_GUIDE_FILE]: readFileSync(RECEIVER_GUIDE, 'utf8'),
  };
  for (const f of outputFiles) files[basename(f.path)] = f.text;
  return files;
}

export async function buildPortal(): Promise<PortalFiles> {
  return collect((await build(options)).outputFiles ?? []);
}

/** For CDK synth, which is synchronous. */
export function buildPortalSync(): PortalFiles {
  return collect(buildSync(options).outputFiles ?? []);
}

export function writePortal(files: PortalFiles, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

const WEBPACK_NONCE_UNSET = 'r.nc=void 0;';
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

export const API_DOCS_SRC = fileURLToPath(new URL('./api-docs/', import.meta.url));

/**
 * The API reference page (`GET /api/docs`): its HTML, the script that starts Redoc, and Redoc's
 * self-contained standalone bundle from the npm package (about 1.1 MB: served by the portal
 * function, never bundled into the api function). The page loads the document from the API.
 */
export function buildApiDocs(): PortalFiles {
  const bundle = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');
  const redoc = readFileSync(bundle, 'utf8');
  // Redoc's styles are <style> elements (styled-components, style-loader), which a CSP without
  // 'unsafe-inline' allows only with the page's nonce. Both read webpack's nonce, which the bundle
  // sets once at its start: it takes the nonce of its own <script> element instead, before any
  // style is inserted (Redoc's `nonce` option comes too late for the first ones).
  if (redoc.split(WEBPACK_NONCE_UNSET).length !== 2)
    throw new Error(`redoc.standalone.js no longer sets "${WEBPACK_NONCE_UNSET}" once: see portal/build.ts buildApiDocs`);
  return {
    'index.html': readFileSync(join(API_DOCS_SRC, 'index.html'), 'utf8'),
    'api-docs.js': readFileSync(join(API_DOCS_SRC, 'api-docs.js'), 'utf8'),
    // Shipped beside the bundle, as its first line asks (not served: the page needs only the two scripts).
    'redoc.standalone.js.LICENSE.txt': readFileSync(`${bundle}.LICENSE.txt`, 'utf8'),
    'redoc.standalone.js': redoc
      .replace(WEBPACK_NONCE_UNSET, 'r.nc=(document.currentScript&&document.currentScript.nonce)||void 0;')
      // Its one address elsewhere, the "API docs by Redocly" logo: an empty image, so the page asks
      // nothing of another origin (the CSP would refuse it anyway).
      .replaceAll(REDOC_CDN_LOGO, 'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E')
      // No source map is served beside it.
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
  };
}
