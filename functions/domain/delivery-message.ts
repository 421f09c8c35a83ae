import { createHash } from 'node:crypto';
import { deliveryIdFor } from './delivery-id.js';
import type { DeliveryMessage, StoredEvent, WebhookEvent } from './model.js';
import { serializeEvent } from './webhook-body.js';

/**
 * The delivery queue's message format. The body is a one-line JSON header (routing: delivery,
 * tenant, subscription, the event's id, type and time), a newline, then the exact bytes every
 * attempt POSTs. The event body travels once and unescaped, so a message is its body plus a few
 * hundred bytes, and SQS's byte limits can be reasoned about from the event's size. Everything
 * is in the body (no message attributes), so a DLQ redrive or a local snapshot keeps it whole.
 *
 * Messages written before this format (one JSON object, the body escaped inside it) still parse.
 */

/** The header's share of a message, at most (ids up to 128 characters, type names, two timestamps). */
export const DELIVERY_HEADER_RESERVE_BYTES = 2048;

type Header = Omit<DeliveryMessage, 'body'>;

/** What a message carries of its event: the body itself, or the key of a body kept beside the table. */
export type MessageContent = string | { bodyKey: string };

export function deliveryMessage(
  tenantId: string,
  subscriptionId: string,
  event: WebhookEvent,
  createdTime: string,
  generation = 0,
  content: MessageContent = serializeEvent(event),
): DeliveryMessage & { body: string } {
  const m: DeliveryMessage & { body: string } = {
    deliveryId: deliveryIdFor(event.id, subscriptionId),
    tenantId,
    subscriptionId,
    event: { id: event.id, type: event.type, timestamp: event.timestamp },
    body: typeof content === 'string' ? content : '',
    createdTime,
    listed: true,
  };
  if (typeof content !== 'string') m.bodyKey = content.bodyKey;
  if (generation) m.generation = generation;
  return m;
}

/** A message built from a stored event: its body, or (kept beside the table) the body's key. */
export function contentOf(stored: Pick<StoredEvent, 'event' | 'bodyKey'>): MessageContent {
  return stored.bodyKey ? { bodyKey: stored.bodyKey } : serializeEvent(stored.event);
}

/**
 * Where an event's body is kept beside the table. The same body of the same event always gets the
 * same key, so a put repeated after a crash writes the same object, and a different body under a
 * reused id (which the publish route refuses with 409) could never overwrite the first.
 */
export function bodyKeyFor(tenantId: string, eventId: string, body: string): string {
  const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 32);
  return `bodies/${hash(`${tenantId}\n${eventId}`)}/${hash(body)}.json`;
}

export function encodeDeliveryMessage(m: DeliveryMessage & { body: string }): string {
  const header: Header = {
    deliveryId: m.deliveryId,
    tenantId: m.tenantId,
    subscriptionId: m.subscriptionId,
    event: { id: m.event.id, type: m.event.type, timestamp: m.event.timestamp },
    createdTime: m.createdTime,
  };
  if (m.generation) header.generation = m.generation;
  if (m.listed) header.listed = true;
  if (m.eventInRecord) header.eventInRecord = true;
  if (m.bodyKey) header.bodyKey = m.bodyKey;
  if (m.resume) header.resume = { token: m.resume.token, kind: m.resume.kind };
  if (m.rate) header.rate = { slot: m.rate.slot, ...(m.rate.replaces ? { replaces: m.rate.replaces } : {}) };
  // JSON.stringify never writes a raw newline, so the first one ends the header.
  return `${JSON.stringify(header)}\n${m.bodyKey ? '' : m.body}`;
}

/** Reads either format; throws when the message is not a delivery message. */
export function parseDeliveryMessage(raw: string): DeliveryMessage {
  const newline = raw.indexOf('\n');
  const message = (
    newline < 0 ? JSON.parse(raw) : { ...JSON.parse(raw.slice(0, newline)), body: raw.slice(newline + 1) }
  ) as DeliveryMessage;
  if (!message || typeof message !== 'object' || !message.deliveryId || !message.tenantId || !message.subscriptionId || !message.event?.id)
    throw new Error('not a delivery message');
  return message;
}
