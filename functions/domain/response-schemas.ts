import * as z from 'zod';
import {
  CURSOR_PATTERN,
  EVENT_TYPE_PATTERN,
  ID_PATTERN,
  INT32_MAX,
  MAX_CURSOR_CHARS,
  MAX_EVENT_TYPE_CHARS,
  MAX_ID_LENGTH,
  MAX_PAGE_LIMIT,
  MAX_TIME_CHARS,
  RESPONSE_EXCERPT_BYTES,
} from './api-limits.js';
import { MASK, SHOWN_CHARS } from './custom-headers.js';
import type { DeliveryStatus } from './model.js';
import { DISABLED_REASONS } from './recovery.js';
import {
  ENVELOPE_VERSION,
  EventFilterSchema,
  MAX_DESCRIPTION,
  MAX_EVENTS,
  PayloadFilterSchema,
  RateLimitSchema,
  UrlSchema,
} from './requests.js';
import { MAX_SECRET_CHARS, SECRET_PATTERN } from './signing.js';
import { VERIFICATION_EVENT_TYPE, VERIFICATION_MODES } from './verification.js';
import type { SubscriptionV0View, SubscriptionV01View } from './views.js';

/**
 * Response bodies of the API as zod schemas. The OpenAPI document is generated from them
 * (with the request schemas in `requests.ts`), and tests or the API may parse with them.
 *
 * The `id` in `.meta()` names the schema's component in the OpenAPI document (zod's own metadata
 * registry; `.meta()` returns a copy and changes nothing else). Times are UTC ISO 8601 with `Z`.
 */

export const time = (description: string) => z.iso.datetime().max(MAX_TIME_CHARS).meta({ description });
/** An id the API issued (or a publisher chose: requests.ts PublishEvent). */
const id = (description?: string, example?: string) =>
  z
    .string()
    .max(MAX_ID_LENGTH)
    .regex(new RegExp(ID_PATTERN))
    .meta({ ...(description ? { description } : {}), ...(example ? { example } : {}) });
const eventType = z.string().max(MAX_EVENT_TYPE_CHARS).regex(new RegExp(EVENT_TYPE_PATTERN)).meta({ example: 'card.created' });
/** As taken: every subscription's events passed requests.ts's checks. */
const events = z.array(EventFilterSchema).max(MAX_EVENTS).meta({ description: 'Event types or prefix wildcards such as `card*`' });
const description = z.string().max(MAX_DESCRIPTION);
const url = UrlSchema.meta({ description: 'The HTTPS endpoint events are POSTed to' });
const secret = z
  .string()
  .max(MAX_SECRET_CHARS)
  .regex(new RegExp(SECRET_PATTERN))
  .meta({ description: 'Signing secret (Standard Webhooks)', example: 'whsec_XqTEJtniwuEhp0A1c1cTJNsmpR/qgOfB' });
/** A page of a list holds at most MAX_PAGE_LIMIT items (request-context.ts pageRequest). */
const page = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_PAGE_LIMIT);

/** `255.255.255.255`. */
const IPV4_CHARS = 15;
/** Codes are the API's own snake_case words (errors.ts and the routes), the longest far shorter. */
const MAX_ERROR_CODE_CHARS = 64;

/** A count with no bound of its own but its type's. */
const count = (min = 0) => z.int().min(min).max(INT32_MAX).meta({ format: 'int32' });
/** An HTTP status a receiver answered (undici refuses any other). */
const statusCode = z.int().min(100).max(599).meta({ format: 'int32' });

const nextCursor = z
  .string()
  .max(MAX_CURSOR_CHARS)
  .regex(new RegExp(CURSOR_PATTERN))
  .nullable()
  .meta({ description: 'Pass as `cursor` to fetch the next page; null on the last page' });

/** Beyond both seeds: the subscription's payload filter, absent when it has none (so seed clients get exactly the seed's fields). */
const filterView = PayloadFilterSchema.optional();
/** Beyond both seeds: the custom headers, values masked, absent when none. */
const headersView = z
  .record(z.string(), z.string().max(SHOWN_CHARS + MASK.length))
  .optional()
  .meta({
    description:
      'The custom headers sent with every delivery: their names, each value masked (its first 4 characters then `…`, or `…` alone when shorter than 12). Absent when the subscription has none.',
    example: { 'X-Api-Key': 'k_li…' },
  });

/** Beyond both seeds: the endpoint verification handshake (docs/tenants/api.md, "Endpoint verification"). */
const verificationView = z
  .object({
    status: z.enum(['pending', 'verified', 'failed']).meta({
      description:
        'pending: the endpoint has not answered the verification request yet, and events wait unsent; verified: events are sent; failed: every attempt of the request failed (see `last_error`), events wait until a new request (POST /verify) succeeds or their own schedule ends',
    }),
    mode: z.enum(VERIFICATION_MODES).meta({ description: "The deployment's setting when the verification was requested" }),
    requested_time: time('When the verification was requested (created, URL changed, or asked again)'),
    verified_time: time('When the endpoint answered it').nullable(),
    last_error: z.string().nullable().meta({ description: 'Why the last attempt did not verify the endpoint; null when none failed' }),
  })
  .optional()
  .meta({
    id: 'Verification',
    description: `Absent on subscriptions created before verification existed (they count as verified). The endpoint verifies by answering a signed \`${VERIFICATION_EVENT_TYPE}\` event with a 2xx echoing its \`data.challenge\` (the bare challenge, or {"challenge": "..."}).`,
  });
/** Beyond both seeds: the rate limit, absent when none. */
const rateLimitView = RateLimitSchema.optional();
/** Beyond both seeds: why a disabled subscription was disabled, absent while it is enabled. */
const disabledReason = z.enum(DISABLED_REASONS).optional().meta({
  description:
    'Present while disabled: `endpoint_failing` (every delivery failed for the auto-disable period), `endpoint_gone` (the receiver answered 410), `disabled_by_tenant` (the API or the portal)',
});
const disabledTime = time('Present while disabled: when it was disabled (recover since then to send what it missed)').optional();

// Subscriptions, /api/v0.1 (seed 002)

export const SubscriptionV01 = z
  .object({
    id: id('The subscription id', '487a7f29-7b80-467d-b20d-7b60c3a14cf0'),
    url,
    description,
    events,
    filter: filterView,
    headers: headersView,
    verification: verificationView,
    rate_limit: rateLimitView,
    version: z
      .string()
      .max(ENVELOPE_VERSION.length)
      .meta({ description: 'Event envelope version', enum: [ENVELOPE_VERSION], example: ENVELOPE_VERSION }),
    secret,
    status: z.enum(['STATUS_ENABLED', 'STATUS_DISABLED']),
    disabled_reason: disabledReason,
    disabled_time: disabledTime,
    created_time: time('When the subscription was created'),
    updated_time: time('When the subscription was last changed'),
  })
  .meta({ id: 'SubscriptionV01' });

export const SubscriptionV01Response = z.object({ webhook_subscription: SubscriptionV01 }).meta({ id: 'SubscriptionV01Response' });

/** PATCH's answer: the subscription, and when the PATCH enabled it again, an offer to recover what it missed. */
export const UpdateSubscriptionV01Response = z
  .object({
    webhook_subscription: SubscriptionV01,
    recover_offer: z
      .object({
        since: time('When it was disabled: what it missed since then can be sent now'),
        method: z.literal('POST'),
        href: z.string().meta({ description: 'The recover route to POST `{ "since": ... }` to' }),
      })
      .optional()
      .meta({ description: 'Present when this PATCH enabled a disabled subscription' }),
  })
  .meta({ id: 'UpdateSubscriptionV01Response' });

export const SubscriptionV01List = z
  .object({ webhook_subscriptions: page(SubscriptionV01), next_cursor: nextCursor })
  .meta({ id: 'SubscriptionV01List' });

export const RotateSecretResponse = z
  .object({
    webhook_subscription: SubscriptionV01,
    previous_secret_expires_time: time('Until then deliveries are signed with both the new and the previous secret'),
  })
  .meta({ id: 'RotateSecretResponse' });

// Subscriptions, /api/v0 (seed 001)

export const SubscriptionV0 = z
  .object({
    date_created: time('When the subscription was created'),
    date_updated: time('When the subscription was last changed'),
    webhook_id: id('The subscription id', '522e9ec7-b17d-4d92-8270-c2e1741dd6e0'),
    callback_url: url,
    description,
    events,
    filter: filterView,
    headers: headersView,
    verification: verificationView,
    rate_limit: rateLimitView,
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: disabledReason,
    disabled_time: disabledTime,
    secret,
    deleted_at: time('Present once the subscription is deleted').optional(),
  })
  .meta({ id: 'SubscriptionV0' });

/** Seed 001 answers the list with a bare array; the next page's cursor is in the `x-next-cursor` header. */
export const SubscriptionV0List = z.array(SubscriptionV0).meta({ id: 'SubscriptionV0List' });

// Event catalog and publishing

export const EventTypeInfo = z
  .object({
    type: eventType,
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema (2020-12) of the event `data`' }),
    example: z.record(z.string(), z.unknown()).meta({ description: 'An example `data` object' }),
    operational: z.boolean().meta({
      description:
        "The platform's own event (`webhook.*`): about your subscriptions, sent by the pipeline. Subscribe to it like any type; it cannot be published",
    }),
    subscribable: z.literal(false).optional().meta({
      description:
        'Present (false) on platform types no subscription receives, such as `webhook.endpoint.verification`, sent to the endpoint being verified alone',
    }),
  })
  .meta({ id: 'EventType' });

export const EventTypeList = z.object({ event_types: z.array(EventTypeInfo) }).meta({ id: 'EventTypeList' });

export const SourceIpList = z
  .object({
    source_ips: z.array(z.ipv4().max(IPV4_CHARS)).meta({
      description:
        "Every delivery comes from one of these addresses: receivers may accept webhooks from them only. Empty when the operator has not fixed them (deliveries then come from AWS Lambda's shared addresses, which change).",
      example: ['203.0.113.10', '203.0.113.24'],
    }),
  })
  .meta({ id: 'SourceIpList' });

export const PublishedEvent = z
  .object({
    id: z
      .string()
      .max(MAX_ID_LENGTH)
      .regex(new RegExp(ID_PATTERN))
      .meta({ description: 'The event id; receivers get it as `webhook-id`', example: 'evt_0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d51' }),
    type: eventType,
    timestamp: time('When the event was accepted'),
  })
  .meta({ id: 'PublishedEvent' });

export const TestEventResponse = z
  .object({
    id: id('The event id; the receiver gets it as `webhook-id`'),
    type: z.literal('webhook.test'),
    timestamp: time('When the test event was accepted'),
  })
  .meta({ id: 'TestEventResponse' });

// Recoveries (functions/domain/recovery.ts)

export const RecoveryView = z
  .object({
    id: id('The recovery id', 'rcv_1c0e4c1e-33c4-4f6e-9a4b-0d3c3f0f8a11'),
    subscription_id: id(),
    since: time('Deliveries created at or after this time'),
    until: time('... and at or before this one'),
    status: z
      .enum(['running', 'done'])
      .meta({ description: 'running: pages are still being read; done: every delivery of the window was looked at' }),
    found: count().meta({ description: 'Failed or skipped deliveries of the window found so far' }),
    queued: count().meta({
      description: 'Of those, the ones this recovery sent again (another recovery of the same window at once sends the rest)',
    }),
    expired: count().meta({ description: 'Found, but whose event is past its retention: nothing left to send' }),
    created_time: time('When the recovery was asked for'),
    updated_time: time('When it last made progress'),
    done_time: time('When it finished').optional(),
    href: z.string().meta({ description: 'Where to follow it (GET)' }),
  })
  .meta({ id: 'Recovery' });

export const RecoveryResponse = z.object({ recovery: RecoveryView }).meta({ id: 'RecoveryResponse' });

// Deliveries (one per event and subscription) and their attempts: views of model.ts Delivery and
// Attempt, hence the View names.

export const DeliveryStatusSchema = z.enum(['pending', 'succeeded', 'dead_lettered', 'skipped']).meta({
  id: 'DeliveryStatus',
  description:
    'pending: queued or waiting for a retry; dead_lettered: every attempt failed; skipped: the subscription was disabled or deleted before sending',
});

export const DeliveryView = z
  .object({
    id: id('The delivery id'),
    event_id: id('The event id, sent as `webhook-id` on every attempt'),
    event_type: eventType,
    status: DeliveryStatusSchema,
    attempts: count().meta({ description: 'Attempts made so far' }),
    created_time: time('When the delivery was queued'),
    updated_time: time('When the delivery last changed'),
    last_status_code: statusCode.nullable().meta({ description: 'HTTP status of the last attempt; null when it got none' }),
    last_error: z.string().nullable().meta({ description: 'Why the last attempt failed or the delivery was skipped; null otherwise' }),
    next_attempt_time: z.iso
      .datetime()
      .max(MAX_TIME_CHARS)
      .nullable()
      .meta({ description: 'When the next automatic attempt is due, for a pending delivery that failed' }),
  })
  .meta({ id: 'Delivery' });

export const DeliveryAttemptView = z
  .object({
    attempt: count(1).meta({ description: '1 for the first attempt' }),
    time: time('When the attempt started'),
    status_code: statusCode
      .nullable()
      .meta({ description: 'HTTP status of the answer; null when none came (timeout, network error, refused address)' }),
    error: z.string().nullable().meta({ description: 'Why the attempt failed; null on success' }),
    latency_ms: z.number().min(0),
    response_excerpt: z.string().max(RESPONSE_EXCERPT_BYTES).meta({ description: 'The start of the response body; empty when none came' }),
  })
  .meta({ id: 'DeliveryAttempt' });

export const DeliveryDetailView = DeliveryView.extend({ attempt_log: z.array(DeliveryAttemptView) }).meta({ id: 'DeliveryDetail' });

export const DeliveryList = z.object({ deliveries: page(DeliveryView), next_cursor: nextCursor }).meta({ id: 'DeliveryList' });

export const DeliveryResponse = z.object({ delivery: DeliveryDetailView }).meta({ id: 'DeliveryResponse' });

// Errors (functions/app/http.ts errorBody)

export const FieldProblemSchema = z
  .object({
    field: z.string().meta({ description: 'Dotted path of the field, such as `events.0`', example: 'url' }),
    message: z.string().meta({ example: 'must use https' }),
  })
  .meta({ id: 'FieldProblem' });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z
        .string()
        .max(MAX_ERROR_CODE_CHARS)
        .regex(/^[a-z0-9_]+$/)
        .meta({ description: 'Stable, machine-readable code', example: 'validation_failed' }),
      message: z.string().meta({ description: 'What went wrong and what to do about it' }),
      details: z.array(FieldProblemSchema).optional().meta({ description: 'One entry per invalid field (validation_failed only)' }),
    }),
  })
  .meta({ id: 'Error' });

export type SubscriptionV01Response = z.infer<typeof SubscriptionV01Response>;
export type SubscriptionV01List = z.infer<typeof SubscriptionV01List>;
export type RotateSecretResponse = z.infer<typeof RotateSecretResponse>;
export type SubscriptionV0List = z.infer<typeof SubscriptionV0List>;
export type EventTypeList = z.infer<typeof EventTypeList>;
export type PublishedEvent = z.infer<typeof PublishedEvent>;
export type SourceIpList = z.infer<typeof SourceIpList>;
export type TestEventResponse = z.infer<typeof TestEventResponse>;
export type DeliveryView = z.infer<typeof DeliveryView>;
export type DeliveryAttemptView = z.infer<typeof DeliveryAttemptView>;
export type DeliveryDetailView = z.infer<typeof DeliveryDetailView>;
export type DeliveryList = z.infer<typeof DeliveryList>;
export type DeliveryResponse = z.infer<typeof DeliveryResponse>;
export type ErrorBody = z.infer<typeof ErrorBody>;

// Compile-time guard: the schemas and the view interfaces the API builds must stay the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const viewsMatch: [
  Same<z.infer<typeof SubscriptionV01>, SubscriptionV01View>,
  Same<z.infer<typeof SubscriptionV0>, SubscriptionV0View>,
  Same<z.infer<typeof DeliveryStatusSchema>, DeliveryStatus>,
] = [true, true, true];
void viewsMatch;
