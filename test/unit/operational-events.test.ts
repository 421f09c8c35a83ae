import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../functions/adapters/aws/eventbridge-bus.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { OperationalEvents } from '../../functions/app/operational-events.js';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { encodeDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { DeliveryMessage, WebhookEvent } from '../../functions/domain/model.js';
import {
  OPERATIONAL_EVENT_SOURCE,
  OPERATIONAL_EVENT_TYPES,
  type OperationalData,
  operationalEvent,
  reportsFact,
  subscriptionTakes,
} from '../../functions/domain/operational-events.js';
import { maxReceiveCount } from '../../functions/domain/retry-schedule.js';
import { generateSecret } from '../../functions/domain/signing.js';
import { VERIFICATION_EVENT_TYPE } from '../../functions/domain/verification.js';
import { MemoryDeliveryStore, MemoryLots, MemoryQueue, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

const catalog = loadCatalog();

describe('operational events in the catalog', () => {
  it.each(OPERATIONAL_EVENT_TYPES.map((t) => [t]))('%s is in the catalog, marked operational, its example valid', (type) => {
    expect(catalog.has(type)).toBe(true);
    expect(catalog.isOperational(type)).toBe(true);
    const entry = catalog.entries.find((e) => e.type === type)!;
    expect(entry.operational).toBe(true);
    expect(catalog.validateData(type, entry.example)).toBeNull();
    // Every one names the subscription it is about: the loop rule reads it.
    expect(entry.schema.required).toEqual(expect.arrayContaining(['subscription_id', 'url']));
  });

  it("marks only the webhook.* types operational, and the tenants' types not", () => {
    // The five the pipeline reports on the bus, and the handshake it sends the endpoint being verified alone.
    expect(catalog.types.filter((t) => catalog.isOperational(t)).sort()).toEqual(
      [...OPERATIONAL_EVENT_TYPES, VERIFICATION_EVENT_TYPE].sort(),
    );
    expect(catalog.isOperational('card.created')).toBe(false);
  });

  it('refuses a file whose namespace and mark disagree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-op-'));
    const entry = (type: string, operational?: boolean) =>
      JSON.stringify({
        type,
        description: 'd',
        schema: { type: 'object' },
        example: {},
        ...(operational !== undefined ? { operational } : {}),
      });
    try {
      writeFileSync(join(dir, 'webhook.x.json'), entry('webhook.x'));
      expect(() => loadCatalog(dir)).toThrow(/types under "webhook\." are the platform's own/);
      writeFileSync(join(dir, 'webhook.x.json'), entry('webhook.x', true));
      writeFileSync(join(dir, 'card.x.json'), entry('card.x', true));
      expect(() => loadCatalog(dir)).toThrow(/card\.x\.json/);
      rmSync(join(dir, 'card.x.json'));
      expect(loadCatalog(dir).isOperational('webhook.x')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the data the pipeline builds fits each schema (the minimal and the full shapes)', () => {
    const samples: { [K in keyof OperationalData]: OperationalData[K][] } = {
      'webhook.delivery.dead_lettered': [
        {
          subscription_id: 's',
          url: 'http://127.0.0.1:1/x',
          delivery_id: 'dlv_1',
          event_id: 'evt_1',
          event_type: 'card.created',
          attempts: 3,
          dead_lettered_time: '2026-03-01T00:00:00.000Z',
        },
        {
          subscription_id: 's',
          url: 'https://a.example/x',
          delivery_id: 'dlv_1',
          event_id: 'evt_1',
          event_type: 'card.created',
          attempts: 0,
          dead_lettered_time: '2026-03-01T00:00:00.000Z',
          last_attempt: { time: '2026-03-01T00:00:00.000Z', error: 'timeout: no answer in 5000 ms' },
        },
      ],
      'webhook.endpoint.failing': [{ subscription_id: 's', url: 'https://a.example/x', failing_since: '2026-03-01T00:00:00.000Z' }],
      'webhook.endpoint.recovered': [
        {
          subscription_id: 's',
          url: 'https://a.example/x',
          failing_since: '2026-03-01T00:00:00.000Z',
          recovered_time: '2026-03-01T01:00:00.000Z',
        },
      ],
      'webhook.subscription.disabled': [
        { subscription_id: 's', url: 'https://a.example/x', reason: 'disabled_by_tenant', disabled_time: '2026-03-01T00:00:00.000Z' },
        {
          subscription_id: 's',
          url: 'https://a.example/x',
          reason: 'endpoint_failing',
          disabled_time: '2026-03-01T00:00:00.000Z',
          failing_since: '2026-02-25T00:00:00.000Z',
          last_attempt: { time: '2026-03-01T00:00:00.000Z', status_code: 503 },
        },
      ],
      'webhook.subscription.verified': [{ subscription_id: 's', url: 'https://a.example/x', verified_time: '2026-03-01T00:00:00.000Z' }],
    };
    for (const [type, list] of Object.entries(samples)) for (const data of list) expect(catalog.validateData(type, data), type).toBeNull();
    expect(
      catalog.validateData('webhook.subscription.disabled', { ...samples['webhook.subscription.disabled'][0], reason: 'bored' }),
    ).not.toBeNull();
  });
});

describe('the loop rules', () => {
  const about = (type: string, subscriptionId: string): Pick<WebhookEvent, 'type' | 'data'> => ({
    type,
    data: { subscription_id: subscriptionId },
  });

  it('rule 1: an operational event about a subscription never goes to that subscription', () => {
    const s = { id: 'sub_a', events: ['webhook.*', 'card.created'] };
    expect(subscriptionTakes(s, about('webhook.endpoint.failing', 'sub_a'))).toBe(false);
    expect(subscriptionTakes(s, about('webhook.delivery.dead_lettered', 'sub_a'))).toBe(false);
    expect(subscriptionTakes(s, about('webhook.endpoint.failing', 'sub_b'))).toBe(true);
    // A tenant's own event with a subscription_id field is no such thing.
    expect(subscriptionTakes(s, { type: 'card.created', data: { subscription_id: 'sub_a' } })).toBe(true);
  });

  it('rule 4: only filters that name the namespace take operational events; others are as before', () => {
    const op = about('webhook.endpoint.failing', 'sub_x');
    const takes = (events: string[]) => subscriptionTakes({ id: 'sub_a', events }, op);
    expect(takes(['*'])).toBe(false);
    expect(takes(['w*'])).toBe(false);
    expect(takes(['card*'])).toBe(false);
    expect(takes(['webhook*'])).toBe(true);
    expect(takes(['webhook.*'])).toBe(true);
    expect(takes(['webhook.endpoint.*'])).toBe(true);
    expect(takes(['webhook.delivery.*'])).toBe(false);
    expect(takes(['webhook.endpoint.failing'])).toBe(true);
    expect(takes(['webhook.endpoint.recovered'])).toBe(false);
    expect(subscriptionTakes({ id: 'sub_a', events: ['*'] }, { type: 'card.created', data: {} })).toBe(true);
    expect(subscriptionTakes({ id: 'sub_a', events: ['card*'] }, { type: 'card.created', data: {} })).toBe(true);
  });

  it('rules 2 and 3: a fact caused by delivering an operational event reports nothing, except a disable', () => {
    for (const kind of ['webhook.delivery.dead_lettered', 'webhook.endpoint.failing', 'webhook.endpoint.recovered'] as const) {
      expect(reportsFact(kind, 'card.created')).toBe(true);
      expect(reportsFact(kind, 'webhook.delivery.dead_lettered')).toBe(false);
      expect(reportsFact(kind, 'webhook.endpoint.failing')).toBe(false);
      // A person's action (or the handshake): no delivery caused it.
      expect(reportsFact(kind, undefined)).toBe(true);
    }
    expect(reportsFact('webhook.subscription.disabled', 'webhook.endpoint.failing')).toBe(true);
    expect(reportsFact('webhook.subscription.disabled', 'card.created')).toBe(true);
  });

  it('the same fact is the same event id; another fact or tenant another', () => {
    const data = (attempts: number): OperationalData['webhook.delivery.dead_lettered'] => ({
      subscription_id: 's',
      url: 'https://a.example/x',
      delivery_id: 'dlv_1',
      event_id: 'evt_1',
      event_type: 'card.created',
      attempts,
      dead_lettered_time: '2026-03-01T00:00:00.000Z',
    });
    const a = operationalEvent('webhook.delivery.dead_lettered', 't1', data(3), new Date(1));
    const again = operationalEvent('webhook.delivery.dead_lettered', 't1', { ...data(3), dead_lettered_time: 'later' }, new Date(2));
    expect(again.id).toBe(a.id);
    expect(a.id).toMatch(/^evt_op_[0-9a-f]{32}$/);
    expect(operationalEvent('webhook.delivery.dead_lettered', 't1', data(4), new Date(1)).id).not.toBe(a.id);
    expect(operationalEvent('webhook.delivery.dead_lettered', 't2', data(3), new Date(1)).id).not.toBe(a.id);
  });
});

describe('OperationalEvents on EventBridge', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const counts = new Map<string, number>();
  const logs: { level: string; message: string }[] = [];
  const emitter = () =>
    new OperationalEvents({
      bus: new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'webhooks-events'),
      metrics: { count: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
      log: (level, message) => void logs.push({ level, message }),
      now: () => new Date('2026-03-01T00:00:00.000Z'),
      retryDelayMs: 1,
    });
  const deadLetter = (i: number): OperationalData['webhook.delivery.dead_lettered'] => ({
    subscription_id: 'sub_dead',
    url: 'https://a.example/x',
    delivery_id: `dlv_${i}`,
    event_id: `evt_${i}`,
    event_type: 'card.created',
    attempts: 3,
    dead_lettered_time: '2026-03-01T00:00:00.000Z',
  });

  beforeEach(() => {
    eventBridge.reset();
    counts.clear();
    logs.length = 0;
  });

  it('sends what is queued in PutEvents of at most 10 entries, under its own source, the tenant in the detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const ops = emitter();
    for (let i = 0; i < 25; i++) ops.emit('webhook.delivery.dead_lettered', 'tnt_1', deadLetter(i));
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    await ops.flush();
    const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    const first = calls[0]![0]!;
    expect(first).toMatchObject({
      EventBusName: 'webhooks-events',
      Source: OPERATIONAL_EVENT_SOURCE,
      DetailType: 'webhook.delivery.dead_lettered',
    });
    const detail = JSON.parse(first.Detail!);
    expect(detail.tenant_id).toBe('tnt_1');
    expect(detail.event).toMatchObject({ type: 'webhook.delivery.dead_lettered', data: deadLetter(0) });
    expect(counts.get('OperationalEventsEmitted')).toBe(25);
    // Nothing queued: no call at all.
    await ops.flush();
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('retries a failed PutEvents once, then logs and counts it and never throws', async () => {
    eventBridge.on(PutEventsCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ FailedEntryCount: 0, Entries: [] });
    const ops = emitter();
    ops.emit('webhook.delivery.dead_lettered', 'tnt_1', deadLetter(1));
    await ops.flush();
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(counts.get('OperationalEventsEmitted')).toBe(1);
    expect(counts.get('OperationalEventsFailed')).toBeUndefined();

    eventBridge.reset();
    // Refused entries (FailedEntryCount) are failures too.
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    await ops.send('webhook.subscription.disabled', 'tnt_1', {
      subscription_id: 's',
      url: 'https://a.example/x',
      reason: 'disabled_by_tenant',
      disabled_time: '2026-03-01T00:00:00.000Z',
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(counts.get('OperationalEventsFailed')).toBe(1);
    expect(logs).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringContaining('could not put operational events') }),
    ]);
  });
});

describe('OperationalEvents on a bus that hangs', () => {
  it('gives each PutEvents its time, then counts the notices failed: flush returns, it never hangs the batch', async () => {
    const counts = new Map<string, number>();
    let tries = 0;
    const ops = new OperationalEvents({
      bus: {
        putEntries: (_entries, options) =>
          new Promise<void>((_, reject) => {
            tries++;
            options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
          }),
      },
      metrics: { count: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
      timeoutMs: 50,
      retryDelayMs: 1,
    });
    await ops.send('webhook.subscription.verified', 'tnt_1', {
      subscription_id: 's',
      url: 'https://a.example/x',
      verified_time: '2026-03-01T00:00:00.000Z',
    });
    expect(tries).toBe(2);
    expect(counts.get('OperationalEventsFailed')).toBe(1);
  });
});

describe('the sender reports facts by the rules', () => {
  const SCHEDULE = [5, 300];
  const sqs = mockClient(SQSClient);
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let secrets: MemorySecrets;
  let put: { Source?: string; DetailType?: string; Detail?: string }[];

  beforeEach(async () => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    subs = new MemorySubscriptions();
    secrets = new MemorySecrets();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    await subs.create(subscription({ events: ['card.created', 'webhook.*'] }));
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: generateSecret() }));
    put = [];
  });

  const sender = (answer: AttemptResult) =>
    createSender({
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs.eu-west-1.amazonaws.com/1/q'),
      client: { post: async () => answer },
      schedule: SCHEDULE,
      operational: new OperationalEvents({ bus: { putEntries: async (entries) => void put.push(...entries) } }),
    });

  /** A delivery on its last attempt of the schedule, of an event of `type`. */
  async function lastAttempt(type: string): Promise<SQSEvent> {
    const event = { id: `evt_${type}`, type, timestamp: '2026-01-01T00:00:00.000Z', data: { subscription_id: 'sub_other' } };
    const m: DeliveryMessage = {
      deliveryId: deliveryIdFor(event.id, 'sub_1'),
      tenantId: 'tnt_1',
      subscriptionId: 'sub_1',
      event,
      createdTime: '2026-01-01T00:00:00.000Z',
    };
    await store.write({
      deliveries: [
        {
          id: m.deliveryId,
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          eventId: event.id,
          eventType: type,
          status: 'pending',
          attempts: SCHEDULE.length,
          generation: 0,
          createdTime: m.createdTime,
          updatedTime: m.createdTime,
        },
      ],
    });
    const record = {
      messageId: 'msg-1',
      receiptHandle: 'rh-1',
      body: JSON.stringify(m),
      attributes: { ApproximateReceiveCount: String(maxReceiveCount(SCHEDULE) - 1), SentTimestamp: '0' },
      messageAttributes: {},
    } as unknown as SQSRecord;
    return { Records: [record] };
  }

  it("a tenant event's dead letter reports webhook.delivery.dead_lettered, with its last attempt", async () => {
    await sender({ kind: 'response', status: 503, latencyMs: 1, excerpt: '' })(await lastAttempt('card.created'));
    expect(put.map((e) => e.DetailType)).toEqual(['webhook.delivery.dead_lettered']);
    const detail = JSON.parse(put[0]!.Detail!);
    expect(put[0]!.Source).toBe(OPERATIONAL_EVENT_SOURCE);
    expect(detail.event.data).toMatchObject({
      subscription_id: 'sub_1',
      event_type: 'card.created',
      attempts: 3,
      last_attempt: { status_code: 503 },
    });
    expect(catalog.validateData('webhook.delivery.dead_lettered', detail.event.data)).toBeNull();
  });

  it("an operational event's dead letter reports nothing (no notice about a notice)", async () => {
    await sender({ kind: 'response', status: 503, latencyMs: 1, excerpt: '' })(await lastAttempt('webhook.endpoint.failing'));
    expect(put).toEqual([]);
    expect([...store.deliveries.values()][0]).toMatchObject({ status: 'dead_lettered' });
  });

  it("a 410 to an operational event's delivery still reports the disable: it happens once", async () => {
    await sender({ kind: 'response', status: 410, latencyMs: 1, excerpt: '' })(await lastAttempt('webhook.endpoint.failing'));
    expect(put.map((e) => e.DetailType)).toEqual(['webhook.subscription.disabled']);
    expect(JSON.parse(put[0]!.Detail!).event.data).toMatchObject({
      subscription_id: 'sub_1',
      reason: 'endpoint_gone',
      last_attempt: { status_code: 410 },
    });
    expect((await subs.get('tnt_1', 'sub_1'))?.status).toBe('disabled');
  });

  it('a bus that fails costs the delivery nothing: the outcome stands and the batch answers as without it', async () => {
    const failing = createSender({
      secrets,
      store,
      deliveries: new SqsQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs.eu-west-1.amazonaws.com/1/q'),
      client: { post: async () => ({ kind: 'response', status: 503, latencyMs: 1, excerpt: '' }) },
      schedule: SCHEDULE,
      operational: new OperationalEvents({
        bus: {
          putEntries: async () => {
            throw new Error('EventBridge is down');
          },
        },
        retryDelayMs: 1,
      }),
    });
    expect(await failing(await lastAttempt('card.created'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect([...store.deliveries.values()][0]).toMatchObject({ status: 'dead_lettered' });
  });
});

describe('the sender reports lots by the rules', () => {
  const SCHEDULE = [5, 300, 1800, 7200];
  let clock: number;
  let store: MemoryDeliveryStore;
  let lots: MemoryLots;
  let secrets: MemorySecrets;
  let put: { DetailType?: string; Detail?: string }[];
  let answers: AttemptResult[];

  beforeEach(async () => {
    clock = Date.parse('2026-03-01T00:00:10.000Z');
    const subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    lots = new MemoryLots();
    secrets = new MemorySecrets();
    await subs.create(subscription({ events: ['card.created', 'webhook.*'] }));
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: generateSecret() }));
    put = [];
    answers = [];
  });

  const handler = () =>
    createSender({
      secrets,
      store,
      deliveries: new MemoryQueue(),
      client: { post: async () => answers.shift() ?? { kind: 'response', status: 200, latencyMs: 1, excerpt: '' } },
      schedule: SCHEDULE,
      now: () => new Date(clock),
      parking: { lots, gauge: { inFlight: async () => 0 }, dueBucketSeconds: 60 },
      operational: new OperationalEvents({ bus: { putEntries: async (entries) => void put.push(...entries) } }),
    });

  const message = (n: number, type = 'card.created', resume?: DeliveryMessage['resume']) => {
    const event = { id: `evt_${n}`, type, timestamp: '2026-03-01T00:00:00.000Z' };
    const m: DeliveryMessage & { body: string } = {
      deliveryId: deliveryIdFor(event.id, 'sub_1'),
      tenantId: 'tnt_1',
      subscriptionId: 'sub_1',
      event,
      body: JSON.stringify({ ...event, data: { subscription_id: 'sub_other' } }),
      createdTime: '2026-03-01T00:00:00.000Z',
      listed: true,
      ...(resume ? { resume } : {}),
    };
    return m;
  };
  const record = (m: DeliveryMessage & { body: string }): SQSRecord =>
    ({
      messageId: `msg-${m.deliveryId}`,
      receiptHandle: `rh-${m.deliveryId}`,
      body: encodeDeliveryMessage(m),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(clock - 1000) },
      messageAttributes: {},
    }) as unknown as SQSRecord;
  const heldProbe = async (n: number, type: string) => {
    const m = message(n, type, { token: 'tok', kind: 'probe' });
    await store.write({
      deliveries: [
        {
          id: m.deliveryId,
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          eventId: m.event.id,
          eventType: type,
          status: 'pending',
          attempts: 1,
          generation: 0,
          createdTime: m.createdTime,
          updatedTime: m.createdTime,
          eventBody: m.body,
          park: { kind: 'held', token: 'tok', until: new Date(clock + 86_400_000).toISOString() },
        },
      ],
    });
    return m;
  };
  const openLot = (quiet: boolean) =>
    lots.lots.set('tnt_1/sub_1', {
      tenantId: 'tnt_1',
      subscriptionId: 'sub_1',
      state: 'open',
      url: 'https://hooks.example.com/in',
      openedTime: '2026-03-01T00:00:00.000Z',
      wakeTime: new Date(clock).toISOString(),
      probeSeconds: 60,
      probeMaxSeconds: 900,
      ...(quiet ? { quiet: true as const } : {}),
    });
  const fail: AttemptResult = { kind: 'response', status: 503, latencyMs: 1, excerpt: '' };

  it('a lot opened by tenant events reports failing once; one opened delivering notices is quiet', async () => {
    answers.push(fail, fail, fail, fail, fail);
    await handler()({ Records: [1, 2, 3, 4, 5].map((n) => record(message(n))) } as SQSEvent);
    expect(lots.lots.get('tnt_1/sub_1')).toMatchObject({ state: 'open' });
    expect(lots.lots.get('tnt_1/sub_1')!.quiet).toBeUndefined();
    expect(put.map((e) => e.DetailType)).toEqual(['webhook.endpoint.failing']);
    expect(JSON.parse(put[0]!.Detail!).event.data).toMatchObject({ subscription_id: 'sub_1', last_attempt: { status_code: 503 } });

    lots.lots.clear();
    put = [];
    answers.push(fail, fail, fail, fail, fail);
    await handler()({ Records: [6, 7, 8, 9, 10].map((n) => record(message(n, 'webhook.endpoint.failing'))) } as SQSEvent);
    expect(lots.lots.get('tnt_1/sub_1')).toMatchObject({ state: 'open', quiet: true });
    expect(put).toEqual([]);
  });

  it("a loud lot's recovery is reported even when a notice was its probe; a quiet lot's is not", async () => {
    openLot(false);
    await handler()({ Records: [record(await heldProbe(20, 'webhook.endpoint.failing'))] } as SQSEvent);
    expect(lots.lots.get('tnt_1/sub_1')!.state).toBe('draining');
    expect(put.map((e) => e.DetailType)).toEqual(['webhook.endpoint.recovered']);
    expect(JSON.parse(put[0]!.Detail!).event.data).toMatchObject({ subscription_id: 'sub_1', failing_since: '2026-03-01T00:00:00.000Z' });

    put = [];
    openLot(true);
    await handler()({ Records: [record(await heldProbe(21, 'card.created'))] } as SQSEvent);
    expect(lots.lots.get('tnt_1/sub_1')!.state).toBe('draining');
    expect(put).toEqual([]);
  });
});
