import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/instance-lock.js';
import { type LocalProcess, runNpmStart, startLocalProcess } from '../support/local-process.js';

/** `npm start` as a developer meets it: one instance per data directory, one-line errors, quick clean stops. */
describe('npm start', () => {
  const dirs: string[] = [];
  const processes: LocalProcess[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'webhooks-lifecycle-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const p of processes) await p.kill9().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const oneLine = (text: string) => text.split('\n').filter((l) => l.trim() && !l.startsWith('>'));

  it('refuses a second instance on the same data directory, naming the running one, and changes nothing', async () => {
    const dataDir = tempDir();
    const first = await startLocalProcess({ WEBHOOKS_DATA_DIR: dataDir });
    processes.push(first);
    const lock = readFileSync(join(dataDir, LOCK_FILE), 'utf8');

    const second = runNpmStart({ WEBHOOKS_DATA_DIR: dataDir, PORT: '0' });
    expect(await second.exited).toBe(1);
    const lines = oneLine(second.output());
    expect(lines).toEqual([
      `npm start: local mode is already running on ${dataDir} at ${first.url}; stop it first, or set WEBHOOKS_DATA_DIR to another directory`,
    ]);
    // The first instance is untouched and still answers.
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).toBe(lock);
    expect((await fetch(`${first.url}/api/openapi.json`)).status).toBe(200);
  });

  it('names the busy port and the PORT variable, in one line', async () => {
    const busy = await startLocalProcess({ WEBHOOKS_DATA_DIR: tempDir() });
    processes.push(busy);
    const port = new URL(busy.url).port;
    const dataDir = tempDir();
    const run = runNpmStart({ WEBHOOKS_DATA_DIR: dataDir, PORT: port });
    expect(await run.exited).toBe(1);
    expect(oneLine(run.output())).toEqual([
      `npm start: port ${port} is in use: stop what listens there, or set PORT to a free port (for example PORT=3001 npm start)`,
    ]);
    // A failed start leaves the data directory free for the next one.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('takes over the lock of an instance that was killed', async () => {
    const dataDir = tempDir();
    // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max).
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: 4_194_305, url: 'http://127.0.0.1:1' }));
    const p = await startLocalProcess({ WEBHOOKS_DATA_DIR: dataDir });
    processes.push(p);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).url).toBe(p.url);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops everything on ${signal} to the npm process within 5 s and says so in one line`, async () => {
      const dataDir = tempDir();
      const p = await startLocalProcess({ WEBHOOKS_DATA_DIR: dataDir });
      processes.push(p);
      const before = p.output().length;
      p.signal(signal);
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running after 5 s'), 5_000))]);
      expect(code).toBe(0);
      expect(oneLine(p.output().slice(before))).toEqual([`Stopped on ${signal}.`]);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
      await expect(fetch(`${p.url}/api/openapi.json`)).rejects.toThrow();
    });
  }

  it('says what is wrong with a bad setting, in one line', async () => {
    const run = runNpmStart({ WEBHOOKS_DATA_DIR: tempDir(), PORT: '0', WEBHOOKS_RETRY_SCHEDULE: 'soon' });
    expect(await run.exited).toBe(1);
    const lines = oneLine(run.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm start: could not start: WEBHOOKS_RETRY_SCHEDULE must be comma-separated whole seconds/);
  });

  it('says so in one line when a tenant limit is not a whole number or passes the stage', async () => {
    const bad = [
      [{ WEBHOOKS_TENANT_RATE_LIMIT: 'fast' }, /^npm start: WEBHOOKS_TENANT_RATE_LIMIT must be a whole number, got "fast"$/],
      [
        { WEBHOOKS_STAGE_RATE_LIMIT: '0' },
        /^npm start: stageThrottle \(WEBHOOKS_STAGE_\*\)\.rateLimit must be a whole number from 1 to 10000, got 0$/,
      ],
      [
        { WEBHOOKS_TENANT_BURST_LIMIT: '300', WEBHOOKS_STAGE_BURST_LIMIT: '200' },
        /^npm start: tenantThrottle \(20\/s, burst 300\) must be within stageThrottle \(10000\/s, burst 200\): the stage would throttle first$/,
      ],
    ] as const;
    for (const [env, message] of bad) {
      const run = runNpmStart({ WEBHOOKS_DATA_DIR: tempDir(), PORT: '0', WEBHOOKS_TENANT_RATE_LIMIT: '20', ...env });
      expect(await run.exited).toBe(1);
      const lines = oneLine(run.output());
      expect(lines).toEqual([expect.stringMatching(message)]);
    }
  });
});
