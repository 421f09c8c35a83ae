import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_THROTTLE_ONLY, type LocalOptions } from '../local/pipeline.js';

/**
 * Local mode as the stack is deployed, for the figures priced or compared with AWS: only the
 * account's API limits, API Gateway's authorizer answers cached 300 s, the stack's 60 s
 * due-time buckets, and the resumer idle (locally it would sweep every second; on AWS its runs
 * are a fixed monthly cost, priced apart by retry-cost.ts, and its calls would keep waitIdle
 * from ever seeing the pipeline idle).
 */
export const AS_DEPLOYED = {
  ...ACCOUNT_THROTTLE_ONLY,
  authorizerCacheTtlSeconds: 300,
  dueBucketSeconds: 60,
  resumeIntervalMs: 3_600_000,
} as const satisfies LocalOptions;

/** The loopback receiver in its own `node` process (bench/receiver.mjs). */
export interface ReceiverProcess {
  url: string;
  base: string;
  pid: number;
  /** POSTs it has answered so far. */
  count(): Promise<number>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Kill every receiver this process started, even on an exception or Ctrl-C. */
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** `file`: the receiver's script beside this file (receiver.mjs, or retry-receiver.mjs for the cost of failures). */
export async function startReceiverProcess(file = './receiver.mjs'): Promise<ReceiverProcess> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  // Plain node, not tsx: the receiver is JavaScript and should load nothing else.
  const child = fork(script, [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code} before listening`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/webhook`,
    base,
    pid: child.pid!,
    async count() {
      const res = await fetch(`${base}/__count`);
      return Number(await res.text());
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
    },
  };
}

/** bench/load-client.mjs in its own `node` process: POSTs `requests` times, at most `concurrency` at once. */
export interface LoadClient {
  run(job: {
    url: string;
    headers: Record<string, string>;
    body: string;
    requests: number;
    concurrency: number;
    expect: number;
    /** Requests a second, sent on schedule (an open loop); without it, as fast as answered. */
    rate?: number;
  }): Promise<{ perSecond: number; latencies: number[] }>;
  stop(): Promise<void>;
}

export function startLoadClient(): LoadClient {
  const script = fileURLToPath(new URL('./load-client.mjs', import.meta.url));
  const child = fork(script, [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  return {
    run: (job) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`load client exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (m) => {
          child.off('exit', onExit);
          const answer = m as { error?: string; perSecond: number; latencies: number[] };
          if (answer.error) reject(new Error(answer.error));
          else resolve(answer);
        });
        child.send(job);
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
    },
  };
}

/** The `p`-th quantile (0 to 1) of `xs` by nearest rank; NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `task` for every index in [0, count) with at most `concurrency` running at once. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A JSON object whose serialization is about `bytes` long, for ~1 KB webhook bodies. */
export function paddedData(bytes: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    card_id: 'card_2xY9kQ7w',
    customer_id: 'cus_8Hn3pLm2',
    currency: 'EUR',
    amount: 12_345,
    status: 'active',
  };
  const note = 'lorem ipsum dolor sit amet consectetur adipiscing elit ';
  const size = JSON.stringify(data).length;
  data.note = note.repeat(Math.ceil(bytes / note.length)).slice(0, Math.max(0, bytes - size - 10));
  return data;
}

/** Until the receiver has answered `count` POSTs in all. */
export async function waitForDeliveries(receiver: ReceiverProcess, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await receiver.count();
    if (got >= count) return;
    if (Date.now() > deadline) throw new Error(`the receiver got ${got} of ${count} POSTs in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Until local mode's pipeline has made no AWS call of ours for `idleMs`. */
export async function waitIdle(pipeline: { calls: { total(): number } }, idleMs: number, maxMs = 120_000): Promise<void> {
  let last = pipeline.calls.total();
  let since = Date.now();
  const deadline = Date.now() + maxMs;
  while (Date.now() - since < idleMs) {
    // Something that calls AWS on its own (a timer's function) would otherwise hang the bench.
    if (Date.now() > deadline) throw new Error(`the pipeline made AWS calls for ${maxMs / 1000} s without a ${idleMs} ms pause`);
    await sleep(100);
    const now = pipeline.calls.total();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}
