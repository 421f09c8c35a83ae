import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import type { Delivery } from '../../functions/domain/model.js';
import { verifySignature } from '../../functions/domain/signing.js';
import { serializeEvent } from '../../functions/domain/webhook-body.js';
import { AUTO_DISABLE_ENV } from '../../functions/runtime/config.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { runNpmStart } from '../support/local-process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Recover since a time, end to end in local mode: dead letters of a window sent again once each,
 * however many recoveries run at once or in turn; a window of 5,000 dead letters recovered
 * completely in pages; and a subscription disabled after failing for the auto-disable period,
 * enabled again, then recovered: what it missed, dead-lettered or skipped while disabled, arrives.
 */

interface DeliveryRow {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
}

async function allDeliveries(p: TestPipeline, subscriptionId: string): Promise<DeliveryRow[]> {
  const out: DeliveryRow[] = [];
  let cursor: string | undefined;
  do {
    const res = await p.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    out.push(...(res.body.deliveries as DeliveryRow[]));
    cursor = res.body.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

async function followed(p: TestPipeline, href: string, timeoutMs = 60_000) {
  return eventually(
    `recovery ${href} to be done`,
    async () => {
      const res = await p.call('GET', href);
      expect(res.status).toBe(200);
      return res.body.recovery.status === 'done' ? res.body.recovery : undefined;
    },
    timeoutMs,
  );
}

/** POSTs the receiver got, by webhook-id, from the `from`-th request on. */
function postsById(r: Receiver, from = 0): Map<string, number> {
  const counts = new Map<string, number>();
  for (const req of r.requests.slice(from)) {
    const id = String(req.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('recover since a time, in local mode', () => {
  let p: TestPipeline;
  const receivers: Receiver[] = [];
  /** A receiver of its own per case: an endpoint's circuit (per URL, in the sender) is then its own too. */
  async function receiver(status: () => number): Promise<Receiver> {
    const r = await startReceiver((_req, _n, res) => void res.writeHead(status()).end(status() === 200 ? 'ok' : 'boom'));
    receivers.push(r);
    return r;
  }

  beforeAll(async () => {
    // Recoveries send at the resume rate (20 a second by default); faster here, so 5,000 take seconds.
    p = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 2000, resumeRatePerSecond: 400 });
  });
  afterAll(async () => {
    await p?.stop();
    for (const r of receivers) await r.close();
  });

  it('sends each dead letter of the window once, with two recoveries at once, and nothing on a third', { timeout: 120_000 }, async () => {
    let status = 500;
    const r = await receiver(() => status);
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'] });
    expect(created.status).toBe(201);
    const id: string = created.body.webhook_subscription.id;
    const since = new Date(Date.now() - 1000).toISOString();
    const N = 6;
    const events: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${i}`, customer_id: 'u' } });
      expect(res.status).toBe(202);
      events.push(res.body.id);
    }
    const dead = await eventually(
      'every delivery to be dead-lettered',
      async () => {
        const rows = await allDeliveries(p, id);
        // Some with all 3 attempts; once the endpoint's circuit opened, others held in its lot until their schedule ended.
        return rows.length === N && rows.every((d) => d.status === 'dead_lettered') ? rows : undefined;
      },
      60_000,
    );
    const attemptsBefore = new Map(dead.map((d) => [d.id, d.attempts]));
    status = 200;
    const before = r.requests.length;

    const [a, b] = await Promise.all([
      p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since }),
      p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since }),
    ]);
    for (const r of [a, b]) {
      expect(r.status).toBe(202);
      expect(r.headers.get('location')).toBe(r.body.recovery.href);
      expect(r.body.recovery).toMatchObject({ subscription_id: id, since: expect.any(String) });
    }
    const [ra, rb] = [await followed(p, a.body.recovery.href), await followed(p, b.body.recovery.href)];
    for (const x of [ra, rb]) expect(x.found).toBeGreaterThanOrEqual(x.queued);
    // Each delivery was claimed by exactly one of them.
    expect(ra.queued + rb.queued).toBe(N);

    const done = await eventually('every delivery to succeed', async () => {
      const rows = await allDeliveries(p, id);
      return rows.every((d) => d.status === 'succeeded') ? rows : undefined;
    });
    // One more attempt each: sent once, not twice.
    for (const d of done) expect(d.attempts).toBe(attemptsBefore.get(d.id)! + 1);
    const posts = postsById(r, before);
    expect([...posts.keys()].sort()).toEqual([...events].sort());
    expect([...posts.values()]).toEqual(Array(N).fill(1));

    // Again, in turn: nothing left to recover.
    const again = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since });
    expect(again.status).toBe(202);
    const rc = await followed(p, again.body.recovery.href);
    expect(rc).toMatchObject({ queued: 0, found: 0, status: 'done' });
    expect(r.requests.length - before).toBe(N);
  });

  it('refuses a bad window or a subscription it cannot see with a 4xx, and starts nothing', async () => {
    const r = await receiver(() => 200);
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'] });
    const id: string = created.body.webhook_subscription.id;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const cases: [unknown, number, string][] = [
      [{ since: iso(now - 60_000), until: iso(now - 120_000) }, 400, 'since'],
      [{ since: iso(now + 3_600_000) }, 400, 'since'],
      [{ since: iso(now - 31 * 86_400_000) }, 400, 'since'],
      [{ since: 'yesterday' }, 400, 'since'],
      [{}, 400, 'since'],
    ];
    for (const [body, code, field] of cases) {
      const res = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, body);
      expect(res.status, JSON.stringify(body)).toBe(code);
      expect(res.body.error.code).toBe('validation_failed');
      expect(JSON.stringify(res.body.error.details)).toContain(field);
    }
    const missing = await p.call('POST', '/api/v0.1/webhooks/sub_does_not_exist/recover', { since: iso(now - 60_000) });
    expect(missing.status).toBe(404);
    const unknown = await p.call('GET', `/api/v0.1/webhooks/${id}/recoveries/rcv_nope`);
    expect(unknown.status).toBe(404);
    // Disabled: enable it first.
    await p.call('PATCH', `/api/v0.1/webhooks/${id}`, { status: 'STATUS_DISABLED' });
    const disabled = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since: iso(now - 60_000) });
    expect(disabled.status).toBe(409);
  });

  it('recovers a window of 5,000 dead letters completely, in pages, each once', { timeout: 300_000 }, async () => {
    const r = await receiver(() => 200);
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'] });
    const id: string = created.body.webhook_subscription.id;
    // Seeded straight into the table as the sender would have left them: dead-lettered, each with
    // its event in its record (one item each), listed in the subscription's history index.
    const client = new DynamoDBClient({ endpoint: p.endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const store = new DynamoDeliveryStore(
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      p.endpoints.tableName,
    );
    const N = 5000;
    const deliveries: Delivery[] = [];
    const history = [];
    for (let i = 0; i < N; i++) {
      // As the fan-out lists them: one history item per invocation of 10 events, each its own created time.
      const createdTime = new Date(Date.now() - 60_000 + Math.floor(i / 10)).toISOString();
      const event = { id: `evt_bulk_${String(i).padStart(5, '0')}`, type: 'card.created', timestamp: createdTime, data: { n: i } };
      deliveries.push({
        id: deliveryIdFor(event.id, id),
        tenantId: p.tenantId,
        subscriptionId: id,
        eventId: event.id,
        eventType: event.type,
        status: 'dead_lettered',
        attempts: 3,
        generation: 0,
        createdTime,
        updatedTime: createdTime,
        lastStatusCode: 500,
        eventBody: serializeEvent(event),
      });
      history.push({ tenantId: p.tenantId, subscriptionId: id, eventId: event.id, eventType: event.type, createdTime });
    }
    await store.write({ deliveries, history });
    client.destroy();
    const before = r.requests.length;

    const started = Date.now();
    const res = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since: new Date(Date.now() - 120_000).toISOString() });
    expect(res.status).toBe(202);
    // Answered within the API's budget, before the whole window is done.
    const answeredMs = Date.now() - started;
    const recovery = await followed(p, res.body.recovery.href, 240_000);
    expect(recovery).toMatchObject({ found: N, queued: N, expired: 0 });
    const doneMs = Date.now() - started;
    await eventually(
      'every bulk delivery to reach the receiver',
      async () => (r.requests.length - before >= N ? true : undefined),
      240_000,
    );
    const posts = postsById(r, before);
    expect(posts.size).toBe(N);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    console.log(
      `5,000 dead letters: answered 202 in ${answeredMs} ms, recovery done in ${doneMs} ms, all POSTed in ${Date.now() - started} ms`,
    );
  });
});

describe('auto-disable after the configured period, then enable and recover, in local mode', () => {
  let p: TestPipeline;
  let r: Receiver;
  let status = 503;

  beforeAll(async () => {
    p = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 2000, autoDisableSeconds: 4, resumeRatePerSecond: 400 });
    r = await startReceiver((_req, _n, res) => void res.writeHead(status).end(status === 200 ? 'ok' : 'down'));
  });
  afterAll(async () => {
    await p?.stop();
    await r?.close();
  });

  it('disables a subscription whose every delivery failed for the period, shows why, and recovers what it missed once enabled', {
    timeout: 240_000,
  }, async () => {
    // Another subscription of the tenant watches for disables (operational events).
    const watcher = await startReceiver();
    const watching = await p.call('POST', '/api/v0.1/webhooks', { url: watcher.url, events: ['webhook.subscription.disabled'] });
    expect(watching.status).toBe(201);
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: r.url, events: ['card.created'] });
    const id: string = created.body.webhook_subscription.id;
    const createdTime: string = created.body.webhook_subscription.created_time;
    const published: string[] = [];
    const publish = async () => {
      const res = await p.call('POST', '/api/v0.1/events', {
        type: 'card.created',
        data: { card_id: `c${published.length}`, customer_id: 'u' },
      });
      expect(res.status).toBe(202);
      published.push(res.body.id);
    };
    // Traffic keeps coming while the endpoint is down, as in life: its lot stays open.
    const disabled = await eventually(
      'the subscription to be disabled for failing',
      async () => {
        await publish();
        const s = (await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription;
        return s.status === 'STATUS_DISABLED' ? s : undefined;
      },
      60_000,
    );
    expect(disabled).toMatchObject({ disabled_reason: 'endpoint_failing', disabled_time: expect.any(String) });
    // At least the period after the endpoint began failing.
    expect(Date.parse(disabled.disabled_time) - Date.parse(createdTime)).toBeGreaterThanOrEqual(4000);
    // Counted just after the write the GET saw: waited for, then exactly once.
    await eventually('the auto-disable counted', async () => (p.metrics.counts.get('SubscriptionAutoDisabled') ? true : undefined));
    expect(p.metrics.counts.get('SubscriptionAutoDisabled')).toBe(1);
    // Reported to the watcher, signed, with the reason and since when it failed.
    const [notice] = await watcher.waitFor(1);
    verifySignature(watching.body.webhook_subscription.secret, notice!.headers as Record<string, string>, notice!.body);
    const event = JSON.parse(notice!.body);
    expect(event.type).toBe('webhook.subscription.disabled');
    expect(event.data).toMatchObject({
      subscription_id: id,
      url: r.url,
      reason: 'endpoint_failing',
    });
    expect(Date.parse(event.data.disabled_time)).toBe(Date.parse(disabled.disabled_time));
    expect(Date.parse(event.data.failing_since)).toBeLessThan(Date.parse(disabled.disabled_time));
    await watcher.close();
    const v0 = await p.call('GET', `/api/v0/webhooks/${id}`);
    expect(v0.body).toMatchObject({ status: 'disabled', disabled_reason: 'endpoint_failing', disabled_time: disabled.disabled_time });

    // Missed while disabled: fanned out to nobody, listed skipped.
    const whileDisabled = published.length;
    for (let i = 0; i < 3; i++) await publish();
    const missed = published.slice(whileDisabled);
    await eventually('the events published while disabled to be listed skipped', async () => {
      const rows = await allDeliveries(p, id);
      return missed.every((e) => rows.find((d) => d.event_id === e)?.status === 'skipped') ? true : undefined;
    });
    // Nothing still under way: every delivery has ended (dead-lettered before, or skipped).
    await eventually('every delivery to have ended', async () => {
      const rows = await allDeliveries(p, id);
      return rows.length === published.length && rows.every((d) => d.status === 'dead_lettered' || d.status === 'skipped')
        ? true
        : undefined;
    });

    status = 200;
    const before = r.requests.length;
    const enabled = await p.call('PATCH', `/api/v0.1/webhooks/${id}`, { status: 'STATUS_ENABLED' });
    expect(enabled.status).toBe(200);
    expect(enabled.body.webhook_subscription.status).toBe('STATUS_ENABLED');
    expect(enabled.body.webhook_subscription.disabled_reason).toBeUndefined();
    expect(enabled.body.recover_offer).toEqual({ since: disabled.disabled_time, method: 'POST', href: `/api/v0.1/webhooks/${id}/recover` });

    // The offer: what it missed since it was disabled.
    const offered = await p.call('POST', enabled.body.recover_offer.href, { since: enabled.body.recover_offer.since });
    expect(offered.status).toBe(202);
    await followed(p, offered.body.recovery.href);
    // Sent as a person's retry: past the endpoint's circuit, which may still be open in a sender instance.
    await eventually(
      'what it missed while disabled to arrive',
      async () => (missed.every((e) => postsById(r, before).get(e) === 1) ? true : undefined),
      90_000,
    );
    // Then everything else of its history, the dead letters from before it was disabled.
    const rest = await p.call('POST', `/api/v0.1/webhooks/${id}/recover`, { since: createdTime });
    expect(rest.status).toBe(202);
    await followed(p, rest.body.recovery.href);
    await eventually(
      'every delivery to succeed',
      async () => {
        const rows = await allDeliveries(p, id);
        return rows.length === published.length && rows.every((d) => d.status === 'succeeded') ? true : undefined;
      },
      90_000,
    );
    const posts = postsById(r, before);
    expect([...posts.keys()].sort()).toEqual([...published].sort());
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('auto-disable, npm start', () => {
  it('refuses a WEBHOOKS_AUTO_DISABLE_SECONDS that is no whole number of seconds, in one line, starting nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-auto-disable-'));
    try {
      for (const raw of ['5 days', '0', '1.5']) {
        const bad = runNpmStart({ PORT: '0', WEBHOOKS_DATA_DIR: dataDir, [AUTO_DISABLE_ENV]: raw });
        expect(await bad.exited).toBe(1);
        expect(bad.output()).toContain(`${AUTO_DISABLE_ENV} must be a whole number of seconds, at least 1, got "${raw}"`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
