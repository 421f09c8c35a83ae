import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  generateSecret,
  isWellFormedSecret,
  SignatureError,
  signatureFor,
  signHeaders,
  verifySignature,
} from '../../functions/domain/signing.js';

const body = JSON.stringify({ type: 'kyc.verification.success', timestamp: '2026-01-01T00:00:00.000Z', data: { customer_id: 'c1' } });

describe('Standard Webhooks signing', () => {
  it('makes whsec_ secrets from at least 24 random bytes, like the seeds', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(isWellFormedSecret(secret)).toBe(true);
    expect(isWellFormedSecret('whsec_ira5jceuzhxxBxoWckAU0hLFQe79bSMZ')).toBe(true);
    expect(isWellFormedSecret('whsec_c2hvcnQ=')).toBe(false);
    expect(generateSecret()).not.toBe(secret);
    expect(() => generateSecret(16)).toThrow(/24/);
  });

  it('produces signatures the standardwebhooks package verifies', () => {
    const secret = generateSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = signHeaders([secret], 'evt_1', now, body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(now));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('verifies signatures made by the standardwebhooks package', () => {
    const secret = generateSecret();
    const at = new Date();
    const ts = Math.floor(at.getTime() / 1000);
    const theirs = new Webhook(secret).sign('msg_2', at, body);
    expect(theirs).toBe(signatureFor(secret, 'msg_2', ts, body));
    expect(() =>
      verifySignature(secret, { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': theirs }, body),
    ).not.toThrow();
  });

  it('signs with every secret during a rotation; receivers holding either one verify', () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = signHeaders([newSecret, oldSecret], 'evt_3', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, { ...headers })).toBeTruthy();
    expect(new Webhook(newSecret).verify(body, { ...headers })).toBeTruthy();
    expect(() => new Webhook(generateSecret()).verify(body, { ...headers })).toThrow();
  });

  it('rejects a changed body, a wrong secret and a stale timestamp', () => {
    const secret = generateSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = { ...signHeaders([secret], 'evt_4', now, body) };
    expect(() => verifySignature(secret, headers, `${body} `)).toThrow(SignatureError);
    expect(() => verifySignature(generateSecret(), headers, body)).toThrow(/no signature matches/);
    expect(() => verifySignature(secret, headers, body, { nowSeconds: now + 301 })).toThrow(/tolerance/);
    expect(() => verifySignature(secret, { ...headers, 'webhook-timestamp': 'soon' }, body)).toThrow(/unix seconds/);
    expect(() => verifySignature(secret, { 'webhook-id': 'x' }, body)).toThrow(/missing/);
    const stale = { ...signHeaders([secret], 'evt_5', now - 3600, body) };
    expect(() => new Webhook(secret).verify(body, stale)).toThrow();
  });

  it('refuses to sign with no secret', () => {
    expect(() => signHeaders([], 'evt', 1, body)).toThrow(/at least one secret/);
  });
});
