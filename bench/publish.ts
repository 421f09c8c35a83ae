import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import { AS_DEPLOYED, median, percentile, startLoadClient, waitIdle } from './support.js';

/**
 * Issue 21, item 4: local mode's publish route with 20 clients (events a second and each
 * request's latency, as fast as answered), the same clients sending 500 events a second on
 * schedule (the latency the target is set at: p99 from when each request was due), against a bare loopback HTTP server answering the same requests from the
 * same clients on the same machine; and the route's DynamoDB and EventBridge calls per event.
 * The clients run in their own process (bench/load-client.mjs), as API clients would, so they do
 * not share local mode's event loop.
 *
 * As deployed (AS_DEPLOYED). No subscription, so the
 * fan-out's work per event is its one subscription query: what is measured is the publish path.
 */

export interface PublishFigure {
  concurrency: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  bare: { perSecond: number; p50Ms: number; p99Ms: number };
  ratio: number;
  /** The same clients sending `rate` events a second on schedule: the rate reached and the latency from when each was due. */
  paced: { rate: number; perSecond: number; p50Ms: number; p99Ms: number; runs: number[] };
  runs: { publish: number[]; bare: number[] };
  /** Calls our code made per published event during a metered run, by service and operation. */
  callsPerEvent: Record<string, number>;
}

export interface PublishBenchOptions {
  concurrency: number;
  /** The paced runs' events a second. */
  rate: number;
  requests: number;
  runs: number;
  log: (line: string) => void;
}

interface Run {
  perSecond: number;
  latencies: number[];
}

/** The best a loopback HTTP exchange does here: the same request read whole, a small JSON 202. */
async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"evt_bare","timestamp":"2026-12-03T00:00:00.000Z"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function measurePublish(options: PublishBenchOptions): Promise<PublishFigure> {
  const { log, concurrency } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-publish-bench-'));
  let p: LocalPipeline | undefined;
  let stopClient: () => Promise<void> = async () => undefined;
  const bare = await bareServer();
  try {
    p = await startLocalPipeline({ port: 0, dataDir, ...AS_DEPLOYED, log: () => undefined });
    const pipeline = p;
    const body = JSON.stringify({ type: 'card.created', data: { card_id: 'card_bench', customer_id: 'cus_bench' } });
    const headers = {
      Identity: pipeline.credentials.identity,
      Authorization: pipeline.credentials.authorization,
      'content-type': 'application/json',
    };
    const client = startLoadClient();
    stopClient = () => client.stop();
    const run =
      (url: string) =>
      (requests: number, rate?: number): Promise<Run> =>
        client.run({ url, headers, body, requests, concurrency, expect: 202, ...(rate ? { rate } : {}) });
    const publish = run(`${pipeline.url}/api/v0.1/events`);
    const toBare = run(`${bare.url}/api/v0.1/events`);

    // Warm both (connections, the authorizer's cached answer, the JIT).
    await publish(Math.min(300, options.requests));
    await toBare(Math.min(300, options.requests));
    await waitIdle(pipeline, 500);
    const publishRuns: Run[] = [];
    const bareRuns: Run[] = [];
    for (let r = 0; r < options.runs; r++) {
      bareRuns.push(await toBare(options.requests));
      publishRuns.push(await publish(options.requests));
      await waitIdle(pipeline, 500);
      log(`  run ${r + 1}: publish ${publishRuns.at(-1)!.perSecond.toFixed(0)}/s, bare ${bareRuns.at(-1)!.perSecond.toFixed(0)}/s`);
    }

    // On schedule: the rate the target names, from clients that do not wait for each other.
    const pacedRuns: Run[] = [];
    for (let r = 0; r < options.runs; r++) {
      pacedRuns.push(await publish(options.requests, options.rate));
      await waitIdle(pipeline, 500);
      const last = pacedRuns.at(-1)!;
      log(`  paced run ${r + 1}: ${last.perSecond.toFixed(0)}/s of ${options.rate}, p99 ${percentile(last.latencies, 0.99).toFixed(1)} ms`);
    }

    // Calls per event, counted over one more run once the pipeline is idle.
    pipeline.calls.reset();
    await publish(options.requests);
    await waitIdle(pipeline, 500);
    const callsPerEvent = Object.fromEntries(
      Object.entries(pipeline.calls.snapshot())
        .filter(([k]) => /^(DynamoDB|EventBridge)\./.test(k))
        .map(([k, n]) => [k, n / options.requests]),
    );

    const summary = (runs: Run[]) => {
      const all = runs.flatMap((r) => r.latencies);
      return { perSecond: median(runs.map((r) => r.perSecond)), p50Ms: percentile(all, 0.5), p99Ms: percentile(all, 0.99) };
    };
    const pub = summary(publishRuns);
    const b = summary(bareRuns);
    const paced = { rate: options.rate, ...summary(pacedRuns), runs: pacedRuns.map((r) => r.perSecond) };
    return {
      concurrency,
      requests: options.requests,
      ...pub,
      bare: b,
      ratio: pub.perSecond / b.perSecond,
      paced,
      runs: { publish: publishRuns.map((r) => r.perSecond), bare: bareRuns.map((r) => r.perSecond) },
      callsPerEvent,
    };
  } finally {
    await stopClient();
    await p?.stop();
    await bare.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
