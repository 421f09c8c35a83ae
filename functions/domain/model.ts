/** Stored shapes, independent of both API versions' views of them. */

import type { Park, ResumeKind } from './parking.js';

export type SubscriptionStatus = 'enabled' | 'disabled';

export interface Subscription {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  events: string[];
  version: string;
  status: SubscriptionStatus;
  /** Name of the signing secret in the secret store; the value never sits in DynamoDB. */
  secretName: string;
  /** Changes when the signing secret is rotated: the sender caches secrets by it. */
  secretVersion?: string;
  createdTime: string;
  updatedTime: string;
  deletedTime?: string;
}

export interface Tenant {
  tenantId: string;
  name: string;
  identity: string;
  /** sha256 of the Authorization value, hex; the value itself is shown once and never stored. */
  keyHash: string;
  status: 'active' | 'revoked';
  createdTime: string;
  revokedTime?: string;
}

/** The envelope every receiver gets: Standard Webhooks' recommended `type`, `timestamp`, `data`. */
export interface WebhookEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** One SQS message on the delivery queue: everything the sender needs, so it reads no event table. */
export interface DeliveryMessage {
  deliveryId: string;
  tenantId: string;
  subscriptionId: string;
  /** The event's id, type and time; its data travels in `body` (older messages carry `data` here). */
  event: Omit<WebhookEvent, 'data'> & { data?: Record<string, unknown> };
  /**
   * The exact JSON every attempt sends, serialized once at fan-out for all of an event's
   * subscriptions: the sender neither parses nor re-serializes the data.
   */
  body?: string;
  createdTime: string;
  /** Set by a manual retry; see Delivery.generation. */
  generation?: number;
  /**
   * Set by everything that writes the subscription's history index (fan-out, test events):
   * a message without it predates the index, and its delivery stays listed the old way.
   */
  listed?: boolean;
  /**
   * Set by the fan-out for an event it did not store because it has this one delivery
   * (EVENT_IN_RECORD_MAX_BYTES): the delivery's record keeps the body instead.
   */
  eventInRecord?: boolean;
  /**
   * Set by the resumer on a parked delivery's fresh message: the park's token (a message without
   * the record's token is a copy the park owns) and why it came back (functions/domain/parking.ts).
   */
  resume?: { token: string; kind: ResumeKind };
}

/** The detail of the EventBridge events the bus carries (detail-type is the event type). */
export interface BusDetail {
  tenant_id: string;
  /** Without `data` when `stored`. */
  event: Omit<WebhookEvent, 'data'> & { data?: Record<string, unknown> };
  /**
   * Set by the API for an event too large for a PutEvents entry: the API stored the event in
   * the table before putting this reference on the bus, and fan-out reads it from there.
   */
  stored?: true;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead_lettered' | 'skipped';

/** One (event, subscription) pair and where its delivery stands. */
export interface Delivery {
  id: string;
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  /** HTTP attempts made so far, across redrives and manual retries. */
  attempts: number;
  /** Bumped by a manual retry, so a retry of a delivered message is not taken for a duplicate. */
  generation: number;
  createdTime: string;
  updatedTime: string;
  lastStatusCode?: number;
  lastError?: string;
  /** When the next attempt is due: a receive before it defers the message without a POST. */
  nextAttemptTime?: string;
  /**
   * The current schedule round: `attempts` when it began (a redrive or a manual retry starts a
   * new round with the whole schedule) and the generation it belongs to.
   */
  roundStart?: number;
  roundGeneration?: number;
  /** The SQS receive count of the last attempt, once dead-lettered: later receives only release it. */
  deadLetterReceive?: number;
  /**
   * The SQS message id released to the DLQ once dead-lettered: a message with another id is a
   * redrive (SQS gives redriven messages new ids), which starts a new round. Records from before
   * it fall back to `deadLetterReceive`.
   */
  deadLetterMessageId?: string;
  /** Set while the delivery waits out of the queue (parked or held): see functions/domain/parking.ts. */
  park?: Park;
  /**
   * The resumed message that carries the delivery since its last park (its token and SQS message
   * id): its own later receives go on, any other copy goes. Unset while the fan-out's message
   * (or a person's retry) carries it.
   */
  carrier?: { token: string; messageId: string };
  /**
   * Every attempt since the record moved to one item per delivery, oldest first: stored inline,
   * so an attempt is one write of one item. Whoever rewrites a delivery keeps it.
   */
  attemptLog?: Attempt[];
  /**
   * Listed by the old per-delivery index (gsi1) rather than the subscription's history index:
   * records from before that index, kept listed there until they expire.
   */
  legacyListing?: boolean;
  /**
   * The event as receivers get it, for an event with no item of its own: one the fan-out sent to
   * a single subscription is stored once, here (functions/domain/delivery-record.ts).
   */
  eventBody?: string;
}

export type AttemptError = 'timeout' | 'connection' | 'refused' | 'dns' | 'other' | 'subscription_disabled' | 'subscription_deleted';

/** One try at delivering, as shown in the delivery history. */
export interface Attempt {
  tenantId: string;
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  attempt: number;
  time: string;
  statusCode?: number;
  error?: AttemptError;
  errorMessage?: string;
  latencyMs: number;
  responseExcerpt: string;
}

/** An event as fan-out stored it: once, with a retention TTL. */
export interface StoredEvent {
  tenantId: string;
  event: WebhookEvent;
  /** How many deliveries fan-out made of it; undefined until it has been fanned out. */
  deliveries?: number;
  storedTime: string;
  /** For events the API claimed by a client id: a digest of type and data, and whether it reached the bus. */
  payloadHash?: string;
  published?: boolean;
  /** Set while a fan-out in pages is under way (functions/domain/fanout-paging.ts); gone once `deliveries` is. */
  fanout?: FanoutProgress;
}

/** How far an event's fan-out in pages has gone, and which ingest message stored that. */
export interface FanoutProgress {
  /** Pages sent so far. */
  page: number;
  /** The last subscription id examined; absent when no page has been sent. */
  cursor?: string;
  /** Delivery messages sent so far. */
  sent: number;
  /** The identity of the ingest message that stored this and owes its continuation (fanout-paging.ts, ingestIdentity). */
  by: string;
}
