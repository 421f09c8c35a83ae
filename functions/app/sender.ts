import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseDeliveryMessage } from '../domain/delivery-message.js';
import { classifyAttempt, endpointHealthy, holdsInLot, planReceive } from '../domain/delivery-plan.js';
import { type Admission, EndpointGuard, type EndpointGuardOptions } from '../domain/endpoint-guard.js';
import type { Attempt, Delivery, DeliveryMessage, Subscription } from '../domain/model.js';
import { type LastAttempt, type OperationalData, type OperationalEventType, reportsFact } from '../domain/operational-events.js';
import {
  DEFAULT_DUE_BUCKET_SECONDS,
  DEFAULT_IN_FLIGHT_BUDGET,
  dueBucket,
  needsFreshMessage,
  probeWaits,
  remainingScheduleSeconds,
} from '../domain/parking.js';
import { GONE_DISABLED_REASON } from '../domain/recovery.js';
import { maxReceiveCount, nextDelaySeconds, receivesNeeded } from '../domain/retry-schedule.js';
import { parseSecretSet, type SecretSet, signingSecrets } from '../domain/secret-set.js';
import { signHeaders } from '../domain/signing.js';
import { TtlCache } from '../domain/ttl-cache.js';
import {
  DEFAULT_VERIFICATION_SCHEDULE,
  isVerified,
  unverifiedWaitSeconds,
  VERIFICATION_EVENT_TYPE,
  type Verification,
  verificationProblem,
} from '../domain/verification.js';
import { webhookBody } from '../domain/webhook-body.js';
import {
  type BodyStore,
  type DeliveryStore,
  type InFlightGauge,
  type LotStore,
  type Metrics,
  NO_METRICS,
  type Queue,
  type RateSlots,
  type SecretStore,
  storeKey,
} from '../ports.js';
import type { OperationalEvents } from './operational-events.js';
import { type Result, settleBatch } from './sender-outcomes.js';
import { InFlightPressure, SenderLots } from './sender-parking.js';
import { SenderRate } from './sender-rate.js';
import { type Receive, SenderWaits } from './sender-waits.js';
import type { AttemptResult, WebhookClient } from './webhook-client.js';

export type { Outcome } from './sender-outcomes.js';

/**
 * Delivery queue -> one signed POST per message, all of a batch at once. Per batch: one
 * BatchGetItem of the deliveries' records and their subscriptions, the POSTs, one batched write
 * of the deliveries' records (each one item with its attempts inline: one item write per
 * delivery per attempt; a deferral in flight writes nothing), then one visibility change for
 * those to come back.
 *
 * What to do with each receive is decided by plain functions (functions/domain/delivery-plan.ts);
 * this is the I/O around them. Where a delivery waits is parking's (functions/domain/parking.ts,
 * sender-waits.ts): short waits in flight, longer ones parked out of the queue, and deliveries to
 * an endpoint whose circuit opened held in its subscription's lot, without a POST, until a probe
 * gets an answer. After the POSTs nothing throws (sender-outcomes.ts): a 2xx is deleted from the
 * queue whatever happens to the history write, which is retried, then logged and counted.
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
  /** Bodies too large for a message (ports.ts): messages carry their key. Every real wiring passes one. */
  bodies?: BodyStore;
  client: Pick<WebhookClient, 'post'>;
  schedule: readonly number[];
  /** The waits between a verification request's attempts (DEFAULT_VERIFICATION_SCHEDULE unless given; local tests shorten it). */
  verificationSchedule?: readonly number[];
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
  /**
   * Where the batch's operational events go (dead letters, lots opened and recovered, 410s):
   * flushed once the batch is settled, never failing it. Without it none are emitted.
   */
  operational?: OperationalEvents;
  /** Subscriptions' rate limits, shared by every instance; without it, limits are not applied. */
  rateSlots?: RateSlots;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

/** How long a container keeps a subscription's signing secrets (keyed by secret version, so a rotation shows at once). */
export const DEFAULT_SECRET_CACHE_TTL_MS = 15 * 60_000;
/** How long a delivery waits in the instance for a POST slot of a busy endpoint before it is deferred. */
const BULKHEAD_WAIT_MS = 200;
/** Receives kept free for throttles when deciding whether a delivery can afford a deferral. */
const RECEIVE_RESERVE = 5;
/**
 * Bodies read from the body store kept per container: up to 1 MiB each, so 16 bound it to 16 MiB
 * of the function's memory. Keys name their content, so a kept body is never stale; the time
 * only frees memory. An event's deliveries to several subscriptions usually share a batch.
 */
const BODY_CACHE_ENTRIES = 16;
const BODY_CACHE_TTL_MS = 5 * 60_000;

interface Work {
  record: SQSRecord;
  message: DeliveryMessage;
  receiveCount: number;
  /** The delivery's key in the store, built once. */
  deliveryKey: string;
  /** Operational events this delivery's facts report, emitted once the batch is settled. */
  notices?: Notice[];
}

type Notice = { [K in OperationalEventType]: { kind: K; data: OperationalData[K] } }[OperationalEventType];

/** One receive on its way to the endpoint: the plan's delivery, where it stands, and how it came. */
interface Going {
  w: Work;
  r: Receive;
  delivery: Delivery;
  subscription: Subscription;
  secrets: SecretSet;
  atIso: string;
  /** A probe, or a person's retry or redrive: to the endpoint whatever its circuit says. */
  pastGuard: boolean;
  resume: 'due' | 'drain' | 'probe' | undefined;
}

export function createSender(deps: SenderDeps) {
  const sender = new Sender(deps);
  return (event: SQSEvent): Promise<SQSBatchResponse> => sender.handle(event);
}

class Sender {
  private readonly now: () => Date;
  private readonly nowMs: () => number;
  private readonly metrics: Metrics;
  private readonly log: SenderDeps['log'];
  private readonly secretCache: TtlCache<SecretSet>;
  private readonly guard: EndpointGuard;
  private readonly receiveLimit: number;
  private readonly busyRetrySeconds: number;
  private readonly dueBucketSeconds: number;
  private readonly verificationSchedule: readonly number[];
  private readonly lots: SenderLots | undefined;
  private readonly waits: SenderWaits;
  private readonly rate: SenderRate | undefined;
  private readonly bodyCache = new TtlCache<string>(BODY_CACHE_TTL_MS, Date.now, BODY_CACHE_ENTRIES);
  /** Reads under way, so the deliveries of one event in a batch read its body once. */
  private readonly bodyReads = new Map<string, Promise<string | undefined>>();
  // A batch's deliveries start within the same millisecond: one ISO string for all of them.
  private isoMs = Number.NaN;
  private iso = '';

  constructor(private readonly deps: SenderDeps) {
    this.now = deps.now ?? (() => new Date());
    // The guard reads the clock several times per delivery: no Date object unless one is injected.
    this.nowMs = deps.now ? () => this.now().getTime() : Date.now;
    this.metrics = deps.metrics ?? NO_METRICS;
    this.log = deps.log;
    this.secretCache = new TtlCache<SecretSet>(deps.secretCacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS);
    // A circuit's first cool-off is the schedule's first step and its longest the schedule's
    // longest (at most 5 minutes): an open circuit holds a delivery back about as long as its
    // own retries would have waited.
    this.guard = new EndpointGuard({
      now: this.nowMs,
      baseCoolOffMs: Math.max(1, deps.schedule[0] ?? 5) * 1000,
      maxCoolOffMs: Math.min(300, Math.max(1, ...deps.schedule)) * 1000,
      ...deps.guard,
    });
    this.receiveLimit = maxReceiveCount(deps.schedule);
    this.verificationSchedule = deps.verificationSchedule ?? DEFAULT_VERIFICATION_SCHEDULE;
    this.busyRetrySeconds = Math.max(1, Math.ceil((deps.attemptTimeoutMs ?? 5000) / 1000));
    this.rate = deps.rateSlots ? new SenderRate(deps.rateSlots, this.nowMs, this.metrics) : undefined;
    const parking = deps.parking;
    this.dueBucketSeconds = parking?.dueBucketSeconds ?? DEFAULT_DUE_BUCKET_SECONDS;
    const probes = probeWaits(deps.schedule);
    this.lots = parking ? new SenderLots(parking.lots, this.nowMs, probes, this.log) : undefined;
    this.waits = new SenderWaits({
      schedule: deps.schedule,
      nowMs: this.nowMs,
      heldFallbackSeconds: probes.first,
      ...(parking
        ? {
            parking: {
              pressure: new InFlightPressure(parking.gauge, parking.inFlightBudget ?? DEFAULT_IN_FLIGHT_BUDGET, this.nowMs, this.log),
              dueBucketSeconds: this.dueBucketSeconds,
            },
          }
        : {}),
    });
  }

  async handle(event: SQSEvent): Promise<SQSBatchResponse> {
    const started = this.nowMs();
    const { work, results, duplicates } = this.read(event);
    let read: Awaited<ReturnType<DeliveryStore['getForSending']>> | undefined;
    try {
      read = await this.deps.store.getForSending(
        work.map((w) => ({ tenantId: w.message.tenantId, deliveryId: w.message.deliveryId, subscriptionId: w.message.subscriptionId })),
      );
    } catch (err) {
      // Nothing was sent: every message comes back after the queue's timeout, no attempt spent.
      this.log?.('error', 'could not read the deliveries before sending', { count: work.length, error: (err as Error).message });
      for (const w of work) results.push({ record: w.record, outcome: 'retrying' });
    }
    if (read) {
      const { deliveries: priorOf, subscriptions: subscriptionOf } = read;
      results.push(
        ...(await Promise.all(
          work.map(async (w): Promise<Result> => {
            try {
              const subscription = subscriptionOf.get(storeKey(w.message.tenantId, w.message.subscriptionId));
              return await this.deliver(w, priorOf.get(w.deliveryKey), subscription, started);
            } catch (err) {
              // Failed before any POST (a secret read): the queue's visibility timeout brings it back.
              this.log?.('error', 'delivery failed before sending', { messageId: w.record.messageId, error: (err as Error).message });
              return { record: w.record, outcome: 'retrying' };
            }
          }),
        )),
      );
    }
    // Before this instance first parks anything, the resumer's cursor is there to sweep it.
    if (this.lots && results.some((r) => r.fallback))
      await this.lots.beforeParking(dueBucket(this.nowMs(), this.dueBucketSeconds) - this.dueBucketSeconds);
    const response = await settleBatch(results, {
      store: this.deps.store,
      deliveries: this.deps.deliveries,
      metrics: this.metrics,
      log: this.log,
      nowMs: this.nowMs,
    });
    if (duplicates > 0) this.log?.('info', 'duplicate messages in batch', { count: duplicates });
    await this.emitNotices(work);
    return response;
  }

  /**
   * After the batch is settled (the facts are recorded): its operational events, in as few
   * PutEvents as the bus allows. `flush` never throws, so nothing here changes an outcome.
   */
  private async emitNotices(work: readonly Work[]): Promise<void> {
    const operational = this.deps.operational;
    if (!operational) return;
    let any = false;
    for (const w of work) {
      for (const n of w.notices ?? []) {
        operational.emit(n.kind, w.message.tenantId, n.data as never);
        any = true;
      }
    }
    if (any) await operational.flush();
  }

  /**
   * Notes an operational event for the batch's end, unless the rules say the fact reports none
   * (operational-events.ts): `cause` is the type of the event whose delivery caused it (null: the
   * rule was applied already, as a lot's `quiet`).
   */
  private notice(w: Work, n: Notice, cause: string | null = w.message.event.type): void {
    if (!this.deps.operational || !reportsFact(n.kind, cause ?? undefined)) return;
    w.notices ??= [];
    w.notices.push(n);
  }

  /** The delivery's schedule is over: dead-lettered, and reported as such. */
  private deadLetter(w: Work, delivery: Delivery, subscription: Subscription, r: Receive, attempt?: Attempt): Result {
    const result = this.waits.deadLetter(delivery, r, attempt);
    const last = lastAttemptOf(delivery);
    this.notice(w, {
      kind: 'webhook.delivery.dead_lettered',
      data: {
        subscription_id: subscription.id,
        url: subscription.url,
        delivery_id: delivery.id,
        event_id: delivery.eventId,
        event_type: delivery.eventType,
        attempts: delivery.attempts,
        dead_lettered_time: this.isoTime(r.at),
        ...(last ? { last_attempt: last } : {}),
      },
    });
    return result;
  }

  /** Opens the subscription's lot, reporting `webhook.endpoint.failing` when this opened it. */
  private async openLot(w: Work, subscription: Subscription, delivery: Delivery, at: Date) {
    const quiet = !reportsFact('webhook.endpoint.failing', w.message.event.type);
    const opened = await this.lots!.open(subscription, at, quiet);
    if (opened?.opened && !quiet) {
      const last = lastAttemptOf(delivery);
      this.notice(w, {
        kind: 'webhook.endpoint.failing',
        data: {
          subscription_id: subscription.id,
          url: subscription.url,
          failing_since: opened.lot.openedTime,
          ...(last ? { last_attempt: last } : {}),
        },
      });
    }
    return opened?.lot;
  }

  /** The batch's records as work, one per delivery and generation; unreadable ones released at once. */
  private read(event: SQSEvent): { work: Work[]; results: Result[]; duplicates: number } {
    const work: Work[] = [];
    const results: Result[] = [];
    let duplicates = 0;
    const firstOf = new Set<string>();
    for (const record of event.Records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
      let message: DeliveryMessage;
      try {
        message = parseDeliveryMessage(record.body);
      } catch (err) {
        // Nobody can read it: released at once, it reaches the DLQ after maxReceiveCount receives.
        this.log?.('error', 'unreadable delivery message', {
          messageId: record.messageId,
          receiveCount,
          maxReceiveCount: this.receiveLimit,
          error: (err as Error).message,
        });
        this.metrics.count('UnreadableMessage');
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
    return { work, results, duplicates };
  }

  private async deliver(w: Work, prior: Delivery | undefined, subscription: Subscription | undefined, started: number): Promise<Result> {
    const { record, message, receiveCount } = w;
    const at = this.now();
    const atIso = this.isoTime(at);
    const plan = planReceive({
      message,
      messageId: record.messageId,
      receiveCount,
      receiveLimit: this.receiveLimit,
      prior,
      nowMs: at.getTime(),
      atIso,
    });
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
    const parking = this.deps.parking !== undefined;

    // Back before its due time: wait out the rest (parked, or in flight in hops within 12 h).
    // Without parking, the last receive before the DLQ is attempted rather than lost there.
    if (plan.earlyByMs !== undefined && (parking || !plan.lastReceive))
      return this.waits.waitFor(delivery, plan.earlyByMs / 1000, r, 'deferred');
    // Too old to stay in the queue (retention counts from the first send): a fresh message carries it on.
    if (parking && needsFreshMessage(r.messageAgeSeconds)) return this.waits.waitFor(delivery, 0, r, 'deferred');

    if (subscription?.status !== 'enabled') {
      delivery.status = 'skipped';
      delivery.lastError = subscription ? 'subscription_disabled' : 'subscription_deleted';
      // A lot probing a subscription that gets nothing any more drains: its deliveries are all skipped so.
      if (this.lots && plan.resume === 'probe') await this.lots.recovered({ tenantId: message.tenantId, id: message.subscriptionId }, at);
      // Already recorded as skipped for the same reason: nothing to write.
      if (prior?.status === 'skipped' && prior.lastError === delivery.lastError) return { record, outcome: 'skipped' };
      return { record, outcome: 'skipped', delivery };
    }
    // Endpoint verification (functions/domain/verification.ts): the request itself is judged by its
    // own rules; anything else to an endpoint not verified yet waits, unsent and no attempt spent.
    if (message.event.type === VERIFICATION_EVENT_TYPE) return this.verify(w, r, delivery, subscription, atIso);
    if (!isVerified(subscription)) return this.awaitVerification(delivery, r);
    // Held until its schedule ended: a dead letter without a POST if its lot is still open (the
    // endpoint failed every probe); if the lot recovered meanwhile (its drain had not come to this
    // one yet), it goes to the endpoint now, as the drain would have sent it.
    if (plan.expired) {
      const lot = this.lots ? await this.lots.afterFailure(subscription) : undefined;
      if (!this.lots || lot?.state === 'open') {
        delivery.lastError = 'endpoint_unavailable: its endpoint failed every probe until the schedule ended';
        this.metrics.count('DeliveryExpired');
        return this.deadLetter(w, delivery, subscription, r);
      }
    }
    // Read before any slot of the endpoint is taken: a secret that cannot be read costs no POST slot.
    const cachedOrLoading = this.secretsOf(subscription);
    const secrets = cachedOrLoading instanceof Promise ? await cachedOrLoading : cachedOrLoading;
    const going: Going = {
      w,
      r,
      delivery,
      subscription,
      secrets,
      atIso,
      pastGuard: plan.resume === 'probe' || plan.newRound,
      resume: plan.expired ? 'drain' : plan.resume,
    };
    const held = await this.holdIfLotOpen(going);
    if (held) return held;
    // Over its subscription's rate limit: no POST and no attempt; a slot more than a moment away
    // is waited for out of the queue's in-flight set, as a fresh delayed message (rate-limit.ts).
    if (this.rate && subscription.rateLimit) {
      const resend = await this.rate.wait(subscription, message, record, (this.nowMs() - started) / 1000);
      if (resend) return { record, outcome: 'resent', resend, fallback: { outcome: 'deferred', visibility: resend.fallbackSeconds } };
    }
    // A body kept beside the table is read now, before the endpoint's slot: one that cannot be
    // read costs no slot and no attempt (it throws, and the message comes back).
    if (message.bodyKey && !message.body) {
      const body = await this.bodyOf(message.bodyKey);
      if (body === undefined) {
        delivery.status = 'skipped';
        delivery.lastError = 'event_expired: its body is past the retention';
        this.log?.('error', 'delivery whose event body is gone; recorded as skipped', {
          deliveryId: delivery.id,
          bodyKey: message.bodyKey,
        });
        return { record, outcome: 'skipped', delivery };
      }
      message.body = body;
    }
    const admitted = await this.admit(going);
    if ('outcome' in admitted) return admitted;
    const { result, attempt } = await this.post(going, admitted.admission);
    return this.afterAttempt(going, result, attempt);
  }

  /**
   * A delivery to an endpoint not verified yet: deferred (parked when long), looked at again
   * sooner while it is young (unverifiedWaitSeconds), and dead-lettered without a POST once its
   * own schedule would have ended, as a held delivery whose endpoint never answers.
   */
  private awaitVerification(delivery: Delivery, r: Receive): Result | Promise<Result> {
    const createdMs = Date.parse(delivery.createdTime);
    if (r.at.getTime() >= createdMs + remainingScheduleSeconds(this.deps.schedule, 0) * 1000) {
      delivery.lastError = 'endpoint_unverified: its endpoint was not verified before its schedule ended';
      this.metrics.count('DeliveryExpired');
      return this.waits.deadLetter(delivery, r);
    }
    const wait = unverifiedWaitSeconds((r.at.getTime() - createdMs) / 1000, this.verificationSchedule);
    return this.waits.waitFor(delivery, wait, r, 'deferred');
  }

  /**
   * A verification request: POSTed past the endpoint's guard and lot (nothing else goes to it),
   * judged by the subscription's verification mode, and settled on the subscription only if that
   * still awaits this very request (a URL change or a newer request supersedes it). Failed
   * attempts are retried on the verification's schedule; after the last, `failed`.
   */
  private async verify(w: Work, r: Receive, delivery: Delivery, subscription: Subscription, atIso: string): Promise<Result> {
    const v = subscription.verification;
    const requestId = w.message.event.id;
    if (v?.status !== 'pending' || v.requestId !== requestId || v.url !== subscription.url) {
      delivery.status = 'skipped';
      delivery.lastError = 'superseded: the subscription no longer awaits this verification request';
      return { record: r.record, outcome: 'skipped', delivery };
    }
    const body = webhookBody(w.message);
    const challenge = String((JSON.parse(body) as { data?: { challenge?: unknown } }).data?.challenge ?? '');
    const cached = this.secretsOf(subscription);
    const secrets = cached instanceof Promise ? await cached : cached;
    const g: Going = { w, r, delivery, subscription, secrets, atIso, pastGuard: true, resume: undefined };
    const { result, attempt } = await this.post(g, undefined);
    const problem = verificationProblem(
      v.mode,
      result.kind === 'response' ? { kind: 'response', status: result.status, excerpt: result.excerpt } : result,
      challenge,
    );
    const key = { tenantId: subscription.tenantId, id: subscription.id };
    if (problem === null) {
      const verified: Verification = { ...v, status: 'verified', verifiedTime: atIso };
      delete verified.lastError;
      if (await this.settle(key, requestId, verified)) {
        // Settled once, by this request: reported. The handshake is no operational event's delivery
        // in the loop rules' sense (null cause): nothing it reports can make another verification.
        this.notice(
          w,
          {
            kind: 'webhook.subscription.verified',
            data: { subscription_id: subscription.id, url: subscription.url, verified_time: atIso },
          },
          null,
        );
        delivery.status = 'succeeded';
        // Held in a lot since before the URL changed: the new endpoint answered, so the lot drains.
        if (this.lots && (await this.lots.afterFailure(subscription))?.state === 'open') await this.lots.recovered(subscription, r.at);
        return { record: r.record, outcome: 'succeeded', delivery, attempt };
      }
      // Not written (the store failed, or a newer request superseded this one meanwhile): the next attempt settles it.
    }
    delivery.lastError = problem ?? 'answered, but the verification could not be recorded; retrying';
    const delay = nextDelaySeconds(this.verificationSchedule, delivery.attempts - (delivery.roundStart ?? 0), {
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    if (delay === undefined) {
      await this.settle(key, requestId, { ...v, status: 'failed', lastError: delivery.lastError });
      delivery.status = 'skipped';
      return { record: r.record, outcome: 'skipped', delivery, attempt };
    }
    // Still pending: the subscription shows why the last attempt did not verify it.
    await this.settle(key, requestId, { ...v, lastError: delivery.lastError });
    delivery.nextAttemptTime = new Date(r.at.getTime() + delay * 1000).toISOString();
    return this.waits.waitFor(delivery, delay, r, 'retrying', attempt);
  }

  /** After the POST nothing throws: a store that fails is logged, and the request's next attempt tries again. */
  private async settle(s: { tenantId: string; id: string }, requestId: string, outcome: Verification): Promise<boolean> {
    try {
      return await this.deps.store.settleVerification(s.tenantId, s.id, requestId, outcome);
    } catch (err) {
      this.log?.('error', 'could not record a verification outcome', { subscriptionId: s.id, error: (err as Error).message });
      return false;
    }
  }

  private bodyOf(key: string): string | undefined | Promise<string | undefined> {
    const kept = this.bodyCache.peek(key);
    if (kept !== undefined) return kept;
    let reading = this.bodyReads.get(key);
    if (!reading) {
      if (!this.deps.bodies) throw new Error('no body store: a message names a body kept beside the table');
      reading = this.deps.bodies
        .get(key)
        .then((body) => {
          if (body !== undefined) this.bodyCache.set(key, body);
          return body;
        })
        .finally(() => this.bodyReads.delete(key));
      this.bodyReads.set(key, reading);
    }
    return reading;
  }

  /** A delivery to an endpoint whose lot this instance knows open waits there, unless it goes anyway. */
  private async holdIfLotOpen(g: Going): Promise<Result | undefined> {
    if (!this.lots) return undefined;
    // A drained delivery goes (the lot drains), and this instance learns the lot is draining.
    if (g.resume === 'drain') this.lots.draining(g.subscription);
    const lot = await this.lots.current(g.subscription);
    if (!holdsInLot(lot, g.subscription.url, g.pastGuard || g.resume === 'drain')) return undefined;
    this.metrics.count('DeliveryHeld');
    return this.waits.hold(g.delivery, lot!, g.r);
  }

  /**
   * The endpoint's circuit breaker and bulkhead (endpoint-guard.ts): admitted, or the delivery
   * waits (held in its lot when the circuit opened, deferred in flight when the endpoint is busy).
   * A probe, a retry or a redrive goes past them: `admission` is then undefined.
   */
  private async admit(g: Going): Promise<{ admission: Admission | undefined } | Result> {
    if (g.pastGuard && this.deps.parking) return { admission: undefined };
    const { delivery, r } = g;
    const acquired = this.guard.acquire(endpointOf(g.subscription), this.busyRetrySeconds * 1000, BULKHEAD_WAIT_MS);
    const admission = acquired instanceof Promise ? await acquired : acquired;
    if (admission.admitted) return { admission };
    // Its circuit opened: the subscription's lot opens, and its deliveries wait there.
    const lot = admission.reason === 'open' && this.lots ? await this.openLot(g.w, g.subscription, delivery, r.at) : undefined;
    if (lot) {
      this.metrics.count('LotOpened');
      this.metrics.count('DeliveryHeld');
      return this.waits.hold(delivery, lot, r);
    }
    // An endpoint that keeps failing, or has its POSTs in flight, waits: no POST, no attempt,
    // as long as the message's receive budget leaves room for the rest of its schedule.
    const receiveCount = g.w.receiveCount;
    const inRound = delivery.attempts - (delivery.roundStart ?? 0) + 1;
    const affordable = receiveCount + receivesNeeded(this.deps.schedule, inRound) + RECEIVE_RESERVE <= this.receiveLimit;
    if (!affordable && !this.deps.parking) return { admission };
    // A busy endpoint's deliveries come back sooner or later (its POSTs may answer soon, or hang
    // until the timeout): each further deferral of one message waits twice as long.
    const repeats = Math.min(10, Math.max(0, receiveCount - inRound));
    const waitMs =
      admission.reason === 'busy' ? Math.min(this.busyRetrySeconds * 1000, admission.retryInMs * 2 ** repeats) : admission.retryInMs;
    return this.waits.waitFor(delivery, Math.ceil(waitMs / 1000), r, 'deferred');
  }

  /** Signs and POSTs, tells the circuit how it went, and records the attempt in the delivery. */
  private async post(g: Going, admission: Admission | undefined): Promise<{ result: AttemptResult; attempt: Attempt }> {
    const { delivery, subscription, r } = g;
    const message = g.w.message;
    const body = webhookBody(message);
    const signed = signHeaders(signingSecrets(g.secrets, r.at), message.event.id, Math.floor(r.at.getTime() / 1000), body);
    // The subscription's custom headers, kept with its secrets; none may take a signature header's name (custom-headers.ts).
    const headers: Record<string, string> = g.secrets.headers ? { ...g.secrets.headers, ...signed } : signed;
    let result: AttemptResult;
    try {
      result = await this.deps.client.post(subscription.url, headers, body);
    } catch (err) {
      if (admission?.admitted) admission.release(false);
      throw err;
    }
    const healthy = endpointHealthy(result);
    if (admission?.admitted) admission.release(healthy);
    else if (!admission) this.guard.observe(endpointOf(subscription), healthy);
    delivery.attempts++;
    delete delivery.nextAttemptTime;
    delete delivery.lastStatusCode;
    delete delivery.lastError;
    const attempt = attemptRecord(message, delivery.attempts, g.atIso, result);
    delivery.attemptLog = delivery.attemptLog?.length ? [...delivery.attemptLog, attempt] : [attempt];
    if (result.kind === 'response') delivery.lastStatusCode = result.status;
    else delivery.lastError = result.error;
    this.metrics.latency(result.latencyMs);
    // At volume: successes at debug (sampled by debugLogSampleRate), failures at warn.
    this.log?.(result.kind === 'response' && result.status >= 200 && result.status < 300 ? 'debug' : 'warn', 'delivery attempt', {
      deliveryId: message.deliveryId,
      eventId: message.event.id,
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      attempt: delivery.attempts,
      ...(g.resume ? { resumed: g.resume } : {}),
      ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
      latencyMs: result.latencyMs,
    });
    return { result, attempt };
  }

  private async afterAttempt(g: Going, result: AttemptResult, attempt: Attempt): Promise<Result> {
    const { delivery, subscription, r } = g;
    const record = r.record;
    // An answer while its lot is open (a probe, a person's retry or redrive, a changed URL): the lot drains.
    if (this.lots && endpointHealthy(result) && (g.pastGuard || this.lots.knownOpen(subscription))) {
      this.metrics.count('LotRecovered');
      const before = await this.lots.recovered(subscription, r.at);
      // Announced as its opening was, whatever the probe carried: the lot holds the rule (a quiet
      // lot's recovery is quiet too, a loud one's is reported even when an operational event probed it).
      if (before && !before.quiet)
        this.notice(
          g.w,
          {
            kind: 'webhook.endpoint.recovered',
            data: { subscription_id: subscription.id, url: subscription.url, failing_since: before.openedTime, recovered_time: g.atIso },
          },
          null,
        );
    }
    const outcome = classifyAttempt(result);
    if (outcome === 'succeeded') {
      delivery.status = 'succeeded';
      return { record, outcome: 'succeeded', delivery, attempt };
    }
    if (outcome === 'gone') {
      // The receiver says it is gone for good: stop sending it anything, unless the
      // subscription changed since this batch read it (then that change stands).
      const disabled = await this.deps.store
        .disableGoneSubscription(subscription.tenantId, subscription.id, subscription.updatedTime, g.atIso)
        .catch((err: Error) => {
          this.log?.('error', 'could not disable a gone subscription', { subscriptionId: subscription.id, error: err.message });
          return false;
        });
      if (disabled)
        this.notice(g.w, {
          kind: 'webhook.subscription.disabled',
          data: {
            subscription_id: subscription.id,
            url: subscription.url,
            reason: GONE_DISABLED_REASON,
            disabled_time: g.atIso,
            last_attempt: { time: attempt.time, status_code: 410 },
          },
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
    return this.retry(g, result, attempt);
  }

  /** A failed attempt: its next step (parked, held or in flight), or the DLQ after the last. */
  private async retry(g: Going, result: AttemptResult, attempt: Attempt): Promise<Result> {
    const { delivery, subscription, r } = g;
    const delay =
      r.lastReceive && !this.deps.parking
        ? undefined
        : nextDelaySeconds(this.deps.schedule, delivery.attempts - (delivery.roundStart ?? 0), {
            ...(result.kind === 'response' && result.retryAfterSeconds !== undefined
              ? { retryAfterSeconds: result.retryAfterSeconds }
              : {}),
            ...(this.deps.random ? { random: this.deps.random } : {}),
          });
    // Its last attempt: released at once, and every later receive releases it again, until
    // SQS's maxReceiveCount moves it to the DLQ (so the console's redrive to source works).
    if (delay === undefined) return this.deadLetter(g.w, delivery, subscription, r, attempt);
    delivery.nextAttemptTime = new Date(r.at.getTime() + delay * 1000).toISOString();
    if (this.lots) {
      if (g.resume === 'probe') await this.lots.probeFailed(subscription, r.at);
      // A failure: is the lot open (another instance opened it), or did this failure open the circuit?
      let lot = await this.lots.afterFailure(subscription);
      if (lot?.state !== 'open' && this.guard.isOpen(endpointOf(subscription))) {
        lot = await this.openLot(g.w, subscription, delivery, r.at);
        if (lot) this.metrics.count('LotOpened');
      }
      if (lot && holdsInLot(lot, subscription.url, false)) {
        this.metrics.count('DeliveryHeld');
        return this.waits.hold(delivery, lot, r, attempt);
      }
    }
    return this.waits.waitFor(delivery, delay, r, 'retrying', attempt);
  }

  /** The subscription's signing secrets, once per secret version per instance (a promise only on a miss). */
  private secretsOf(subscription: Subscription): SecretSet | Promise<SecretSet> {
    const key = `${subscription.secretName}#${subscription.secretVersion ?? ''}`;
    return (
      this.secretCache.peek(key) ??
      this.secretCache.get(key, async () => parseSecretSet(await this.deps.secrets.get(subscription.secretName)))
    );
  }

  private isoTime(at: Date): string {
    const ms = at.getTime();
    if (ms !== this.isoMs) {
      this.iso = at.toISOString();
      this.isoMs = ms;
    }
    return this.iso;
  }
}

/** An endpoint is a subscription: one tenant's failing endpoint never opens a circuit for another's on the same host. */
function endpointOf(s: Subscription): string {
  return `${s.tenantId}/${s.id}`;
}

/** The delivery's last attempt as operational events report it. */
function lastAttemptOf(delivery: Delivery): LastAttempt | undefined {
  const a = delivery.attemptLog?.at(-1);
  if (!a) return undefined;
  return {
    time: a.time,
    ...(a.statusCode !== undefined ? { status_code: a.statusCode } : {}),
    ...(a.error !== undefined ? { error: a.errorMessage ? `${a.error}: ${a.errorMessage}`.slice(0, 500) : a.error } : {}),
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
