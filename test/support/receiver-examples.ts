import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from './wait.js';

/**
 * The receiver kit's examples (examples/receivers/<language>/) as child processes: each checked for
 * its toolchain, built once where its language compiles, started on 127.0.0.1 port 0 with a
 * subscription's secret, and read line by line (`listening on ...`, `processed <id> <type>`,
 * `duplicate <id>`, `refused <status> <reason>`).
 */

const run = promisify(execFile);

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/receivers/', import.meta.url));

interface Tool {
  command: string;
  versionArgs: string[];
}

export interface ReceiverExample {
  language: string;
  /** Every program the example needs, and how to get them on Debian (what .ci/run installs). */
  tools: Tool[];
  install: string;
  /** Compiles into `out` (a fresh temporary directory), once. */
  build?: (out: string) => { command: string; args: string[] };
  start: (out: string) => { command: string; args: string[]; env?: Record<string, string> };
}

const apt = (packages: string) => `apt-get install -y --no-install-recommends ${packages} (Debian; .ci/run installs it when missing)`;

export const RECEIVER_EXAMPLES: ReceiverExample[] = [
  {
    language: 'node',
    tools: [{ command: process.execPath, versionArgs: ['--version'] }],
    install: 'Node.js 22 or newer (see the README, Requirements)',
    start: () => ({ command: process.execPath, args: ['receiver.mjs'] }),
  },
  {
    language: 'python',
    tools: [{ command: 'python3', versionArgs: ['--version'] }],
    install: apt('python3'),
    start: () => ({ command: 'python3', args: ['receiver.py'] }),
  },
  {
    language: 'ruby',
    tools: [{ command: 'ruby', versionArgs: ['--version'] }],
    install: apt('ruby'),
    start: () => ({ command: 'ruby', args: ['receiver.rb'] }),
  },
  {
    language: 'go',
    tools: [{ command: 'go', versionArgs: ['version'] }],
    install: apt('golang-go'),
    // Built once into the temporary directory: `go run` would leave the receiver as a child of `go`.
    build: (out) => ({ command: 'go', args: ['build', '-o', join(out, 'receiver'), '.'] }),
    start: (out) => ({ command: join(out, 'receiver'), args: [] }),
  },
  {
    language: 'java',
    tools: [
      { command: 'java', versionArgs: ['--version'] },
      { command: 'javac', versionArgs: ['--version'] },
    ],
    install: apt('default-jdk-headless'),
    // Single-file source launch (JDK 11+); the flags only shorten the JVM's start on a small machine.
    start: () => ({ command: 'java', args: ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', 'Receiver.java'] }),
  },
  {
    language: 'php',
    tools: [{ command: 'php', versionArgs: ['--version'] }],
    install: apt('php-cli'),
    // PHP's built-in server prints the port it got on stderr; each request runs receiver.php afresh.
    start: (out) => ({ command: 'php', args: ['-S', '127.0.0.1:0', 'receiver.php'], env: { WEBHOOK_SEEN_DIR: join(out, 'seen') } }),
  },
  {
    language: 'csharp',
    tools: [
      { command: 'mcs', versionArgs: ['--version'] },
      { command: 'mono', versionArgs: ['--version'] },
    ],
    install: apt('mono-mcs libmono-system-runtime-serialization4.0-cil'),
    build: (out) => ({
      command: 'mcs',
      args: ['-warnaserror', `-out:${join(out, 'Receiver.exe')}`, '-r:System.Runtime.Serialization', 'Receiver.cs'],
    }),
    start: (out) => ({ command: 'mono', args: [join(out, 'Receiver.exe')] }),
  },
];

/** Fails, saying how to install it, when a program the example needs is missing. */
export async function checkToolchain(example: ReceiverExample): Promise<string[]> {
  const versions: string[] = [];
  for (const tool of example.tools) {
    try {
      const { stdout, stderr } = await run(tool.command, tool.versionArgs, { timeout: 30_000 });
      versions.push(`${stdout}${stderr}`.trim().split('\n')[0]!);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        `the ${example.language} receiver example needs \`${tool.command}\`, which ${missing ? 'is not installed' : `failed: ${String(err)}`}. ` +
          `Install it: ${example.install}`,
      );
    }
  }
  return versions;
}

export async function buildExample(example: ReceiverExample, out: string): Promise<void> {
  if (!example.build) return;
  const { command, args } = example.build(out);
  try {
    await run(command, args, {
      cwd: join(EXAMPLES_DIR, example.language),
      timeout: 120_000,
      // Go: nothing to download (the example has no dependencies), ever.
      env: { ...process.env, GOPROXY: 'off', GOTOOLCHAIN: 'local' },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`building the ${example.language} example failed (${command} ${args.join(' ')}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export interface RunningExample {
  language: string;
  url: string;
  /** Every line it printed, stdout and stderr interleaved as they arrived. */
  lines: string[];
  /** `processed <id> <type>` lines, as [id, type]. */
  processed(): [string, string][];
  /** Waits for a line; fails with everything the receiver printed. */
  waitForLine(what: string, match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startExample(example: ReceiverExample, out: string, secret: string): Promise<RunningExample> {
  const { command, args, env } = example.start(out);
  const child: ChildProcess = spawn(command, args, {
    cwd: join(EXAMPLES_DIR, example.language),
    env: { ...process.env, ...env, WEBHOOK_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exited: string | undefined;
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  spawnFailed.catch(() => {});
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      lines.push(...parts.map((l) => l.replace(/\r$/, '')));
    });
  }
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`;
      resolve();
    }),
  );
  const output = () => `\n--- ${example.language} receiver output ---\n${lines.join('\n')}\n---`;

  const waitForLine: RunningExample['waitForLine'] = async (what, match, timeoutMs = 30_000) => {
    try {
      return await eventually(
        what,
        async () => {
          const line = lines.find(match);
          if (line === undefined && exited) throw new Error(`the receiver ${exited}`);
          return line;
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}${output()}`);
    }
  };

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
  };

  try {
    const ready = await Promise.race([
      waitForLine('the receiver to say where it listens', (l) => /http:\/\/127\.0\.0\.1:\d+/.test(l), 60_000),
      spawnFailed,
    ]);
    const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(ready)![1];
    return {
      language: example.language,
      url: `http://127.0.0.1:${port}/webhook`,
      lines,
      processed: () =>
        lines.flatMap((l) => {
          const m = /^processed (\S+) (\S+)$/.exec(l);
          return m ? [[m[1]!, m[2]!] as [string, string]] : [];
        }),
      waitForLine,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
