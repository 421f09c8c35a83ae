import { createHash } from 'node:crypto';
import { filterMatches, isWildcard } from './event-matching.js';
import type { Subscription, WebhookEvent } from './model.js';
import type { DisabledReason } from './recovery.js';

/**
 * Operational events: the pipeline's own facts about a tenant's subscriptions (a delivery
 * dead-lettered, an endpoint failing or back, a subscription disabled or verified), put on the
 * bus under their own `source` for the operator's rules, and fanned out to the tenant's
 * subscriptions that ask for them like any event type, signed like any event.
 *
 * The rules that keep them from feeding on themselves are here, as plain functions:
 *
 * 1. An operational event about subscription S is never delivered to S (a dead endpoint is not
 *    told it is dead; a disabled one gets nothing anyway).
 * 2. A fact caused by delivering an operational event reports nothing: its dead letter, and the
 *    lot its failure opens (that lot is `quiet`: neither its failing nor its recovery is
 *    announced). So every operational event is caused by a tenant's own event or a person's
 *    action, never by another operational event, and no chain of them can go on.
 * 3. A disable is the exception: it is reported whatever caused it. It is a subscription's
 *    one-way change of state (each subscription is disabled at most once until a person enables
 *    it again), so it cannot repeat, and a tenant must learn that its subscription stopped.
 * 4. Only filters that name the namespace take operational events: `webhook.*`, `webhook*` or the
 *    exact type. A bare `*` (or `w*`) subscription keeps getting what it got before they existed.
 */

/** The bus `source` of operational events: an operator's rule matches it and `detail-type`. */
export const OPERATIONAL_EVENT_SOURCE = 'webhooks.operational';

/** Types under this prefix are the platform's own: the catalog marks them operational, the API refuses to publish them. */
export const OPERATIONAL_TYPE_PREFIX = 'webhook.';

export const OPERATIONAL_EVENT_TYPES = [
  'webhook.delivery.dead_lettered',
  'webhook.endpoint.failing',
  'webhook.endpoint.recovered',
  'webhook.subscription.disabled',
  'webhook.subscription.verified',
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export function isOperationalType(type: string): boolean {
  return type.startsWith(OPERATIONAL_TYPE_PREFIX);
}

/** Why a subscription was disabled (`webhook.subscription.disabled`'s `reason`). */
/** The subscription's own recorded reason (recovery.ts), never `unknown`. */
export type DisableReason = Exclude<DisabledReason, 'unknown'>;

/** The last attempt an operational event reports: its time, and the status code or the error. */
export interface LastAttempt {
  time: string;
  status_code?: number;
  error?: string;
}

/** The `data` of each type (events/<type>.json holds the schema; a unit test keeps the two together). */
export interface OperationalData {
  'webhook.delivery.dead_lettered': {
    subscription_id: string;
    url: string;
    delivery_id: string;
    event_id: string;
    event_type: string;
    attempts: number;
    dead_lettered_time: string;
    last_attempt?: LastAttempt;
  };
  'webhook.endpoint.failing': {
    subscription_id: string;
    url: string;
    failing_since: string;
    last_attempt?: LastAttempt;
  };
  'webhook.endpoint.recovered': {
    subscription_id: string;
    url: string;
    failing_since: string;
    recovered_time: string;
  };
  'webhook.subscription.disabled': {
    subscription_id: string;
    url: string;
    reason: DisableReason;
    disabled_time: string;
    failing_since?: string;
    last_attempt?: LastAttempt;
  };
  'webhook.subscription.verified': {
    subscription_id: string;
    url: string;
    verified_time: string;
  };
}

/** Rule 4, then rule 1: whether a subscription's filters take this event (the fan-out's test besides status and payload filter). */
export function subscriptionTakes(s: Pick<Subscription, 'id' | 'events'>, event: Pick<WebhookEvent, 'type' | 'data'>): boolean {
  if (!isOperationalType(event.type)) return s.events.some((f) => filterMatches(f, event.type));
  if (aboutSubscription(event) === s.id) return false;
  return s.events.some((f) => filterMatches(f, event.type) && (!isWildcard(f) || f.startsWith('webhook')));
}

/** The subscription an operational event is about. */
export function aboutSubscription(event: Pick<WebhookEvent, 'data'>): string | undefined {
  const id = event.data?.subscription_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Rules 2 and 3: whether a fact reports an operational event, given the type of the event whose
 * delivery caused it (undefined: a person's action or the handshake).
 */
export function reportsFact(kind: OperationalEventType, causeEventType: string | undefined): boolean {
  if (kind === 'webhook.subscription.disabled' || causeEventType === undefined) return true;
  return !isOperationalType(causeEventType);
}

/**
 * An operational event's id, derived from the fact (its kind and what identifies it: a delivery
 * and its attempt count, a lot's opening time, a disable's time): the same fact reported twice (a
 * retried PutEvents, two sender instances opening one lot) is one event, which the fan-out and
 * receivers (by `webhook-id`) deduplicate.
 */
export function operationalEventId(kind: OperationalEventType, tenantId: string, ...identity: readonly string[]): string {
  const h = createHash('sha256')
    .update([kind, tenantId, ...identity].join('\n'))
    .digest('hex');
  return `evt_op_${h.slice(0, 32)}`;
}

/** What identifies each kind's fact, for its event id (operationalEventId). */
export function factIdentity<K extends OperationalEventType>(kind: K, data: OperationalData[K]): string[] {
  const d = data as OperationalData[OperationalEventType] & Record<string, unknown>;
  switch (kind) {
    case 'webhook.delivery.dead_lettered':
      return [String(d.delivery_id), String(d.attempts)];
    case 'webhook.endpoint.failing':
    case 'webhook.endpoint.recovered':
      return [d.subscription_id, String(d.failing_since)];
    case 'webhook.subscription.disabled':
      return [d.subscription_id, String(d.disabled_time)];
    default:
      return [d.subscription_id, String(d.verified_time)];
  }
}

/** The event an operational fact makes: its id from the fact, its time now. */
export function operationalEvent<K extends OperationalEventType>(
  kind: K,
  tenantId: string,
  data: OperationalData[K],
  at: Date,
): WebhookEvent {
  return {
    id: operationalEventId(kind, tenantId, ...factIdentity(kind, data)),
    type: kind,
    timestamp: at.toISOString(),
    data: data as unknown as Record<string, unknown>,
  };
}
