import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { synthesizeApp } from '../../scripts/lib/synth.js';

/**
 * CloudFormation's own rules over the synthesized templates (default, envelope storage, static source IPs, and memory sizes with provisioned concurrency), with
 * cfn-lint and its bundled resource schemas: what CDK lets through and CloudFormation would
 * refuse at deploy time (a property a resource type does not have, a value out of its range, a
 * bad reference). Errors fail; warnings fail unless .cfnlintrc.yaml leaves them out, with a reason.
 *
 * cfn-lint is a Python tool (pip install cfn-lint), on this project's machines already. Where it
 * is missing this test fails and says how to install it; WEBHOOKS_CFN_LINT=skip leaves it out
 * visibly (.ci/run sets it, with a line saying so, only where it cannot be installed offline).
 */

const SLOW = 180_000;
const CFN_LINT_OPT_OUT = 'WEBHOOKS_CFN_LINT';
const optedOut = process.env[CFN_LINT_OPT_OUT] === 'skip';

interface Finding {
  Rule: { Id: string; Description: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Filename: string;
  Location: { Start: { LineNumber: number }; Path?: (string | number)[] };
}

const cfnLint = (args: string[]) => spawnSync('cfn-lint', args, { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe.skipIf(optedOut)(`cfn-lint over the synthesized templates (${CFN_LINT_OPT_OUT}=skip leaves it out)`, () => {
  let dir: string;
  let templates: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webhooks-cfn-lint-'));
    templates = [
      ['Webhooks.template.json', {}],
      ['Webhooks-envelope.template.json', { secretStorage: 'envelope' }],
      ['Webhooks-static-ips.template.json', { staticSourceIps: '2' }],
      ['Webhooks-tuned.template.json', { memorySizes: 'api=1024,sender=2048', provisionedConcurrency: 'api=2,authorizer=2' }],
    ].map(([file, context]) => {
      const path = join(dir, file as string);
      writeFileSync(path, JSON.stringify(synthesizeApp(context as Record<string, string>).template, null, 1));
      return path;
    });
  }, SLOW);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is installed (version 1 or later: the current resource schemas)', () => {
    const version = cfnLint(['--version']);
    if (version.error || version.status !== 0)
      throw new Error(
        `cfn-lint is not installed here (${version.error?.message ?? version.stderr}): install it with \`pip install cfn-lint\`, or run the tests without it with ${CFN_LINT_OPT_OUT}=skip`,
      );
    const major = Number(/cfn-lint (\d+)\./.exec(version.stdout)?.[1]);
    expect(major, version.stdout).toBeGreaterThanOrEqual(1);
  });

  it(
    'finds no error, and no warning .cfnlintrc.yaml does not explain, in the default, envelope, static-IP and tuned templates',
    () => {
      const run = cfnLint(['--format', 'json', '--config-file', '.cfnlintrc.yaml', '--', ...templates]);
      if (run.error) throw run.error;
      const findings = JSON.parse(run.stdout || '[]') as Finding[];
      const described = findings
        .filter((f) => f.Level !== 'Informational')
        .map(
          (f) =>
            `${f.Level} ${f.Rule.Id} ${f.Filename.split('/').at(-1)}:${f.Location.Start.LineNumber} ${(f.Location.Path ?? []).join('/')}: ${f.Message}`,
        );
      expect(described).toEqual([]);
      // 0 nothing, 8 informational findings only (cfn-lint's exit code is a bit set: 2 errors, 4 warnings).
      expect([0, 8], run.stderr).toContain(run.status);
    },
    SLOW,
  );
});
