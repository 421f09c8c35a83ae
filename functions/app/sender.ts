import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseDeliveryMessage } from '../domain/delivery-message.js';
import type { Attempt, Delivery, DeliveryMessage, Subscription } from '../domain/model.js';
import { nextDelaySeconds } from '../domain/retry-schedule.js';
import { parseSecretSet, type SecretSet, signingSecrets } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import { webhookBody } from '../domain/webhook-body.js';
import {
  type ChangeVisibility,
  type DeliveryStore,
  type Metrics,
  NO_METRICS,
  type Queue,
  type SecretStore,
  type SubscriptionRepository,
  storeKey,
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
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export type Outcome = 'succeeded' | 'retrying' | 'dead_lettered' | 'gone' | 'refused' | 'skipped' | 'duplicate';

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

interface Target {
  subscription: Subscription | undefined;
  secrets?: SecretSet;
}

export function createSender(deps: SenderDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log;
  const ttl = deps.cacheTtlMs ?? 30_000;
  const subscriptionCache = new TtlCache<Subscription | undefined>(ttl);
  const secretCache = new TtlCache<SecretSet>(ttl);

  /** Once per subscription per batch, however many of its deliveries the batch holds. */
  async function resolveTarget(tenantId: string, subscriptionId: string): Promise<Target> {
    const subscription = await subscriptionCache.get(storeKey(tenantId, subscriptionId), () =>
      deps.subscriptions.get(tenantId, subscriptionId),
    );
    if (subscription?.status !== 'enabled') return { subscription };
    const secrets = await secretCache.get(subscription.secretName, async () =>
      parseSecretSet(await deps.secrets.get(subscription.secretName)),
    );
    return { subscription, secrets };
  }

  async function deliver({ record, message }: Work, prior: Delivery | undefined, target: Target): Promise<Result> {
    const generation = message.generation ?? 0;
    if (prior?.status === 'succeeded' && prior.generation >= generation) return { record, outcome: 'duplicate' };
    const at = now();
    const atIso = at.toISOString();
    const delivery: Delivery = {
      id: message.deliveryId,
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      eventId: message.event.id,
      eventType: message.event.type,
      status: 'pending',
      attempts: prior?.attempts ?? 0,
      generation: Math.max(generation, prior?.generation ?? 0),
      createdTime: prior?.createdTime ?? message.createdTime,
      updatedTime: atIso,
    };
    const { subscription } = target;
    if (!subscription || !target.secrets) {
      delivery.status = 'skipped';
      delivery.lastError = subscription ? 'subscription_disabled' : 'subscription_deleted';
      return { record, outcome: 'skipped', delivery };
    }

    const body = webhookBody(message);
    const headers = signHeaders(signingSecrets(target.secrets, at), message.event.id, Math.floor(at.getTime() / 1000), body);
    const result = await deps.client.post(subscription.url, headers, body);
    delivery.attempts++;
    const attempt = attemptRecord(message, delivery.attempts, atIso, result);
    if (result.kind === 'response') delivery.lastStatusCode = result.status;
    else delivery.lastError = result.error;
    metrics.latency(result.latencyMs);
    if (log) {
      // At volume: successes at debug (sampled by debugLogSampleRate), failures at warn.
      log(result.kind === 'response' && result.status >= 200 && result.status < 300 ? 'debug' : 'warn', 'delivery attempt', {
        deliveryId: message.deliveryId,
        eventId: message.event.id,
        tenantId: message.tenantId,
        subscriptionId: message.subscriptionId,
        attempt: delivery.attempts,
        ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
        latencyMs: result.latencyMs,
      });
    }

    if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
      delivery.status = 'succeeded';
      return { record, outcome: 'succeeded', delivery, attempt };
    }
    if (result.kind === 'response' && result.status === 410) {
      // The receiver says it is gone for good: stop sending it anything.
      await deps.subscriptions
        .update({ ...subscription, status: 'disabled', updatedTime: atIso })
        .catch((err: Error) =>
          log?.('error', 'could not disable a gone subscription', { subscriptionId: subscription.id, error: err.message }),
        );
      subscriptionCache.delete(storeKey(message.tenantId, message.subscriptionId));
      delivery.status = 'skipped';
      delivery.lastError = 'gone: the receiver answered 410, so the subscription was disabled';
      return { record, outcome: 'gone', delivery, attempt };
    }
    if (result.kind === 'error' && result.error === 'refused') {
      delivery.status = 'skipped';
      delivery.lastError = `refused: ${result.message}`;
      return { record, outcome: 'refused', delivery, attempt };
    }
    // The queue's receive count picks the step, so a redriven message starts the schedule again.
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const delay = nextDelaySeconds(deps.schedule, receiveCount, {
      ...(result.kind === 'response' && result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
    if (delay === undefined) {
      // Released at once: its next receive passes maxReceiveCount and SQS moves it to the DLQ.
      delivery.status = 'dead_lettered';
      return { record, outcome: 'dead_lettered', delivery, attempt, visibility: 0 };
    }
    delivery.nextAttemptTime = new Date(at.getTime() + delay * 1000).toISOString();
    return { record, outcome: 'retrying', delivery, attempt, visibility: delay };
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const work: Work[] = [];
    let duplicates = 0;
    const firstOf = new Set<string>();
    for (const record of event.Records) {
      let message: DeliveryMessage;
      try {
        message = parseDeliveryMessage(record.body);
      } catch (err) {
        log?.('error', 'unreadable delivery message', { messageId: record.messageId, error: (err as Error).message });
        failures.push(record.messageId);
        continue;
      }
      const key = `${storeKey(message.tenantId, message.deliveryId)}#${message.generation ?? 0}`;
      if (firstOf.has(key)) duplicates++;
      else {
        firstOf.add(key);
        work.push({ record, message });
      }
    }

    const targets = new Map<string, Promise<Target>>();
    for (const w of work) {
      const k = storeKey(w.message.tenantId, w.message.subscriptionId);
      if (!targets.has(k)) targets.set(k, resolveTarget(w.message.tenantId, w.message.subscriptionId));
    }
    const prior = await deps.store.getDeliveries(work.map((w) => ({ tenantId: w.message.tenantId, deliveryId: w.message.deliveryId })));
    const results = await Promise.all(
      work.map(async (w): Promise<Result> => {
        try {
          const target = await targets.get(storeKey(w.message.tenantId, w.message.subscriptionId))!;
          return await deliver(w, prior.get(storeKey(w.message.tenantId, w.message.deliveryId)), target);
        } catch (err) {
          // Failed before any POST (a store or secret read): the queue's visibility timeout brings it back.
          log?.('error', 'delivery failed before sending', { messageId: w.record.messageId, error: (err as Error).message });
          return { record: w.record, outcome: 'retrying' };
        }
      }),
    );

    const changes: ChangeVisibility[] = [];
    const deliveries: Delivery[] = [];
    const attempts: Attempt[] = [];
    for (const r of results) {
      if (r.visibility !== undefined) changes.push({ receiptHandle: r.record.receiptHandle, seconds: r.visibility });
      if (r.delivery) deliveries.push(r.delivery);
      if (r.attempt) attempts.push(r.attempt);
    }
    if (changes.length > 0) {
      await deps.deliveries
        .changeVisibilities(changes)
        .catch((err: Error) => log?.('warn', 'visibility change failed; the queue default applies', { error: err.message }));
    }
    await deps.store.write({ deliveries, attempts });

    for (const r of results) {
      if (r.outcome === 'retrying' || r.outcome === 'dead_lettered') failures.push(r.record.messageId);
      if (r.outcome === 'succeeded') metrics.count('DeliverySucceeded');
      else if (r.outcome === 'retrying') metrics.count('DeliveryRetried');
      else if (r.outcome === 'dead_lettered') metrics.count('DeliveryDeadLettered');
      else if (r.outcome === 'refused') metrics.count('DeliveryRefused');
      else if (r.outcome !== 'duplicate') metrics.count('DeliverySkipped');
    }
    if (duplicates > 0) log?.('info', 'duplicate messages in batch', { count: duplicates });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function attemptRecord(message: DeliveryMessage, attempt: number, time: string, result: AttemptResult): Attempt {
  const a: Attempt = {
    tenantId: message.tenantId,
    deliveryId: message.deliveryId,
    subscriptionId: message.subscriptionId,
    eventId: message.event.id,
    attempt,
    time,
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
