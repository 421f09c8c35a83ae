import type { SQSRecord } from 'aws-lambda';
import { DynamoRateSlots } from '../functions/adapters/aws/dynamodb-rate-limit.js';
import { createSender } from '../functions/app/sender.js';
import { WebhookClient } from '../functions/app/webhook-client.js';
import { LOCAL_POLICY } from '../functions/domain/address-policy.js';
import { deliveryMessage, encodeDeliveryMessage } from '../functions/domain/delivery-message.js';
import type { Subscription } from '../functions/domain/model.js';
import type { RateLimit } from '../functions/domain/rate-limit.js';
import { DEFAULT_RETRY_SCHEDULE } from '../functions/domain/retry-schedule.js';
import { serializeSecretSet } from '../functions/domain/secret-set.js';
import { generateSecret } from '../functions/domain/signing.js';
import type { ChangeVisibility, Queue, QueueMessage } from '../functions/ports.js';
import { startDynamo } from '../local/dynamodb-emulator.js';
import { type Receiver, startReceiver } from '../test/support/receiver.js';
import { MemoryDeliveryStore, MemorySecrets, MemorySubscriptions } from './memory-ports.js';
import { middleRate, windowExcess } from './rate-limit.js';
import { sleep } from './support.js';

/**
 * The rate limit's mechanism alone, at rates local mode's whole pipeline cannot supply on a shared
 * machine: several sender instances (createSender each, with its own DynamoRateSlots) take slots
 * from one item on dynalite, over a queue in memory that honours DelaySeconds, POSTing to a real
 * loopback receiver. A backlog is put in the queue at once; the figure is the receiver's rate over
 * the middle 80 % of the arrivals ÷ the limit, and the window bound (rate-limit.ts, maxInWindow).
 */

export interface SenderRateFigure {
  limit: number;
  deliveries: number;
  instances: number;
  received: number;
  ratio: number;
  windowExcess: number;
}

/** SQS as the sender sees it, in memory: ready records, messages delayed by their DelaySeconds. */
class DelayQueue implements Queue {
  readonly ready: SQSRecord[] = [];
  private seq = 0;
  add(body: string): void {
    const id = `m${++this.seq}`;
    const sent = String(Date.now());
    this.ready.push({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'bench', ApproximateFirstReceiveTimestamp: sent },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:delivery',
      awsRegion: 'us-east-1',
    });
  }
  async sendAll(messages: readonly QueueMessage[]): Promise<void> {
    for (const m of messages) setTimeout(() => this.add(m.body), (m.delaySeconds ?? 0) * 1000);
  }
  async changeVisibility(_h: string, _s: number): Promise<void> {}
  async changeVisibilities(_c: readonly ChangeVisibility[]): Promise<void> {}
}

export async function measureSenderRates(o: { rates: readonly number[]; seconds: number; instances: number }): Promise<SenderRateFigure[]> {
  const dynamo = await startDynamo(undefined, 'webhooks');
  const receivers: Receiver[] = [];
  try {
    const subscriptions = new MemorySubscriptions();
    const secrets = new MemorySecrets();
    const store = new MemoryDeliveryStore();
    store.subscriptions = subscriptions;
    const queue = new DelayQueue();
    const client = new WebhookClient({ policy: LOCAL_POLICY, timeoutMs: 10_000, userAgent: 'bench', connections: 64 });
    const handlers = Array.from({ length: o.instances }, () =>
      createSender({
        secrets,
        deliveries: queue,
        store,
        client,
        schedule: DEFAULT_RETRY_SCHEDULE,
        rateSlots: new DynamoRateSlots(dynamo.doc, 'webhooks'),
      }),
    );
    let running = true;
    // Each instance takes up to ten ready records at a time, as an event source mapping's batch.
    const pollers = handlers.map(async (handle) => {
      while (running) {
        const batch = queue.ready.splice(0, 10);
        if (batch.length === 0) {
          await sleep(5);
          continue;
        }
        await handle({ Records: batch });
      }
    });
    const figures: SenderRateFigure[] = [];
    for (const perSecond of o.rates) {
      const rx = await startReceiver();
      receivers.push(rx);
      const now = new Date().toISOString();
      const s: Subscription = {
        id: `sub_rate_${perSecond}`,
        tenantId: 'tnt_bench',
        url: rx.url,
        description: '',
        events: ['card.created'],
        version: '0.1',
        status: 'enabled',
        secretName: `webhooks/bench/rate/${perSecond}`,
        createdTime: now,
        updatedTime: now,
        rateLimit: { perSecond, burst: 1 },
      };
      await secrets.create(s.secretName, serializeSecretSet({ current: generateSecret() }));
      await subscriptions.create(s);
      const n = perSecond * o.seconds;
      for (let i = 0; i < n; i++) {
        const m = deliveryMessage(
          'tnt_bench',
          s.id,
          { id: `evt_${perSecond}_${i}`, type: 'card.created', timestamp: now, data: { i } },
          now,
        );
        queue.add(encodeDeliveryMessage(m));
      }
      const deadline = Date.now() + (o.seconds * 3 + 120) * 1000;
      while (rx.requests.length < n) {
        if (Date.now() > deadline) throw new Error(`sender rate bench: ${rx.requests.length} of ${n} at ${perSecond}/s`);
        await sleep(50);
      }
      const at = rx.requests.map((r) => r.at);
      const limit: RateLimit = { perSecond, burst: 1 };
      const received = middleRate(at);
      figures.push({
        limit: perSecond,
        deliveries: n,
        instances: o.instances,
        received,
        ratio: received / perSecond,
        windowExcess: windowExcess(at, limit),
      });
    }
    running = false;
    await Promise.all(pollers);
    return figures;
  } finally {
    for (const r of receivers) await r.close();
    await dynamo.stop();
  }
}
