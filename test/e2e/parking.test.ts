import { afterEach, describe, expect, it } from 'vitest';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { runCli } from '../support/cli.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Parking on the twin (functions/domain/parking.ts), end to end and at the limits issue 17 names:
 * SQS's in-flight cap with a dead endpoint beside a healthy tenant, a crash between parking a
 * delivery and deleting its message and between resuming and moving on, an endpoint that recovers
 * while thousands are held, a 12-hour step, fair-queue order, dead letters that keep their
 * retention, and what retries, disables and 410s do to parked deliveries. Long waits pass on a
 * clock the test moves (the sender's, the resumer's and the store's); SQS's own timers are real.
 */

let p: TestPipeline | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await p?.stop();
  p = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(status: () => number, delayMs = 0): Promise<Receiver> {
  const r = await startReceiver((_q, _n, res) => {
    const answer = () => void res.writeHead(status()).end('x');
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  });
  receivers.push(r);
  return r;
}

const publish = async (t: TestPipeline, n: number, headers: Record<string, string> = {}) => {
  const res = await t.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${n}`, customer_id: 'u' } }, headers);
  expect(res.status).toBe(202);
  return res.body.id as string;
};
const subscribe = async (t: TestPipeline, url: string, headers: Record<string, string> = {}) => {
  const res = await t.call('POST', '/api/v0.1/webhooks', { url, events: ['card.created'] }, headers);
  expect(res.status).toBe(201);
  return res.body.webhook_subscription as { id: string };
};
const deliveriesOf = async (t: TestPipeline, subscriptionId: string) =>
  (await t.call('GET', `/api/v0.1/webhooks/${subscriptionId}/deliveries?limit=100`)).body.deliveries as {
    id: string;
    status: string;
    attempts: number;
    next_attempt_time: string | null;
  }[];
const queueEmpty = (t: TestPipeline) => {
  const s = t.sqs.inspect(t.sqs.delivery);
  return s.ready + s.delayed + s.inflight === 0;
};
const ids = (r: Receiver) => r.requests.map((q) => String(q.headers['webhook-id']));

describe("SQS's in-flight cap, a dead endpoint beside a healthy tenant", () => {
  const CAP = 120;
  const setUp = async (parking: boolean) => {
    // Every failed attempt (and every deferral of an open circuit) waits an hour.
    p = await startTestPipeline({ parking, sqsInFlightCap: CAP, retrySchedule: [3600] });
    const dead = await receiver(() => 503);
    const healthy = await receiver(() => 200);
    await subscribe(p, dead.url);
    const quiet = await addTenant(p, 'quiet tenant');
    await subscribe(p, healthy.url, as(quiet));
    for (let i = 0; i < 150; i += 25) await Promise.all(Array.from({ length: 25 }, (_, n) => publish(p!, i + n)));
    return { dead, healthy, quiet };
  };

  it("stalls every tenant without parking: the dead endpoint's waits fill the in-flight set and nothing else is received", async () => {
    const { healthy, quiet } = await setUp(false);
    // At its cap, and settled: a delivery deferred while its endpoint was busy comes back within
    // the attempt timeout (5 s), freeing a place for a moment; once 6 s pass with no receive handled
    // (every one in flight waits its hour, or its open circuit's cool-off), none does.
    let handled = -1;
    let since = Date.now();
    await eventually(
      'the in-flight set at its cap, settled',
      async () => {
        const c = p!.metrics.counts;
        const now = (c.get('DeliveryDeferred') ?? 0) + (c.get('DeliveryRetried') ?? 0) + (c.get('DeliverySucceeded') ?? 0);
        if (now !== handled) [handled, since] = [now, Date.now()];
        return p!.sqs.inspect(p!.sqs.delivery).inflight >= CAP && Date.now() - since > 6_000 ? true : undefined;
      },
      60_000,
    );
    for (let n = 0; n < 3; n++) await publish(p!, 1000 + n, as(quiet));
    // The quiet tenant's messages are on the queue, ready, behind a cap that long polls cannot pass.
    await eventually('the quiet tenant fanned out', async () =>
      p!.sqs.inspect(p!.sqs.delivery).ready >= 150 - CAP + 3 ? true : undefined,
    );
    // An absence, so a short window: three seconds of the pollers' long polls finding nothing.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(healthy.requests).toHaveLength(0);
    expect(p!.sqs.inspect(p!.sqs.delivery).inflight).toBe(CAP);
  });

  it("does not stall with parking: the dead endpoint's deliveries leave the in-flight set, and the healthy tenant is delivered", async () => {
    const { dead, healthy, quiet } = await setUp(true);
    for (let n = 0; n < 3; n++) await publish(p!, 1000 + n, as(quiet));
    await healthy.waitFor(3, 30_000);
    // Every dead-endpoint delivery is out of the queue: parked (a step of an hour) or held in its lot.
    await eventually("the dead endpoint's deliveries out of the queue", async () => (queueEmpty(p!) ? true : undefined), 30_000);
    expect(p!.metrics.counts.get('LotOpened')).toBeGreaterThanOrEqual(1);
    // It got a handful of POSTs before its circuit opened, not 150.
    expect(dead.requests.length).toBeLessThan(40);
  });
});

describe('crashes between two calls', () => {
  const clocked = async (schedule: number[]) => {
    let offset = 0;
    p = await startTestPipeline({
      retrySchedule: schedule,
      clock: () => new Date(Date.now() + offset),
      processingVisibilitySeconds: 2,
      resumeIntervalMs: 3_600_000,
    });
    return {
      advance(ms: number) {
        offset += ms;
      },
    };
  };

  it('between parking a delivery and deleting its message: the message comes back, the park owns it, one POST per attempt', async () => {
    const clock = await clocked([1, 600]);
    let n = 0;
    const r = await receiver(() => (++n <= 2 ? 503 : 200));
    const sub = await subscribe(p!, r.url);
    await publish(p!, 1);
    await r.waitFor(1);
    // The invocation that parks the delivery after its second attempt "times out" after its work.
    p!.faults.fail('invocation-timeout', 1);
    await r.waitFor(2);
    await eventually('the park written and its message back and dropped', async () =>
      p!.faults.fired.get('invocation-timeout') === 1 && queueEmpty(p!) ? true : undefined,
    );
    const [parked] = await deliveriesOf(p!, sub.id);
    expect(parked).toMatchObject({ status: 'pending', attempts: 2 });
    expect(r.requests).toHaveLength(2);
    clock.advance(700_000);
    await p!.resumeNow();
    await r.waitFor(3);
    await eventually('delivered', async () => ((await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined));
    expect(r.requests).toHaveLength(3);
    expect(new Set(ids(r)).size).toBe(1);
  });

  it('between resuming a delivery and moving the cursor on: the next run reads the bucket again and sends nothing twice', async () => {
    const clock = await clocked([1, 600]);
    let n = 0;
    const r = await receiver(() => (++n <= 2 ? 503 : 200));
    const sub = await subscribe(p!, r.url);
    await publish(p!, 1);
    await r.waitFor(2);
    await eventually('parked', async () => ((await deliveriesOf(p!, sub.id))[0]?.attempts === 2 && queueEmpty(p!) ? true : undefined));
    clock.advance(700_000);
    p!.faults.fail('resumer-after-send', 1);
    await expect(p!.resumeNow()).rejects.toThrow(/resumer-after-send/);
    await r.waitFor(3);
    await eventually('delivered', async () => ((await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined));
    // The next run goes on from the bucket the crash left: the record is no longer parked under
    // the entry's token (attempted since), so nothing is sent again, and nothing POSTs twice.
    const report = await p!.resumeNow();
    expect(report.buckets).toBeGreaterThan(0);
    expect(report.resumed).toBe(0);
    await eventually('the queue drained', async () => (queueEmpty(p!) ? true : undefined));
    expect(r.requests).toHaveLength(3);
  });
});

describe('an endpoint that recovers while thousands are held', () => {
  it("gets every held delivery once it answers a probe, at the lot's rate, each once", { timeout: 120_000 }, async () => {
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 3600], resumeRatePerSecond: 500, clock: () => new Date(Date.now() + offset) });
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const sub = await subscribe(p, r.url);
    const EVENTS = 2_000;
    for (let i = 0; i < EVENTS; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, n) =>
          p!.bus.publish(p!.tenantId, { id: `evt_many_${i + n}`, type: 'card.created', timestamp: new Date().toISOString(), data: {} }),
        ),
      );
    await eventually(
      'every delivery held, none in the queue',
      async () => (queueEmpty(p!) && (p!.metrics.counts.get('DeliveryHeld') ?? 0) >= EVENTS - 10 ? true : undefined),
      60_000,
    );
    const whileDown = r.requests.length;
    expect(whileDown).toBeLessThan(100);
    up = true;
    // Past the lot's longest wait between probes: the next probe is due.
    offset += 3_600_000;
    // Every delivery received since it came up (one attempted while down must come again).
    await eventually(
      'every held delivery received',
      async () => (new Set(ids(r).slice(whileDown)).size >= EVENTS ? true : undefined),
      90_000,
    );
    const got = ids(r).filter((_, i) => i >= whileDown);
    const unique = new Set(got);
    expect(unique.size).toBe(EVENTS);
    // At least once; the only second copies would be a drain round sent again after a lost cursor.
    expect(got.length - unique.size).toBeLessThanOrEqual(2);
    const list = await deliveriesOf(p, sub.id);
    expect(list.every((d) => d.status === 'succeeded')).toBe(true);
  });
});

describe('a 12-hour step on the parked path', () => {
  it('is parked, not waited in flight: no visibility change past five minutes, and it comes back when due', async () => {
    let offset = 0;
    // Ten-minute buckets: the resumer catches up 13 hours in 80 of them.
    p = await startTestPipeline({
      retrySchedule: [43_200],
      clock: () => new Date(Date.now() + offset),
      resumeIntervalMs: 3_600_000,
      dueBucketSeconds: 600,
    });
    let n = 0;
    const r = await receiver(() => (++n === 1 ? 503 : 200));
    const sub = await subscribe(p, r.url);
    await publish(p, 1);
    await r.waitFor(1);
    const parked = await eventually('parked', async () => {
      const [d] = await deliveriesOf(p!, sub.id);
      return d?.attempts === 1 && queueEmpty(p!) ? d : undefined;
    });
    // Listed as pending, with its next attempt 12 h on (jitter only lengthens it).
    expect(parked.status).toBe('pending');
    expect(Date.parse(parked.next_attempt_time!) - r.requests[0]!.at).toBeGreaterThanOrEqual(43_200_000 - 1000);
    expect(p.visibilityRule.requests.filter((q) => q.seconds > 300)).toEqual([]);
    offset += 13.3 * 3_600_000;
    expect((await p.resumeNow()).resumed).toBe(1);
    await r.waitFor(2);
    expect(ids(r)[1]).toBe(ids(r)[0]);
    await eventually('delivered', async () => ((await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined));
    expect(p.visibilityRule.requests.filter((q) => q.seconds > 300)).toEqual([]);
  });
});

describe('fair-queue order', () => {
  it("serves two quiet tenants' deliveries before a noisy tenant's backlog", { timeout: 90_000 }, async () => {
    p = await startTestPipeline();
    const slow = await receiver(() => 200, 100);
    for (let s = 0; s < 10; s++) await subscribe(p, `${slow.url}/${s}`);
    const quiet = [await addTenant(p, 'quiet one'), await addTenant(p, 'quiet two')];
    const quick = [await receiver(() => 200), await receiver(() => 200)];
    for (let q = 0; q < 2; q++) await subscribe(p, quick[q]!.url, as(quiet[q]!));
    for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, n) => publish(p!, i + n)));
    // A backlog of the noisy tenant's 3,000 deliveries, and its POSTs in flight.
    await eventually('the noisy backlog', async () => (p!.sqs.inspect(p!.sqs.delivery).ready >= 1_000 ? true : undefined), 60_000);
    for (let q = 0; q < 2; q++) await publish(p, 5000 + q, as(quiet[q]!));
    await quick[0]!.waitFor(1, 30_000);
    await quick[1]!.waitFor(1, 30_000);
    // Served ahead of the backlog: most of the noisy tenant's deliveries were still to come.
    expect(slow.requests.length).toBeLessThan(2_000);
  });
});

describe('dead letters keep their retention', () => {
  it('dead-letters a fresh message (the last resume), redrivable 13 days later', async () => {
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 600], clock: () => new Date(Date.now() + offset), resumeIntervalMs: 3_600_000 });
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const sub = await subscribe(p, r.url);
    await publish(p, 1);
    await r.waitFor(2);
    await eventually('parked', async () => (queueEmpty(p!) ? true : undefined));
    offset += 700_000;
    const resumedAt = Date.now();
    await p.resumeNow();
    await r.waitFor(3);
    await eventually('dead-lettered', async () => (p!.sqs.inspect(p!.sqs.deliveryDlq).ready === 1 ? true : undefined), 30_000);
    expect((await deliveriesOf(p, sub.id))[0]).toMatchObject({ status: 'dead_lettered', attempts: 3 });
    // The dead letter is the resumer's message, sent moments before, not the fan-out's: its retention runs from then.
    const [dead] = p.sqs.peek(p.sqs.deliveryDlq);
    expect(parseDeliveryMessage(dead!.body).resume?.kind).toBe('due');
    expect(dead!.sentTimestamp).toBeGreaterThanOrEqual(resumedAt - 1000);
    // Thirteen days later it is still there (SQS keeps it 14 from its first send), and a redrive delivers it.
    p.sqs.backdate(p.sqs.deliveryDlq, dead!.messageId, 13 * 86_400);
    expect(p.sqs.inspect(p.sqs.deliveryDlq).ready).toBe(1);
    up = true;
    const redrive = await runCli('redrive', p.dataDir, []);
    expect(redrive.code).toBe(0);
    await r.waitFor(4);
    await eventually('delivered after the redrive', async () =>
      (await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined,
    );
  });

  it('carries on with a fresh message when the one it has is more than a day old, so none can expire in the queue', async () => {
    p = await startTestPipeline({ retrySchedule: [1, 3] });
    let n = 0;
    const r = await receiver(() => (++n === 1 ? 503 : 200));
    const sub = await subscribe(p, r.url);
    await publish(p, 1);
    await r.waitFor(1);
    // Its message waits its 1 s step in flight: make it two days old, as a backlog would.
    const [waiting] = await eventually('the message in flight', async () => {
      const m = p!.sqs.peek(p!.sqs.delivery);
      return m.length === 1 ? m : undefined;
    });
    p.sqs.backdate(p.sqs.delivery, waiting!.messageId, 2 * 86_400);
    await r.waitFor(2);
    await eventually('delivered', async () => ((await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined));
    expect(p.metrics.counts.get('DeliveryParked')).toBeGreaterThanOrEqual(1);
  });
});

describe('parked deliveries and what people do', () => {
  it('a manual retry of a parked delivery goes at once; its park, when due, sends nothing more', async () => {
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 600], clock: () => new Date(Date.now() + offset), resumeIntervalMs: 3_600_000 });
    let n = 0;
    const r = await receiver(() => (++n <= 2 ? 503 : 200));
    const sub = await subscribe(p, r.url);
    await publish(p, 1);
    await r.waitFor(2);
    const [parked] = await eventually('parked', async () => {
      const list = await deliveriesOf(p!, sub.id);
      return list[0]?.attempts === 2 && queueEmpty(p!) ? list : undefined;
    });
    expect((await p.call('POST', `/api/v0.1/webhooks/${sub.id}/deliveries/${parked!.id}/retry`)).status).toBe(202);
    await r.waitFor(3);
    await eventually('delivered', async () => ((await deliveriesOf(p!, sub.id))[0]?.status === 'succeeded' ? true : undefined));
    offset += 700_000;
    expect((await p.resumeNow()).resumed).toBe(0);
    expect(r.requests).toHaveLength(3);
  });

  it("a held delivery of a subscription disabled meanwhile is skipped when its lot's probe comes, and the lot drains", {
    timeout: 90_000,
  }, async () => {
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 3600], clock: () => new Date(Date.now() + offset) });
    const r = await receiver(() => 503);
    const sub = await subscribe(p, r.url);
    for (let i = 0; i < 30; i++) await publish(p, i);
    await eventually('held', async () => (queueEmpty(p!) && (p!.metrics.counts.get('DeliveryHeld') ?? 0) >= 20 ? true : undefined), 30_000);
    const posts = r.requests.length;
    expect((await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { status: 'STATUS_DISABLED' })).status).toBe(200);
    offset += 3_600_000;
    await eventually(
      'every delivery skipped',
      async () => {
        const list = await deliveriesOf(p!, sub.id);
        return list.length === 30 && list.every((d) => d.status === 'skipped' || d.attempts > 0) && queueEmpty(p!) ? list : undefined;
      },
      30_000,
    );
    expect(r.requests).toHaveLength(posts);
  });

  it('a 410 to a probe disables the subscription, and what its lot held is skipped', { timeout: 90_000 }, async () => {
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 3600], clock: () => new Date(Date.now() + offset) });
    let gone = false;
    const r = await receiver(() => (gone ? 410 : 503));
    const sub = await subscribe(p, r.url);
    for (let i = 0; i < 20; i++) await publish(p, i);
    await eventually('held', async () => (queueEmpty(p!) && (p!.metrics.counts.get('DeliveryHeld') ?? 0) >= 10 ? true : undefined), 30_000);
    gone = true;
    offset += 3_600_000;
    await eventually('disabled', async () =>
      (await p!.call('GET', `/api/v0.1/webhooks/${sub.id}`)).body.webhook_subscription.status === 'STATUS_DISABLED' ? true : undefined,
    );
    await eventually('nothing pending', async () => {
      const list = await deliveriesOf(p!, sub.id);
      return list.length === 20 && list.every((d) => d.status !== 'pending') && queueEmpty(p!) ? true : undefined;
    });
    // One 410: the probe's. Everything else was skipped without a POST.
    expect(r.requests.filter((_, i) => i > 0).length).toBeLessThan(10);
  });
});
