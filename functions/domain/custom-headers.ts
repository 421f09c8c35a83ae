import type { FieldProblem } from './errors.js';

/**
 * A subscription's custom headers (issue 20 item 4): a few static headers the sender adds to every
 * POST of the subscription, such as an API key the receiver expects. Their values are stored with
 * the signing secrets (secret-set.ts), so both secret storages encrypt them, and are never
 * answered in full (maskHeaders).
 */
export type CustomHeaders = Record<string, string>;

export const MAX_CUSTOM_HEADERS = 5;
export const MAX_HEADER_NAME_CHARS = 100;
export const MAX_HEADER_VALUE_CHARS = 1000;
/** Names and values together, as stored. */
export const MAX_CUSTOM_HEADERS_BYTES = 2048;

/**
 * Names a custom header may not take, lowercase: those the sender sets itself (the Standard
 * Webhooks signature headers, signing.ts; content-type and user-agent, webhook-client.ts), and
 * the hop-by-hop and framing headers (RFC 9110 7.6.1, RFC 9112), which belong to the connection.
 */
export const RESERVED_HEADER_NAMES: readonly string[] = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-encoding',
  'expect',
];
/** Prefixes reserved whole: Standard Webhooks' own headers, and the proxies'. */
export const RESERVED_HEADER_PREFIXES: readonly string[] = ['webhook-', 'proxy-'];

/** RFC 9110 5.6.2 token: a header field name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Printable ASCII and spaces or tabs inside, no CR, LF or other control characters. */
const VALUE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/;

function reservedReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (RESERVED_HEADER_NAMES.includes(lower)) return `is a header the sender sets or the connection owns; choose another name`;
  const prefix = RESERVED_HEADER_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) return `starts with ${prefix}, reserved for the sender's own headers and proxies; choose another name`;
  return undefined;
}

/** The problems of a custom headers object, named under `field` (its names as given). */
export function checkCustomHeaders(field: string, headers: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS) problems.push({ field, message: `must hold at most ${MAX_CUSTOM_HEADERS} headers` });
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, value] of entries) {
    const at = `${field}.${name}`;
    if (name.length === 0 || name.length > MAX_HEADER_NAME_CHARS || !TOKEN.test(name)) {
      problems.push({
        field: at,
        message: `is not a header name: 1 to ${MAX_HEADER_NAME_CHARS} letters, digits or !#$%&'*+-.^_\`|~`,
      });
      continue;
    }
    const reserved = reservedReason(name);
    if (reserved) problems.push({ field: at, message: reserved });
    const lower = name.toLowerCase();
    if (seen.has(lower)) problems.push({ field: at, message: 'repeats a header name (names are case-insensitive)' });
    seen.add(lower);
    if (typeof value !== 'string') {
      problems.push({ field: at, message: 'must be a string' });
      continue;
    }
    if (value.length > MAX_HEADER_VALUE_CHARS || !VALUE.test(value)) {
      problems.push({
        field: at,
        message: `must be 1 to ${MAX_HEADER_VALUE_CHARS} printable ASCII characters, without line breaks or leading or trailing spaces`,
      });
      continue;
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_CUSTOM_HEADERS_BYTES)
    problems.push({ field, message: `must hold at most ${MAX_CUSTOM_HEADERS_BYTES} bytes of names and values` });
  return problems;
}

/** Values shorter than this are answered as the mask alone: their first characters would say too much. */
export const MIN_CHARS_TO_SHOW_START = 12;
export const SHOWN_CHARS = 4;
export const MASK = '…';

/** A value as answers show it: its first 4 characters then `…` (a short value: `…` alone); never in full. */
export function maskHeaderValue(value: string): string {
  return value.length >= MIN_CHARS_TO_SHOW_START ? value.slice(0, SHOWN_CHARS) + MASK : MASK;
}

export function maskHeaders(headers: CustomHeaders): CustomHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskHeaderValue(value)]));
}

/** Undefined for none, so that answers and stored sets leave the field out. */
export function someHeaders(headers: CustomHeaders | null | undefined): CustomHeaders | undefined {
  return headers && Object.keys(headers).length > 0 ? headers : undefined;
}
