import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { API_GATEWAY_ACCOUNT_THROTTLE } from '../../functions/domain/aws-limits.js';
import { VERIFICATION_MODE_ENV } from '../../functions/domain/verification.js';

/**
 * `npm start` in a child process of its own group, as a developer runs it: for what only a real
 * process shows (a `kill -9`, signals, a second instance, start-up errors).
 */
const ROOT = join(import.meta.dirname, '..', '..');

export interface LocalProcess {
  child: ChildProcess;
  /** The API's base URL, once it printed one. */
  url: string;
  credentials: { identity: string; authorization: string };
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process group's leader is gone. */
  exited: Promise<number | string>;
  /** SIGKILL to the whole group, as `kill -9 -PGID` would. */
  kill9(): Promise<void>;
  signal(name: NodeJS.Signals): void;
}

/**
 * As startTestPipeline does (test/support/local.ts): only the account's API limits unless a test
 * sets its own, so no test of something else passes or fails with how fast the machine sends.
 */
const ACCOUNT_LIMITS_ONLY = {
  WEBHOOKS_TENANT_RATE_LIMIT: String(API_GATEWAY_ACCOUNT_THROTTLE.rateLimit),
  WEBHOOKS_TENANT_BURST_LIMIT: String(API_GATEWAY_ACCOUNT_THROTTLE.burstLimit),
  WEBHOOKS_STAGE_RATE_LIMIT: String(API_GATEWAY_ACCOUNT_THROTTLE.rateLimit),
  WEBHOOKS_STAGE_BURST_LIMIT: String(API_GATEWAY_ACCOUNT_THROTTLE.burstLimit),
};

export function runNpmStart(env: Record<string, string>): { child: ChildProcess; output(): string; exited: Promise<number | string> } {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    // `npm start` verifies endpoints as a new deployment does (challenge); these tests' receivers
    // are about other things and answer no challenge, so they run as an upgraded deployment does.
    env: { ...process.env, WEBHOOKS_LOG: 'quiet', ...ACCOUNT_LIMITS_ONLY, [VERIFICATION_MODE_ENV]: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

export async function startLocalProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<LocalProcess> {
  const run = runNpmStart({ PORT: '0', ...env });
  const deadline = Date.now() + timeoutMs;
  const ready = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api[\s\S]*Identity\s+(\S+)\s+Authorization\s+(\S+)/;
  let match = run.output().match(ready);
  for (; !match; match = run.output().match(ready)) {
    const done = await Promise.race([run.exited, new Promise((r) => setTimeout(r, 50))]);
    if (done !== undefined) throw new Error(`npm start exited (${done}) before it was ready:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready in ${timeoutMs} ms:\n${run.output()}`);
  }
  const pgid = run.child.pid!;
  return {
    ...run,
    url: match[1]!,
    credentials: { identity: match[2]!, authorization: match[3]! },
    async kill9() {
      process.kill(-pgid, 'SIGKILL');
      await run.exited;
      // Until init reaps them, killed processes still answer kill(pid, 0), and a restart would
      // take the data directory's lock for held.
      for (let i = 0; i < 200 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 25));
    },
    signal(name) {
      process.kill(run.child.pid!, name);
    },
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
