import type { FanoutProgress, StoredEvent } from './model.js';

/**
 * Fan-out in pages. One invocation sends at most a page budget of delivery messages; an event
 * matching more subscriptions than the budget has left gets a page, and a continuation message
 * on the ingest queue carries on after the last subscription examined (subscriptions are read
 * in subscription-id order, so a cursor is an id).
 *
 * Why these numbers: SendMessageBatch takes 10 entries and 1 MiB a call, so 1,000 messages are
 * 100 calls, sent 8 at a time by the SQS adapter: 0.3 to 1 s a page on the local twin (docs/contributors/delivery-semantics.md,
 * "Fan-out in pages"), against the function's 60 s timeout, so a page finishes far within it
 * even on a slow day. The byte budget bounds a page of large events by what the 256 MB function
 * can hold and upload in a few seconds: about 80 messages of the largest body a message carries
 * (392 KB; a larger one is in the body store and its messages carry its key), or 128 of 256 KB.
 * A batch of 100 events (FANOUT_BATCH_SIZE) matching 10 subscriptions each fits.
 */
export const FANOUT_PAGE_MESSAGES = 1_000;
export const FANOUT_PAGE_BYTES = 32 * 1024 * 1024;

/**
 * Subscriptions read per Query while fanning out: one page of them covers a page budget of
 * messages when every one matches. A subscription item is about 0.5 KB, so DynamoDB's 1 MB per
 * Query page holds them (the repository reads on when it does not).
 */
export const FANOUT_SUBSCRIPTION_PAGE = 1_000;

export interface PageBudget {
  messages: number;
  bytes: number;
}

export const DEFAULT_PAGE_BUDGET: PageBudget = { messages: FANOUT_PAGE_MESSAGES, bytes: FANOUT_PAGE_BYTES };

/**
 * The order in which a batch's events take from its page budget: the tenants in turn, one event
 * each, those with fewer events in the batch first (ties and each tenant's own events in the order
 * they came). A batch is mostly a noisy tenant's when it has a backlog, and events taken in arrival
 * order would let its first few spend the whole budget, so a quiet tenant's event behind them would
 * become a continuation at the back of the ingest queue; the fair queue's rule, within a batch.
 */
export function tenantsInTurn<T>(items: readonly T[], tenantOf: (item: T) => string): T[] {
  const queues = new Map<string, T[]>();
  for (const item of items) {
    const tenant = tenantOf(item);
    const queue = queues.get(tenant);
    if (queue) queue.push(item);
    else queues.set(tenant, [item]);
  }
  if (queues.size < 2) return [...items];
  const quietestFirst = [...queues.values()].sort((a, b) => a.length - b.length);
  const turns: T[] = [];
  for (let round = 0; turns.length < items.length; round++)
    for (const queue of quietestFirst) if (round < queue.length) turns.push(queue[round]!);
  return turns;
}

/** Where an event's fan-out stands: `page` pages sent so far, the last one ending after subscription `cursor`. */
export interface FanoutPosition {
  page: number;
  /** The last subscription id examined; the next page starts after it. Absent: from the first. */
  cursor?: string;
  /** Delivery messages sent by the pages so far. */
  sent: number;
}

export const START: FanoutPosition = { page: 0, sent: 0 };

/** A continuation message: what the next invocation needs to go on with an event the table holds. */
export interface Continuation extends FanoutPosition {
  tenantId: string;
  eventId: string;
  /**
   * Unique to this continuation, and in its body, so that it names the message in the stored
   * progress through anything that keeps the body: SQS re-deliveries and a DLQ redrive, which
   * can give it another message id.
   */
  token: string;
}

/** The ingest message's top-level key that marks a continuation (bus events have `detail`). */
const CONTINUATION_KEY = 'fanout_continuation';

export function encodeContinuation(c: Continuation): string {
  const body: Record<string, unknown> = { tenant_id: c.tenantId, event_id: c.eventId, page: c.page, sent: c.sent, token: c.token };
  if (c.cursor !== undefined) body.cursor = c.cursor;
  return JSON.stringify({ [CONTINUATION_KEY]: body });
}

/** Undefined for anything that is not a continuation; throws for a continuation that is not readable. */
export function parseContinuation(parsed: unknown): Continuation | undefined {
  if (typeof parsed !== 'object' || parsed === null || !(CONTINUATION_KEY in parsed)) return undefined;
  const c = (parsed as Record<string, unknown>)[CONTINUATION_KEY] as Record<string, unknown> | null;
  const wholeFrom0 = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.tenant_id !== 'string' ||
    !c.tenant_id ||
    typeof c.event_id !== 'string' ||
    !c.event_id ||
    !wholeFrom0(c.page) ||
    !wholeFrom0(c.sent) ||
    typeof c.token !== 'string' ||
    !c.token ||
    (c.cursor !== undefined && (typeof c.cursor !== 'string' || !c.cursor))
  )
    throw new Error('unreadable fan-out continuation');
  const out: Continuation = {
    tenantId: c.tenant_id,
    eventId: c.event_id,
    page: c.page as number,
    sent: c.sent as number,
    token: c.token,
  };
  if (typeof c.cursor === 'string') out.cursor = c.cursor;
  return out;
}

export type Resume =
  /** The event's fan-out has completed: nothing to do. */
  | { action: 'done' }
  /** Another message took the fan-out past this one's position and carries on: nothing to do. */
  | { action: 'stale' }
  /** This message stored the progress but its continuation may not have gone: send it (again). */
  | { action: 'continue'; position: FanoutPosition }
  /** Send the next page from here. */
  | { action: 'page'; position: FanoutPosition };

/**
 * Who an ingest message is, by its body (an SQS message id can change in a DLQ redrive): a
 * continuation by its token, a bus event by EventBridge's event id (one per PutEvents entry),
 * anything else by its SQS message id.
 */
export function ingestIdentity(parsed: unknown, continuation: Continuation | undefined, messageId: string): string {
  if (continuation) return `continuation:${continuation.token}`;
  const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id ? `bus:${id}` : `sqs:${messageId}`;
}

/**
 * What an ingest message (an event from the bus at START, or a continuation) does, given the
 * event as stored. The stored progress names the ingest message that wrote it (`by`, its
 * identity): that message is responsible for the continuation until it is acknowledged, so it
 * alone re-sends the continuation when it comes back, and any other message behind the stored
 * page stands down (a re-delivered original, a duplicate continuation). Two messages at the same
 * page both send it (the same delivery ids: the sender drops the second copy), and the one that
 * falls behind stops. A message ahead of the stored page (a slower duplicate wrote an older page
 * last) goes on.
 */
export function resumeFrom(at: FanoutPosition, stored: StoredEvent | undefined, identities: readonly string[]): Resume {
  if (stored?.deliveries !== undefined) return { action: 'done' };
  const progress = stored?.fanout;
  if (!progress) return { action: 'page', position: at };
  if (identities.includes(progress.by)) return { action: 'continue', position: positionOf(progress) };
  if (at.page >= progress.page) return { action: 'page', position: at };
  return { action: 'stale' };
}

export function positionOf(p: FanoutProgress): FanoutPosition {
  const out: FanoutPosition = { page: p.page, sent: p.sent };
  if (p.cursor !== undefined) out.cursor = p.cursor;
  return out;
}
