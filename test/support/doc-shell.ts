import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCS_ROOT, type FencedBlock } from './docs.js';

/**
 * A doctest for a page's shell examples. The page's conventions, which a reader sees as plain
 * comments:
 *
 * - a comment naming an HTTP status in parentheses, `# create (201): ...` or `(each look 200)`,
 *   states what every
 *   curl of the commands after it answers, up to the next comment;
 * - a comment right after a command (or at the end of its line) that starts with `{`, `[` or
 *   `HTTP/` is what the command prints, `...` standing for anything (an id, a time, more fields).
 *   Output that is JSON is compared in its compact form, so a pretty-printed answer matches a
 *   one-line expectation.
 */

export { type FencedBlock, fencedBlocks } from './docs.js';

export interface ShellCommand {
  text: string;
  /** The HTTP status each of its curl calls must answer, from the comment before it. */
  status?: number;
  /** What it must print (`...` a wildcard). */
  expect?: string;
  /** Where it is, for messages: `page:line`. */
  where: string;
}

const EXPECTATION = /^(\{|\[|HTTP\/)/;
const TRAILING_EXPECTATION = /\s+# ((?:\{|\[|HTTP\/).*)$/;

function complete(text: string): boolean {
  if (/\\$/.test(text)) return false;
  return spawnSync('bash', ['-n', '-c', text], { stdio: 'ignore' }).status === 0;
}

/** A block's commands (a command may span lines: an open quote, a loop, a trailing `\`). */
export function shellCommands(block: FencedBlock, page: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  const lines = block.body.split('\n');
  let pending: string[] = [];
  let pendingAt = 0;
  let status: number | undefined;
  let inComment = false;
  let afterCommand = false;
  lines.forEach((line, i) => {
    if (pending.length === 0) {
      if (/^\s*$/.test(line)) {
        afterCommand = false;
        return;
      }
      const comment = /^\s*# ?(.*)$/.exec(line);
      if (comment) {
        const text = comment[1]!;
        const last = commands.at(-1);
        if (afterCommand && last && EXPECTATION.test(text)) {
          last.expect = last.expect === undefined ? text : `${last.expect}\n${text}`;
          return;
        }
        afterCommand = false;
        if (!inComment) status = undefined;
        inComment = true;
        const stated = /\((?:[^()]*?\s)?(\d{3})\)/.exec(text);
        if (status === undefined && stated) status = Number(stated[1]);
        return;
      }
      pendingAt = i;
    }
    pending.push(line);
    const text = pending.join('\n');
    if (!complete(text)) return;
    const trailing = TRAILING_EXPECTATION.exec(pending.at(-1)!);
    commands.push({
      text,
      ...(status !== undefined ? { status } : {}),
      ...(trailing ? { expect: trailing[1]! } : {}),
      where: `${page}:${block.line + 1 + pendingAt}`,
    });
    pending = [];
    inComment = false;
    afterCommand = true;
  });
  if (pending.length) throw new Error(`${page}:${block.line + 1 + pendingAt}: an incomplete command: ${pending.join('\n')}`);
  return commands;
}

/** Does `output` match the expectation (`...` a wildcard)? JSON is compared compact. */
export function matchesExpectation(output: string, expect: string): boolean {
  let text = output.replace(/\r\n/g, '\n').trim();
  try {
    text = JSON.stringify(JSON.parse(text));
  } catch {
    // Not JSON: compared as printed.
  }
  const pattern = expect
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*?');
  return new RegExp(`^${pattern}$`).test(text);
}

export interface CommandRun {
  command: ShellCommand;
  stdout: string;
  stderr: string;
  /** The HTTP status of each curl call the command made. */
  statuses: number[];
}

export interface ShellRun {
  code: number | null;
  /** The commands that ran (the last one failed when `code` is not 0). */
  runs: CommandRun[];
  /** Everything the script wrote outside the commands' captures (background jobs' output). */
  output: string;
}

const STATUS_MARK = '@@doc-status';

/**
 * Runs the commands in order in ONE `bash -e -o pipefail` (so a command uses what an earlier one
 * captured), each with its stdout and stderr captured apart. Only observation is added: `curl`
 * also writes its status to stderr (`-w '%{stderr}...'`); the examples must not use `-w`.
 */
export async function runShell(commands: ShellCommand[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ShellRun> {
  const dir = mkdtempSync(join(tmpdir(), 'doc-shell-'));
  const script = [
    `curl() { command curl -w '%{stderr}${STATUS_MARK} %{http_code}\\n' "$@"; }`,
    ...commands.map((c, i) => `{ ${c.text}\n} >${dir}/${i}.out 2>${dir}/${i}.err`),
  ].join('\n');
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
        cwd: DOCS_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
    const runs: CommandRun[] = [];
    commands.forEach((command, i) => {
      let stdout: string;
      let stderr: string;
      try {
        stdout = readFileSync(join(dir, `${i}.out`), 'utf8');
        stderr = readFileSync(join(dir, `${i}.err`), 'utf8');
      } catch {
        return;
      }
      const statuses = [...stderr.matchAll(new RegExp(`${STATUS_MARK} (\\d{3})`, 'g'))].map((m) => Number(m[1]));
      runs.push({ command, stdout, stderr: stderr.replace(new RegExp(`${STATUS_MARK} \\d{3}\\n?`, 'g'), ''), statuses });
    });
    return { code, runs, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What is wrong with one command's run, or undefined: its statuses and its output against the page. */
export function checkRun(run: CommandRun): string | undefined {
  const { command, stdout, statuses } = run;
  if (command.status !== undefined && /\bcurl\b/.test(command.text)) {
    if (statuses.length === 0) return `${command.where}: made no HTTP call, the page says ${command.status}`;
    if (statuses.some((s) => s !== command.status))
      return `${command.where}: answered ${statuses.join(', ')}, the page says ${command.status}\n${stdout}`;
  }
  if (command.expect !== undefined && !matchesExpectation(stdout, command.expect))
    return `${command.where}: printed\n${stdout.trim()}\nthe page shows\n${command.expect}`;
  return undefined;
}
