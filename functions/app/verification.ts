import { randomUUID } from 'node:crypto';
import { deliveryMessage, encodeDeliveryMessage } from '../domain/delivery-message.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { Subscription, WebhookEvent } from '../domain/model.js';
import { newChallenge, VERIFICATION_EVENT_TYPE } from '../domain/verification.js';
import type { DeliveryStore, Queue } from '../ports.js';

/**
 * Sends a subscription's verification request: a `webhook.endpoint.verification` event straight to
 * its delivery queue, as a test event goes (delivery-routes.ts), so it is signed, timed out and
 * listed in the subscription's history like any delivery; the sender judges its answer
 * (sender.ts, verify) and retries it on the verification's own schedule.
 */

export function newVerificationId(): string {
  return `evt_verify_${randomUUID()}`;
}

export class VerificationRequests {
  constructor(private readonly deps: { store: Pick<DeliveryStore, 'write'>; deliveries: Pick<Queue, 'sendAll'> }) {}

  /** The subscription's verification must be pending, with `requestId` the event's id. */
  async send(s: Subscription, at: string): Promise<void> {
    const id = s.verification?.requestId;
    if (s.verification?.status !== 'pending' || !id) throw new Error(`subscription ${s.id} has no pending verification`);
    const event: WebhookEvent = {
      id,
      type: VERIFICATION_EVENT_TYPE,
      timestamp: at,
      // The challenge lives only in this event (and its stored copy, for a parked retry): the sender reads it from the body it signs.
      data: { subscription_id: s.id, url: s.url, challenge: newChallenge() },
    };
    await this.deps.store.write({
      events: [{ tenantId: s.tenantId, event, deliveries: 1, storedTime: at }],
      history: [{ tenantId: s.tenantId, subscriptionId: s.id, eventId: event.id, eventType: event.type, createdTime: at }],
    });
    const message = deliveryMessage(s.tenantId, s.id, event, at);
    await this.deps.deliveries.sendAll([
      { id: message.deliveryId, body: encodeDeliveryMessage(message), groupId: messageGroupOf(s.tenantId) },
    ]);
  }
}
