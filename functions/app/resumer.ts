import { contentOf, deliveryMessage, encodeDeliveryMessage } from '../domain/delivery-message.js';
import { eventOfRecord } from '../domain/delivery-record.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { Delivery } from '../domain/model.js';
import {
  DEFAULT_DUE_BUCKET_SECONDS,
  DEFAULT_RESUME_RATE_PER_SECOND,
  drainDelaySeconds,
  drainRoundSize,
  dueShards,
  LOT_FINAL_CHECK_SECONDS,
  type Lot,
  type LotEntry,
  lastEndedBucket,
  probeStart,
  type ResumeKind,
} from '../domain/parking.js';
import { AUTO_DISABLED_REASON, autoDisableDue } from '../domain/recovery.js';
import {
  type DeliveryStore,
  type DueCursor,
  type Metrics,
  NO_METRICS,
  type ParkingIndex,
  type Queue,
  type RecoveryStore,
  storeKey,
} from '../ports.js';
import type { OperationalEvents } from './operational-events.js';
import type { RecoveryWorker } from './recovery.js';

/**
 * The resumer: run once a minute (an EventBridge schedule; local mode's timer), one run at a
 * time. It sweeps the due-time index bucket by bucket, from its cursor to the last bucket that
 * has ended, and for each entry:
 *
 * - a parked delivery record still carrying the entry's token: a fresh message for it (same
 *   `webhook-id`, attempt count and schedule: everything is in its record), with the token;
 * - a lot head: an open lot sends one held delivery as its probe; a draining lot resumes its
 *   held deliveries, oldest deadline first, at most `resumeRatePerSecond` a second, spread over
 *   the minute with DelaySeconds; a drained lot is kept LOT_FINAL_CHECK_SECONDS, checked once
 *   more, and deleted.
 *
 * Messages are sent before the cursor moves on, so a crash sends a bucket again (at least once;
 * a second copy of a resume finds the record no longer parked under its token and goes), and a
 * bucket is never skipped. A run stops at its time budget; the next one goes on from the cursor.
 */

export interface ResumerDeps {
  parking: ParkingIndex;
  store: Pick<DeliveryStore, 'getDeliveries' | 'getEvents' | 'write'>;
  /** The delivery queue. */
  deliveries: Queue;
  dueBucketSeconds?: number;
  /** Held deliveries a draining lot resumes a second. */
  resumeRatePerSecond?: number;
  /** How long a run may work (the function's timeout, with a margin). */
  timeBudgetMs?: number;
  /**
   * A subscription whose lot has been open this long (every delivery failing, every probe too) is
   * disabled with reason `endpoint_failing` when the lot next wakes (functions/domain/recovery.ts).
   */
  autoDisable?: { afterSeconds: number; store: Pick<RecoveryStore, 'disableSubscription'> };
  /** Reports an auto-disable as `webhook.subscription.disabled`; without it nothing is reported. */
  operational?: Pick<OperationalEvents, 'send'>;
  /** Running recoveries: each run goes on with them after its sweep (functions/app/recovery.ts). */
  recoveries?: Pick<RecoveryWorker, 'continueRunning'>;
  /** Buckets before the first run's (no cursor yet) that it sweeps too. */
  firstRunLookbackBuckets?: number;
  now?: () => Date;
  metrics?: Metrics;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export interface ResumeReport {
  buckets: number;
  resumed: number;
  probes: number;
  lots: number;
  /** Whether it reached the last ended bucket (false: out of time, the next run goes on). */
  caughtUp: boolean;
  /** Running recoveries it went on with. */
  recoveries?: number;
}

/** A first run (no cursor yet) sweeps this many buckets before its own: an hour on AWS, nothing is parked earlier. */
const FIRST_RUN_LOOKBACK_BUCKETS = 60;
/** Live entries a probe looks through for one still held (past ones may have expired meanwhile). */
const PROBE_SCAN = 25;
/** Held deliveries counted per lot for the dashboard, at most. */
const COUNT_MAX = 100_000;

export function createResumer(deps: ResumerDeps) {
  const now = deps.now ?? (() => new Date());
  const bucketSeconds = deps.dueBucketSeconds ?? DEFAULT_DUE_BUCKET_SECONDS;
  const rate = deps.resumeRatePerSecond ?? DEFAULT_RESUME_RATE_PER_SECOND;
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log ?? (() => undefined);
  const budgetMs = deps.timeBudgetMs ?? 40_000;
  const lookback = deps.firstRunLookbackBuckets ?? FIRST_RUN_LOOKBACK_BUCKETS;

  /**
   * Fresh messages for parked records that still carry the tokens (`delay`: DelaySeconds of each).
   * Answers how many went. Throws when SQS takes not all of them, so nothing moves past them.
   */
  async function resume(
    refs: readonly { tenantId: string; deliveryId: string; token: string }[],
    kind: ResumeKind,
    delay: (i: number) => number = () => 0,
  ): Promise<number> {
    if (refs.length === 0) return 0;
    const records = await deps.store.getDeliveries(refs.map((r) => ({ tenantId: r.tenantId, deliveryId: r.deliveryId })));
    const live: Delivery[] = [];
    for (const ref of refs) {
      const d = records.get(storeKey(ref.tenantId, ref.deliveryId));
      // Written since (attempted, retried, parked again): the entry is stale, whatever it was.
      if (d?.park?.token === ref.token && d.status === 'pending') live.push(d);
    }
    const needEvents = live.filter((d) => d.eventBody === undefined);
    const events = await deps.store.getEvents(
      needEvents.map((d) => ({ tenantId: d.tenantId, eventId: d.eventId })),
      { consistent: false },
    );
    const messages: { id: string; body: string; groupId: string; delaySeconds?: number }[] = [];
    const gone: Delivery[] = [];
    for (const d of live) {
      const inRecord = eventOfRecord(d);
      const stored = inRecord ? { event: inRecord } : events.get(storeKey(d.tenantId, d.eventId));
      if (!stored) {
        gone.push(d);
        continue;
      }
      const m = deliveryMessage(d.tenantId, d.subscriptionId, stored.event, d.createdTime, d.generation, contentOf(stored));
      m.deliveryId = d.id;
      if (d.legacyListing) delete m.listed;
      if (d.eventBody !== undefined) m.eventInRecord = true;
      m.resume = { token: d.park!.token, kind };
      const delaySeconds = delay(messages.length);
      messages.push({
        id: d.id,
        body: encodeDeliveryMessage(m),
        groupId: messageGroupOf(d.tenantId),
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      });
    }
    if (gone.length > 0) {
      // Past the table's retention (the stack keeps events longer than any schedule, so this is a fault).
      metrics.count('ResumeEventMissing', gone.length);
      log('error', 'parked deliveries whose event is gone; recorded as skipped', { deliveries: gone.map((d) => d.id) });
      const at = now().toISOString();
      await deps.store.write({
        deliveries: gone.map((d) => {
          const { park: _park, ...rest } = d;
          return { ...rest, status: 'skipped' as const, lastError: 'event_expired: the event is past its retention', updatedTime: at };
        }),
      });
    }
    await deps.deliveries.sendAll(messages);
    metrics.count('DeliveriesResumed', messages.length);
    return messages.length;
  }

  /** The live held entries of a lot after `after` (up to `limit` examined): records still held under the entry's token. */
  async function liveEntries(lot: Lot, after: string | undefined, limit: number): Promise<{ entries: LotEntry[]; examined: LotEntry[] }> {
    const examined = await deps.parking.lotEntries(lot.tenantId, lot.subscriptionId, after, limit);
    if (examined.length === 0) return { entries: [], examined };
    const records = await deps.store.getDeliveries(examined.map((e) => ({ tenantId: e.tenantId, deliveryId: e.deliveryId })));
    const entries = examined.filter((e) => {
      const d = records.get(storeKey(e.tenantId, e.deliveryId));
      return d?.park?.kind === 'held' && d.park.token === e.token && d.status === 'pending';
    });
    return { entries, examined };
  }

  async function close(lot: Lot, at: number, drainedTo: string | undefined): Promise<void> {
    const closed: Lot = {
      ...lot,
      state: 'closed',
      closedTime: new Date(at).toISOString(),
      wakeTime: new Date(at + LOT_FINAL_CHECK_SECONDS * 1000).toISOString(),
      ...(drainedTo !== undefined ? { drainedTo } : {}),
    };
    await deps.parking.saveLot(closed, lot);
  }

  /** What a lot's wake-up means, by its state. Answers [messages resumed, probes sent]. */
  async function wakeLot(tenantId: string, subscriptionId: string, stats: { oldestHeldMs?: number }): Promise<[number, number]> {
    const lot = await deps.parking.readLot(tenantId, subscriptionId);
    const at = now().getTime();
    // Gone, or moved to a later bucket since this entry was indexed: nothing to do now.
    if (!lot || Date.parse(lot.wakeTime) > at) return [0, 0];
    const detail = { tenantId, subscriptionId, state: lot.state };
    if (lot.state === 'open' && deps.autoDisable && autoDisableDue(Date.parse(lot.openedTime), at, deps.autoDisable.afterSeconds)) {
      const disabled = await deps.autoDisable.store.disableSubscription(
        tenantId,
        subscriptionId,
        AUTO_DISABLED_REASON,
        new Date(at).toISOString(),
      );
      if (disabled) {
        metrics.count('SubscriptionAutoDisabled');
        log('warn', 'subscription disabled: every delivery failed for the auto-disable period', { ...detail, openedTime: lot.openedTime });
        // After the write, never failing the run (send logs and counts).
        await deps.operational?.send('webhook.subscription.disabled', tenantId, {
          subscription_id: subscriptionId,
          url: disabled.url,
          reason: AUTO_DISABLED_REASON,
          disabled_time: new Date(at).toISOString(),
          failing_since: lot.openedTime,
        });
      }
      // Its held deliveries drain to the sender, which records each skipped (subscription_disabled):
      // a recovery since the disable sends them once the subscription is enabled again.
      await deps.parking.recovered(tenantId, subscriptionId, new Date(at));
      return [0, 0];
    }
    if (lot.state === 'open') {
      // Entries sort by deadline: those long past it are dead letters by now (parking.ts, probeStart).
      const from = probeStart(at, lot.drainedTo);
      let after = from;
      for (let scans = 0; scans < 4; scans++) {
        const { entries, examined } = await liveEntries(lot, after, PROBE_SCAN);
        const probe = entries[0];
        if (probe) {
          // The lot wakes again after its wait whatever becomes of the probe: saved before it goes,
          // so the probe's own result (the sender's update) is never overwritten by this one.
          const next: Lot = { ...lot, wakeTime: new Date(at + lot.probeSeconds * 1000).toISOString() };
          if (!(await deps.parking.saveLot(next, lot))) return [0, 0];
          await resume([{ tenantId, deliveryId: probe.deliveryId, token: probe.token }], 'probe');
          metrics.count('LotProbes');
          const held = await deps.parking.countLotEntries(tenantId, subscriptionId, from, COUNT_MAX);
          const oldest = (await deps.store.getDeliveries([{ tenantId, deliveryId: probe.deliveryId }])).get(
            storeKey(tenantId, probe.deliveryId),
          )?.createdTime;
          if (oldest) stats.oldestHeldMs = Math.min(stats.oldestHeldMs ?? Number.POSITIVE_INFINITY, Date.parse(oldest));
          log('info', 'lot probed', { ...detail, held, openedTime: lot.openedTime, nextProbeSeconds: lot.probeSeconds });
          return [1, 1];
        }
        if (examined.length < PROBE_SCAN) break;
        after = examined[examined.length - 1]!.position;
      }
      // Nothing held any more (expired, retried, or the subscription's deliveries all went): close it.
      log('info', 'lot has nothing left to probe; closing', detail);
      await close(lot, at, lot.drainedTo);
      return [0, 0];
    }
    // Draining, or the final check of a closed lot: resume what is held, at the lot's rate.
    const limit = drainRoundSize(rate, at, lot.drainedTime ? Date.parse(lot.drainedTime) : undefined, bucketSeconds);
    const { entries, examined } = await liveEntries(lot, lot.drainedTo, limit);
    const resumed = await resume(
      entries.map((e) => ({ tenantId, deliveryId: e.deliveryId, token: e.token })),
      'drain',
      (i) => drainDelaySeconds(i, rate),
    );
    const drainedTo = examined.length > 0 ? examined[examined.length - 1]!.position : lot.drainedTo;
    if (lot.state === 'closed' && examined.length === 0) {
      await deps.parking.deleteLot(lot, lot);
      log('info', 'lot deleted', detail);
      return [0, 0];
    }
    if (examined.length < limit) await close(lot, at, drainedTo);
    else
      await deps.parking.saveLot(
        {
          ...lot,
          ...(drainedTo !== undefined ? { drainedTo } : {}),
          drainedTime: new Date(at).toISOString(),
          wakeTime: new Date(at + bucketSeconds * 1000).toISOString(),
        },
        lot,
      );
    log('info', 'lot drained', { ...detail, resumed, drainedTo });
    return [resumed, 0];
  }

  return async (): Promise<ResumeReport> => {
    const started = performance.now();
    const outOfTime = () => performance.now() - started > budgetMs;
    const report: ResumeReport = { buckets: 0, resumed: 0, probes: 0, lots: 0, caughtUp: false };
    const stats: { oldestHeldMs?: number } = {};
    const last = lastEndedBucket(now().getTime(), bucketSeconds);
    let cursor: DueCursor = (await deps.parking.readCursor()) ?? { bucket: last - lookback * bucketSeconds };
    while (cursor.bucket <= last) {
      const bucket = cursor.bucket;
      const positions: Record<string, string> = { ...(cursor.shards ?? {}) };
      const unfinished = new Set<number>();
      await Promise.all(
        Array.from({ length: dueShards(bucketSeconds) }, async (_, shard) => {
          let start = positions[String(shard)];
          // A shard finished in an earlier run of this bucket.
          if (start === DONE) return;
          for (;;) {
            if (outOfTime()) {
              unfinished.add(shard);
              return;
            }
            const page = await deps.parking.dueIn(bucket, shard, start);
            const refs = page.entries.flatMap((e) => (e.kind === 'delivery' ? [e] : []));
            // Shards run concurrently: a count is added once its await is over (`x += await y` would read x before).
            const resumed = await resume(refs, 'due');
            report.resumed += resumed;
            for (const e of page.entries) {
              if (e.kind !== 'lot') continue;
              report.lots++;
              const [fromLot, probes] = await wakeLot(e.tenantId, e.subscriptionId, stats);
              report.resumed += fromLot;
              report.probes += probes;
            }
            if (!page.next) {
              positions[String(shard)] = DONE;
              return;
            }
            start = page.next;
            positions[String(shard)] = start;
          }
        }),
      );
      if (unfinished.size > 0) {
        await deps.parking.writeCursor({ bucket, shards: positions });
        break;
      }
      cursor = { bucket: bucket + bucketSeconds };
      await deps.parking.writeCursor(cursor);
      report.buckets++;
    }
    report.caughtUp = cursor.bucket > last;
    // What is left of the budget goes on with running recoveries (a recovery's pages are small).
    const left = budgetMs - (performance.now() - started);
    if (deps.recoveries && left > 0) report.recoveries = await deps.recoveries.continueRunning(left);
    const at = now().getTime();
    // How far behind its buckets the resumer runs: a minute or so when healthy.
    metrics.gauge?.('ResumeLagSeconds', Math.max(0, (at - (cursor.bucket + bucketSeconds) * 1000) / 1000));
    if (stats.oldestHeldMs !== undefined) metrics.gauge?.('OldestHeldAgeSeconds', Math.max(0, (at - stats.oldestHeldMs) / 1000));
    if (report.resumed > 0 || report.lots > 0) log('info', 'resumer run', { ...report });
    return report;
  };
}

/** A shard of a bucket read to its end by an earlier run that ran out of time. */
const DONE = '-';
