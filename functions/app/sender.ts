import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Attempt, Delivery, DeliveryMessage, Subscription } from '../domain/model.js';
import { nextDelaySeconds } from '../domain/retry-schedule.js';
import { parseSecretSet, signingSecrets, type SecretSet } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import {
  NO_METRICS,
  storeKey,
  type ChangeVisibility,
  type DeliveryStore,
  type Metrics,
  type Queue,
  type SecretStore,
  type SubscriptionRepository,
} from '../ports.js';
import type { AttemptResult, WebhookClient } from './webhook-client.js';

/**
 * Delivery queue -> one signed POST per message, all of a batch at once. Per batch: one read
 * of the deliveries' records, the POSTs, one visibility change for those to retry, and one
 * batched write of every attempt and delivery. A failed delivery waits on the queue itself
 * (its visibility timeout is the backoff), so nothing is lost if this function dies.
 */

export interface SenderDeps {
  subscriptions: SubscriptionRepository;
  secrets: SecretStore;
  deliveries: Queue;
  store: DeliveryStore;
  client: Pick<WebhookClient, 'post'>;
  schedule: readonly number[];
  cacheTtlMs?: number;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export type Outcome = 'succeeded' | 'retrying' | 'dead_lettered' | 'gone' | 'refused' | 'skipped' | 'duplicate';

/** The exact bytes every attempt of a delivery sends, so a retry carries the same body and id. */
export function webhookBody(message: DeliveryMessage): string {
  const { id, type, timestamp, data } = message.event;
  return JSON.stringify({ id, type, timestamp, data });
}

interface Work {
  record: SQSRecord;
  message: DeliveryMessage;
}

interface Result {
  record: SQSRecord;
  outcome: Outcome;
  delivery?: Delivery;
  attempt?: Attempt;
  visibility?: number;
}

export function createSender(deps: SenderDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log ?? (() => undefined);
  const ttl = deps.cacheTtlMs ?? 30_000;
  const subscriptionCache = new TtlCache<Subscription | undefined>(ttl);
  const secretCache = new TtlCache<SecretSet>(ttl);

  async function deliver({ record, message }: Work, prior: Delivery | undefined): Promise<Result> {
    const generation = message.generation ?? 0;
    if (prior?.status === 'succeeded' && prior.generation >= generation) return { record, outcome: 'duplicate' };
    const at = now();
    const base: Delivery = {
      id: message.deliveryId,
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      eventId: message.event.id,
      eventType: message.event.type,
      status: 'pending',
      attempts: prior?.attempts ?? 0,
      generation: Math.max(generation, prior?.generation ?? 0),
      createdTime: prior?.createdTime ?? message.createdTime,
      updatedTime: at.toISOString(),
    };
    const cacheKey = storeKey(message.tenantId, message.subscriptionId);
    const subscription = await subscriptionCache.get(cacheKey, () => deps.subscriptions.get(message.tenantId, message.subscriptionId));
    if (!subscription || subscription.status !== 'enabled') {
      const lastError = subscription ? 'subscription_disabled' : 'subscription_deleted';
      return { record, outcome: 'skipped', delivery: { ...base, status: 'skipped', lastError } };
    }

    const secrets = signingSecrets(
      await secretCache.get(subscription.secretName, async () => parseSecretSet(await deps.secrets.get(subscription.secretName))),
      at,
    );
    const body = webhookBody(message);
    const headers = signHeaders(secrets, message.event.id, Math.floor(at.getTime() / 1000), body);
    const result = await deps.client.post(subscription.url, { ...headers }, body);
    const attemptNo = base.attempts + 1;
    const attempt = attemptRecord(message, attemptNo, at, result);
    const delivery: Delivery = { ...base, attempts: attemptNo };
    if (result.kind === 'response') delivery.lastStatusCode = result.status;
    else delivery.lastError = result.error;
    metrics.latency(result.latencyMs);
    log(result.kind === 'response' && result.status < 300 ? 'info' : 'warn', 'delivery attempt', {
      deliveryId: message.deliveryId,
      eventId: message.event.id,
      subscriptionId: message.subscriptionId,
      attempt: attemptNo,
      ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
      latencyMs: result.latencyMs,
    });

    if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
      return { record, outcome: 'succeeded', delivery: { ...delivery, status: 'succeeded' }, attempt };
    }
    if (result.kind === 'response' && result.status === 410) {
      // The receiver says it is gone for good: stop sending it anything.
      await deps.subscriptions.update({ ...subscription, status: 'disabled', updatedTime: at.toISOString() }).catch((err: Error) =>
        log('error', 'could not disable a gone subscription', { subscriptionId: subscription.id, error: err.message }),
      );
      subscriptionCache.delete(cacheKey);
      return { record, outcome: 'gone', delivery: { ...delivery, status: 'skipped', lastError: 'gone: the receiver answered 410, so the subscription was disabled' }, attempt };
    }
    if (result.kind === 'error' && result.error === 'refused') {
      return { record, outcome: 'refused', delivery: { ...delivery, status: 'skipped', lastError: `refused: ${result.message}` }, attempt };
    }
    // The queue's receive count picks the step, so a redriven message starts the schedule again.
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const delay = nextDelaySeconds(deps.schedule, receiveCount, {
      ...(result.kind === 'response' && result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
    if (delay === undefined) {
      // Released at once: its next receive passes maxReceiveCount and SQS moves it to the DLQ.
      return { record, outcome: 'dead_lettered', delivery: { ...delivery, status: 'dead_lettered' }, attempt, visibility: 0 };
    }
    return {
      record,
      outcome: 'retrying',
      delivery: { ...delivery, nextAttemptTime: new Date(at.getTime() + delay * 1000).toISOString() },
      attempt,
      visibility: delay,
    };
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const work: Work[] = [];
    const duplicates: SQSRecord[] = [];
    const firstOf = new Set<string>();
    for (const record of event.Records) {
      let message: DeliveryMessage;
      try {
        message = JSON.parse(record.body) as DeliveryMessage;
        if (!message.deliveryId || !message.tenantId || !message.subscriptionId || !message.event?.id) throw new Error('not a delivery message');
      } catch (err) {
        log('error', 'unreadable delivery message', { messageId: record.messageId, error: (err as Error).message });
        failures.push(record.messageId);
        continue;
      }
      const key = `${storeKey(message.tenantId, message.deliveryId)}#${message.generation ?? 0}`;
      if (firstOf.has(key)) duplicates.push(record);
      else {
        firstOf.add(key);
        work.push({ record, message });
      }
    }

    const prior = await deps.store.getDeliveries(work.map((w) => ({ tenantId: w.message.tenantId, deliveryId: w.message.deliveryId })));
    const results = await Promise.all(
      work.map(async (w): Promise<Result> => {
        try {
          return await deliver(w, prior.get(storeKey(w.message.tenantId, w.message.deliveryId)));
        } catch (err) {
          // Failed before any POST (a store or secret read): the queue's visibility timeout brings it back.
          log('error', 'delivery failed before sending', { messageId: w.record.messageId, error: (err as Error).message });
          return { record: w.record, outcome: 'retrying' };
        }
      }),
    );

    const changes: ChangeVisibility[] = results.filter((r) => r.visibility !== undefined).map((r) => ({ receiptHandle: r.record.receiptHandle, seconds: r.visibility! }));
    if (changes.length > 0) {
      await deps.deliveries.changeVisibilities(changes).catch((err: Error) => log('warn', 'visibility change failed; the queue default applies', { error: err.message }));
    }
    await deps.store.write({
      deliveries: results.flatMap((r) => (r.delivery ? [r.delivery] : [])),
      attempts: results.flatMap((r) => (r.attempt ? [r.attempt] : [])),
    });

    for (const r of results) {
      if (r.outcome === 'retrying' || r.outcome === 'dead_lettered') failures.push(r.record.messageId);
      if (r.outcome === 'succeeded') metrics.count('DeliverySucceeded');
      else if (r.outcome === 'retrying') metrics.count('DeliveryRetried');
      else if (r.outcome === 'dead_lettered') metrics.count('DeliveryDeadLettered');
      else if (r.outcome === 'refused') metrics.count('DeliveryRefused');
      else if (r.outcome !== 'duplicate') metrics.count('DeliverySkipped');
    }
    if (duplicates.length > 0) log('info', 'duplicate messages in batch', { count: duplicates.length });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function attemptRecord(message: DeliveryMessage, attempt: number, at: Date, result: AttemptResult): Attempt {
  const a: Attempt = {
    tenantId: message.tenantId,
    deliveryId: message.deliveryId,
    subscriptionId: message.subscriptionId,
    eventId: message.event.id,
    attempt,
    time: at.toISOString(),
    latencyMs: result.latencyMs,
    responseExcerpt: result.kind === 'response' ? result.excerpt : '',
  };
  if (result.kind === 'response') a.statusCode = result.status;
  else {
    a.error = result.error;
    a.errorMessage = result.message;
  }
  return a;
}
