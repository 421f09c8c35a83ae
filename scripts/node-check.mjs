// Loaded first by `npm start` and the CLIs (`node --import ./scripts/node-check.mjs ...`), and run
// alone before `npm test` (pretest), in plain
// JavaScript so that it runs on any Node: on one older than package.json's "engines", local mode
// would die on its first import (node:sqlite) with ERR_UNKNOWN_BUILTIN_MODULE and no hint why.
import { readFileSync } from 'node:fs';

/** The message to refuse with, or undefined when `version` meets `engines` (">=N" or ">=N.M"). */
export function nodeRefusal(version, engines) {
  const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines ?? '');
  if (!wanted) return undefined;
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  const needMajor = Number(wanted[1]);
  const needMinor = Number(wanted[2] ?? 0);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  const need = wanted[2] ? `${needMajor}.${needMinor}` : String(needMajor);
  return `This needs Node.js ${need} or newer; this is Node.js ${version.replace(/^v/, '')}. Install Node.js ${need}+ (README, Requirements) and run it again.`;
}

// npm passes package.json's engines to the scripts it runs; run directly, read the file.
const engines =
  process.env.npm_package_engines_node ?? JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines?.node;
const refusal = nodeRefusal(process.versions.node, engines);
if (refusal) {
  console.error(refusal);
  process.exit(1);
}
