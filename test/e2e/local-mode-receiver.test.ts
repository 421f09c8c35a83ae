import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { eventually } from '../support/wait.js';

/**
 * Local mode's page's receiver (docs/contributors/local-mode.md), the `node -e` one-liner, run as written (only its port
 * made a free one) against local mode verifying endpoints as `npm start` does: it must pass the
 * verification handshake and then print the event the tour publishes.
 */

const ONE_LINER = (() => {
  const page = readFileSync(new URL('../../docs/contributors/local-mode.md', import.meta.url), 'utf8');
  const m = /```sh\nnode -e "(require\('http'\)[^\n]*)"\n```/.exec(page);
  if (!m) throw new Error('docs/contributors/local-mode.md has no node -e receiver one-liner');
  return m[1]!;
})();

describe("local mode's receiver one-liner", () => {
  let p: TestPipeline;
  let child: ChildProcess;
  let output = '';
  let port = 0;

  beforeAll(async () => {
    p = await startTestPipeline({ verification: 'challenge', verificationSchedule: [1, 1] });
    const script = ONE_LINER.replace(
      ".listen(4000,'127.0.0.1')",
      ".listen(0,'127.0.0.1',function(){console.log('PORT '+this.address().port)})",
    );
    expect(script).not.toBe(ONE_LINER);
    child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
    });
    port = await eventually('the one-liner to listen', async () => Number(/PORT (\d+)/.exec(output)?.[1]) || undefined);
  });
  afterAll(async () => {
    child?.kill();
    await p?.stop();
  });

  it('answers the verification handshake and prints the event the tour publishes', async () => {
    const created = await p.call('POST', '/api/v0.1/webhooks', {
      url: `http://127.0.0.1:${port}/webhook/route`,
      events: ['kyc.verification.success'],
    });
    expect(created.status).toBe(201);
    const id = created.body.webhook_subscription.id as string;
    await eventually('the one-liner verified', async () => {
      const v = (await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.verification;
      return v?.status === 'verified' ? true : undefined;
    });
    const published = await p.call('POST', '/api/v0.1/events', {
      type: 'kyc.verification.success',
      data: { customer_id: '931e2341-c3eb-4681-97d4-f6e09d90da14', status: 'success' },
    });
    expect(published.status).toBe(202);
    await eventually('the event printed', async () => (output.includes(published.body.id as string) ? true : undefined));
    expect(output).toContain('webhook.endpoint.verification');
    // One line of JSON per POST, headers and body, to copy from.
    const line = output.split('\n').find((l) => l.includes(published.body.id as string))!;
    const printed = JSON.parse(line) as { headers: Record<string, string>; body: string };
    expect(printed.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(printed.body).id).toBe(published.body.id);
  });
});
