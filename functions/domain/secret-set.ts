import { generateSecret } from './signing.js';

/**
 * What one subscription's Secrets Manager secret holds: the current signing secret and,
 * during a rotation's overlap window, the previous one with the time it stops being used.
 */
export interface SecretSet {
  current: string;
  previous?: string;
  previousExpiresAt?: string;
}

export function newSecretSet(): SecretSet {
  return { current: generateSecret() };
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

export function rotate(set: SecretSet, now: Date, overlapSeconds: number): SecretSet {
  return {
    current: generateSecret(),
    previous: set.current,
    previousExpiresAt: new Date(now.getTime() + overlapSeconds * 1000).toISOString(),
  };
}
