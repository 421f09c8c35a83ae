import {
  DYNAMODB_MAX_ITEM_BYTES,
  fitsPutEventsEntry,
  PUT_EVENTS_MAX_ENTRY_BYTES,
  putEventsEntryBytes,
  SQS_MAX_MESSAGE_BYTES,
  utf8Bytes,
} from './aws-limits.js';
import { DELIVERY_HEADER_RESERVE_BYTES } from './delivery-message.js';
import type { BusDetail, WebhookEvent } from './model.js';
import { sqsSafeJson } from './sqs-safe-json.js';
import { serializeEvent } from './webhook-body.js';

/** Events the API publishes carry this source; producers may use their own. */
export const API_EVENT_SOURCE = 'webhooks.api';

/** The rest of a stored event's item: keys, names, type, times, digest, counters. */
const EVENT_ITEM_RESERVE_BYTES = 8 * 1024;

/**
 * The largest event, as receivers get it (`{"id","type","timestamp","data"}`), that the pipeline
 * can carry: it must fit one delivery message on SQS and one item in DynamoDB (where the API
 * parks events too large for a PutEvents entry). Events the API's 256 KB request body allows
 * fit with room to spare; the check catches data whose JSON grows when written out again.
 */
export const MAX_EVENT_BYTES = Math.min(
  SQS_MAX_MESSAGE_BYTES - DELIVERY_HEADER_RESERVE_BYTES,
  DYNAMODB_MAX_ITEM_BYTES - EVENT_ITEM_RESERVE_BYTES,
);

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
export function busEntry(tenantId: string, event: WebhookEvent, stored = false): BusEntry {
  const detail: BusDetail = stored
    ? { tenant_id: tenantId, event: { id: event.id, type: event.type, timestamp: event.timestamp }, stored: true }
    : { tenant_id: tenantId, event };
  return { Source: API_EVENT_SOURCE, DetailType: event.type, Time: new Date(event.timestamp), Detail: sqsSafeJson(JSON.stringify(detail)) };
}

/** Whether the event goes on the bus whole, or has to be stored and referenced. */
export function fitsBusInline(tenantId: string, event: WebhookEvent): boolean {
  return fitsPutEventsEntry(putEventsEntryBytes(busEntry(tenantId, event)));
}

/** Thrown by the bus adapters for an entry EventBridge would refuse; callers never see it for checked events. */
export class EntryTooLargeError extends Error {
  override name = 'EntryTooLargeError';
  constructor(bytes: number) {
    super(`a PutEvents entry of ${bytes} bytes is over EventBridge's limit (less than ${PUT_EVENTS_MAX_ENTRY_BYTES} bytes)`);
  }
}
