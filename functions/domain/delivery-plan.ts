import type { Delivery, DeliveryMessage } from './model.js';
import type { Lot, ResumeKind } from './parking.js';
import { webhookBody } from './webhook-body.js';

/**
 * What the sender does with one receive of a delivery message, decided from the message and the
 * delivery's record alone (functions/app/sender.ts does the I/O around it).
 *
 * Attempts are counted in the record, never by SQS's receive count, and the record holds when
 * the next attempt is due and, while the delivery waits out of the queue, its park (parking.ts).
 */

/** How close to its due time a delivery may come back and still be attempted (visibility is whole seconds, clocks differ). */
export const DUE_TOLERANCE_MS = 250;

export interface ReceiveInput {
  message: DeliveryMessage;
  /** SQS's id of this message: a dead letter's redrive comes with a new one. */
  messageId: string;
  receiveCount: number;
  /** The queue's maxReceiveCount. */
  receiveLimit: number;
  prior: Delivery | undefined;
  nowMs: number;
  /** `nowMs` as an ISO string. */
  atIso: string;
}

export type ReceivePlan =
  /** Deleted without a POST: delivered already, another fan-out's copy, or a copy its park owns. */
  | { action: 'drop'; reason: 'duplicate' | 'stale_copy' }
  /** Dead-lettered: released on every receive until SQS's maxReceiveCount moves it to the DLQ. */
  | { action: 'release' }
  | {
      action: 'go';
      /** The record as this receive writes it if it writes it: no attempt yet, no park. */
      delivery: Delivery;
      /** A manual retry or a DLQ redrive: the whole schedule again. */
      newRound: boolean;
      /** SQS moves the message to the DLQ at its next receive. */
      lastReceive: boolean;
      /** How it came back from parking, if it did. */
      resume?: ResumeKind;
      /** Set when the delivery's next attempt is still this far ahead. */
      earlyByMs?: number;
      /** Held in an open lot until its schedule ended: dead-lettered without a POST. */
      expired: boolean;
    };

export function planReceive(r: ReceiveInput): ReceivePlan {
  const { message, prior } = r;
  const generation = message.generation ?? 0;
  if (prior?.status === 'succeeded' && prior.generation >= generation) return { action: 'drop', reason: 'duplicate' };
  // Another copy of a delivery already under way, sent by another fan-out (a producer put the
  // event on the bus again, or a fan-out sent its page again after a crash): every fan-out
  // stamps its own created time, and the record keeps that of the copy attempted first. That
  // copy carries on; this one goes. Redriven and manual-retry messages keep the record's time.
  if (prior && generation <= prior.generation && message.createdTime !== prior.createdTime) return { action: 'drop', reason: 'duplicate' };
  // One message carries a delivery at a time (a manual retry, a new generation, takes over from
  // any). A parked delivery belongs to its park: only the resumer's message with the park's token
  // carries it on. After that, the record names that message (token and SQS id), whose own later
  // receives go on (a short wait in flight, a dead letter's releases); any other copy goes: the
  // message that was parked (if its deletion was lost), a second resume of the same park, a
  // resume of a park since rewritten.
  const resume = message.resume;
  if (!(prior && generation > prior.generation) && !carries(prior, resume?.token, r.messageId, message.rate?.replaces))
    return { action: 'drop', reason: 'stale_copy' };

  // Which round of the schedule this receive belongs to.
  let roundStart = prior?.roundStart ?? 0;
  let roundGeneration = prior?.roundGeneration ?? prior?.generation ?? generation;
  let newRound = false;
  if (prior && generation > roundGeneration)
    newRound = true; // a manual retry
  else if (prior?.status === 'dead_lettered') {
    // Receives of the message it was dead-lettered with only release it until SQS moves it to the
    // DLQ. A redrive gives the message a new id (and SQS counts its receives afresh: how records
    // from before the id tell): it gets the schedule again.
    const releasing =
      prior.deadLetterMessageId !== undefined ? r.messageId === prior.deadLetterMessageId : r.receiveCount > (prior.deadLetterReceive ?? 0);
    if (releasing) return { action: 'release' };
    newRound = true;
  }
  if (newRound && prior) {
    roundStart = prior.attempts;
    roundGeneration = Math.max(generation, prior.generation);
  }

  const delivery: Delivery = {
    id: message.deliveryId,
    tenantId: message.tenantId,
    subscriptionId: message.subscriptionId,
    eventId: message.event.id,
    eventType: message.event.type,
    status: 'pending',
    attempts: prior?.attempts ?? 0,
    generation: Math.max(generation, prior?.generation ?? 0),
    roundStart,
    roundGeneration,
    createdTime: prior?.createdTime ?? message.createdTime,
    updatedTime: r.atIso,
    // The record is rewritten whole: it keeps every attempt so far.
    attemptLog: prior?.attemptLog ?? [],
    // A message from before the history index: its delivery is listed the old way (gsi1).
    legacyListing: prior ? prior.legacyListing === true : message.listed !== true,
  };
  // Kept by a write that makes no attempt (a hold, a park, a skip); an attempt replaces them.
  if (!newRound && prior?.nextAttemptTime) delivery.nextAttemptTime = prior.nextAttemptTime;
  if (prior?.lastStatusCode !== undefined) delivery.lastStatusCode = prior.lastStatusCode;
  if (prior?.lastError !== undefined) delivery.lastError = prior.lastError;
  if (resume) delivery.carrier = { token: resume.token, messageId: r.messageId };
  // An event with no item of its own is kept here, with every write of the record.
  const eventBody = prior?.eventBody ?? (message.eventInRecord ? webhookBody(message) : undefined);
  if (eventBody !== undefined) delivery.eventBody = eventBody;

  const expired = !newRound && prior?.park?.kind === 'held' && resume?.kind === 'due';
  let earlyByMs: number | undefined;
  // A probe goes now: it is how the lot learns whether the endpoint answers again.
  if (!newRound && !expired && resume?.kind !== 'probe' && prior?.status === 'pending' && prior.nextAttemptTime) {
    const remaining = Date.parse(prior.nextAttemptTime) - r.nowMs;
    if (remaining > DUE_TOLERANCE_MS) earlyByMs = remaining;
  }
  return {
    action: 'go',
    delivery,
    newRound,
    lastReceive: r.receiveCount >= r.receiveLimit,
    ...(resume ? { resume: resume.kind } : {}),
    ...(earlyByMs !== undefined ? { earlyByMs } : {}),
    expired,
  };
}

/** Whether a message (its resume token, if any, and SQS id) is the one its delivery's record says carries it. */
function carries(prior: Delivery | undefined, token: string | undefined, messageId: string, replaces?: string): boolean {
  if (prior?.park) return token === prior.park.token;
  if (prior?.carrier) {
    if (token !== prior.carrier.token) return false;
    // A redrive of a dead letter is a new message with the same body: it starts a new round.
    // A message sent again to wait for its rate limit stands in for the one it replaces.
    return messageId === prior.carrier.messageId || replaces === prior.carrier.messageId || prior.status === 'dead_lettered';
  }
  return token === undefined;
}

/**
 * Whether a delivery to an enabled subscription waits in its lot without a POST: the lot is open
 * for the endpoint's current URL (a changed URL is worth trying at once), and the delivery is not
 * the lot's probe or a person's manual retry, both of which go to the endpoint whatever it did.
 */
export function holdsInLot(lot: Pick<Lot, 'state' | 'url'> | undefined, url: string, goesAnyway: boolean): boolean {
  return !goesAnyway && lot?.state === 'open' && lot.url === url;
}

export type AttemptClass = 'succeeded' | 'gone' | 'refused' | 'failed';

/** What a receiver's answer means: 2xx delivered, 410 gone for good, refused by the SSRF guard, anything else retried. */
export function classifyAttempt(result: { kind: 'response'; status: number } | { kind: 'error'; error: string }): AttemptClass {
  if (result.kind === 'response') {
    if (result.status >= 200 && result.status < 300) return 'succeeded';
    if (result.status === 410) return 'gone';
    return 'failed';
  }
  return result.error === 'refused' ? 'refused' : 'failed';
}

/** Whether an answer says the endpoint works (for its circuit): anything but a 5xx, a 429, or no answer. */
export function endpointHealthy(result: { kind: 'response'; status: number } | { kind: 'error' }): boolean {
  return result.kind === 'response' && result.status < 500 && result.status !== 429;
}
