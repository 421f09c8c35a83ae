import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { Attempt, Delivery } from '../domain/model.js';
import { type Lot, parkUntilMs, remainingScheduleSeconds, waitPlacement } from '../domain/parking.js';
import { visibilityHop } from '../domain/retry-schedule.js';
import type { Result } from './sender-outcomes.js';
import type { InFlightPressure } from './sender-parking.js';

/** One receive's circumstances, for the waits below. */
export interface Receive {
  record: SQSRecord;
  /** When the handler started (ms): visibility is counted from the receive, so from before it. */
  started: number;
  at: Date;
  /** Seconds since the message was first sent (SentTimestamp). */
  messageAgeSeconds: number;
  /** SQS moves the message to the DLQ at its next receive. */
  lastReceive: boolean;
}

export interface WaitOptions {
  schedule: readonly number[];
  nowMs: () => number;
  /** A held delivery's wait in flight, should its park not be written: its lot's first probe wait. */
  heldFallbackSeconds: number;
  /** Without it every wait is in flight (the engine before parking). */
  parking?: { pressure: InFlightPressure; dueBucketSeconds: number };
}

/**
 * Where a delivery's waits are spent (functions/domain/parking.ts): in flight, as the message's
 * visibility timeout, when short; parked out of the queue otherwise; held in its endpoint's lot
 * when that is open. A deferral in flight writes nothing; a park or a hold writes the record with
 * its park, and the message goes once that is written (`fallback` otherwise).
 */
export class SenderWaits {
  constructor(private readonly o: WaitOptions) {}

  async waitFor(delivery: Delivery, seconds: number, r: Receive, outcome: 'retrying' | 'deferred', attempt?: Attempt): Promise<Result> {
    const visibility = visibilityHop(seconds, (this.o.nowMs() - r.started) / 1000);
    const written = outcome === 'retrying' ? { delivery, ...(attempt ? { attempt } : {}) } : {};
    const parking = this.o.parking;
    if (!parking) return { record: r.record, outcome, ...written, visibility };
    // SQS moves a message to the DLQ at its next receive past maxReceiveCount: a fresh one carries on instead.
    const placement = r.lastReceive
      ? 'park'
      : waitPlacement({
          waitSeconds: seconds,
          underPressure: await parking.pressure.parksWait(seconds),
          messageAgeSeconds: r.messageAgeSeconds,
          parking: true,
        });
    if (placement === 'in-flight') return { record: r.record, outcome, ...written, visibility };
    delivery.park = {
      kind: 'due',
      token: parkToken(),
      until: new Date(parkUntilMs(r.at.getTime(), seconds, parking.dueBucketSeconds)).toISOString(),
    };
    return { record: r.record, outcome: 'parked', delivery, ...(attempt ? { attempt } : {}), fallback: { outcome, visibility } };
  }

  /** A delivery to an endpoint whose lot is open waits there, no POST, until the end of its schedule at most. */
  hold(delivery: Delivery, lot: Lot, r: Receive, attempt?: Attempt): Result {
    const remaining = remainingScheduleSeconds(this.o.schedule, delivery.attempts - (delivery.roundStart ?? 0));
    delivery.park = {
      kind: 'held',
      token: parkToken(),
      until: new Date(parkUntilMs(r.at.getTime() + remaining * 1000, 0, this.o.parking?.dueBucketSeconds ?? 60)).toISOString(),
      lotWake: lot.wakeTime,
    };
    const visibility = visibilityHop(this.o.heldFallbackSeconds, (this.o.nowMs() - r.started) / 1000);
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
  deadLetter(delivery: Delivery, r: Receive, attempt?: Attempt): Result {
    delivery.status = 'dead_lettered';
    delivery.deadLetterReceive = Number(r.record.attributes.ApproximateReceiveCount ?? '1');
    delivery.deadLetterMessageId = r.record.messageId;
    delete delivery.nextAttemptTime;
    return { record: r.record, outcome: 'dead_lettered', delivery, ...(attempt ? { attempt } : {}), visibility: 0 };
  }
}

/** A park's token: its resume message must carry it back (delivery-plan.ts). */
function parkToken(): string {
  return randomBytes(9).toString('base64url');
}
