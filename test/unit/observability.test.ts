import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../functions/adapters/aws/powertools-metrics.js';
import { createSender } from '../../functions/app/sender.js';
import type { AttemptResult } from '../../functions/app/webhook-client.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import { generateSecret } from '../../functions/domain/signing.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/** What operators see: EMF metrics per outcome, and logs that never carry secrets, signatures or payloads. */
describe('sender metrics and logs', () => {
  it('emits EMF counts per outcome and attempt latency, and logs no secret, signature or payload', async () => {
    const subs = new MemorySubscriptions();
    const secrets = new MemorySecrets();
    const secret = generateSecret();
    await subs.create(subscription());
    await secrets.create('webhooks/test/tnt_1/sub_1', JSON.stringify({ current: secret }));
    const metrics = new Metrics({ namespace: 'Webhooks', serviceName: 'webhooks' });
    const logs: unknown[] = [];
    const signatures: string[] = [];
    const answers: AttemptResult[] = [
      { kind: 'response', status: 200, latencyMs: 12, excerpt: '' },
      { kind: 'response', status: 500, latencyMs: 30, excerpt: '' },
      { kind: 'response', status: 500, latencyMs: 40, excerpt: '' },
    ];
    const store = new MemoryDeliveryStore();
    store.subscriptions = subs;
    // The third has had its first attempt (schedule of one step: two attempts); this is its last.
    const third = deliveryIdFor('evt_3', 'sub_1');
    await store.write({
      deliveries: [
        {
          id: third,
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          eventId: 'evt_3',
          eventType: 'card.created',
          status: 'pending',
          attempts: 1,
          generation: 0,
          createdTime: '2026-01-01T00:00:00.000Z',
          updatedTime: '2026-01-01T00:00:00.000Z',
          nextAttemptTime: '2026-01-01T00:00:05.000Z',
        },
      ],
    });
    const sender = createSender({
      secrets,
      store,
      deliveries: { sendAll: async () => undefined, changeVisibility: async () => undefined, changeVisibilities: async () => undefined },
      client: {
        post: async (_url, headers) => {
          signatures.push(headers['webhook-signature']!);
          return answers.shift()!;
        },
      },
      schedule: [5],
      metrics: new EmfMetrics(metrics),
      log: (level, message, detail) => logs.push({ level, message, ...detail }),
    });
    const records = [1, 2, 3].map((n) => {
      const event = {
        id: `evt_${n}`,
        type: 'card.created',
        timestamp: '2026-01-01T00:00:00.000Z',
        data: { pan_secret_marker: `PAYLOAD-${n}` },
      };
      return {
        messageId: `m${n}`,
        receiptHandle: `r${n}`,
        attributes: { ApproximateReceiveCount: n === 3 ? '2' : '1' },
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

    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('Webhooks');
    expect(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual([
      'AttemptLatency',
      'DeliveryDeadLettered',
      'DeliveryRetried',
      'DeliverySucceeded',
    ]);
    expect(emf.DeliverySucceeded).toBe(1);
    expect(emf.DeliveryRetried).toBe(1);
    expect(emf.DeliveryDeadLettered).toBe(1);
    expect(emf.AttemptLatency).toEqual([12, 30, 40]);
    expect(store.deliveries.get(`tnt_1/${third}`)).toMatchObject({ status: 'dead_lettered', attempts: 2 });

    const logged = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(logged).toContain('evt_1');
    expect(logged).not.toContain(secret.slice(6));
    for (const s of signatures) expect(logged).not.toContain(s.slice(3));
    expect(logged).not.toContain('PAYLOAD-');
  });
});
