import {
  chunkByCountAndBytes,
  DYNAMODB_MAX_ITEM_BYTES,
  eventBridgeEventBytes,
  fitsPutEventsEntry,
  PUT_EVENTS_MAX_ENTRIES,
  PUT_EVENTS_MAX_ENTRY_BYTES,
  PUT_EVENTS_MAX_REQUEST_BYTES,
  putEventsEntryBytes,
  SQS_MAX_MESSAGE_BYTES,
  utf8Bytes,
} from './aws-limits.js';
import type { BusDetail, WebhookEvent } from './model.js';
import { sqsSafeJson } from './sqs-safe-json.js';
import { serializeEvent } from './webhook-body.js';

/** Events the API publishes carry this source; producers may use their own. */
export const API_EVENT_SOURCE = 'webhooks.api';

/** The rest of a stored event's item: keys, names, type, times, digest, counters. */
const EVENT_ITEM_RESERVE_BYTES = 8 * 1024;

/**
 * The largest event, as receivers get it (`{"id","type","timestamp","data"}`), that the pipeline
 * takes: 1 MiB, SQS's message limit since 2026 and the publish route's request body limit. Such an
 * event fits no DynamoDB item and no delivery message with its header, so bodies over
 * EVENT_BODY_IN_ITEM_MAX_BYTES are kept beside the table (BodyStore) and their messages carry
 * the key instead.
 */
export const MAX_EVENT_BYTES = SQS_MAX_MESSAGE_BYTES;

/** The largest body an event's item holds itself; a larger one is in the body store, the item keeps its key. */
export const EVENT_BODY_IN_ITEM_MAX_BYTES = DYNAMODB_MAX_ITEM_BYTES - EVENT_ITEM_RESERVE_BYTES;

/** Whether a body (as receivers get it) is kept beside its event's item rather than in it. */
export const bodyGoesBeside = (bodyBytes: number) => bodyBytes > EVENT_BODY_IN_ITEM_MAX_BYTES;

export const eventBytes = (event: WebhookEvent) => utf8Bytes(serializeEvent(event));

export interface BusEntry {
  Source: string;
  DetailType: string;
  Time: Date;
  Detail: string;
}

/**
 * The PutEvents entry for an event. With `stored`, the event's data stays in the table (the
 * API put it there first) and the entry carries only the reference: EventBridge's own advice
 * for events larger than an entry.
 */
export function busEntry(tenantId: string, event: WebhookEvent, stored = false, source = API_EVENT_SOURCE): BusEntry {
  const detail: BusDetail = stored
    ? { tenant_id: tenantId, event: { id: event.id, type: event.type, timestamp: event.timestamp }, stored: true }
    : { tenant_id: tenantId, event };
  return { Source: source, DetailType: event.type, Time: new Date(event.timestamp), Detail: sqsSafeJson(JSON.stringify(detail)) };
}

/**
 * Whether the event goes on the bus whole, or has to be stored and referenced: its entry must be
 * one EventBridge takes, and the event EventBridge makes of it one SQS message (the rule's target
 * is the ingest queue; an event too large for it would go to the target's DLQ instead).
 */
export function fitsBusInline(tenantId: string, event: WebhookEvent): boolean {
  const entry = busEntry(tenantId, event);
  return fitsPutEventsEntry(putEventsEntryBytes(entry)) && eventBridgeEventBytes(entry) <= SQS_MAX_MESSAGE_BYTES;
}

/** Thrown by the bus adapters for an entry EventBridge would refuse; callers never see it for checked events. */
export class EntryTooLargeError extends Error {
  override name = 'EntryTooLargeError';
  constructor(bytes: number) {
    super(`a PutEvents entry of ${bytes} bytes is over EventBridge's limit (less than ${PUT_EVENTS_MAX_ENTRY_BYTES} bytes)`);
  }
}

/** Entries split into PutEvents requests: at most 10 each, under 1 MB together; an entry too large alone throws. */
export function putEventsRequests(entries: readonly BusEntry[]): BusEntry[][] {
  const { batches, oversized } = chunkByCountAndBytes(
    entries,
    putEventsEntryBytes,
    PUT_EVENTS_MAX_ENTRIES,
    PUT_EVENTS_MAX_REQUEST_BYTES - 1,
  );
  if (oversized.length > 0) throw new EntryTooLargeError(putEventsEntryBytes(oversized[0]!));
  return batches;
}
