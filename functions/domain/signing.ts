import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing, with node:crypto only so
 * that the sender's hot path has no dependency and receivers can use any public library.
 */

export const SECRET_PREFIX = 'whsec_';
/** The seeds show 32 base64 characters after the prefix: 24 random bytes. */
export const SECRET_BYTES = 24;
/** A subscription's secret as answered: generateSecret's default, `whsec_` and base64 of SECRET_BYTES. */
export const MAX_SECRET_CHARS = SECRET_PREFIX.length + 4 * Math.ceil(SECRET_BYTES / 3);
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]+={0,2}$';
/** A delivery is signed with the current secret and, inside a rotation's window, the previous one (secret-set.ts signingSecrets). */
export const MAX_SIGNING_SECRETS = 2;
/** `v1,` and base64 of a 32-byte HMAC-SHA256. */
const SIGNATURE_CHARS = 'v1,'.length + 44;
export const MAX_SIGNATURE_HEADER_CHARS = MAX_SIGNING_SECRETS * SIGNATURE_CHARS + (MAX_SIGNING_SECRETS - 1);
export const SIGNATURE_HEADER_PATTERN = '^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$';
/** webhook-timestamp: Unix seconds have 10 digits until the year 2286. */
export const UNIX_SECONDS_DIGITS = 10;
/** Receivers reject timestamps further than this from their clock (the libraries' default). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

// A type, not an interface, so that it passes as a Record<string, string> of headers.
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function generateSecret(bytes = SECRET_BYTES): string {
  if (bytes < SECRET_BYTES) throw new Error(`a signing secret needs at least ${SECRET_BYTES} random bytes`);
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

export function isWellFormedSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && Buffer.from(b64, 'base64').length >= SECRET_BYTES;
}

// Decoding a secret costs more than the HMAC of a small body; a sender signs with few secrets.
const keys = new Map<string, Buffer>();

function secretKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    if (keys.size >= 1000) keys.delete(keys.keys().next().value as string);
    keys.set(secret, key);
  }
  return key;
}

/** One `v1,<base64>` entry: HMAC-SHA256 of `id.timestamp.body`. */
export function signatureFor(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/**
 * The three headers for one attempt. Several secrets (a rotation's overlap window) give
 * several space-separated signatures; receivers accept the message when any one verifies.
 */
export function signHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): WebhookHeaders {
  if (secrets.length === 0) throw new Error('signing needs at least one secret');
  let signature = signatureFor(secrets[0]!, id, timestampSeconds, body);
  for (let i = 1; i < secrets.length; i++) signature += ` ${signatureFor(secrets[i]!, id, timestampSeconds, body)}`;
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signature };
}

export class SignatureError extends Error {}

/** What a receiver does; used by our tests and by anyone embedding this package. */
export function verifySignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): void {
  const pick = (name: string) => {
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = pick('webhook-id');
  const timestamp = pick('webhook-timestamp');
  const signatures = pick('webhook-signature');
  if (!id || !timestamp || !signatures) throw new SignatureError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(timestamp)) throw new SignatureError('webhook-timestamp is not unix seconds');
  const ts = Number(timestamp);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - ts) > tolerance) throw new SignatureError('webhook-timestamp is outside the tolerance window');
  const expected = Buffer.from(signatureFor(secret, id, ts, body).slice(3), 'base64');
  for (const entry of signatures.split(' ')) {
    const [version, sig] = entry.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    const given = Buffer.from(sig, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new SignatureError('no signature matches');
}
