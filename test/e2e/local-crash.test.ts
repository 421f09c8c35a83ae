import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startLocalProcess } from '../support/local-process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Issue 7's scenario: local mode in a child process delivering to a receiver that is down, a
 * `kill -9` of its process group in the middle, a restart on the same data directory: every
 * delivery arrives (duplicates allowed: at least once) and every history ends `succeeded`.
 */
const SUBSCRIPTIONS = 4;
const EVENTS = 75;

describe('local mode after kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-crash-'));
  const env = {
    WEBHOOKS_DATA_DIR: dataDir,
    // Long enough that nothing runs out of attempts while the receiver is down.
    WEBHOOKS_RETRY_SCHEDULE: '1,2,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3',
    // Batches cut off by the kill come back after this, instead of after 60 s.
    WEBHOOKS_PROCESSING_VISIBILITY_SECONDS: '3',
  };
  let receiver: Receiver | undefined;
  const processes: LocalProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.kill9().catch(() => undefined);
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every accepted event once it is back, and leaves no delivery pending', { timeout: 150_000 }, async () => {
    let up = false;
    receiver = await startReceiver((_req, _n, res) => void res.writeHead(up ? 200 : 503).end());
    const first = await startLocalProcess(env);
    processes.push(first);
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { ...credentialsOf(first), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    const subscriptions: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const res = await call(first.url, 'POST', '/api/v0.1/webhooks', { url: `${receiver.url}/${i}`, events: ['card.created'] });
      expect(res.status).toBe(201);
      subscriptions.push(res.body.webhook_subscription.id);
    }
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i += 15) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(15, EVENTS - i) }, (_, n) =>
          call(first.url, 'POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${i + n}`, customer_id: 'u' } }),
        ),
      );
      for (const r of batch) {
        expect(r.status).toBe(202);
        eventIds.push(r.body.id);
      }
    }
    // Mid-delivery: first attempts made and failed (the sender's circuit breaker then defers the
    // rest of each endpoint's deliveries without a POST), others queued, deferred or in flight.
    await eventually('attempts under way', async () => (receiver!.requests.length >= 2 * SUBSCRIPTIONS ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await first.kill9();

    up = true;
    const second = await startLocalProcess(env);
    processes.push(second);
    expect(second.credentials).toEqual(first.credentials);

    const wanted = new Set(subscriptions.flatMap((_, i) => eventIds.map((id) => `/webhook/${i} ${id}`)));
    const delivered = () => new Set(receiver!.requests.filter((r) => r.at > 0).map((r) => `${r.path} ${r.headers['webhook-id']}`));
    await eventually(
      'every delivery after the restart',
      async () => {
        const got = delivered();
        return [...wanted].every((k) => got.has(k)) ? true : undefined;
      },
      90_000,
    );

    // Every history complete: one delivery per event, each succeeded, none pending.
    for (const id of subscriptions) {
      await eventually(
        `history of ${id}`,
        async () => {
          const statuses: string[] = [];
          let cursor: string | null = null;
          do {
            const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
            const page = await call(second.url, 'GET', `/api/v0.1/webhooks/${id}/deliveries?limit=100${q}`);
            statuses.push(...page.body.deliveries.map((d: { status: string }) => d.status));
            cursor = page.body.next_cursor;
          } while (cursor);
          if (statuses.length === EVENTS && statuses.every((s) => s === 'succeeded')) return true;
          // Said when it times out: what the list showed last.
          const counts = new Map<string, number>();
          for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
          throw new Error(`${statuses.length} listed: ${[...counts].map(([s, n]) => `${s} ${n}`).join(', ')}`);
        },
        30_000,
      );
    }
  });
});

function credentialsOf(p: LocalProcess): Record<string, string> {
  return { Identity: p.credentials.identity, Authorization: p.credentials.authorization };
}
