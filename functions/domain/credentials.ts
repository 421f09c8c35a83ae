import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tenant credentials, as the seeds' `Identity` and `Authorization` headers. The Identity is
 * public (it names the tenant's credential); the Authorization key is a secret shown once and
 * stored only as a hash.
 */

export function newCredentials(): { identity: string; authorization: string } {
  return { identity: `idt_${randomBytes(12).toString('hex')}`, authorization: `key_${randomBytes(32).toString('base64url')}` };
}

export function hashKey(authorization: string): string {
  return createHash('sha256').update(authorization, 'utf8').digest('hex');
}

/** Hashes first, so the comparison takes the same time whatever the lengths. */
export function keyMatches(authorization: string, storedHash: string): boolean {
  const given = Buffer.from(hashKey(authorization), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
