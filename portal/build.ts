import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
