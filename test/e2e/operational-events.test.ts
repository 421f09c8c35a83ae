import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { OPERATIONAL_EVENT_SOURCE } from '../../functions/domain/operational-events.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * Operational events end to end on the twin (functions/domain/operational-events.ts): a tenant's
 * healthy receiver subscribed to `webhook.*` learns, signed like any webhook, that another of its
 * subscriptions is failing, that its deliveries were dead-lettered, that it answered again, that
 * a 410 and a PATCH disabled subscriptions; the subscription they are about never gets them
 * though it subscribes to `webhook.*` too; another tenant gets none of them; an operator's rule
 * on the bus (local mode's queue for source `webhooks.operational`) sees them all; and a tenant
 * cannot publish them.
 */

const catalog = loadCatalog();
let p: TestPipeline;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // Three attempts a second apart: a dying endpoint is dead-lettered within seconds.
  p = await startTestPipeline({ retrySchedule: [1, 1], attemptTimeoutMs: 2000 });
});
afterAll(async () => {
  await p?.stop();
  for (const r of receivers) await r.close();
});

async function receiver(status: () => number): Promise<Receiver> {
  const r = await startReceiver((_q, _n, res) => void res.writeHead(status()).end('x'));
  receivers.push(r);
  return r;
}

interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/** Every request verified with the subscription's secret (standardwebhooks), as its receiver would. */
function verified(r: Receiver, secret: string): Received[] {
  return r.requests.map((q: ReceivedRequest) => {
    const headers = {
      'webhook-id': String(q.headers['webhook-id']),
      'webhook-timestamp': String(q.headers['webhook-timestamp']),
      'webhook-signature': String(q.headers['webhook-signature']),
    };
    const body = new Webhook(secret).verify(q.body, headers) as Received;
    expect(body.id).toBe(headers['webhook-id']);
    return body;
  });
}

const about = (events: Received[], type: string, subscriptionId: string) =>
  events.filter((e) => e.type === type && e.data.subscription_id === subscriptionId);

describe('operational events', { timeout: 180_000 }, () => {
  // First, while nothing else fails: what a burst of dead letters costs in PutEvents.
  it('a burst of dead letters is reported in batched PutEvents (measured: PutEvents per dead letter)', async () => {
    const d = as(await addTenant(p, 'tenant d'));
    const dead = await receiver(() => 503);
    const res = await p.call('POST', '/api/v0.1/webhooks', { url: dead.url, events: ['card.created'] }, d);
    expect(res.status).toBe(201);
    const BURST = 40;
    const putEventsBefore = p.calls.counts.get('EventBridge.PutEvents') ?? 0;
    const emittedBefore = p.metrics.counts.get('OperationalEventsEmitted') ?? 0;
    await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const r = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `d${i}`, customer_id: 'u' } }, d);
        expect(r.status).toBe(202);
      }),
    );
    await eventually(
      'every dead letter reported',
      async () => ((p.metrics.counts.get('OperationalEventsEmitted') ?? 0) - emittedBefore >= BURST ? true : undefined),
      60_000,
    );
    // The API's publishes are one PutEvents each; the rest are the sender's operational events.
    const operationalCalls = (p.calls.counts.get('EventBridge.PutEvents') ?? 0) - putEventsBefore - BURST;
    const emitted = (p.metrics.counts.get('OperationalEventsEmitted') ?? 0) - emittedBefore;
    console.log(
      `operational events: ${emitted} for ${BURST} dead letters in ${operationalCalls} PutEvents (${(operationalCalls / BURST).toFixed(2)} a dead letter)`,
    );
    // Nobody watches: the reports are the dead letters (and the lot's opening), never one call each.
    expect(emitted).toBeLessThanOrEqual(BURST + 2);
    expect(operationalCalls).toBeLessThan(BURST);
  });

  it("reach the tenant's other subscriptions signed, never the one they are about nor another tenant, and the operator's rule", async () => {
    const call = p.call;
    const subscribe = async (url: string, events: string[], headers: Record<string, string> = {}) => {
      const res = await call('POST', '/api/v0.1/webhooks', { url, events }, headers);
      expect(res.status).toBe(201);
      return res.body.webhook_subscription as { id: string; secret: string };
    };
    const publish = async (n: number, headers: Record<string, string> = {}) => {
      const res = await call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `c${n}`, customer_id: 'u' } }, headers);
      expect(res.status).toBe(202);
    };

    const watcher = await receiver(() => 200);
    const watching = await subscribe(watcher.url, ['webhook.*']);
    let dyingStatus = 503;
    const dying = await receiver(() => dyingStatus);
    // It asks for operational events too: none about itself may come (rule 1).
    const dyingSub = await subscribe(dying.url, ['card.created', 'webhook.*']);

    // Tenant B watches its own operational events the same way.
    const bTenant = await addTenant(p, 'tenant b');
    const b = as(bTenant);
    const bTenantId = bTenant.tenantId;
    const bWatcher = await receiver(() => 200);
    const bWatching = await subscribe(bWatcher.url, ['webhook.*'], b);
    const bOther = await subscribe((await receiver(() => 200)).url, ['card.created'], b);

    // The endpoint dies: tenant events keep coming, so its lot stays open with deliveries held.
    let n = 0;
    let publishing = true;
    const loop = (async () => {
      while (publishing) {
        await publish(n++);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const seen = () => verified(watcher, watching.secret);
    try {
      await eventually(
        'the watcher told the endpoint is failing and a delivery dead-lettered',
        async () =>
          about(seen(), 'webhook.endpoint.failing', dyingSub.id).length > 0 &&
          about(seen(), 'webhook.delivery.dead_lettered', dyingSub.id).length > 0
            ? true
            : undefined,
        60_000,
      );
      // It answers again: the next probe finds it, and the lot drains.
      dyingStatus = 200;
      await eventually(
        'the watcher told it recovered',
        async () => (about(seen(), 'webhook.endpoint.recovered', dyingSub.id).length > 0 ? true : undefined),
        60_000,
      );
    } finally {
      publishing = false;
      await loop;
    }

    // A receiver that answers 410: its subscription is disabled, and the watcher told why.
    const gone = await receiver(() => 410);
    const goneSub = await subscribe(gone.url, ['card.created']);
    await publish(n++);
    await eventually('the watcher told of the 410', async () =>
      about(seen(), 'webhook.subscription.disabled', goneSub.id).length > 0 ? true : undefined,
    );
    // A person disables one: reported with that reason.
    expect((await call('PATCH', `/api/v0.1/webhooks/${dyingSub.id}`, { status: 'STATUS_DISABLED' })).status).toBe(200);
    await eventually('the watcher told of the PATCH', async () =>
      about(seen(), 'webhook.subscription.disabled', dyingSub.id).length > 0 ? true : undefined,
    );
    // Tenant B's own disable reaches B's watcher (so it does receive), after all of A's.
    expect((await call('PATCH', `/api/v0.1/webhooks/${bOther.id}`, { status: 'STATUS_DISABLED' }, b)).status).toBe(200);
    await bWatcher.waitFor(1);

    const events = seen();
    // Each is a catalog type whose data fits its schema.
    for (const e of events) {
      expect(catalog.isOperational(e.type), e.type).toBe(true);
      expect(catalog.validateData(e.type, e.data), e.type).toBeNull();
    }
    // A delivery held in the lot its whole schedule is dead-lettered without a POST, so with no last attempt.
    const deadLetters = about(events, 'webhook.delivery.dead_lettered', dyingSub.id);
    expect(deadLetters.length).toBeGreaterThan(0);
    for (const dead of deadLetters) {
      expect(dead.data).toMatchObject({ url: dying.url, event_type: 'card.created', attempts: expect.any(Number) });
      if ((dead.data.attempts as number) > 0) expect((dead.data.last_attempt as { status_code?: number }).status_code).toBe(503);
      else expect(dead.data.last_attempt).toBeUndefined();
    }
    const failing = about(events, 'webhook.endpoint.failing', dyingSub.id)[0]!;
    const recovered = about(events, 'webhook.endpoint.recovered', dyingSub.id).at(-1)!;
    expect(Date.parse(String(recovered.data.recovered_time))).toBeGreaterThan(Date.parse(String(failing.data.failing_since)));
    expect(about(events, 'webhook.subscription.disabled', goneSub.id)[0]!.data).toMatchObject({
      reason: 'endpoint_gone',
      last_attempt: { status_code: 410 },
    });
    expect(about(events, 'webhook.subscription.disabled', dyingSub.id)[0]!.data).toMatchObject({ reason: 'disabled_by_tenant' });
    // Nothing about the watcher itself, which never failed.
    expect(events.filter((e) => e.data.subscription_id === watching.id)).toEqual([]);

    // Rule 1: the dying subscription asked for webhook.* and got none about itself; once back, it
    // did get the one about the gone subscription (so it takes operational events at all).
    await eventually('the recovered subscription told of the 410', async () =>
      verified(dying, dyingSub.secret).some((e) => e.data.subscription_id === goneSub.id) ? true : undefined,
    );
    const dyingGot = verified(dying, dyingSub.secret);
    expect(dyingGot.filter((e) => e.type !== 'card.created' && e.data.subscription_id === dyingSub.id)).toEqual([]);
    expect(dyingGot.filter((e) => e.type !== 'card.created').map((e) => [e.type, e.data.subscription_id])).toEqual([
      ['webhook.subscription.disabled', goneSub.id],
    ]);
    // Tenant B: only its own.
    const bGot = verified(bWatcher, bWatching.secret);
    expect(bGot.map((e) => [e.type, e.data.subscription_id])).toEqual([['webhook.subscription.disabled', bOther.id]]);

    // The operator's rule on the bus: every one of them, by source and detail-type, with its tenant.
    const onBus = p.sqs.peek(p.sqs.busOperationalEvents).map(
      (m) =>
        JSON.parse(m.body) as {
          source: string;
          'detail-type': string;
          detail: { tenant_id: string; event: Received };
        },
    );
    expect(new Set(onBus.map((e) => e.source))).toEqual(new Set([OPERATIONAL_EVENT_SOURCE]));
    for (const e of onBus) expect(e['detail-type']).toBe(e.detail.event.type);
    const busIds = new Set(onBus.map((e) => e.detail.event.id));
    for (const e of events) expect(busIds.has(e.id), `${e.type} on the bus`).toBe(true);
    expect(onBus.filter((e) => e.detail.tenant_id === p.tenantId).length).toBeGreaterThanOrEqual(5);
    expect(onBus.filter((e) => e.detail.tenant_id === bTenantId).map((e) => e.detail.event.data.subscription_id)).toEqual([bOther.id]);
    // Counted as emitted, none failed.
    expect(p.metrics.counts.get('OperationalEventsEmitted')).toBeGreaterThanOrEqual(onBus.length);
    expect(p.metrics.counts.get('OperationalEventsFailed')).toBeUndefined();
  });

  it('two dead subscriptions watching each other: the notices they cannot take report nothing more (rule 2)', async () => {
    const c = as(await addTenant(p, 'tenant c'));
    const subscribe = async (url: string, events: string[]) => {
      const res = await p.call('POST', '/api/v0.1/webhooks', { url, events }, c);
      expect(res.status).toBe(201);
      return res.body.webhook_subscription as { id: string; secret: string };
    };
    const x = await subscribe((await receiver(() => 503)).url, ['card.created', 'webhook.*']);
    const y = await subscribe((await receiver(() => 503)).url, ['card.created', 'webhook.*']);
    const cardsToEach = 6;
    for (let i = 0; i < cardsToEach; i++) {
      const res = await p.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: `x${i}`, customer_id: 'u' } }, c);
      expect(res.status).toBe(202);
    }
    type Listed = { id: string; event_type: string; status: string };
    const deliveriesOf = async (id: string) =>
      (await p.call('GET', `/api/v0.1/webhooks/${id}/deliveries?limit=100`, undefined, c)).body.deliveries as Listed[];
    const inDlq = () => new Set(p.sqs.peek(p.sqs.deliveryDlq).map((m) => parseDeliveryMessage(m.body).deliveryId));
    // Each got notices about the other (its failing, its dead letters) and could not take them
    // either: wait until such a notice's delivery is dead-lettered and its message is in the DLQ
    // (so the invocation that dead-lettered it, and emitted whatever it emits, is long over).
    const deadNotices = await eventually(
      'notices about each other dead-lettered at both',
      async () => {
        const dlq = inDlq();
        const [atX, atY] = await Promise.all([deliveriesOf(x.id), deliveriesOf(y.id)]);
        const notices = [...atX, ...atY].filter(
          (d) => d.event_type.startsWith('webhook.') && d.status === 'dead_lettered' && dlq.has(d.id),
        );
        const cards = [...atX, ...atY].filter((d) => d.event_type === 'card.created' && d.status === 'dead_lettered');
        return cards.length === 2 * cardsToEach && atX.some((d) => notices.includes(d)) && atY.some((d) => notices.includes(d))
          ? notices
          : undefined;
      },
      90_000,
    );
    const onBus = p.sqs
      .peek(p.sqs.busOperationalEvents)
      .map((m) => JSON.parse(m.body) as { detail: { event: Received } })
      .map((e) => e.detail.event)
      .filter((e) => e.data.subscription_id === x.id || e.data.subscription_id === y.id);
    // Their card events' dead letters are reported, one each; the notices' are not.
    const deadLetters = onBus.filter((e) => e.type === 'webhook.delivery.dead_lettered');
    expect(deadLetters.map((e) => e.data.event_type)).toEqual(Array(2 * cardsToEach).fill('card.created'));
    const reportedDeliveries = new Set(deadLetters.map((e) => e.data.delivery_id));
    for (const d of deadNotices) expect(reportedDeliveries.has(d.id), `${d.event_type} delivery ${d.id} reported`).toBe(false);
    // And each lot's opening is reported at most once per opening it had on account of card events.
    expect(onBus.filter((e) => e.type === 'webhook.endpoint.failing').length).toBeLessThanOrEqual(4);
  });

  it('refuses to publish an operational event through the API, with a clear 400, and publishes nothing', async () => {
    const before = p.sqs.peek(p.sqs.busOperationalEvents).length;
    const example = catalog.entries.find((e) => e.type === 'webhook.delivery.dead_lettered')!.example;
    const res = await p.call('POST', '/api/v0.1/events', { type: 'webhook.delivery.dead_lettered', data: example });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(res.body)).toContain("platform's own event types");
    // Any type in the namespace, catalogued or not.
    const unknown = await p.call('POST', '/api/v0.1/events', { type: 'webhook.test', data: {} });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("platform's own event types");
    expect(p.sqs.peek(p.sqs.busOperationalEvents).length).toBe(before);
    // The catalog route shows them, marked.
    const types = (await p.call('GET', '/api/v0.1/event-types')).body.event_types as { type: string; operational: boolean }[];
    expect(
      types
        .filter((t) => t.operational)
        .map((t) => t.type)
        .sort(),
    ).toEqual([
      'webhook.delivery.dead_lettered',
      'webhook.endpoint.failing',
      'webhook.endpoint.recovered',
      'webhook.endpoint.verification',
      'webhook.subscription.disabled',
      'webhook.subscription.verified',
    ]);
    expect(types.find((t) => t.type === 'card.created')?.operational).toBe(false);
  });
});
