import { SECRETS_MANAGER_MIN_SECONDS_BETWEEN_VERSIONS } from './aws-limits.js';
import { type CustomHeaders, someHeaders } from './custom-headers.js';
import { type ApiError, retryLater } from './errors.js';
import { generateSecret } from './signing.js';

/**
 * What one subscription's Secrets Manager secret holds: the current signing secret and,
 * during a rotation's overlap window, the previous one with the time it stops being used;
 * and the subscription's custom headers (custom-headers.ts), kept here so that they are
 * encrypted as the secrets are, in either storage, and reach the sender with them.
 */
export interface SecretSet {
  current: string;
  previous?: string;
  previousExpiresAt?: string;
  /** Absent when the subscription has none. */
  headers?: CustomHeaders;
}

export function newSecretSet(headers?: CustomHeaders | null): SecretSet {
  const h = someHeaders(headers);
  return { current: generateSecret(), ...(h ? { headers: h } : {}) };
}

/** The same secrets with these headers instead (null or empty: none). */
export function withHeaders(set: SecretSet, headers: CustomHeaders | null): SecretSet {
  const { headers: _old, ...rest } = set;
  const h = someHeaders(headers);
  return { ...rest, ...(h ? { headers: h } : {}) };
}

export function serializeSecretSet(set: SecretSet): string {
  return JSON.stringify(set);
}

export function parseSecretSet(text: string): SecretSet {
  const parsed = JSON.parse(text) as Partial<SecretSet>;
  if (typeof parsed.current !== 'string') throw new Error('stored signing secret has no "current" value');
  return parsed as SecretSet;
}

/** The secrets to sign with now: the current one, plus the previous one inside its window. */
export function signingSecrets(set: SecretSet, now: Date): string[] {
  const secrets = [set.current];
  if (set.previous && set.previousExpiresAt && Date.parse(set.previousExpiresAt) > now.getTime()) secrets.push(set.previous);
  return secrets;
}

/** A new current secret; the custom headers stay as they are. */
export function rotate(set: SecretSet, now: Date, overlapSeconds: number): SecretSet {
  return {
    current: generateSecret(),
    previous: set.current,
    previousExpiresAt: new Date(now.getTime() + overlapSeconds * 1000).toISOString(),
    ...(set.headers ? { headers: set.headers } : {}),
  };
}

/**
 * At most one rotation per subscription this often. Each rotation is a new version of the
 * subscription's Secrets Manager secret, which AWS advises making no more than once every 10
 * minutes (versions younger than a day are never cleaned up, past the quota of versions). The
 * API applies it whatever the storage, so both answer alike.
 */
export const MIN_SECONDS_BETWEEN_ROTATIONS = SECRETS_MANAGER_MIN_SECONDS_BETWEEN_VERSIONS;
export const ROTATION_RATE_LIMITED = 'rotation_rate_limited';

/**
 * The 429 of a rotation inside the window of the last write of the secret set (`last`), with the
 * seconds until the window ends. A change of custom headers is such a write too (`of: 'headers'`).
 */
export function rotationTooSoon(subscriptionId: string, last: string, now: Date, of: 'rotation' | 'headers' = 'rotation'): ApiError {
  const windowMs = MIN_SECONDS_BETWEEN_ROTATIONS * 1000;
  // A clock that ran ahead elsewhere never asks for more than the whole window.
  const waitMs = Math.min(windowMs, Date.parse(last) + windowMs - now.getTime());
  const minutes = MIN_SECONDS_BETWEEN_ROTATIONS / 60;
  const message =
    of === 'rotation'
      ? `The signing secret of subscription ${subscriptionId} was rotated at ${last}; a secret may be rotated once every ${minutes} minutes.`
      : `The custom headers of subscription ${subscriptionId} are stored with its signing secret, last written at ${last} (by a rotation or a change of headers); it may be written once every ${minutes} minutes.`;
  return retryLater(429, ROTATION_RATE_LIMITED, `${message} Retry after the number of seconds in the Retry-After header.`, waitMs / 1000);
}
