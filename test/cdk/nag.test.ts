import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import { acknowledgedRules, type BuiltStack, buildStack, cdkJsonContext, SKIP_BUNDLING } from './support.js';

/**
 * cdk-nag 3 is a CDK policy-validation plugin (`Validations.of(app).addPlugins(...)`): it reports
 * through the synth's validation report, not through construct annotations, so
 * `Annotations.findError(..., 'AwsSolutions-...')` would always be empty. These tests run the pack
 * directly (`validateScope`) and through a real synth of the app as bin/webhooks.ts builds it.
 */

const SLOW = 180_000; // a synth; generous because the machine is shared
const describeViolations = (report: PolicyValidationPluginReport, severity: string) =>
  report.violations
    .filter((v) => v.severity === severity)
    .map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

let built: BuiltStack;
let report: PolicyValidationPluginReport;

beforeAll(() => {
  built = buildStack();
  report = new AwsSolutionsChecks().validateScope(built.stack);
}, SLOW);

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error', () => {
    expect(describeViolations(report, 'error')).toEqual([]);
  });

  it('finds no unacknowledged warning', () => {
    expect(describeViolations(report, 'warning')).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('has no CDK annotation errors or nag annotations either', () => {
    const annotations = Annotations.fromStack(built.stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges only specific findings, each with a written reason', () => {
    const acknowledged = acknowledgedRules(built.stack);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) {
      expect(a.id, a.path).toMatch(/AwsSolutions-(IAM4\[Policy::.+\]|IAM5\[Resource::.+\]|L1|APIG2|APIG3|APIG4|COG4|SQS3|S1)$/);
      expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(30);
    }
    // S1 ("no server access logs") only for the bucket of large event bodies.
    expect(acknowledged.filter((a) => a.id.endsWith('AwsSolutions-S1')).map((a) => a.path)).toEqual([
      expect.stringMatching(/\/Bodies\/Bucket$/),
    ]);
    // SQS3 ("no DLQ") only for the queue that is itself EventBridge's dead-letter queue.
    expect(acknowledged.filter((a) => a.id.endsWith('SQS3')).map((a) => a.path)).toEqual([
      expect.stringMatching(/\/TargetDeadLetterQueue$/),
    ]);
    // Nothing is waved through for the whole stack: every acknowledgement sits on a construct inside it.
    expect(acknowledged.filter((a) => a.path === built.stack.node.path)).toEqual([]);
    // IAM5 is acknowledged only for X-Ray ("*"), the table's indexes, the bodies' prefix (and its inbound part), the
    // signing-secret prefix and the inbound sources' secret prefix.
    const iam5 = [
      ...new Set(acknowledged.filter((a) => a.id.includes('IAM5')).map((a) => a.id.replace(/^.*IAM5\[Resource::/, '').replace(/\]$/, ''))),
    ];
    expect(iam5.sort()).toEqual(
      [
        '*',
        expect.stringMatching(/^<BodiesBucket[A-F0-9]+\.Arn>\/bodies\/\*$/),
        expect.stringMatching(/^<BodiesBucket[A-F0-9]+\.Arn>\/bodies\/inbound\/\*$/),
        expect.stringMatching(/^<DataTable[A-F0-9]+\.Arn>\/index\/\*$/),
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:webhooks/Webhooks/*',
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:webhooks-inbound/Webhooks/*',
      ].sort(),
    );
  });
});

describe('the app as bin/webhooks.ts builds it', () => {
  const outdirs: string[] = [];
  const outdir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhooks-cdk-'));
    outdirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of outdirs) rmSync(d, { recursive: true, force: true });
  });

  it(
    'synthesizes with the AwsSolutions plugin and an empty validation report',
    () => {
      const { app } = createWebhooksApp({ outdir: outdir(), context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
      const assembly = app.synth();
      const validation = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: unknown[];
      };
      expect(validation.pluginReports).toEqual([]);
    },
    SLOW,
  );

  it(
    'fails the synth on a finding nobody acknowledged (the plugin is really wired)',
    () => {
      const { app, stack } = createWebhooksApp({ outdir: outdir(), context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
      new sqs.Queue(stack, 'CarelessQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    },
    SLOW,
  );
});
