import type { SQSRecord } from 'aws-lambda';
import { encodeDeliveryMessage } from '../domain/delivery-message.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { DeliveryMessage, Subscription } from '../domain/model.js';
import { type RateLimit, slotWait } from '../domain/rate-limit.js';
import { visibilityHop } from '../domain/retry-schedule.js';
import { webhookBody } from '../domain/webhook-body.js';
import type { Metrics, QueueMessage, RateSlots } from '../ports.js';

/** New slots one delivery takes in a row when it keeps missing them; then it goes (the instance is too busy to keep any). */
const RENEWALS = 3;

/** A delivery sent again to wait for its slot: the message to send, and the in-flight wait should it not go. */
export interface Resend {
  /** Its DelaySeconds is set when it is sent (resendDelaySeconds of `slot`). */
  message: QueueMessage;
  slot: number;
  /** Seconds in flight instead (the queue's visibility timeout), should the send fail. */
  fallbackSeconds: number;
}

/**
 * The sender's side of subscriptions' rate limits (functions/domain/rate-limit.ts). An unlimited
 * subscription never gets here (no read, no write). A limited one's deliveries in a batch take
 * their slots together: the takes of one subscription that arrive in the same turn of the event
 * loop are one write of n slots.
 */
export class SenderRate {
  private readonly pending = new Map<string, { limit: RateLimit; waiters: ((slot: number | Error) => void)[] }>();

  constructor(
    private readonly slots: RateSlots,
    private readonly nowMs: () => number,
    private readonly metrics: Metrics,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Undefined when the delivery may POST now (after waiting in the instance for a near slot);
   * otherwise the message that carries it on to its slot. Throws when no slot could be taken
   * (the message comes back after the queue's timeout, no attempt spent).
   */
  async wait(subscription: Subscription, message: DeliveryMessage, record: SQSRecord, elapsedSeconds: number): Promise<Resend | undefined> {
    const limit = subscription.rateLimit;
    if (!limit) return undefined;
    let held = message.rate?.slot;
    let wait = held === undefined ? undefined : slotWait(held, this.nowMs());
    // A slot missed by more than the lateness (the message came late, or the instance woke late
    // from its wait: a busy event loop wakes many at once) is given up for a new one, so late
    // slots never go together. A slot just taken is behind now by the take's write at most.
    for (let takes = 0; ; takes++) {
      if (wait?.kind === 'renew') this.metrics.count('RateSlotRenewed');
      if (wait === undefined || (wait.kind === 'renew' && takes < RENEWALS)) {
        held = await this.take(subscription, limit);
        wait = slotWait(held, this.nowMs());
      }
      if (wait.kind === 'go' || wait.kind === 'renew') return undefined;
      if (wait.kind === 'resend') break;
      await this.sleep(wait.ms);
      wait = slotWait(held!, this.nowMs());
      if (wait.kind === 'go') return undefined;
    }
    this.metrics.count('DeliveryRateLimited');
    const replaces = message.rate?.replaces ?? (message.resume ? record.messageId : undefined);
    const next: DeliveryMessage & { body: string } = {
      ...message,
      body: message.bodyKey && !message.body ? '' : webhookBody(message),
      rate: { slot: held!, ...(replaces ? { replaces } : {}) },
    };
    return {
      message: {
        id: record.messageId,
        body: encodeDeliveryMessage(next),
        groupId: messageGroupOf(message.tenantId),
      },
      slot: held!,
      fallbackSeconds: visibilityHop(Math.ceil((held! - this.nowMs()) / 1000), elapsedSeconds),
    };
  }

  private take(s: Subscription, limit: RateLimit): Promise<number> {
    const k = `${s.tenantId}/${s.id}`;
    return new Promise<number>((resolve, reject) => {
      const waiter = (slot: number | Error) => (slot instanceof Error ? reject(slot) : resolve(slot));
      const p = this.pending.get(k);
      if (p) {
        p.waiters.push(waiter);
        return;
      }
      this.pending.set(k, { limit, waiters: [waiter] });
      setImmediate(() => void this.flush(s, k));
    });
  }

  private async flush(s: Subscription, k: string): Promise<void> {
    const p = this.pending.get(k)!;
    this.pending.delete(k);
    try {
      const slots = await this.slots.take(s.tenantId, s.id, p.limit, p.waiters.length, this.nowMs());
      for (const [i, w] of p.waiters.entries()) w(slots[i]!);
    } catch (err) {
      for (const w of p.waiters) w(err as Error);
    }
  }
}
