import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFICATION_MODE_ENV } from '../../functions/domain/verification.js';
import { DOCS_ROOT, docBlocks } from '../support/docs.js';
import { type LocalProcess, startLocalProcess } from '../support/local-process.js';
import { eventually } from '../support/wait.js';

/**
 * The README's five-minute tour, pasted as a newcomer would: `npm start` (a real process, verifying
 * endpoints as it does by default), the `export` line it prints, then every `sh` block of the tour
 * in order in one bash, the receiver kit's Node receiver included. Only the receiver's port is
 * changed, to a free one.
 */

const TOUR = docBlocks('README.md', 'sh', '## A five-minute tour');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the README's tour", () => {
  let dataDir: string;
  let local: LocalProcess;
  let bash: ChildProcess | undefined;
  let out = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webhooks-tour-'));
    local = await startLocalProcess({ WEBHOOKS_DATA_DIR: dataDir, [VERIFICATION_MODE_ENV]: 'challenge' });
  });
  afterAll(async () => {
    if (bash?.pid) {
      try {
        process.kill(-bash.pid, 'SIGKILL');
      } catch {}
    }
    if (local) {
      local.signal('SIGTERM');
      await local.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has the blocks it describes', () => {
    expect(TOUR.length).toBe(5);
  });

  it('runs as pasted: verified, delivered, verified by the receiver, read back and sent again with the same webhook-id', async () => {
    const exportLine = /^\s*(export WEBHOOKS_URL=.*)$/m.exec(local.output())?.[1];
    expect(exportLine, local.output()).toMatch(/WEBHOOKS_IDENTITY=idt_\S+ WEBHOOKS_AUTHORIZATION=key_\S+ WEBHOOKS_TENANT=tnt_\S+$/);
    const port = String(await freePort());
    const script = [exportLine!, ...TOUR]
      .join('\n')
      .replaceAll('127.0.0.1:4000', `127.0.0.1:${port}`)
      .replaceAll('PORT=4000', `PORT=${port}`);
    expect(script).not.toContain('4000');

    bash = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: DOCS_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    bash.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    bash.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => bash!.on('exit', (c) => resolve(c)));
    expect(code, out).toBe(0);

    // The receiver (still running in the background) answered the handshake, then took the event
    // once, then saw the retry as a duplicate of the same webhook-id.
    const processed = await eventually('the receiver to process the event', async () => /processed (evt_\S+) card\.created/.exec(out)?.[1]);
    expect(out).toMatch(/verification evt_verify_\S+/);
    expect(out).toContain('\nverified\n');
    await eventually('the retry to arrive as a duplicate', async () => (out.includes(`duplicate ${processed}`) ? true : undefined));
    expect(out.match(/processed evt_/g)).toHaveLength(1);
    // The delivery read back, with its attempt.
    expect(out).toMatch(/"delivery":\{[^\n]*"event_type":"card\.created"[^\n]*"status":"succeeded"/);
  });
});
