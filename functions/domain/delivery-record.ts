import type { Attempt, Delivery, WebhookEvent } from './model.js';

/**
 * How much one stored record may grow: a delivery with every attempt inline, or one item of a
 * subscription's history index. DynamoDB bills a write ceil(size / 1 KB) write units, so a
 * record rewritten on every attempt is kept small: past this, older attempts lose their response
 * excerpts (the attempts themselves, with time, status, error and latency, are always kept).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 */
export const RECORD_BUDGET_BYTES = 16 * 1024;

/**
 * The largest event body kept in its delivery's record instead of an event item of its own,
 * when the event has exactly one delivery. Storing it once saves the event item's write (at
 * least 1 write unit per event, a third of the cost per delivery at one subscription), and
 * duplicates are then recognised by the delivery's record. The body is rewritten with every
 * attempt: up to 1 KB, a first attempt still costs no more than the two items it replaces, and
 * a retry at most one more write unit. Larger events, events with more deliveries and events
 * the API stored keep their own item.
 */
export const EVENT_IN_RECORD_MAX_BYTES = 1024;

/** Whether an event's body goes in its only delivery's record rather than an item of its own. */
export function eventGoesInRecord(matchingSubscriptions: number, bodyBytes: number): boolean {
  return matchingSubscriptions === 1 && bodyBytes <= EVENT_IN_RECORD_MAX_BYTES;
}

/** The event a record keeps (`eventBody`), as it was sent. */
export function eventOfRecord(d: Delivery): WebhookEvent | undefined {
  if (d.eventBody === undefined) return undefined;
  const e = JSON.parse(d.eventBody) as WebhookEvent;
  return { id: e.id, type: e.type, timestamp: e.timestamp, data: e.data };
}

/**
 * The attempt log with response excerpts, then error messages, emptied oldest first until
 * `bytesOf` (the whole stored record's size with that log) is within `budget`. The newest
 * attempt is trimmed last. Attempts are never dropped, so a very long log can stay over budget.
 */
export function trimAttemptLog(
  log: readonly Attempt[],
  bytesOf: (log: readonly Attempt[]) => number,
  budget = RECORD_BUDGET_BYTES,
): Attempt[] {
  const out = [...log];
  if (bytesOf(out) <= budget) return out;
  for (const field of ['responseExcerpt', 'errorMessage'] as const) {
    for (let i = 0; i < out.length; i++) {
      const a = out[i]!;
      if (!a[field]) continue;
      out[i] = field === 'responseExcerpt' ? { ...a, responseExcerpt: '' } : withoutErrorMessage(a);
      if (bytesOf(out) <= budget) return out;
    }
  }
  return out;
}

function withoutErrorMessage(a: Attempt): Attempt {
  const { errorMessage: _dropped, ...rest } = a;
  return rest;
}

/** One line of a subscription's history index: an event fanned out to it (or a test event). */
export interface HistoryEntry {
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  /** The delivery's created time: every entry of one index item shares it. */
  createdTime: string;
  /**
   * Not sent: the subscription was disabled when the event was fanned out. Listed as skipped, and
   * kept (with the event) for the retention period, so that a recovery can send it.
   */
  skipped?: boolean;
}

/** What a listed delivery looks like before the sender has written its record: pending, no attempt. */
export function pendingDelivery(entry: HistoryEntry, id: string): Delivery {
  return {
    id,
    tenantId: entry.tenantId,
    subscriptionId: entry.subscriptionId,
    eventId: entry.eventId,
    eventType: entry.eventType,
    status: entry.skipped ? 'skipped' : 'pending',
    attempts: 0,
    generation: 0,
    createdTime: entry.createdTime,
    updatedTime: entry.createdTime,
    ...(entry.skipped ? { lastError: 'subscription_disabled' } : {}),
  };
}
