import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Inbound signature verification, one function per provider, each as the provider documents it
 * (docs/inbound-webhooks.md has the pages). All of them sign the raw request body with an HMAC
 * and a shared secret; they differ in the header, what else is signed, the encoding, and whether
 * a timestamp bounds replays. Pure: the request, the secrets and the clock come in, a verdict goes
 * out. Comparisons are constant-time (timingSafeEqual on equal-length digests); several secrets
 * (a rotation's overlap) and several signatures (Stripe and Standard Webhooks send one per
 * active secret) are all tried, and any match verifies.
 */

export const INBOUND_SCHEMES = ['stripe', 'github', 'shopify', 'slack', 'standard-webhooks', 'hmac'] as const;
export type InboundScheme = (typeof INBOUND_SCHEMES)[number];

/** Why a request was refused (the 401's error code; also the metric's and the log line's reason). */
export type RefusalReason =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_mismatch'
  | 'timestamp_missing'
  | 'timestamp_out_of_tolerance'
  | 'source_not_configured';

export type Verdict = { ok: true; timestamp?: number } | { ok: false; reason: RefusalReason; message: string };

/** Headers with lowercased names (API Gateway keeps the caller's spelling; see lowerHeaders). */
export type LowerHeaders = Readonly<Record<string, string | undefined>>;

export interface SignedRequest {
  headers: LowerHeaders;
  /** The body exactly as it arrived. */
  body: Buffer;
}

/** The default replay window of every scheme with a timestamp: Stripe's, Slack's and Standard Webhooks' own (5 minutes). */
export const DEFAULT_INBOUND_TOLERANCE_SECONDS = 300;

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** The generic HMAC sender: what it signs and how it writes the signature. */
export interface GenericHmacOptions {
  /** The header carrying the signature (several may be given in it, separated by spaces, or commas unless the prefix has one). */
  signatureHeader: string;
  /** @default 'sha256' */
  algorithm?: HmacAlgorithm;
  /** @default 'hex' */
  encoding?: 'hex' | 'base64';
  /** Written before the digest, e.g. `sha256=`. @default '' */
  prefix?: string;
  /** A header with the unix time of signing (seconds); with it, the replay window applies. */
  timestampHeader?: string;
  /**
   * What is signed: `{body}` is the raw body, `{timestamp}` the timestamp header, `{id}` the id
   * header, e.g. `{timestamp}.{body}`. @default '{body}'
   */
  signedPayload?: string;
  /** The header naming the delivery (its resends carry the same), used to deduplicate. */
  idHeader?: string;
}

export interface VerifyOptions {
  /** Unix seconds now. */
  nowSeconds: number;
  /** Seconds a signed timestamp may differ from now. @default DEFAULT_INBOUND_TOLERANCE_SECONDS */
  toleranceSeconds?: number;
  /** For the `hmac` scheme. */
  hmac?: GenericHmacOptions;
}

export function lowerHeaders(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

const refuse = (reason: RefusalReason, message: string): Verdict => ({ ok: false, reason, message });

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a signature as given, or undefined when it is not well-formed in that encoding. */
function decode(value: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'hex') return value.length % 2 === 0 && HEX.test(value) ? Buffer.from(value, 'hex') : undefined;
  return value.length % 4 === 0 && BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
}

function hmac(algorithm: HmacAlgorithm, key: Buffer | string, parts: readonly (Buffer | string)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const p of parts) mac.update(p);
  return mac.digest();
}

/** Whether any given signature equals any expected digest, in constant time for each pair. */
function anyMatches(given: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const g of given) {
      // Every pair is compared (no early return), so the time does not tell which secret matched.
      if (g.length === e.length && timingSafeEqual(g, e)) matched = true;
    }
  }
  return matched;
}

function timestampOf(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,12}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

function withinTolerance(ts: number, options: VerifyOptions): boolean {
  return Math.abs(options.nowSeconds - ts) <= (options.toleranceSeconds ?? DEFAULT_INBOUND_TOLERANCE_SECONDS);
}

const outOfTolerance = (ts: number, options: VerifyOptions) =>
  refuse(
    'timestamp_out_of_tolerance',
    `The signed timestamp ${ts} is ${Math.abs(options.nowSeconds - ts)} s from now; at most ${options.toleranceSeconds ?? DEFAULT_INBOUND_TOLERANCE_SECONDS} s are accepted (a replay, or a clock far off)`,
  );

const mismatch = (header: string) => refuse('signature_mismatch', `No signature in ${header} matches the body with this source's secret`);

/**
 * Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...]`, each v1 the hex HMAC-SHA256 of
 * `<t>.<body>` keyed with the endpoint's signing secret as written (`whsec_...`, not decoded);
 * other schemes (v0) are ignored. https://docs.stripe.com/webhooks#verify-manually
 */
export function verifyStripe(req: SignedRequest, secrets: readonly string[], options: VerifyOptions): Verdict {
  const header = req.headers['stripe-signature'];
  if (!header) return refuse('signature_missing', 'The Stripe-Signature header is missing');
  let t: string | undefined;
  const v1: string[] = [];
  for (const element of header.split(',')) {
    const eq = element.indexOf('=');
    if (eq < 0) continue;
    const key = element.slice(0, eq).trim();
    const value = element.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1') v1.push(value);
  }
  const ts = timestampOf(t);
  if (ts === undefined) return refuse('timestamp_missing', 'The Stripe-Signature header has no t=<unix seconds> element');
  if (v1.length === 0) return refuse('signature_missing', 'The Stripe-Signature header has no v1 signature');
  const given = v1.map((s) => decode(s, 'hex')).filter((b): b is Buffer => b !== undefined);
  if (given.length === 0) return refuse('signature_malformed', 'No v1 signature in Stripe-Signature is hex');
  const expected = secrets.map((s) => hmac('sha256', s, [`${ts}.`, req.body]));
  if (!anyMatches(given, expected)) return mismatch('Stripe-Signature');
  if (!withinTolerance(ts, options)) return outOfTolerance(ts, options);
  return { ok: true, timestamp: ts };
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the webhook's
 * secret. No timestamp (GitHub signs none). The legacy SHA-1 `X-Hub-Signature` is not accepted.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifyGithub(req: SignedRequest, secrets: readonly string[]): Verdict {
  const header = req.headers['x-hub-signature-256'];
  if (!header) return refuse('signature_missing', 'The X-Hub-Signature-256 header is missing');
  if (!header.startsWith('sha256=')) return refuse('signature_malformed', 'X-Hub-Signature-256 must read sha256=<hex>');
  const given = decode(header.slice('sha256='.length), 'hex');
  if (!given) return refuse('signature_malformed', 'X-Hub-Signature-256 must read sha256=<hex>');
  const expected = secrets.map((s) => hmac('sha256', s, [req.body]));
  return anyMatches([given], expected) ? { ok: true } : mismatch('X-Hub-Signature-256');
}

/**
 * Shopify: `X-Shopify-Hmac-SHA256: <base64 HMAC-SHA256 of the body>`, keyed with the app's client
 * secret. No signed timestamp. https://shopify.dev/docs/apps/build/webhooks/verify-deliveries
 */
export function verifyShopify(req: SignedRequest, secrets: readonly string[]): Verdict {
  const header = req.headers['x-shopify-hmac-sha256'];
  if (!header) return refuse('signature_missing', 'The X-Shopify-Hmac-SHA256 header is missing');
  const given = decode(header.trim(), 'base64');
  if (!given) return refuse('signature_malformed', 'X-Shopify-Hmac-SHA256 is not base64');
  const expected = secrets.map((s) => hmac('sha256', s, [req.body]));
  return anyMatches([given], expected) ? { ok: true } : mismatch('X-Shopify-Hmac-SHA256');
}

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>">`,
 * keyed with the app's signing secret; requests older than 5 minutes are to be refused.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function verifySlack(req: SignedRequest, secrets: readonly string[], options: VerifyOptions): Verdict {
  const header = req.headers['x-slack-signature'];
  if (!header) return refuse('signature_missing', 'The X-Slack-Signature header is missing');
  const ts = timestampOf(req.headers['x-slack-request-timestamp']);
  if (ts === undefined) return refuse('timestamp_missing', 'The X-Slack-Request-Timestamp header is missing or not unix seconds');
  if (!header.startsWith('v0=')) return refuse('signature_malformed', 'X-Slack-Signature must read v0=<hex>');
  const given = decode(header.slice(3), 'hex');
  if (!given) return refuse('signature_malformed', 'X-Slack-Signature must read v0=<hex>');
  const expected = secrets.map((s) => hmac('sha256', s, [`v0:${ts}:`, req.body]));
  if (!anyMatches([given], expected)) return mismatch('X-Slack-Signature');
  if (!withinTolerance(ts, options)) return outOfTolerance(ts, options);
  return { ok: true, timestamp: ts };
}

/** Standard Webhooks' secrets are `whsec_` + base64 of the key; Svix's libraries take them with or without the prefix. */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** Standard Webhooks' headers, or Svix's (`svix-id`, ...), which carry the same scheme. */
export function standardWebhooksHeaders(headers: LowerHeaders): { id?: string; timestamp?: string; signature?: string; names: string } {
  if (headers['webhook-signature'] !== undefined || headers['webhook-id'] !== undefined)
    return {
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      names: 'webhook-id, webhook-timestamp and webhook-signature',
    };
  return {
    id: headers['svix-id'],
    timestamp: headers['svix-timestamp'],
    signature: headers['svix-signature'],
    names: 'svix-id, svix-timestamp and svix-signature',
  };
}

/**
 * Standard Webhooks (and Svix): `webhook-signature: v1,<base64> [v1,<base64>...]`, each the HMAC-SHA256
 * of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded secret; a timestamp
 * more than 5 minutes from now is refused; other versions (v1a, asymmetric) are ignored.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
 * https://docs.svix.com/receiving/verifying-payloads/how-manual
 */
export function verifyStandardWebhooks(req: SignedRequest, secrets: readonly string[], options: VerifyOptions): Verdict {
  const h = standardWebhooksHeaders(req.headers);
  if (!h.signature || !h.id) return refuse('signature_missing', `The ${h.names} headers are required`);
  const ts = timestampOf(h.timestamp);
  if (ts === undefined) return refuse('timestamp_missing', 'The webhook-timestamp (svix-timestamp) header is missing or not unix seconds');
  const given: Buffer[] = [];
  for (const entry of h.signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const sig = decode(entry.slice(comma + 1), 'base64');
    if (sig) given.push(sig);
  }
  if (given.length === 0) return refuse('signature_malformed', 'The signature header has no v1,<base64> entry');
  const expected = secrets.map((s) => hmac('sha256', standardWebhooksKey(s), [`${h.id}.${ts}.`, req.body]));
  if (!anyMatches(given, expected)) return mismatch('webhook-signature');
  if (!withinTolerance(ts, options)) return outOfTolerance(ts, options);
  return { ok: true, timestamp: ts };
}

/** The parts `signedPayload` names, in order: literal text, the body, the timestamp or the id. */
export function signedPayloadParts(template: string, body: Buffer, values: { timestamp?: string; id?: string }): (Buffer | string)[] {
  const parts: (Buffer | string)[] = [];
  for (const piece of template.split(/(\{body\}|\{timestamp\}|\{id\})/)) {
    if (piece === '{body}') parts.push(body);
    else if (piece === '{timestamp}') parts.push(values.timestamp ?? '');
    else if (piece === '{id}') parts.push(values.id ?? '');
    else if (piece) parts.push(piece);
  }
  return parts;
}

/**
 * A sender of the operator's own choosing: an HMAC of what `signedPayload` names, written in
 * `signatureHeader` as `<prefix><hex or base64>` (several separated by spaces or commas).
 */
export function verifyGenericHmac(req: SignedRequest, secrets: readonly string[], options: VerifyOptions): Verdict {
  const o = options.hmac;
  if (!o) return refuse('source_not_configured', 'The hmac scheme needs its settings (signatureHeader, ...)');
  const name = o.signatureHeader.toLowerCase();
  const header = req.headers[name];
  if (!header) return refuse('signature_missing', `The ${o.signatureHeader} header is missing`);
  let ts: number | undefined;
  if (o.timestampHeader) {
    ts = timestampOf(req.headers[o.timestampHeader.toLowerCase()]);
    if (ts === undefined) return refuse('timestamp_missing', `The ${o.timestampHeader} header is missing or not unix seconds`);
  }
  const prefix = o.prefix ?? '';
  const encoding = o.encoding ?? 'hex';
  const given: Buffer[] = [];
  // Several signatures are separated by spaces, or by commas where the prefix has none (`v1,` has one).
  for (const entry of header.split(prefix.includes(',') ? /\s+/ : /[\s,]+/)) {
    if (!entry?.startsWith(prefix)) continue;
    const sig = decode(entry.slice(prefix.length), encoding);
    if (sig) given.push(sig);
  }
  if (given.length === 0) return refuse('signature_malformed', `${o.signatureHeader} must read ${prefix}<${encoding} digest>`);
  const idValue = o.idHeader ? req.headers[o.idHeader.toLowerCase()] : undefined;
  const parts = signedPayloadParts(o.signedPayload ?? '{body}', req.body, {
    ...(ts !== undefined ? { timestamp: String(ts) } : {}),
    ...(idValue !== undefined ? { id: idValue } : {}),
  });
  const expected = secrets.map((s) => hmac(o.algorithm ?? 'sha256', s, parts));
  if (!anyMatches(given, expected)) return mismatch(o.signatureHeader);
  if (ts !== undefined && !withinTolerance(ts, options)) return outOfTolerance(ts, options);
  return ts !== undefined ? { ok: true, timestamp: ts } : { ok: true };
}

/** Verifies a request by its source's scheme. No secret at all is a refusal of its own. */
export function verifyInbound(scheme: InboundScheme, req: SignedRequest, secrets: readonly string[], options: VerifyOptions): Verdict {
  if (secrets.length === 0) return refuse('source_not_configured', 'This source has no signing secret yet');
  switch (scheme) {
    case 'stripe':
      return verifyStripe(req, secrets, options);
    case 'github':
      return verifyGithub(req, secrets);
    case 'shopify':
      return verifyShopify(req, secrets);
    case 'slack':
      return verifySlack(req, secrets, options);
    case 'standard-webhooks':
      return verifyStandardWebhooks(req, secrets, options);
    case 'hmac':
      return verifyGenericHmac(req, secrets, options);
  }
}

/** Whether the scheme signs a timestamp (and so has a replay window). */
export function hasTimestamp(scheme: InboundScheme, hmacOptions?: GenericHmacOptions): boolean {
  return (
    scheme === 'stripe' || scheme === 'slack' || scheme === 'standard-webhooks' || (scheme === 'hmac' && !!hmacOptions?.timestampHeader)
  );
}
