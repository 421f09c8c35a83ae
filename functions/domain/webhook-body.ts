import type { DeliveryMessage, WebhookEvent } from './model.js';

/** The exact JSON a receiver gets: `{"id","type","timestamp","data"}`. */
export function serializeEvent(event: WebhookEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.timestamp, data: event.data });
}

/** The bytes every attempt of a delivery sends, so a retry carries the same body and id. */
export function webhookBody(message: DeliveryMessage): string {
  // A body kept beside the table is read (and set as `body`) before anything signs it.
  if (message.bodyKey && !message.body) throw new Error(`the body of ${message.deliveryId} is in the body store; read it first`);
  if (message.body !== undefined) return message.body;
  const { id, type, timestamp, data } = message.event;
  return serializeEvent({ id, type, timestamp, data: data ?? {} });
}
