import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseDeliveryMessage } from '../domain/delivery-message.js';
import { EndpointGuard, type EndpointGuardOptions } from '../domain/endpoint-guard.js';
import type { Attempt, Delivery, DeliveryMessage, Subscription } from '../domain/model.js';
import { maxReceiveCount, nextDelaySeconds, receivesNeeded, visibilityHop } from '../domain/retry-schedule.js';
import { parseSecretSet, type SecretSet, signingSecrets } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import { webhookBody } from '../domain/webhook-body.js';
import { type ChangeVisibility, type DeliveryStore, type Metrics, NO_METRICS, type Queue, type SecretStore, storeKey } from '../ports.js';
import type { AttemptResult, WebhookClient } from './webhook-client.js';

/**
 * Delivery queue -> one signed POST per message, all of a batch at once. Per batch: one
 * BatchGetItem of the deliveries' records and their subscriptions, the POSTs, one visibility
 * change for those to come back, and one batched write of the deliveries' records, each one item
 * with its attempts inline (one item write per delivery per attempt; a deferral writes nothing).
 *
 * Attempts are counted in the delivery record, never by SQS's receive count, and the record
 * holds when the next attempt is due: a receive before that (a throttled or failed invocation
 * returned it early, or a step longer than one visibility hop) defers the message again
 * without a POST. After the POSTs nothing throws: a 2xx is deleted from the queue whatever
 * happens to the history write, which is retried, then logged and counted.
 */

export interface SenderDeps {
  secrets: SecretStore;
  deliveries: Queue;
  store: DeliveryStore;
  client: Pick<WebhookClient, 'post'>;
  schedule: readonly number[];
  /** The attempt timeout: how long to wait before retrying an endpoint whose POSTs are all in flight. */
  attemptTimeoutMs?: number;
  /** A safety net only: secrets are cached by the subscription's secret version. */
  secretCacheTtlMs?: number;
  guard?: EndpointGuardOptions;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export type Outcome =
  | 'succeeded'
  | 'retrying'
  | 'dead_lettered'
  | 'gone'
  | 'refused'
  | 'skipped'
  | 'duplicate'
  | 'deferred'
  | 'released'
  | 'unread';

interface Work {
  record: SQSRecord;
  message: DeliveryMessage;
  receiveCount: number;
  /** The delivery's key in the store, built once. */
  deliveryKey: string;
}

interface Result {
  record: SQSRecord;
  outcome: Outcome;
  delivery?: Delivery;
  attempt?: Attempt;
  /** Seconds until the message should be visible again; undefined leaves the queue's own timeout. */
  visibility?: number;
}

/**
 * How close to its due time a delivery may come back and still be attempted: visibility is
 * whole seconds rounded up, so only clock differences between instances need it.
 */
const DUE_TOLERANCE_MS = 250;
const HISTORY_WRITE_TRIES = 3;
/** How long a container keeps a subscription's signing secrets (keyed by secret version, so a rotation shows at once). */
export const DEFAULT_SECRET_CACHE_TTL_MS = 15 * 60_000;
/** How long a delivery waits in the instance for a POST slot of a busy endpoint before it is deferred. */
const BULKHEAD_WAIT_MS = 200;
/** Receives kept free for throttles when deciding whether a delivery can afford a deferral. */
const RECEIVE_RESERVE = 5;

export function createSender(deps: SenderDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log;
  const secretCache = new TtlCache<SecretSet>(deps.secretCacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS);
  // A circuit's first cool-off is the schedule's first step and its longest the schedule's
  // longest (at most 5 minutes): an open circuit holds a delivery back about as long as its
  // own retries would have waited.
  const guard = new EndpointGuard({
    // The guard reads the clock several times per delivery: no Date object unless one is injected.
    now: deps.now ? () => now().getTime() : Date.now,
    baseCoolOffMs: Math.max(1, deps.schedule[0] ?? 5) * 1000,
    maxCoolOffMs: Math.min(300, Math.max(1, ...deps.schedule)) * 1000,
    ...deps.guard,
  });
  const receiveLimit = maxReceiveCount(deps.schedule);
  const busyRetrySeconds = Math.max(1, Math.ceil((deps.attemptTimeoutMs ?? 5000) / 1000));
  // A batch's deliveries start within the same millisecond: one ISO string for all of them.
  let isoMs = Number.NaN;
  let iso = '';
  function isoTime(at: Date): string {
    const ms = at.getTime();
    if (ms !== isoMs) {
      iso = at.toISOString();
      isoMs = ms;
    }
    return iso;
  }

  /** The subscription's signing secrets, once per secret version per instance (a promise only on a miss). */
  function secretsOf(subscription: Subscription): SecretSet | Promise<SecretSet> {
    const key = `${subscription.secretName}#${subscription.secretVersion ?? ''}`;
    return secretCache.peek(key) ?? secretCache.get(key, async () => parseSecretSet(await deps.secrets.get(subscription.secretName)));
  }

  /** An endpoint is an origin; parsed once per URL, as the client checks each URL once. */
  const origins = new Map<string, string>();
  function endpointOf(url: string): string {
    let origin = origins.get(url);
    if (origin === undefined) {
      origin = originOf(url);
      if (origins.size >= 1000) origins.delete(origins.keys().next().value as string);
      origins.set(url, origin);
    }
    return origin;
  }

  async function deliver(w: Work, prior: Delivery | undefined, subscription: Subscription | undefined, started: number): Promise<Result> {
    const { record, message, receiveCount } = w;
    const generation = message.generation ?? 0;
    if (prior?.status === 'succeeded' && prior.generation >= generation) return { record, outcome: 'duplicate' };
    // Another copy of a delivery already under way, sent by another fan-out (a producer put the
    // event on the bus again, or a fan-out sent its page again after a crash): every fan-out
    // stamps its own created time, and the record keeps that of the copy attempted first. That
    // copy carries on; this one goes. Redriven and manual-retry messages keep the record's time.
    if (prior && generation <= prior.generation && message.createdTime !== prior.createdTime) return { record, outcome: 'duplicate' };
    const at = now();
    const atIso = isoTime(at);
    const elapsed = (at.getTime() - started) / 1000;
    const lastReceive = receiveCount >= receiveLimit;

    // Which round of the schedule this receive belongs to.
    let roundStart = prior?.roundStart ?? 0;
    let roundGeneration = prior?.roundGeneration ?? prior?.generation ?? generation;
    let newRound = false;
    if (prior && generation > roundGeneration)
      newRound = true; // a manual retry
    else if (prior?.status === 'dead_lettered') {
      // Receives after the last attempt only release it until SQS moves it to the DLQ. A lower
      // receive count means SQS counts afresh: it was redriven, and gets the schedule again.
      if (receiveCount > (prior.deadLetterReceive ?? 0)) return { record, outcome: 'released', visibility: 0 };
      newRound = true;
    }
    if (newRound && prior) {
      roundStart = prior.attempts;
      roundGeneration = Math.max(generation, prior.generation);
    }

    // Back before its due time: wait out the rest, in hops within 12 h of this receive.
    if (!newRound && prior?.status === 'pending' && prior.nextAttemptTime && !lastReceive) {
      const remainingMs = Date.parse(prior.nextAttemptTime) - at.getTime();
      if (remainingMs > DUE_TOLERANCE_MS) return { record, outcome: 'deferred', visibility: visibilityHop(remainingMs / 1000, elapsed) };
    }

    const delivery: Delivery = {
      id: message.deliveryId,
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      eventId: message.event.id,
      eventType: message.event.type,
      status: 'pending',
      attempts: prior?.attempts ?? 0,
      generation: Math.max(generation, prior?.generation ?? 0),
      roundStart,
      roundGeneration,
      createdTime: prior?.createdTime ?? message.createdTime,
      updatedTime: atIso,
      // The record is rewritten whole: it keeps every attempt so far.
      attemptLog: prior?.attemptLog ?? [],
      // A message from before the history index: its delivery is listed the old way (gsi1).
      legacyListing: prior ? prior.legacyListing === true : message.listed !== true,
    };
    // An event with no item of its own is kept here, with every write of the record.
    const eventBody = prior?.eventBody ?? (message.eventInRecord ? webhookBody(message) : undefined);
    if (eventBody !== undefined) delivery.eventBody = eventBody;
    if (subscription?.status !== 'enabled') {
      delivery.status = 'skipped';
      delivery.lastError = subscription ? 'subscription_disabled' : 'subscription_deleted';
      // Already recorded as skipped for the same reason: nothing to write.
      if (prior?.status === 'skipped' && prior.lastError === delivery.lastError) return { record, outcome: 'skipped' };
      return { record, outcome: 'skipped', delivery };
    }
    const cachedOrLoading = secretsOf(subscription);
    const secrets = cachedOrLoading instanceof Promise ? await cachedOrLoading : cachedOrLoading;

    // An endpoint that keeps failing, or has its POSTs in flight, waits: no POST, no attempt,
    // as long as the message's receive budget leaves room for the rest of its schedule.
    const inRound = delivery.attempts - roundStart + 1;
    const affordable = receiveCount + receivesNeeded(deps.schedule, inRound) + RECEIVE_RESERVE <= receiveLimit;
    const endpoint = endpointOf(subscription.url);
    const acquired = guard.acquire(endpoint, busyRetrySeconds * 1000, BULKHEAD_WAIT_MS);
    const admission = acquired instanceof Promise ? await acquired : acquired;
    if (!admission.admitted && affordable) {
      // A busy endpoint's deliveries come back sooner or later (its POSTs may answer soon, or
      // hang until the timeout): each further deferral of one message waits twice as long.
      const repeats = Math.min(10, Math.max(0, receiveCount - inRound));
      const waitMs =
        admission.reason === 'busy' ? Math.min(busyRetrySeconds * 1000, admission.retryInMs * 2 ** repeats) : admission.retryInMs;
      return { record, outcome: 'deferred', visibility: visibilityHop(Math.ceil(waitMs / 1000), elapsed) };
    }

    const body = webhookBody(message);
    const headers = signHeaders(signingSecrets(secrets, at), message.event.id, Math.floor(at.getTime() / 1000), body);
    let result: AttemptResult;
    try {
      result = await deps.client.post(subscription.url, headers, body);
    } catch (err) {
      if (admission.admitted) admission.release(false);
      throw err;
    }
    if (admission.admitted) admission.release(isHealthy(result));
    delivery.attempts++;
    const attempt = attemptRecord(message, delivery.attempts, atIso, result);
    delivery.attemptLog = delivery.attemptLog?.length ? [...delivery.attemptLog, attempt] : [attempt];
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
      // The receiver says it is gone for good: stop sending it anything, unless the
      // subscription changed since this batch read it (then that change stands).
      const disabled = await deps.store
        .disableGoneSubscription(subscription.tenantId, subscription.id, subscription.updatedTime, atIso)
        .catch((err: Error) => {
          log?.('error', 'could not disable a gone subscription', { subscriptionId: subscription.id, error: err.message });
          return false;
        });
      delivery.status = 'skipped';
      delivery.lastError = disabled
        ? 'gone: the receiver answered 410, so the subscription was disabled'
        : 'gone: the receiver answered 410; the subscription changed meanwhile and was left as it is';
      return { record, outcome: 'gone', delivery, attempt };
    }
    if (result.kind === 'error' && result.error === 'refused') {
      delivery.status = 'skipped';
      delivery.lastError = `refused: ${result.message}`;
      return { record, outcome: 'refused', delivery, attempt };
    }
    const delay = lastReceive
      ? undefined
      : nextDelaySeconds(deps.schedule, delivery.attempts - roundStart, {
          ...(result.kind === 'response' && result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
          ...(deps.random ? { random: deps.random } : {}),
        });
    if (delay === undefined) {
      // Its last attempt: released at once, and every later receive releases it again, until
      // SQS's maxReceiveCount moves it to the DLQ (so the console's redrive to source works).
      delivery.status = 'dead_lettered';
      delivery.deadLetterReceive = receiveCount;
      return { record, outcome: 'dead_lettered', delivery, attempt, visibility: 0 };
    }
    delivery.nextAttemptTime = new Date(at.getTime() + delay * 1000).toISOString();
    return { record, outcome: 'retrying', delivery, attempt, visibility: visibilityHop(delay, (now().getTime() - started) / 1000) };
  }

  async function changeVisibilities(changes: ChangeVisibility[]): Promise<void> {
    if (changes.length === 0) return;
    for (let tries = 1; ; tries++) {
      try {
        await deps.deliveries.changeVisibilities(changes);
        return;
      } catch (err) {
        if (tries < 2) continue;
        // The queue's own timeout brings these back sooner than planned; the due time in each
        // record defers them again then, so the schedule holds.
        metrics.count('VisibilityChangeFailed', changes.length);
        log?.('error', 'visibility change failed; the messages come back early and are deferred to their due time', {
          count: changes.length,
          error: (err as Error).message,
        });
        return;
      }
    }
  }

  async function writeHistory(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    for (let tries = 1; ; tries++) {
      try {
        // One item per delivery, its attempts inline: an attempt is one write of one item.
        await deps.store.write({ deliveries });
        return;
      } catch (err) {
        if (tries < HISTORY_WRITE_TRIES) {
          await new Promise((r) => setTimeout(r, 50 * 2 ** tries));
          continue;
        }
        // The POSTs happened; nothing here may send them again.
        metrics.count('HistoryWriteFailed', deliveries.length);
        log?.('error', 'delivery history write failed; the deliveries were sent and are not sent again', {
          deliveries: deliveries.map((d) => ({ deliveryId: d.id, status: d.status, attempts: d.attempts })),
          error: (err as Error).message,
        });
        return;
      }
    }
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const started = now().getTime();
    const results: Result[] = [];
    const work: Work[] = [];
    let duplicates = 0;
    const firstOf = new Set<string>();
    for (const record of event.Records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
      let message: DeliveryMessage;
      try {
        message = parseDeliveryMessage(record.body);
      } catch (err) {
        // Nobody can read it: released at once, it reaches the DLQ after maxReceiveCount receives.
        log?.('error', 'unreadable delivery message', {
          messageId: record.messageId,
          receiveCount,
          maxReceiveCount: receiveLimit,
          error: (err as Error).message,
        });
        metrics.count('UnreadableMessage');
        results.push({ record, outcome: 'unread', visibility: 0 });
        continue;
      }
      const deliveryKey = storeKey(message.tenantId, message.deliveryId);
      const key = `${deliveryKey}#${message.generation ?? 0}`;
      if (firstOf.has(key)) duplicates++;
      else {
        firstOf.add(key);
        work.push({ record, message, receiveCount, deliveryKey });
      }
    }

    let read: Awaited<ReturnType<DeliveryStore['getForSending']>> | undefined;
    try {
      read = await deps.store.getForSending(
        work.map((w) => ({ tenantId: w.message.tenantId, deliveryId: w.message.deliveryId, subscriptionId: w.message.subscriptionId })),
      );
    } catch (err) {
      // Nothing was sent: every message comes back after the queue's timeout, no attempt spent.
      log?.('error', 'could not read the deliveries before sending', { count: work.length, error: (err as Error).message });
      for (const w of work) results.push({ record: w.record, outcome: 'retrying' });
    }
    if (read) {
      const { deliveries: priorOf, subscriptions: subscriptionOf } = read;
      results.push(
        ...(await Promise.all(
          work.map(async (w): Promise<Result> => {
            try {
              return await deliver(
                w,
                priorOf.get(w.deliveryKey),
                subscriptionOf.get(storeKey(w.message.tenantId, w.message.subscriptionId)),
                started,
              );
            } catch (err) {
              // Failed before any POST (a secret read): the queue's visibility timeout brings it back.
              log?.('error', 'delivery failed before sending', { messageId: w.record.messageId, error: (err as Error).message });
              return { record: w.record, outcome: 'retrying' };
            }
          }),
        )),
      );
    }

    // From here on nothing throws: what was POSTed is settled.
    const changes: ChangeVisibility[] = [];
    const deliveries: Delivery[] = [];
    const failures: string[] = [];
    for (const r of results) {
      if (r.visibility !== undefined) changes.push({ receiptHandle: r.record.receiptHandle, seconds: r.visibility });
      if (r.delivery) deliveries.push(r.delivery);
      if (comesBack(r.outcome)) failures.push(r.record.messageId);
      if (r.outcome === 'succeeded') metrics.count('DeliverySucceeded');
      else if (r.outcome === 'retrying' && r.attempt) metrics.count('DeliveryRetried');
      else if (r.outcome === 'dead_lettered') metrics.count('DeliveryDeadLettered');
      else if (r.outcome === 'refused') metrics.count('DeliveryRefused');
      else if (r.outcome === 'deferred') metrics.count('DeliveryDeferred');
      else if (r.outcome === 'skipped' || r.outcome === 'gone') metrics.count('DeliverySkipped');
    }
    // The history first: a message released at once (visibility 0) must find its record
    // already saying what this attempt did, or another invocation would repeat the attempt.
    await writeHistory(deliveries);
    await changeVisibilities(changes);
    if (duplicates > 0) log?.('info', 'duplicate messages in batch', { count: duplicates });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Only these go back to the queue; a 2xx, a skip or a duplicate is deleted. */
function comesBack(outcome: Outcome): boolean {
  return outcome === 'retrying' || outcome === 'dead_lettered' || outcome === 'deferred' || outcome === 'released' || outcome === 'unread';
}

function isHealthy(result: AttemptResult): boolean {
  return result.kind === 'response' && result.status < 500 && result.status !== 429;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
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
