import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFICATION_SCHEDULE,
  echoesChallenge,
  isVerified,
  newChallenge,
  parseVerificationMode,
  sameSecret,
  startVerification,
  unverifiedWaitSeconds,
  verificationProblem,
} from '../../functions/domain/verification.js';

describe('endpoint verification, the domain', () => {
  it('makes challenges of 32 base64url characters, never the same twice', () => {
    const seen = new Set(Array.from({ length: 1000 }, newChallenge));
    expect(seen.size).toBe(1000);
    for (const c of seen) expect(c).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('compares in constant time of digests, whatever the lengths', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'a')).toBe(false);
  });

  it('takes the bare challenge or {"challenge": ...}, and nothing else', () => {
    const c = newChallenge();
    expect(echoesChallenge(c, c)).toBe(true);
    expect(echoesChallenge(`  ${c}\n`, c)).toBe(true);
    expect(echoesChallenge(JSON.stringify({ challenge: c }), c)).toBe(true);
    expect(echoesChallenge(JSON.stringify({ challenge: c, other: 1 }), c)).toBe(true);
    expect(echoesChallenge(JSON.stringify({ challenge: 'x' }), c)).toBe(false);
    expect(echoesChallenge(JSON.stringify({ Challenge: c }), c)).toBe(false);
    expect(echoesChallenge(JSON.stringify({ challenge: [c] }), c)).toBe(false);
    expect(echoesChallenge(`{"challenge": "${c}"`, c)).toBe(false);
    expect(echoesChallenge(JSON.stringify(c), c)).toBe(false);
    expect(echoesChallenge(`ok ${c}`, c)).toBe(false);
    expect(echoesChallenge('', c)).toBe(false);
  });

  it('judges an answer: a 2xx echo under challenge, any 2xx under reachability; redirects, other statuses and timeouts fail', () => {
    const c = 'the-challenge';
    const ok = { kind: 'response', status: 200, excerpt: c } as const;
    expect(verificationProblem('challenge', ok, c)).toBeNull();
    expect(verificationProblem('challenge', { ...ok, status: 204 }, c)).toBeNull();
    expect(verificationProblem('challenge', { ...ok, excerpt: 'ok' }, c)).toMatch(/without the challenge/);
    expect(verificationProblem('reachability', { ...ok, excerpt: 'ok' }, c)).toBeNull();
    for (const mode of ['challenge', 'reachability'] as const) {
      expect(verificationProblem(mode, { ...ok, status: 302 }, c)).toMatch(/^answered 302, a redirect/);
      expect(verificationProblem(mode, { ...ok, status: 307 }, c)).toMatch(/redirects are not followed/);
      expect(verificationProblem(mode, { ...ok, status: 500 }, c)).toBe('answered HTTP 500; a 2xx is needed');
      expect(verificationProblem(mode, { ...ok, status: 101 }, c)).toBe('answered HTTP 101; a 2xx is needed');
      expect(verificationProblem(mode, { kind: 'error', error: 'timeout', message: 'x' }, c)).toBe('no answer within the attempt timeout');
      expect(verificationProblem(mode, { kind: 'error', error: 'refused', message: 'ECONNREFUSED' }, c)).toBe('refused: ECONNREFUSED');
    }
  });

  it('starts pending with its request, or verified at once under none; no field counts as verified', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const pending = startVerification('challenge', 'https://a.example/in', at, 'evt_verify_1');
    expect(pending).toEqual({
      status: 'pending',
      mode: 'challenge',
      requestId: 'evt_verify_1',
      url: 'https://a.example/in',
      requestedTime: at,
    });
    expect(isVerified({ verification: pending })).toBe(false);
    expect(isVerified({ verification: { ...pending, status: 'failed', lastError: 'x' } })).toBe(false);
    const none = startVerification('none', 'https://a.example/in', at, 'evt_verify_2');
    expect(none).toMatchObject({ status: 'verified', verifiedTime: at });
    expect(none.requestId).toBeUndefined();
    expect(isVerified({ verification: none })).toBe(true);
    expect(isVerified({})).toBe(true);
  });

  it('reads the setting, refusing what it is not', () => {
    expect(parseVerificationMode(undefined, 'none')).toBe('none');
    expect(parseVerificationMode('', 'challenge')).toBe('challenge');
    expect(parseVerificationMode('reachability', 'none')).toBe('reachability');
    expect(() => parseVerificationMode('strict', 'none')).toThrow(/must be one of none, reachability, challenge/);
  });

  it('waits as long as a delivery is old, between the schedule`s first and longest steps', () => {
    expect(DEFAULT_VERIFICATION_SCHEDULE).toEqual([5, 30, 120, 600]);
    expect(unverifiedWaitSeconds(0)).toBe(5);
    expect(unverifiedWaitSeconds(42.2)).toBe(43);
    expect(unverifiedWaitSeconds(86_400)).toBe(600);
    expect(unverifiedWaitSeconds(0, [1, 1])).toBe(1);
    expect(unverifiedWaitSeconds(10, [1, 1])).toBe(1);
  });
});
