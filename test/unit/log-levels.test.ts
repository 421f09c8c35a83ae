import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { generateSecret } from '../../functions/domain/signing.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/** Logs at volume: successful attempts at debug, failed ones at warn; one ColdStart metric per container. */

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('sender log levels', () => {
  it('logs a 2xx attempt at debug and a failed one (5xx, network error) at warn', async () => {
    const subs = new MemorySubscriptions();
    const secrets = new MemorySecrets();
    await subs.create(subscription());
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: generateSecret() }));
    const answers: AttemptResult[] = [
      { kind: 'response', status: 204, latencyMs: 5, excerpt: '' },
      { kind: 'response', status: 503, latencyMs: 7, excerpt: '' },
      { kind: 'error', error: 'timeout', message: 'no answer within 10 s', latencyMs: 10_000 },
    ];
    const logs: { level: string; message: string; eventId?: string }[] = [];
    const store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    const sender = createSender({
      secrets,
      store,
      deliveries: { sendAll: async () => undefined, changeVisibility: async () => undefined, changeVisibilities: async () => undefined },
      client: { post: async () => answers.shift()! },
      schedule: [5],
      log: (level, message, detail) => logs.push({ level, message, ...(detail as { eventId?: string }) }),
    });
    const records = [1, 2, 3].map((n) => {
      const event = { id: `evt_${n}`, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: {} };
      return {
        messageId: `m${n}`,
        receiptHandle: `r${n}`,
        attributes: { ApproximateReceiveCount: '1' },
        body: JSON.stringify({
          deliveryId: deliveryIdFor(event.id, 'sub_1'),
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          event,
          createdTime: event.timestamp,
        }),
      };
    });
    await sender({ Records: records } as unknown as SQSEvent);
    const attempts = logs.filter((l) => l.message === 'delivery attempt');
    expect(attempts.map((l) => [l.eventId, l.level])).toEqual([
      ['evt_1', 'debug'],
      ['evt_2', 'warn'],
      ['evt_3', 'warn'],
    ]);
  });
});

describe('cold-start metric', () => {
  it('writes one ColdStart EMF line with the service and function name, on the first invocation only', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    // Powertools counts a cold start only where Lambda says the environment was made on demand.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.resetModules();
    const { coldStartMetric } = await import('../../functions/runtime/observability.js');
    const middleware = coldStartMetric();
    const request = { context: { functionName: 'Webhooks-SenderFunction-abc' } } as Parameters<NonNullable<typeof middleware.before>>[0];
    await middleware.before!(request);
    await middleware.before!(request);
    write.mockRestore();
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"ColdStart"'))
      .map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ ColdStart: 1, function_name: 'Webhooks-SenderFunction-abc', service: 'webhooks' });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('Webhooks');
    expect(emf[0]._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(['service', 'function_name']));
  });
});
