import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Endpoint verification (docs/tenants/api.md, "Endpoint verification"): before a subscription's endpoint gets
 * any event, on create and on every URL change, it gets a signed `webhook.endpoint.verification`
 * event carrying a random challenge and must echo it. Until it has, its deliveries are created
 * as usual (nothing accepted is lost, and its history lists them) but not POSTed: the sender
 * defers them, no attempt spent, and sends them once the subscription is verified. A delivery
 * still unverified when its own retry schedule would have ended is dead-lettered without a POST
 * (retryable by hand, as any dead letter), as a held delivery is when its endpoint never answers.
 *
 * Plain decisions only: the I/O is the API's (functions/app/verification.ts) and the sender's.
 */

export const VERIFICATION_EVENT_TYPE = 'webhook.endpoint.verification';

/**
 * The operator's setting. `challenge`: the answer must be 2xx and echo the challenge; `reachability`:
 * any 2xx; `none`: verified at once, no request sent.
 */
export const VERIFICATION_MODES = ['none', 'reachability', 'challenge'] as const;
export type VerificationMode = (typeof VERIFICATION_MODES)[number];
/** What a new deployment of this repository's app gets (cdk.json sets the context flag, lib/webhook-delivery.ts). */
export const NEW_DEPLOYMENT_VERIFICATION: VerificationMode = 'challenge';
/** What an app that does not set the flag gets: an upgrade keeps delivering as before. */
export const UPGRADE_VERIFICATION: VerificationMode = 'none';
/** The environment variable that carries the setting to the API function. */
export const VERIFICATION_MODE_ENV = 'WEBHOOKS_VERIFICATION';

/**
 * The waits, in seconds, between a verification's attempts: five attempts over about 13 minutes,
 * then `failed`. Short, unlike a delivery's schedule: a person is usually watching a new endpoint.
 */
export const DEFAULT_VERIFICATION_SCHEDULE: readonly number[] = [5, 30, 120, 600];

export type VerificationStatus = 'pending' | 'verified' | 'failed';

/** What a subscription stores of its verification; absent (subscriptions from before it): verified. */
export interface Verification {
  status: VerificationStatus;
  mode: VerificationMode;
  /** The id of the verification event now under way: an answer to any other one settles nothing. */
  requestId?: string;
  /** The URL being verified: a verification of a URL since changed settles nothing. */
  url: string;
  requestedTime: string;
  verifiedTime?: string;
  lastError?: string;
}

/** The stored verification changed since it was read (the sender settled it): read again and retry. */
export class VerificationMoved extends Error {}

export function parseVerificationMode(raw: string | undefined, fallback: VerificationMode): VerificationMode {
  if (raw === undefined || raw === '') return fallback;
  if ((VERIFICATION_MODES as readonly string[]).includes(raw)) return raw as VerificationMode;
  throw new Error(`${VERIFICATION_MODE_ENV} must be one of ${VERIFICATION_MODES.join(', ')}, got "${raw}"`);
}

/** 32 characters of base64url: 192 random bits, unguessable and safe in a URL, a header or JSON. */
export function newChallenge(): string {
  return randomBytes(24).toString('base64url');
}

/** Whether a subscription's deliveries may be POSTed. */
export function isVerified(s: { verification?: Verification }): boolean {
  return s.verification === undefined || s.verification.status === 'verified';
}

/**
 * The verification a subscription gets when created or when its URL changes under `mode`: `none`
 * is verified at once; otherwise pending, with the id of the request about to be sent.
 */
export function startVerification(mode: VerificationMode, url: string, at: string, requestId: string): Verification {
  if (mode === 'none') return { status: 'verified', mode, url, requestedTime: at, verifiedTime: at };
  return { status: 'pending', mode, requestId, url, requestedTime: at };
}

/**
 * Whether a response body echoes the challenge. Accepted: the challenge alone (surrounding
 * whitespace ignored, any content type), or a JSON object whose `challenge` is it. Compared in
 * constant time (of sha256 digests, so lengths leak nothing either).
 */
export function echoesChallenge(body: string, challenge: string): boolean {
  const trimmed = body.trim();
  let candidate = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      const value = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).challenge : undefined;
      candidate = typeof value === 'string' ? value : '';
    } catch {
      candidate = '';
    }
  }
  return sameSecret(candidate, challenge);
}

export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** One attempt's outcome as the verification sees it (the sender's AttemptResult, narrowed). */
export type VerificationAnswer = { kind: 'response'; status: number; excerpt: string } | { kind: 'error'; error: string; message: string };

/** Null when the answer verifies the endpoint under `mode`, else why not (shown as `last_error`). */
export function verificationProblem(mode: VerificationMode, answer: VerificationAnswer, challenge: string): string | null {
  if (answer.kind === 'error') {
    return answer.error === 'timeout' ? 'no answer within the attempt timeout' : `${answer.error}: ${answer.message}`;
  }
  const { status } = answer;
  if (status >= 300 && status < 400) return `answered ${status}, a redirect: redirects are not followed; answer at the subscribed URL`;
  if (status < 200 || status >= 300) return `answered HTTP ${status}; a 2xx is needed`;
  if (mode === 'challenge' && !echoesChallenge(answer.excerpt, challenge))
    return `answered ${status} without the challenge: the body must be the challenge, or {"challenge": "<challenge>"}`;
  return null;
}

/**
 * How long a delivery waiting for its subscription's verification waits before it looks again:
 * as old as it is, between the verification's first and longest waits. A delivery made while a
 * verification is under way goes soon after it succeeds; one that has waited long looks rarely.
 */
export function unverifiedWaitSeconds(ageSeconds: number, schedule: readonly number[] = DEFAULT_VERIFICATION_SCHEDULE): number {
  const first = Math.max(1, schedule[0] ?? 1);
  const longest = Math.max(first, ...schedule);
  return Math.ceil(Math.min(longest, Math.max(first, ageSeconds)));
}
