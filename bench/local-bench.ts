import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_THROTTLE_ONLY, type LocalOptions, type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import { pool, sleep } from './support.js';

/**
 * What the benches on local mode (the twin) share: receivers in this process on 127.0.0.1, a
 * pipeline on a throw-away data directory, and calls to its API as one tenant or another.
 */

/**
 * How a receiver answers: `ok` 200 (after `delayMs`, at once by default), `refuse` 503 to
 * everything, `hang` never, `fail` 500 to half, `slow` 200 after 0.3 to 1.5 s, `reset` drops
 * half its connections without an answer.
 */
export type Mode = 'ok' | 'refuse' | 'hang' | 'fail' | 'slow' | 'reset';

export interface BenchReceiver {
  url: string;
  /** Can be changed while it runs: an endpoint that goes down and comes back. */
  mode: Mode;
  /** 2xx answers per webhook-id. */
  acked: Map<string, number>;
  /** When each webhook-id first arrived (performance.now(), once its body was read), whatever the answer. */
  firstSeen: Map<string, number>;
  /** When each webhook-id was first answered 2xx (performance.now()). */
  firstAcked: Map<string, number>;
  requests: number;
  close(): Promise<void>;
}

export async function startBenchReceiver(initial: Mode, options: { delayMs?: number } = {}): Promise<BenchReceiver> {
  const acked = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const firstAcked = new Map<string, number>();
  let requests = 0;
  const receiver = { mode: initial };
  const ack = (id: string, res: ServerResponse) => {
    acked.set(id, (acked.get(id) ?? 0) + 1);
    if (!firstAcked.has(id)) firstAcked.set(id, performance.now());
    res.writeHead(200).end('ok');
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      const id = String(req.headers['webhook-id']);
      if (!firstSeen.has(id)) firstSeen.set(id, performance.now());
      const mode = receiver.mode;
      if (mode === 'hang') return;
      if (mode === 'refuse') return void res.writeHead(503).end('down');
      if (mode === 'fail' && Math.random() < 0.5) return void res.writeHead(500).end('flaky');
      if (mode === 'reset' && Math.random() < 0.5) return void req.socket.destroy();
      const delayMs = mode === 'slow' ? 300 + Math.random() * 1200 : (options.delayMs ?? 0);
      if (delayMs > 0) setTimeout(() => ack(id, res), delayMs);
      else ack(id, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get mode() {
      return receiver.mode;
    },
    set mode(m: Mode) {
      receiver.mode = m;
    },
    acked,
    firstSeen,
    firstAcked,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const uniqueAcks = (rs: readonly BenchReceiver[]) => rs.reduce((n, r) => n + r.acked.size, 0);
export const duplicateAcks = (rs: readonly BenchReceiver[]) =>
  rs.reduce((n, r) => n + [...r.acked.values()].reduce((m, c) => m + c - 1, 0), 0);

export type Caller = (path: string, body: unknown) => Promise<{ status: number; text: string }>;

/** POSTs to the pipeline's API as the tenant with these credentials. */
export function callerFor(p: LocalPipeline, creds: { identity: string; authorization: string }): Caller {
  return async (path, body) => {
    const res = await fetch(p.url + path, {
      method: 'POST',
      headers: { Identity: creds.identity, Authorization: creds.authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
}

/**
 * Local mode on a throw-away data directory, with only the account's API limits and the
 * authorizer's answers cached as API Gateway caches them (300 s); `call` is the local tenant's.
 */
export async function withPipeline<T>(options: LocalOptions, body: (p: LocalPipeline, call: Caller) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-bench-'));
  const p = await startLocalPipeline({ port: 0, dataDir, ...ACCOUNT_THROTTLE_ONLY, authorizerCacheTtlSeconds: 300, ...options });
  try {
    return await body(p, callerFor(p, p.credentials));
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A subscription to `card.created` at `url`; answers its id. */
export async function subscribe(call: Caller, url: string): Promise<string> {
  const res = await call('/api/v0.1/webhooks', { url, events: ['card.created'] });
  if (res.status !== 201) throw new Error(`create subscription answered ${res.status}: ${res.text}`);
  return (JSON.parse(res.text) as { webhook_subscription: { id: string } }).webhook_subscription.id;
}

/** Publishes one `card.created` through the API; answers the event's id. */
export async function publishOne(call: Caller, n: number): Promise<string> {
  const res = await call('/api/v0.1/events', { type: 'card.created', data: { card_id: `c${n}`, customer_id: 'u' } });
  if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${res.text}`);
  return (JSON.parse(res.text) as { id: string }).id;
}

/** `count` events through the API, `concurrency` requests at a time; answers their ids. */
export async function publish(call: Caller, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(count, concurrency, async (i) => {
    ids[i] = await publishOne(call, i);
  });
  return ids;
}

/** The event ids of a subscription's deliveries recorded as dead-lettered, every page (the local tenant's). */
export async function deadLetteredEventIds(p: LocalPipeline, subscriptionId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const query = `status=dead_lettered&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(`${p.url}/api/v0.1/webhooks/${subscriptionId}/deliveries?${query}`, {
      headers: { Identity: p.credentials.identity, Authorization: p.credentials.authorization },
    });
    if (res.status !== 200) throw new Error(`list deliveries answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { deliveries: { event_id: string }[]; next_cursor: string | null };
    for (const d of page.deliveries) ids.add(d.event_id);
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

/** Whether `done` came true within `timeoutMs`. */
export async function until(timeoutMs: number, done: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
