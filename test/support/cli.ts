import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Runs one of the operator CLIs (scripts/*.ts) against a local mode's data directory. */

const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: local mode runs in this process and must keep serving meanwhile.
export function runCli(script: 'tenant' | 'redrive' | 'inbound', dataDir: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, WEBHOOKS_DATA_DIR: dataDir };
  delete env.WEBHOOKS_STACK;
  return new Promise((resolve, reject) => {
    // One process with tsx's loader, as `npm start` runs (the tsx binary would start a second one).
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
