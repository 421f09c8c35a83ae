import { deliveryIdFor } from './delivery-id.js';
import type { DeliveryMessage, WebhookEvent } from './model.js';
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

export function deliveryMessage(
  tenantId: string,
  subscriptionId: string,
  event: WebhookEvent,
  createdTime: string,
  generation = 0,
  body = serializeEvent(event),
): DeliveryMessage & { body: string } {
  const m: DeliveryMessage & { body: string } = {
    deliveryId: deliveryIdFor(event.id, subscriptionId),
    tenantId,
    subscriptionId,
    event: { id: event.id, type: event.type, timestamp: event.timestamp },
    body,
    createdTime,
    listed: true,
  };
  if (generation) m.generation = generation;
  return m;
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
  if (m.resume) header.resume = { token: m.resume.token, kind: m.resume.kind };
  // JSON.stringify never writes a raw newline, so the first one ends the header.
  return `${JSON.stringify(header)}\n${m.body}`;
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
