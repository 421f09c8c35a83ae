import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliveryMessage, Subscription } from '../domain/model.js';
import { nextDelaySeconds } from '../domain/retry-schedule.js';
import { parseSecretSet, signingSecrets, type SecretSet } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import type { Queue, SecretStore, SubscriptionRepository } from '../ports.js';
import type { AttemptResult, WebhookClient } from './webhook-client.js';

/** Delivery queue -> one signed POST per message; failures wait on the queue for the next step. */

export interface SenderDeps {
  subscriptions: SubscriptionRepository;
  secrets: SecretStore;
  deliveries: Queue;
  client: Pick<WebhookClient, 'post'>;
  schedule: readonly number[];
  cacheTtlMs?: number;
  now?: () => Date;
  random?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export type Outcome = 'succeeded' | 'retrying' | 'exhausted' | 'gone' | 'refused' | 'skipped';

/** The exact bytes every attempt of a delivery sends, so a retry carries the same body and id. */
export function webhookBody(message: DeliveryMessage): string {
  const { id, type, timestamp, data } = message.event;
  return JSON.stringify({ id, type, timestamp, data });
}

export function createSender(deps: SenderDeps) {
  const now = deps.now ?? (() => new Date());
  const ttl = deps.cacheTtlMs ?? 30_000;
  const subscriptionCache = new TtlCache<Subscription | undefined>(ttl);
  const secretCache = new TtlCache<SecretSet>(ttl);

  async function deliver(record: SQSRecord): Promise<Outcome> {
    const message = JSON.parse(record.body) as DeliveryMessage;
    const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const subscription = await subscriptionCache.get(`${message.tenantId}/${message.subscriptionId}`, () =>
      deps.subscriptions.get(message.tenantId, message.subscriptionId),
    );
    if (!subscription || subscription.status !== 'enabled') return 'skipped';
    const secrets = signingSecrets(await secretCache.get(subscription.secretName, async () => parseSecretSet(await deps.secrets.get(subscription.secretName))), now());
    const body = webhookBody(message);
    const headers = signHeaders(secrets, message.event.id, Math.floor(now().getTime() / 1000), body);
    const result = await deps.client.post(subscription.url, { ...headers }, body);
    const outcome = classify(result);
    deps.log?.(outcome === 'succeeded' ? 'info' : 'warn', 'delivery attempt', {
      deliveryId: message.deliveryId,
      eventId: message.event.id,
      subscriptionId: message.subscriptionId,
      attempt,
      ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
      latencyMs: result.latencyMs,
    });
    if (outcome !== 'retry') return outcome;
    const delay = nextDelaySeconds(deps.schedule, attempt, {
      ...(result.kind === 'response' && result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
    // After the last attempt the message is released at once; its next receive exceeds the
    // queue's maxReceiveCount and SQS moves it to the DLQ.
    await deps.deliveries.changeVisibility(record.receiptHandle, delay ?? 0);
    return delay === undefined ? 'exhausted' : 'retrying';
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const outcomes = await Promise.all(
      event.Records.map(async (record) => {
        try {
          return { record, outcome: await deliver(record) };
        } catch (err) {
          deps.log?.('error', 'delivery failed before sending', { messageId: record.messageId, error: (err as Error).message });
          return { record, outcome: 'retrying' as Outcome };
        }
      }),
    );
    return {
      batchItemFailures: outcomes
        .filter((o) => o.outcome === 'retrying' || o.outcome === 'exhausted')
        .map((o) => ({ itemIdentifier: o.record.messageId })),
    };
  };
}

function classify(result: AttemptResult): Outcome | 'retry' {
  if (result.kind === 'error') return result.error === 'refused' ? 'refused' : 'retry';
  if (result.status >= 200 && result.status < 300) return 'succeeded';
  if (result.status === 410) return 'gone';
  return 'retry';
}
