import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Attempt, Delivery } from '../domain/model.js';
import { resendDelaySeconds } from '../domain/rate-limit.js';
import type { ChangeVisibility, DeliveryStore, Metrics, Queue, QueueMessage } from '../ports.js';

/** What became of one record of a batch. */
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
  | 'resent'
  | 'released'
  | 'unread';

export interface Result {
  record: SQSRecord;
  outcome: Outcome;
  delivery?: Delivery;
  attempt?: Attempt;
  /** Seconds until the message should be visible again; undefined leaves the queue's own timeout. */
  visibility?: number;
  /** Parked or held: the wait in flight instead, should the record (the park) not be written; resent: should the message not go. */
  fallback?: { outcome: 'retrying' | 'deferred'; visibility: number };
  /** Resent (waiting for its rate limit's slot): the fresh message that carries the delivery on, delayed to its slot. */
  resend?: { message: QueueMessage; slot: number };
}

export interface SettleDeps {
  store: Pick<DeliveryStore, 'write'>;
  deliveries: Pick<Queue, 'changeVisibilities' | 'sendAll'>;
  metrics: Metrics;
  /** The clock resent messages' delays are counted on. */
  nowMs?: () => number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

const HISTORY_WRITE_TRIES = 3;

/**
 * The end of a batch, where nothing throws (what was POSTed is settled): the records first (a
 * message released at once must find its record already saying what this attempt did, or another
 * invocation would repeat it; a parked delivery's message may go only once its park is written),
 * then the visibility changes, then the partial batch response.
 */
export async function settleBatch(results: Result[], deps: SettleDeps): Promise<SQSBatchResponse> {
  // The resent messages do not wait for the records: their deliveries' records are not written.
  const [written, resent] = await Promise.all([
    writeRecords(
      results.flatMap((r) => (r.delivery ? [r.delivery] : [])),
      deps,
    ),
    sendAgain(results, deps),
  ]);
  const changes: ChangeVisibility[] = [];
  const failures: string[] = [];
  for (const r of results) {
    if (r.fallback && (r.outcome === 'resent' ? !resent : !written)) {
      // Not parked after all: the message waits in flight, and its record (if the write got that far) has the park, which owns it.
      if (r.outcome !== 'resent') deps.metrics.count('ParkWriteFailed');
      r.outcome = r.fallback.outcome;
      r.visibility = r.fallback.visibility;
    }
    if (r.visibility !== undefined) changes.push({ receiptHandle: r.record.receiptHandle, seconds: r.visibility });
    if (comesBack(r.outcome)) failures.push(r.record.messageId);
    countOutcome(deps.metrics, r);
  }
  await changeVisibilities(changes, deps);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * The fresh messages of deliveries waiting for their rate limit's slot, before their received
 * messages are deleted. Whether they went: if not, each waits in flight instead (its fallback).
 */
async function sendAgain(results: Result[], deps: SettleDeps): Promise<boolean> {
  const now = (deps.nowMs ?? Date.now)();
  const messages = results.flatMap((r) =>
    r.outcome === 'resent' && r.resend ? [{ ...r.resend.message, delaySeconds: resendDelaySeconds(r.resend.slot, now) }] : [],
  );
  if (messages.length === 0) return true;
  try {
    await deps.deliveries.sendAll(messages);
    return true;
  } catch (err) {
    // Some may have gone: such a delivery has two messages, and the second to come finds it
    // delivered (a duplicate at worst, which receivers drop by webhook-id). None is lost.
    deps.log?.('error', 'could not send rate-limited deliveries again; they wait in flight', {
      count: messages.length,
      error: (err as Error).message,
    });
    return false;
  }
}

/** Whether the records were written (retried a few times; a failure is logged and counted, never thrown). */
async function writeRecords(deliveries: Delivery[], deps: SettleDeps): Promise<boolean> {
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
      deps.metrics.count('HistoryWriteFailed', deliveries.length);
      deps.log?.('error', 'delivery history write failed; the deliveries were sent and are not sent again', {
        deliveries: deliveries.map((d) => ({ deliveryId: d.id, status: d.status, attempts: d.attempts })),
        error: (err as Error).message,
      });
      return false;
    }
  }
}

async function changeVisibilities(changes: ChangeVisibility[], deps: SettleDeps): Promise<void> {
  if (changes.length === 0) return;
  for (let tries = 1; ; tries++) {
    try {
      await deps.deliveries.changeVisibilities(changes);
      return;
    } catch (err) {
      if (tries < 2) continue;
      // The queue's own timeout brings these back sooner than planned; the due time in each
      // record defers them again then, so the schedule holds.
      deps.metrics.count('VisibilityChangeFailed', changes.length);
      deps.log?.('error', 'visibility change failed; the messages come back early and are deferred to their due time', {
        count: changes.length,
        error: (err as Error).message,
      });
      return;
    }
  }
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
