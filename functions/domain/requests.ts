import * as z from 'zod';
import { type AddressPolicy, MAX_URL_LENGTH, refusalForUrl } from './address-policy.js';
import { EVENT_FILTER_PATTERN, EVENT_TYPE_PATTERN, ID_PATTERN, MAX_EVENT_TYPE_CHARS, MAX_ID_LENGTH } from './api-limits.js';
import type { Catalog } from './catalog.js';
import {
  type CustomHeaders,
  checkCustomHeaders,
  MAX_CUSTOM_HEADERS,
  MAX_CUSTOM_HEADERS_BYTES,
  MAX_HEADER_VALUE_CHARS,
  RESERVED_HEADER_NAMES,
  RESERVED_HEADER_PREFIXES,
} from './custom-headers.js';
import { type FieldProblem, validationError } from './errors.js';
import { anyFilterMatches, isValidFilterSyntax } from './event-matching.js';
import { checkPayloadFilter, MAX_FILTER_BYTES, MAX_FILTER_DEPTH, type PayloadFilter } from './payload-filter.js';
import {
  MAX_RATE_BURST,
  MAX_RATE_PER_SECOND,
  MIN_RATE_BURST,
  MIN_RATE_PER_SECOND,
  RATE_MAX_DELAY_SECONDS,
  RATE_SLOT_LATE_MS,
} from './rate-limit.js';

/**
 * Request bodies of both API versions. The zod shapes are static (the OpenAPI document is
 * generated from them); the checks that need the catalog or the deployment's address policy
 * run after parsing, in `checkUrl` and `checkEventFilters`.
 */

export const MAX_EVENTS = 100;
export const MAX_DESCRIPTION = 1000;
export { DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT } from './subscription-cap.js';

const description = z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`);
/** An event type, or a prefix wildcard such as `card*` (`*` only at the end: isValidFilterSyntax). */
export const EventFilterSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_EVENT_TYPE_CHARS, `must be at most ${MAX_EVENT_TYPE_CHARS} characters`)
  .meta({ pattern: EVENT_FILTER_PATTERN });
const events = z
  .array(EventFilterSchema)
  .min(1, 'must name at least one event type')
  .max(MAX_EVENTS, `must name at most ${MAX_EVENTS} event types`)
  .refine((list) => new Set(list).size === list.length, 'must not repeat an event type');
/**
 * What the document says of a URL: an http(s) address, not JSON Schema's `uri` format, because the
 * API parses URLs as WHATWG URL does (as browsers and fetch do), which takes characters RFC 3986
 * does not (`<`, `"`, non-ASCII) and percent-encodes them when it sends; an answer gives the URL
 * back as it was given. The rest of the checks (https, the address policy) are checkUrl's.
 */
export const URL_SCHEME_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://';
export const UrlSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .meta({ pattern: URL_SCHEME_PATTERN });
const url = UrlSchema;
/**
 * A payload filter (payload-filter.ts), checked whole by checkPayloadFilter, whose problems are
 * named by their paths under `filter`. Its OpenAPI shape is stated here: the operators' grammar
 * is in the description, the checks are the function's.
 */
export const PayloadFilterSchema: z.ZodType<PayloadFilter> = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object of data fields, as {"amount": [{"numeric": [">", 100]}]}' })
  .superRefine((value, ctx) => {
    for (const p of checkPayloadFilter('filter', value))
      ctx.addIssue({ code: 'custom', message: p.message, path: p.field.split('.').slice(1) });
  })
  .meta({
    id: 'PayloadFilter',
    description: `Beyond \`events\`, only events whose \`data\` matches this EventBridge event pattern of \`data\` fields (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html): fields AND; a field's list of values or matchers ORs; a field that is an array in the event matches if any element does; a missing field matches only \`{"exists": false}\`. Matchers: exact values (string, number, boolean, null), \`{"prefix": "..."}\` (strings), \`{"numeric": [">", 0, "<=", 5]}\` (numbers; one comparison, or a lower then an upper bound), \`{"exists": true | false}\`, \`{"anything-but": "v" | 5 | ["v", ...] | {"prefix": "..."}}\`. At most ${MAX_FILTER_BYTES} bytes as JSON and ${MAX_FILTER_DEPTH} levels of nested fields. In a request, null removes the filter; an answer leaves it out when there is none.`,
    example: { amount: [{ numeric: ['>=', 100] }], card: { brand: ['visa', 'mastercard'] } },
  }) as z.ZodType<unknown> as z.ZodType<PayloadFilter>;
/** Absent: unchanged (none on create); null: no filter. */
const filter = PayloadFilterSchema.nullable().optional();
/** Custom headers (custom-headers.ts), checked whole by checkCustomHeaders, problems named `headers.<name>`. */
export const CustomHeadersSchema: z.ZodType<CustomHeaders> = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object of header names and string values, as {"X-Api-Key": "..."}' })
  .superRefine((value, ctx) => {
    for (const p of checkCustomHeaders('headers', value))
      ctx.addIssue({ code: 'custom', message: p.message, path: p.field === 'headers' ? [] : [p.field.slice('headers.'.length)] });
  })
  .meta({
    id: 'CustomHeaders',
    description: `Static headers sent with every delivery of the subscription, such as an API key the receiver expects: at most ${MAX_CUSTOM_HEADERS}, names HTTP tokens (case-insensitive, no repeats), values printable ASCII of at most ${MAX_HEADER_VALUE_CHARS} characters without line breaks, ${MAX_CUSTOM_HEADERS_BYTES} bytes in all. Refused: ${RESERVED_HEADER_NAMES.join(', ')}, and names starting with ${RESERVED_HEADER_PREFIXES.join(' or ')}. Values are stored encrypted with the signing secret and never answered in full. In a request the object replaces the whole set; null or {} removes them.`,
    example: { 'X-Api-Key': 'k_live_5f2b9c1e7a' },
  }) as z.ZodType<unknown> as z.ZodType<CustomHeaders>;
/** Absent: unchanged (none on create); null or {}: none. */
const headers = CustomHeadersSchema.nullable().optional();
const whole = (min: number, max: number, what: string) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .meta({ description: what, format: 'int32' });
/** A rate limit (rate-limit.ts), its bounds declared there. */
export const RateLimitSchema = z
  .strictObject(
    {
      per_second: whole(MIN_RATE_PER_SECOND, MAX_RATE_PER_SECOND, 'Deliveries a second, sustained'),
      burst: whole(MIN_RATE_BURST, MAX_RATE_BURST, 'How many may go at once after a quiet spell'),
    },
    { error: 'must be an object such as {"per_second": 5, "burst": 10}, or null to remove the limit' },
  )
  .meta({
    id: 'RateLimit',
    description: `At most \`per_second\` deliveries a second to this subscription, after a burst of up to \`burst\`, however many senders run. A delivery over the limit waits for its turn without a POST and without spending an attempt (out of the queue's in-flight set, as a delayed message; a wait past ${RATE_MAX_DELAY_SECONDS} s is sent again every ${RATE_MAX_DELAY_SECONDS} s). In any window a receiver sees at most burst + per_second × (window + ${RATE_SLOT_LATE_MS / 1000} s) + 1. In a request, null removes the limit; an answer leaves it out when there is none.`,
    example: { per_second: 5, burst: 10 },
  });
/** Absent: unchanged (none on create); null: no limit. */
const rateLimit = RateLimitSchema.nullable().optional();
export const ENVELOPE_VERSION = '0.1';
const version = z.literal(ENVELOPE_VERSION, { error: `must be "${ENVELOPE_VERSION}", the only event envelope version` });

export const StatusV01 = z.enum(['STATUS_ENABLED', 'STATUS_DISABLED'], { error: 'must be STATUS_ENABLED or STATUS_DISABLED' });
/** Seed 001's table says "Set to enable or disable" while its examples send `enabled`: both are taken. */
export const StatusV0 = z.enum(['enabled', 'disabled', 'enable', 'disable'], { error: 'must be enabled or disabled' });

export function statusFromV0(status: z.infer<typeof StatusV0> | undefined): 'enabled' | 'disabled' | undefined {
  if (status === undefined) return undefined;
  return status === 'enabled' || status === 'enable' ? 'enabled' : 'disabled';
}

export const CreateSubscriptionV01 = z.strictObject({
  url,
  description: description.optional(),
  events,
  filter,
  headers,
  rate_limit: rateLimit,
  version: version.optional(),
  status: StatusV01.optional(),
});

export const UpdateSubscriptionV01 = z.strictObject({
  url: url.optional(),
  description: description.optional(),
  events: events.optional(),
  filter,
  headers,
  rate_limit: rateLimit,
  version: version.optional(),
  status: StatusV01.optional(),
});

export const CreateSubscriptionV0 = z.strictObject({
  callback_url: url,
  description: description.optional(),
  events,
  filter,
  headers,
  rate_limit: rateLimit,
});

export const UpdateSubscriptionV0 = z.strictObject({
  callback_url: url.optional(),
  description: description.optional(),
  events: events.optional(),
  filter,
  headers,
  rate_limit: rateLimit,
  status: StatusV0.optional(),
  action: z.enum(['add_events', 'remove_events'], { error: 'must be add_events or remove_events' }).optional(),
});

/**
 * What DynamoDB can store of event data (events are stored with their data as a map): at most
 * 32 levels of nesting counting the item's own attribute, map keys of 1 byte to 64 KB, numbers
 * from 1E-130 to 9.99...E+125 in magnitude
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html,
 * .../HowItWorks.NamingRulesDataTypes.html). Caught here, such data is a 400; past the API it
 * would fail fan-out's write again and again.
 */
export const MAX_DATA_DEPTH = 30;

export function unstorableData(data: unknown): string | undefined {
  const stack: [unknown, number][] = [[data, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'number') {
      const magnitude = Math.abs(value);
      if (!Number.isFinite(value) || (magnitude !== 0 && (magnitude < 1e-130 || magnitude >= 1e126)))
        return `holds the number ${value}, outside what can be stored (1E-130 to 9.9E+125 in magnitude, or 0)`;
    } else if (value !== null && typeof value === 'object') {
      if (depth > MAX_DATA_DEPTH) return `nests deeper than ${MAX_DATA_DEPTH} levels`;
      const entries = Array.isArray(value) ? value.map((v) => ['-', v] as const) : Object.entries(value);
      for (const [key, v] of entries) {
        if (key === '') return 'has an empty key; keys need at least one character';
        if (key.length > 16_384 && Buffer.byteLength(key) >= 65_536) return 'has a key of 64 KB or more';
        stack.push([v, depth + 1]);
      }
    }
  }
  return undefined;
}

export const PublishEvent = z.strictObject({
  type: z
    .string()
    .min(1, 'must name an event type')
    .max(MAX_EVENT_TYPE_CHARS, `must be at most ${MAX_EVENT_TYPE_CHARS} characters`)
    .regex(new RegExp(EVENT_TYPE_PATTERN), 'is not an event type of the catalog (see GET /api/v0.1/event-types)'),
  data: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).superRefine((data, ctx) => {
    const problem = unstorableData(data);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  id: z
    .string()
    .min(1)
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
    .regex(new RegExp(ID_PATTERN), 'may hold only letters, digits and _ . : -')
    .optional(),
});

export type CreateSubscriptionV01Body = z.infer<typeof CreateSubscriptionV01>;
export type UpdateSubscriptionV01Body = z.infer<typeof UpdateSubscriptionV01>;
export type CreateSubscriptionV0Body = z.infer<typeof CreateSubscriptionV0>;
export type UpdateSubscriptionV0Body = z.infer<typeof UpdateSubscriptionV0>;
export type PublishEventBody = z.infer<typeof PublishEvent>;

/** Parses with zod and turns every issue into a field-named problem. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw validationError(result.error.issues.flatMap(toProblems));
}

function toProblems(issue: z.core.$ZodIssue): FieldProblem[] {
  const at = issue.path.map(String).join('.') || 'body';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ field: issue.path.length ? `${at}.${k}` : k, message: 'is not a known field' }));
  }
  // zod omits the input from issues, but says when it was absent.
  if (issue.code === 'invalid_type' && issue.path.length > 0 && issue.message.endsWith('received undefined')) {
    return [{ field: at, message: 'is required' }];
  }
  return [{ field: at, message: issue.message }];
}

export function checkUrl(field: string, value: string, policy: AddressPolicy): FieldProblem[] {
  const refusal = refusalForUrl(value, policy);
  return refusal ? [{ field, message: refusal }] : [];
}

/** Every filter must be a catalog type a subscription can get, or a wildcard that matches at least one type. */
export function checkEventFilters(field: string, filters: readonly string[], catalog: Catalog): FieldProblem[] {
  const problems: FieldProblem[] = [];
  filters.forEach((f, i) => {
    if (!isValidFilterSyntax(f)) {
      problems.push({ field: `${field}.${i}`, message: `"${f}" may use * only at its end, as in card*` });
    } else if (!catalog.types.some((t) => anyFilterMatches([f], t))) {
      problems.push({ field: `${field}.${i}`, message: `"${f}" matches no event type; valid types: ${catalog.types.join(', ')}` });
    } else if (catalog.entries.find((e) => e.type === f)?.subscribable === false) {
      // Named exactly, a type no subscription is ever sent (the handshake goes to the endpoint being verified alone).
      problems.push({
        field: `${field}.${i}`,
        message: `"${f}" is sent by the platform to the endpoint being verified alone, never to a subscription`,
      });
    }
  });
  return problems;
}

export function throwIfProblems(problems: FieldProblem[]): void {
  if (problems.length > 0) throw validationError(problems);
}
