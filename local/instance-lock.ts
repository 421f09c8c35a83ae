import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One local mode per data directory: dynalite's LevelDB and fauxqs's SQLite each expect a single
 * owner, and a second instance would otherwise die deep inside one of them. The lock is a file
 * created exclusively, naming the owner's pid and, once it listens, its URL; a lock whose pid is
 * gone (after a `kill -9`) is taken over.
 */
export const LOCK_FILE = 'instance.lock';

/** A start-up failure a person can act on: printed as one line, without a stack. */
export class LocalStartError extends Error {}

interface LockContent {
  pid: number;
  url?: string;
}

export interface InstanceLock {
  /** Records the URL so that a second start can name it. */
  setUrl(url: string): void;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(file: string): LockContent | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockContent;
  } catch {
    // Missing, or torn by a crash between create and write: nobody holds it.
    return undefined;
  }
}

export function acquireInstanceLock(dataDir: string): InstanceLock {
  const file = join(dataDir, LOCK_FILE);
  const write = (content: LockContent, flag: 'wx' | 'w') => writeFileSync(file, JSON.stringify(content), { flag, mode: 0o600 });
  for (let tries = 0; ; tries++) {
    try {
      write({ pid: process.pid }, 'wx');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw err;
      const holder = read(file);
      if (holder && alive(holder.pid)) {
        const where = holder.url ? `at ${holder.url}` : `(process ${holder.pid}, still starting)`;
        throw new LocalStartError(
          `local mode is already running on ${dataDir} ${where}; stop it first, or set WEBHOOKS_DATA_DIR to another directory`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  let held = true;
  return {
    setUrl(url) {
      if (held) write({ pid: process.pid, url }, 'w');
    },
    release() {
      if (!held) return;
      held = false;
      if (read(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
