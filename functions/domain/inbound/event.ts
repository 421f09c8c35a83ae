import { createHash } from 'node:crypto';
import { eventBridgeEventBytes, fitsPutEventsEntry, putEventsEntryBytes, SQS_MAX_MESSAGE_BYTES } from '../aws-limits.js';
import { type BusEntry, busEntry, eventBytes, fitsBusInline, MAX_EVENT_BYTES } from '../bus-entry.js';
import type { WebhookEvent } from '../model.js';
import { isOperationalType, OPERATIONAL_TYPE_PREFIX } from '../operational-events.js';
import { sqsSafeJson } from '../sqs-safe-json.js';
import { type InboundScheme, type LowerHeaders, standardWebhooksHeaders } from './schemes.js';
import { type InboundSource, mapEventType, SECRET_HEADERS } from './source.js';

/**
 * What an accepted inbound request becomes: its id (the provider's delivery id, or a hash of the
 * body where the provider sends none), its provider type and the type put on the bus, the headers
 * kept with it, and the EventBridge entries it is put on the bus as. Pure functions.
 */

/** Every inbound event on the bus has the source `webhooks.inbound.<source name>`. */
export const INBOUND_EVENT_SOURCE_PREFIX = 'webhooks.inbound.';
/** A forwarded copy (to a tenant's subscriptions) is `webhooks.forward.<source name>`, so rules on the first never see it. */
export const FORWARDED_EVENT_SOURCE_PREFIX = 'webhooks.forward.';
/** EventBridge's DetailType is at most 128 characters (PutEventsRequestEntry). */
export const MAX_DETAIL_TYPE_CHARS = 128;
/** The type of a request whose provider names none. */
export const UNKNOWN_TYPE = 'unknown';
const MAX_HEADER_VALUE_CHARS = 1024;

/** An accepted inbound event as stored (one item, its body beside it in S3 when large) and put on the bus. */
export interface InboundRecord {
  /** `inb_<32 hex>`: the same for every resend of the same delivery (inboundEventId). */
  id: string;
  source: string;
  scheme: InboundScheme;
  /** The provider's id of the delivery or event; absent where it sends none (the id is then the body's hash). */
  providerId?: string;
  providerType: string;
  /** As mapped by the source's typeMapping: the bus entry's detail-type. */
  type: string;
  receivedTime: string;
  /** The signed timestamp, where the scheme has one (ISO). */
  signedTime?: string;
  /** Kept headers, names lowercased. */
  headers: Record<string, string>;
  contentType?: string;
  bodyBytes: number;
  /** The raw body (UTF-8), when the item holds it. */
  body?: string;
  /** Where the raw body is kept instead (BodyStore key), when large. */
  bodyKey?: string;
  /** The tenant the source forwards to, when it did at the time it was accepted. */
  forwardTenantId?: string;
}

/** What happened to it after it was stored: put on the bus, or not yet (and why). */
export interface InboundStatus {
  forwardedTime?: string;
  /** Bus entries put (1, or 2 with a forwarded copy). */
  forwardedEntries?: number;
  /** Set when the forwarded copy could not be made (too large for the bus). */
  forwardSkipped?: string;
  busFailures?: number;
  lastBusError?: string;
  lastBusAttemptTime?: string;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The body, parsed as the detail carries it: JSON, a form's fields, or the text. */
export type ParsedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: Record<string, unknown> }
  | { kind: 'text'; value: string };

export function parseInboundBody(contentType: string | undefined, text: string): ParsedBody {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    // Slack's interactive payloads are JSON in a `payload` field.
    if (typeof fields.payload === 'string') {
      try {
        fields.payload = JSON.parse(fields.payload);
      } catch {
        // Not JSON: kept as the text it is.
      }
    }
    return { kind: 'form', value: fields };
  }
  if (type === '' || type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type) || type === 'text/json') {
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch {
      return { kind: 'text', value: text };
    }
  }
  return { kind: 'text', value: text };
}

const field = (body: ParsedBody, name: string): unknown =>
  (body.kind === 'json' || body.kind === 'form') && body.value && typeof body.value === 'object' && !Array.isArray(body.value)
    ? (body.value as Record<string, unknown>)[name]
    : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The provider's id of what it sent (the same on its resends) and its event type, as each provider names them. */
export function providerIdentity(
  source: Pick<InboundSource, 'scheme' | 'hmac'>,
  headers: LowerHeaders,
  body: ParsedBody,
): { providerId?: string; providerType: string } {
  let providerId: string | undefined;
  let providerType: string | undefined;
  switch (source.scheme) {
    case 'stripe':
      // The event object: `id` (evt_...) is the same on every retry of the event.
      providerId = str(field(body, 'id'));
      providerType = str(field(body, 'type'));
      break;
    case 'github':
      providerId = headers['x-github-delivery'];
      providerType = headers['x-github-event'];
      break;
    case 'shopify':
      // "Ignore duplicate deliveries using X-Shopify-Webhook-Id".
      providerId = headers['x-shopify-webhook-id'];
      providerType = headers['x-shopify-topic'];
      break;
    case 'slack': {
      // The Events API: `event_id` is the same on retries; event_callback wraps the event itself.
      providerId = str(field(body, 'event_id'));
      const type = str(field(body, 'type'));
      const inner = field(body, 'event');
      if (type === 'event_callback' && inner && typeof inner === 'object') providerType = str((inner as Record<string, unknown>).type);
      else if (type) providerType = type;
      else if (str(field(body, 'command'))) providerType = 'slash_command';
      else {
        const payload = field(body, 'payload');
        if (payload && typeof payload === 'object') providerType = str((payload as Record<string, unknown>).type);
      }
      break;
    }
    case 'standard-webhooks':
      providerId = standardWebhooksHeaders(headers).id;
      providerType = str(field(body, 'type'));
      break;
    case 'hmac': {
      const o = source.hmac;
      providerId = o?.idHeader ? headers[o.idHeader.toLowerCase()] : undefined;
      providerType = o?.typeHeader ? headers[o.typeHeader.toLowerCase()] : str(field(body, o?.typeField ?? 'type'));
      break;
    }
  }
  return { ...(providerId ? { providerId: providerId.slice(0, 512) } : {}), providerType: (providerType ?? UNKNOWN_TYPE).slice(0, 256) };
}

/**
 * The event's id: from the source and the provider's id (so its resends deduplicate within the
 * retention), or from the body's SHA-256 where the provider gives none (a resend with the same
 * body deduplicates; a changed body is a new event).
 */
export function inboundEventId(source: string, providerId: string | undefined, body: Buffer): string {
  const basis = providerId !== undefined ? `id:${providerId}` : `sha256:${sha256Hex(body)}`;
  return `inb_${sha256Hex(`${source}\n${basis}`).slice(0, 32)}`;
}

/** The scheme's own informative headers (never a signature), kept with every event of such a source. */
const SCHEME_HEADERS: Record<InboundScheme, readonly string[]> = {
  stripe: [],
  github: [
    'x-github-event',
    'x-github-delivery',
    'x-github-hook-id',
    'x-github-hook-installation-target-id',
    'x-github-hook-installation-target-type',
  ],
  shopify: [
    'x-shopify-topic',
    'x-shopify-webhook-id',
    'x-shopify-event-id',
    'x-shopify-shop-domain',
    'x-shopify-api-version',
    'x-shopify-triggered-at',
  ],
  slack: ['x-slack-request-timestamp', 'x-slack-retry-num', 'x-slack-retry-reason'],
  'standard-webhooks': ['webhook-id', 'webhook-timestamp', 'svix-id', 'svix-timestamp'],
  hmac: [],
};

export function keptHeaders(source: InboundSource, headers: LowerHeaders): Record<string, string> {
  const names = new Set<string>(['content-type', 'user-agent', ...SCHEME_HEADERS[source.scheme]]);
  for (const h of [source.hmac?.idHeader, source.hmac?.typeHeader, source.hmac?.timestampHeader, ...(source.headers ?? [])])
    if (h) names.add(h.toLowerCase());
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = headers[name];
    if (v !== undefined && !SECRET_HEADERS.has(name)) out[name] = v.slice(0, MAX_HEADER_VALUE_CHARS);
  }
  return out;
}

/** Builds the record of a verified request (before its body's place is decided). */
export function inboundRecord(input: {
  source: InboundSource;
  headers: LowerHeaders;
  body: Buffer;
  parsed: ParsedBody;
  receivedTime: Date;
  signedTimestamp?: number;
}): InboundRecord {
  const { source, headers, body } = input;
  const { providerId, providerType } = providerIdentity(source, headers, input.parsed);
  const contentType = headers['content-type'];
  return {
    id: inboundEventId(source.name, providerId, body),
    source: source.name,
    scheme: source.scheme,
    ...(providerId !== undefined ? { providerId } : {}),
    providerType,
    type: mapEventType(source.typeMapping, providerType).slice(0, MAX_DETAIL_TYPE_CHARS),
    receivedTime: input.receivedTime.toISOString(),
    ...(input.signedTimestamp !== undefined ? { signedTime: new Date(input.signedTimestamp * 1000).toISOString() } : {}),
    headers: keptHeaders(source, headers),
    ...(contentType ? { contentType: contentType.slice(0, 200) } : {}),
    bodyBytes: body.length,
    ...(source.forwardTenantId ? { forwardTenantId: source.forwardTenantId } : {}),
  };
}

/** Where a large body is, for consumers of the bus entry: the pipeline's body bucket and the object's key. */
export interface BodyReference {
  bucket: string;
  key: string;
}

/** The detail of an inbound event on the bus. */
export interface InboundDetail {
  id: string;
  source: string;
  scheme: InboundScheme;
  provider_id: string | null;
  provider_type: string;
  type: string;
  received_time: string;
  signed_time: string | null;
  headers: Record<string, string>;
  content_type: string | null;
  body_bytes: number;
  /** The body parsed: JSON as it is, a form's fields as an object. */
  body?: unknown;
  /** A body that is neither JSON nor a form, as text. */
  body_text?: string;
  /** A body too large for the entry: where it is kept. */
  body_ref?: BodyReference;
}

function detailOf(record: InboundRecord, parsed: ParsedBody | undefined, bodyRef: BodyReference | undefined): InboundDetail {
  const detail: InboundDetail = {
    id: record.id,
    source: record.source,
    scheme: record.scheme,
    provider_id: record.providerId ?? null,
    provider_type: record.providerType,
    type: record.type,
    received_time: record.receivedTime,
    signed_time: record.signedTime ?? null,
    headers: record.headers,
    content_type: record.contentType ?? null,
    body_bytes: record.bodyBytes,
  };
  if (bodyRef) detail.body_ref = bodyRef;
  else if (parsed?.kind === 'text') detail.body_text = parsed.value;
  else if (parsed) detail.body = parsed.value;
  return detail;
}

const entryFits = (entry: BusEntry) =>
  fitsPutEventsEntry(putEventsEntryBytes(entry)) && eventBridgeEventBytes(entry) <= SQS_MAX_MESSAGE_BYTES;

/**
 * The inbound event's bus entry with its body inline, or undefined when it would not fit an entry
 * (under 1 MB, and the event EventBridge makes of it within an SQS message, for rules that target
 * a queue): such an event goes on the bus with `body_ref` (inboundEntry with a reference).
 */
export function inlineInboundEntry(record: InboundRecord, parsed: ParsedBody): BusEntry | undefined {
  const entry = inboundEntry(record, parsed, undefined);
  return entryFits(entry) ? entry : undefined;
}

export function inboundEntry(record: InboundRecord, parsed: ParsedBody | undefined, bodyRef: BodyReference | undefined): BusEntry {
  return {
    Source: `${INBOUND_EVENT_SOURCE_PREFIX}${record.source}`,
    DetailType: record.type,
    Time: new Date(record.receivedTime),
    Detail: sqsSafeJson(JSON.stringify(detailOf(record, parsed, bodyRef))),
  };
}

/** The forwarded copy's `data`: a JSON object as it is, anything else under `body`. */
export function forwardedData(parsed: ParsedBody): Record<string, unknown> {
  if (
    (parsed.kind === 'json' || parsed.kind === 'form') &&
    parsed.value &&
    typeof parsed.value === 'object' &&
    !Array.isArray(parsed.value)
  )
    return parsed.value as Record<string, unknown>;
  return { body: parsed.value };
}

/**
 * The copy published to the forwarding tenant's subscriptions: a tenant event (the pipeline's own
 * bus rule takes it to the fan-out) with the inbound id, the mapped type and the received time.
 * Undefined with a reason when it cannot be made: a tenant event must fit one bus entry whole.
 */
export function forwardedEntry(
  record: InboundRecord,
  parsed: ParsedBody,
): { entry: BusEntry; event: WebhookEvent } | { skipped: string } | undefined {
  if (!record.forwardTenantId) return undefined;
  // The platform's own types are the pipeline's to send (operational-events.ts): a provider's
  // event named so would reach the tenant's receivers as a notice about their subscriptions.
  if (isOperationalType(record.type))
    return {
      skipped: `reserved_type: ${record.type} is one of the platform's own event types (${OPERATIONAL_TYPE_PREFIX}*), which are never forwarded`,
    };
  const event: WebhookEvent = { id: record.id, type: record.type, timestamp: record.receivedTime, data: forwardedData(parsed) };
  const bytes = eventBytes(event);
  if (bytes > MAX_EVENT_BYTES || !fitsBusInline(record.forwardTenantId, event))
    return { skipped: `too_large: the forwarded event is ${bytes} bytes; a tenant event must fit one bus entry (under 1 MB)` };
  return { entry: { ...busEntry(record.forwardTenantId, event), Source: `${FORWARDED_EVENT_SOURCE_PREFIX}${record.source}` }, event };
}

/**
 * Everything an event goes on the bus as: the inbound event (body inline when it fits an entry,
 * else by reference to where it is kept), and the forwarded copy when its source forwards; with
 * why that copy was not made, if it was not. The inbound function and the CLI's redrive both use it.
 */
export function busEntriesFor(
  record: InboundRecord,
  parsed: ParsedBody,
  bodyBucket: string,
): { entries: BusEntry[]; forwardSkipped?: string } {
  const inline = inlineInboundEntry(record, parsed);
  const entries = [inline ?? inboundEntry(record, undefined, record.bodyKey ? { bucket: bodyBucket, key: record.bodyKey } : undefined)];
  const forwarded = forwardedEntry(record, parsed);
  if (forwarded && 'entry' in forwarded) entries.push(forwarded.entry);
  return { entries, ...(forwarded && 'skipped' in forwarded ? { forwardSkipped: forwarded.skipped } : {}) };
}

/** Where an inbound body is kept beside the table: under the bucket's `bodies/` lifecycle, content addressed. */
export function inboundBodyKey(source: string, id: string, body: Buffer): string {
  return `bodies/inbound/${sha256Hex(`${source}\n${id}`).slice(0, 32)}/${sha256Hex(body).slice(0, 32)}`;
}
