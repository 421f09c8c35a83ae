import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local.js';

/** docs/operators/inbound.md's example, run as written (bash, openssl, curl, npm run inbound) against a running local mode. */

const ROOT = join(import.meta.dirname, '..', '..');
let p: TestPipeline;

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'docs', 'operators', 'inbound.md'), 'utf8');
  const block = /<!-- inbound-example -->\n```sh\n([\s\S]*?)\n```/.exec(readme);
  if (!block) throw new Error('docs/operators/inbound.md has no inbound example block');
  return block[1]!;
}

beforeAll(async () => {
  p = await startTestPipeline();
});
afterAll(async () => {
  await p?.stop();
});

describe('docs/operators/inbound.md: receiving a Stripe-signed request locally', () => {
  it('adds the source, is accepted, refuses a wrong signature, and shows the event in the history', async () => {
    const script = readmeExample().replaceAll('http://127.0.0.1:3000', p.url);
    const env: NodeJS.ProcessEnv = { ...process.env, WEBHOOKS_DATA_DIR: p.dataDir };
    delete env.WEBHOOKS_STACK;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/"endpoint": "http:\/\/127\.0\.0\.1:\d+\/inbound\/stripe"/);
    expect(out.stdout).toMatch(/\{"id":"inb_[0-9a-f]{32}","status":"accepted"\}/);
    expect(out.stdout).toContain('{"error":{"code":"signature_mismatch"');
    const history = JSON.parse(out.stdout.slice(out.stdout.lastIndexOf('{\n  "source"')));
    // On the bus before the 200 was sent (the marker is written before the answer).
    expect(history.events).toMatchObject([
      { provider_id: 'evt_1Ox7', type: 'payment.updated', provider_type: 'payment_intent.succeeded', status: 'forwarded' },
    ]);
    // The wrong signature's refusal is in the history too (the first of a minute is written at once).
    expect(history.refused.by_minute).toMatchObject([{ counts: { signature_mismatch: 1 } }]);
  });
});
