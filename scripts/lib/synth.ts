import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { createWebhooksApp } from '../../lib/webhooks-app.js';

/** The context `cdk synth` uses (feature flags and settings from cdk.json), so scripts and tests see the same template. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** Context that skips asset bundling: the template is the same, without running esbuild. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

export interface SynthesizedStack {
  stackName: string;
  /** The CloudFormation template, as `npx cdk synth` writes it. */
  template: Record<string, unknown>;
}

/**
 * The app of bin/webhooks.ts, synthesized as `npx cdk synth -c key=value...` would (cdk.json's
 * context, then `context` over it), without bundling the functions.
 */
export function synthesizeApp(context: Record<string, string> = {}): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'webhooks-synth-'));
  try {
    const { app, stack } = createWebhooksApp({ outdir, context: { ...cdkJsonContext(), ...SKIP_BUNDLING, ...context } });
    const template = app.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
    return { stackName: stack.stackName, template };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
