import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm start` and the CLIs load scripts/node-check.mjs first: on a Node older than package.json's
 * engines they say so in one line and exit 1, before local mode's first import (node:sqlite)
 * fails with ERR_UNKNOWN_BUILTIN_MODULE. An older Node is stood in for by a higher requirement,
 * as npm passes the engines field to the scripts it runs (npm_package_engines_node).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
const CHECK = './scripts/node-check.mjs';

function run(args: string[], engines?: string) {
  const env = { ...process.env };
  delete env.npm_package_engines_node;
  if (engines) env.npm_package_engines_node = engines;
  return spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
}

describe('the Node version check', () => {
  it('lets this Node through, reading the requirement from package.json when npm does not pass it', () => {
    const out = run(['--import', CHECK, '-e', "console.log('ran')"]);
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe('ran');
    expect(pkg.engines.node).toMatch(/^>=\d+/);
  });

  it('refuses an older Node in one line, exit 1, before anything else runs', () => {
    const out = run(['--import', CHECK, '-e', "console.log('ran')"], '>=99');
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trim().split('\n');
    expect(lines).toEqual([
      `This needs Node.js 99 or newer; this is Node.js ${process.versions.node}. Install Node.js 99+ (README, Requirements) and run it again.`,
    ]);
  });

  it('runs before npm test, as a script of its own (vitest would otherwise fail in ways that name no version)', () => {
    expect(pkg.scripts.pretest).toBe('node scripts/node-check.mjs');
    const out = run(['scripts/node-check.mjs'], '>=99');
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(run(['scripts/node-check.mjs']).status).toBe(0);
  });

  it('is loaded first by npm start and every CLI', () => {
    for (const name of ['start', 'tenant', 'inbound', 'redrive', 'preflight', 'openapi', 'bench']) {
      expect(pkg.scripts[name], name).toMatch(/\bnode --import \.\/scripts\/node-check\.mjs --import tsx /);
    }
  });

  it("refuses npm start's own command line on an older Node without starting local mode", () => {
    const args = pkg.scripts.start!.replace(/^exec node /, '').split(' ');
    const out = run(args, '>=99.1');
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('Node.js 99.1 or newer');
    expect(out.stdout).toBe('');
  });

  it('takes a minor version in the requirement', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(run(['--import', CHECK, '-e', ''], `>=${major}.${minor}`).status).toBe(0);
    expect(run(['--import', CHECK, '-e', ''], `>=${major}.${minor + 1}`).status).toBe(1);
  });
});
