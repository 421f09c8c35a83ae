import { randomBytes } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseDeliveryMessage } from '../domain/delivery-message.js';
import { classifyAttempt, endpointHealthy, holdsInLot, planReceive } from '../domain/delivery-plan.js';
import { type Admission, EndpointGuard, type EndpointGuardOptions } from '../domain/endpoint-guard.js';
import type { Attempt, Delivery, DeliveryMessage, Subscription } from '../domain/model.js';
import {
  DEFAULT_DUE_BUCKET_SECONDS,
  DEFAULT_IN_FLIGHT_BUDGET,
  dueBucket,
  type Lot,
  needsFreshMessage,
  parkUntilMs,
  probeWaits,
  remainingScheduleSeconds,
  waitPlacement,
} from '../domain/parking.js';
import { maxReceiveCount, nextDelaySeconds, receivesNeeded, visibilityHop } from '../domain/retry-schedule.js';
import { parseSecretSet, type SecretSet, signingSecrets } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import { webhookBody } from '../domain/webhook-body.js';
import {
  type ChangeVisibility,
  type DeliveryStore,
  type InFlightGauge,
  type LotStore,
  type Metrics,
  NO_METRICS,
  type Queue,
  type SecretStore,
  storeKey,
} from '../ports.js';
import { InFlightPressure, SenderLots } from './sender-parking.js';
import type { AttemptResult, WebhookClient } from './webhook-client.js';

/**
 * Delivery queue -> one signed POST per message, all of a batch at once. Per batch: one
 * BatchGetItem of the deliveries' records and their subscriptions, the POSTs, one batched write
 * of the deliveries' records (each one item with its attempts inline: one item write per
 * delivery per attempt; a deferral in flight writes nothing), then one visibility change for
 * those to come back.
 *
 * What to do with each receive is decided by plain functions (functions/domain/delivery-plan.ts);
 * this is the I/O around them. Where a delivery waits is parking's (functions/domain/parking.ts):
 * short waits in flight, longer ones parked out of the queue, and deliveries to an endpoint whose
 * circuit opened held in its subscription's lot, without a POST, until a probe gets an answer.
 * After the POSTs nothing throws: a 2xx is deleted from the queue whatever happens to the
 * history write, which is retried, then logged and counted.
 */

export interface SenderParking {
  lots: LotStore;
  gauge: InFlightGauge;
  /** The delivery queue's in-flight budget (the construct's `inFlightBudget`). */
  inFlightBudget?: number;
  /** The due-time index's bucket; the resumer sweeps with the same. */
  dueBucketSeconds?: number;
}

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
  /**
   * Waits out of the queue. Without it every wait is in flight: the engine as it was before
   * parking, which one dead endpoint can stall at SQS's in-flight cap (kept to show that).
   */
  parking?: SenderParking;
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
  | 'stale'
  | 'deferred'
  | 'parked'
  | 'held'
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
  /** Parked or held: the wait in flight instead, should the record (the park) not be written. */
  fallback?: { outcome: 'retrying' | 'deferred'; visibility: number };
}

/** One receive's circumstances, for the waits below. */
interface Receive {
  record: SQSRecord;
  started: number;
  at: Date;
  messageAgeSeconds: number;
  lastReceive: boolean;
}

const HISTORY_WRITE_TRIES = 3;
/** How long a container keeps a subscription's signing secrets (keyed by secret version, so a rotation shows at once). */
export const DEFAULT_SECRET_CACHE_TTL_MS = 15 * 60_000;
/** How long a delivery waits in the instance for a POST slot of a busy endpoint before it is deferred. */
const BULKHEAD_WAIT_MS = 200;
/** Receives kept free for throttles when deciding whether a delivery can afford a deferral. */
const RECEIVE_RESERVE = 5;

export function createSender(deps: SenderDeps) {
  const now = deps.now ?? (() => new Date());
  const nowMs = deps.now ? () => now().getTime() : Date.now;
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log;
  const secretCache = new TtlCache<SecretSet>(deps.secretCacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS);
  // A circuit's first cool-off is the schedule's first step and its longest the schedule's
  // longest (at most 5 minutes): an open circuit holds a delivery back about as long as its
  // own retries would have waited.
  const guard = new EndpointGuard({
    // The guard reads the clock several times per delivery: no Date object unless one is injected.
    now: nowMs,
    baseCoolOffMs: Math.max(1, deps.schedule[0] ?? 5) * 1000,
    maxCoolOffMs: Math.min(300, Math.max(1, ...deps.schedule)) * 1000,
    ...deps.guard,
  });
  const receiveLimit = maxReceiveCount(deps.schedule);
  const busyRetrySeconds = Math.max(1, Math.ceil((deps.attemptTimeoutMs ?? 5000) / 1000));
  const parking = deps.parking;
  const dueBucketSeconds = parking?.dueBucketSeconds ?? DEFAULT_DUE_BUCKET_SECONDS;
  const probes = probeWaits(deps.schedule);
  const lots = parking ? new SenderLots(parking.lots, nowMs, probes, log) : undefined;
  const pressure = parking
    ? new InFlightPressure(parking.gauge, parking.inFlightBudget ?? DEFAULT_IN_FLIGHT_BUDGET, nowMs, log)
    : undefined;
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

  /**
   * The waits a delivery spends, as the circumstances allow: in flight (the message's visibility
   * timeout) when short, parked otherwise (parking.ts: waitPlacement). A deferral in flight
   * writes nothing; a park writes the record with its park, and the message goes.
   */
  async function waitFor(
    delivery: Delivery,
    seconds: number,
    r: Receive,
    outcome: 'retrying' | 'deferred',
    attempt?: Attempt,
  ): Promise<Result> {
    const visibility = visibilityHop(seconds, (nowMs() - r.started) / 1000);
    const written = outcome === 'retrying' ? { delivery, ...(attempt ? { attempt } : {}) } : {};
    if (!parking) return { record: r.record, outcome, ...written, visibility };
    // SQS moves a message to the DLQ at its next receive past maxReceiveCount: a fresh one carries on instead.
    const placement = r.lastReceive
      ? 'park'
      : waitPlacement({
          waitSeconds: seconds,
          underPressure: (await pressure?.parksWait(seconds)) ?? false,
          messageAgeSeconds: r.messageAgeSeconds,
          parking: true,
        });
    if (placement === 'in-flight') return { record: r.record, outcome, ...written, visibility };
    delivery.park = {
      kind: 'due',
      token: parkToken(),
      until: new Date(parkUntilMs(r.at.getTime(), seconds, dueBucketSeconds)).toISOString(),
    };
    return { record: r.record, outcome: 'parked', delivery, ...(attempt ? { attempt } : {}), fallback: { outcome, visibility } };
  }

  /** A delivery to an endpoint whose lot is open waits there, no POST, until the end of its schedule at most. */
  function hold(delivery: Delivery, lot: Lot, r: Receive, attempt?: Attempt): Result {
    const deadline = r.at.getTime() + remainingScheduleSeconds(deps.schedule, delivery.attempts - (delivery.roundStart ?? 0)) * 1000;
    delivery.park = {
      kind: 'held',
      token: parkToken(),
      until: new Date(parkUntilMs(deadline, 0, dueBucketSeconds)).toISOString(),
      lotWake: lot.wakeTime,
    };
    const visibility = visibilityHop(probes.first, (nowMs() - r.started) / 1000);
    return {
      record: r.record,
      outcome: 'held',
      delivery,
      ...(attempt ? { attempt } : {}),
      fallback: { outcome: attempt ? 'retrying' : 'deferred', visibility },
    };
  }

  /**
   * Its schedule is over: recorded as dead-lettered and released on every receive, until SQS's
   * maxReceiveCount moves this message to the DLQ (so the console's redrive to source works).
   */
  function deadLetter(delivery: Delivery, r: Receive, attempt?: Attempt): Result {
    delivery.status = 'dead_lettered';
    delivery.deadLetterReceive = Number(r.record.attributes.ApproximateReceiveCount ?? '1');
    delivery.deadLetterMessageId = r.record.messageId;
    delete delivery.nextAttemptTime;
    return { record: r.record, outcome: 'dead_lettered', delivery, ...(attempt ? { attempt } : {}), visibility: 0 };
  }

  async function deliver(w: Work, prior: Delivery | undefined, subscription: Subscription | undefined, started: number): Promise<Result> {
    const { record, message, receiveCount } = w;
    const at = now();
    const atIso = isoTime(at);
    const plan = planReceive({ message, messageId: record.messageId, receiveCount, receiveLimit, prior, nowMs: at.getTime(), atIso });
    if (plan.action === 'drop') return { record, outcome: plan.reason === 'duplicate' ? 'duplicate' : 'stale' };
    if (plan.action === 'release') return { record, outcome: 'released', visibility: 0 };
    const { delivery } = plan;
    const sentMs = Number(record.attributes.SentTimestamp ?? '');
    const r: Receive = {
      record,
      started,
      at,
      messageAgeSeconds: Number.isFinite(sentMs) && sentMs > 0 ? Math.max(0, (at.getTime() - sentMs) / 1000) : 0,
      lastReceive: plan.lastReceive,
    };

    // Back before its due time: wait out the rest (parked, or in flight in hops within 12 h).
    // Without parking, the last receive before the DLQ is attempted rather than lost there.
    if (plan.earlyByMs !== undefined && (parking || !plan.lastReceive)) return waitFor(delivery, plan.earlyByMs / 1000, r, 'deferred');
    // Too old to stay in the queue (retention counts from the first send): a fresh message carries it on.
    if (parking && needsFreshMessage(r.messageAgeSeconds)) return waitFor(delivery, 0, r, 'deferred');

    if (subscription?.status !== 'enabled') {
      delivery.status = 'skipped';
      delivery.lastError = subscription ? 'subscription_disabled' : 'subscription_deleted';
      // A lot probing a subscription that gets nothing any more drains: its deliveries are all skipped so.
      if (lots && plan.resume === 'probe') await lots.recovered({ tenantId: message.tenantId, id: message.subscriptionId }, at);
      // Already recorded as skipped for the same reason: nothing to write.
      if (prior?.status === 'skipped' && prior.lastError === delivery.lastError) return { record, outcome: 'skipped' };
      return { record, outcome: 'skipped', delivery };
    }
    // Held until its schedule ended: a dead letter without a POST if its lot is still open (the
    // endpoint failed every probe); if the lot recovered meanwhile (its drain had not come to this
    // one yet), it goes to the endpoint now, as the drain would have sent it.
    if (plan.expired) {
      const lot = lots ? await lots.afterFailure(subscription) : undefined;
      if (!lots || lot?.state === 'open') {
        delivery.lastError = 'endpoint_unavailable: its endpoint failed every probe until the schedule ended';
        metrics.count('DeliveryExpired');
        return deadLetter(delivery, r);
      }
    }
    const cachedOrLoading = secretsOf(subscription);
    const secrets = cachedOrLoading instanceof Promise ? await cachedOrLoading : cachedOrLoading;

    // The lot's probe and a person's retry (or redrive) go to the endpoint whatever its circuit
    // says; a drained delivery goes too (the lot drains), unless the circuit opens again.
    const pastGuard = plan.resume === 'probe' || plan.newRound;
    const endpoint = endpointOf(subscription);
    if (lots) {
      if (plan.resume === 'drain' || plan.expired) lots.draining(subscription);
      const lot = await lots.current(subscription);
      if (holdsInLot(lot, subscription.url, pastGuard || plan.resume === 'drain' || plan.expired)) {
        metrics.count('DeliveryHeld');
        return hold(delivery, lot!, r);
      }
    }
    let admission: Admission | undefined;
    if (!(pastGuard && parking)) {
      const acquired = guard.acquire(endpoint, busyRetrySeconds * 1000, BULKHEAD_WAIT_MS);
      admission = acquired instanceof Promise ? await acquired : acquired;
      if (!admission.admitted) {
        // Its circuit opened: the subscription's lot opens, and its deliveries wait there.
        const lot = admission.reason === 'open' && lots ? await lots.open(subscription, at) : undefined;
        if (lot) {
          metrics.count('LotOpened');
          metrics.count('DeliveryHeld');
          return hold(delivery, lot, r);
        }
        // An endpoint that keeps failing, or has its POSTs in flight, waits: no POST, no attempt,
        // as long as the message's receive budget leaves room for the rest of its schedule.
        const inRound = delivery.attempts - (delivery.roundStart ?? 0) + 1;
        const affordable = receiveCount + receivesNeeded(deps.schedule, inRound) + RECEIVE_RESERVE <= receiveLimit;
        if (affordable || parking) {
          // A busy endpoint's deliveries come back sooner or later (its POSTs may answer soon, or
          // hang until the timeout): each further deferral of one message waits twice as long.
          const repeats = Math.min(10, Math.max(0, receiveCount - inRound));
          const waitMs =
            admission.reason === 'busy' ? Math.min(busyRetrySeconds * 1000, admission.retryInMs * 2 ** repeats) : admission.retryInMs;
          return waitFor(delivery, Math.ceil(waitMs / 1000), r, 'deferred');
        }
      }
    }

    const body = webhookBody(message);
    const headers = signHeaders(signingSecrets(secrets, at), message.event.id, Math.floor(at.getTime() / 1000), body);
    let result: AttemptResult;
    try {
      result = await deps.client.post(subscription.url, headers, body);
    } catch (err) {
      if (admission?.admitted) admission.release(false);
      throw err;
    }
    const healthy = endpointHealthy(result);
    if (admission?.admitted) admission.release(healthy);
    else if (!admission) guard.observe(endpoint, healthy);
    delivery.attempts++;
    delete delivery.nextAttemptTime;
    delete delivery.lastStatusCode;
    delete delivery.lastError;
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
        ...(plan.resume ? { resumed: plan.resume } : {}),
        ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
        latencyMs: result.latencyMs,
      });
    }

    const outcome = classifyAttempt(result);
    // An answer while its lot is open (a probe, a person's retry or redrive, a changed URL): the lot drains.
    if (lots && healthy && (pastGuard || lots.knownOpen(subscription))) {
      metrics.count('LotRecovered');
      await lots.recovered(subscription, at);
    }
    if (outcome === 'succeeded') {
      delivery.status = 'succeeded';
      return { record, outcome: 'succeeded', delivery, attempt };
    }
    if (outcome === 'gone') {
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
    if (outcome === 'refused') {
      delivery.status = 'skipped';
      delivery.lastError = `refused: ${result.kind === 'error' ? result.message : ''}`;
      return { record, outcome: 'refused', delivery, attempt };
    }
    const delay =
      r.lastReceive && !parking
        ? undefined
        : nextDelaySeconds(deps.schedule, delivery.attempts - (delivery.roundStart ?? 0), {
            ...(result.kind === 'response' && result.retryAfterSeconds !== undefined
              ? { retryAfterSeconds: result.retryAfterSeconds }
              : {}),
            ...(deps.random ? { random: deps.random } : {}),
          });
    // Its last attempt: released at once, and every later receive releases it again, until
    // SQS's maxReceiveCount moves it to the DLQ (so the console's redrive to source works).
    if (delay === undefined) return deadLetter(delivery, r, attempt);
    delivery.nextAttemptTime = new Date(at.getTime() + delay * 1000).toISOString();
    if (lots) {
      if (plan.resume === 'probe') await lots.probeFailed(subscription, at);
      // A failure: is the lot open (another instance opened it), or did this failure open the circuit?
      let lot = await lots.afterFailure(subscription);
      if (lot?.state !== 'open' && guard.isOpen(endpoint)) {
        lot = await lots.open(subscription, at);
        if (lot) metrics.count('LotOpened');
      }
      if (lot && holdsInLot(lot, subscription.url, false)) {
        metrics.count('DeliveryHeld');
        return hold(delivery, lot, r, attempt);
      }
    }
    return waitFor(delivery, delay, r, 'retrying', attempt);
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

  /** Whether the records were written. */
  async function writeHistory(deliveries: Delivery[]): Promise<boolean> {
    if (deliveries.length === 0) return true;
    for (let tries = 1; ; tries++) {
      try {
        // One item per delivery, its attempts inline: an attempt is one write of one item.
        await deps.store.write({ deliveries });
        return true;
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
        return false;
      }
    }
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const started = nowMs();
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
    // The history first: a message released at once (visibility 0) must find its record
    // already saying what this attempt did, or another invocation would repeat the attempt; and
    // a parked delivery's message may go only once its record (its park) is written.
    if (lots && results.some((r) => r.fallback)) await lots.beforeParking(dueBucket(nowMs(), dueBucketSeconds) - dueBucketSeconds);
    const written = await writeHistory(results.flatMap((r) => (r.delivery ? [r.delivery] : [])));
    const changes: ChangeVisibility[] = [];
    const failures: string[] = [];
    for (const r of results) {
      if (r.fallback && !written) {
        // Not parked after all: the message waits in flight, and its record (if the write got that far) has the park, which owns it.
        metrics.count('ParkWriteFailed');
        r.outcome = r.fallback.outcome;
        r.visibility = r.fallback.visibility;
      }
      if (r.visibility !== undefined) changes.push({ receiptHandle: r.record.receiptHandle, seconds: r.visibility });
      if (comesBack(r.outcome)) failures.push(r.record.messageId);
      countOutcome(metrics, r);
    }
    await changeVisibilities(changes);
    if (duplicates > 0) log?.('info', 'duplicate messages in batch', { count: duplicates });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function countOutcome(metrics: Metrics, r: Result): void {
  if (r.outcome === 'succeeded') metrics.count('DeliverySucceeded');
  else if ((r.outcome === 'retrying' || r.outcome === 'parked') && r.attempt) metrics.count('DeliveryRetried');
  else if (r.outcome === 'dead_lettered') metrics.count('DeliveryDeadLettered');
  else if (r.outcome === 'refused') metrics.count('DeliveryRefused');
  else if (r.outcome === 'deferred') metrics.count('DeliveryDeferred');
  else if (r.outcome === 'skipped' || r.outcome === 'gone') metrics.count('DeliverySkipped');
  if (r.outcome === 'parked') metrics.count('DeliveryParked');
}

/** Only these go back to the queue; a 2xx, a skip, a duplicate or a parked delivery is deleted. */
function comesBack(outcome: Outcome): boolean {
  return outcome === 'retrying' || outcome === 'dead_lettered' || outcome === 'deferred' || outcome === 'released' || outcome === 'unread';
}

/** An endpoint is a subscription: one tenant's failing endpoint never opens a circuit for another's on the same host. */
function endpointOf(s: Subscription): string {
  return `${s.tenantId}/${s.id}`;
}

/** A park's token: its resume message must carry it back (delivery-plan.ts). */
function parkToken(): string {
  return randomBytes(9).toString('base64url');
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
