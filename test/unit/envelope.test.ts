import { describe, expect, it } from 'vitest';
import { needsReseal, newKeyringText, open, parseKeyring, seal } from '../../functions/domain/envelope.js';

const material = (c: string) => c.repeat(40);

describe('envelope encryption of signing secrets', () => {
  const ring = parseKeyring(JSON.stringify({ current: 'k1', k1: material('a') }));

  it('round-trips a value and records the key id', () => {
    const sealed = seal(ring, '{"current":"whsec_x"}', 'tnt_1/sub_1');
    expect(sealed.kid).toBe('k1');
    expect(sealed.box).not.toContain('whsec_x');
    expect(open(ring, sealed, 'tnt_1/sub_1')).toBe('{"current":"whsec_x"}');
  });

  it('uses a fresh 96-bit IV every time', () => {
    const a = seal(ring, 'same', 'tnt_1/sub_1');
    const b = seal(ring, 'same', 'tnt_1/sub_1');
    expect(a.box).not.toBe(b.box);
    expect(Buffer.from(a.box, 'base64').subarray(0, 12)).not.toEqual(Buffer.from(b.box, 'base64').subarray(0, 12));
    // IV 12 + 4 bytes of text + tag 16
    expect(Buffer.from(a.box, 'base64')).toHaveLength(32);
  });

  it('refuses another owner (the AAD), a changed value and an unknown key', () => {
    const sealed = seal(ring, 'secret', 'tnt_1/sub_1');
    expect(() => open(ring, sealed, 'tnt_1/sub_2')).toThrow(/failed authentication/);
    const raw = Buffer.from(sealed.box, 'base64');
    raw[14] = raw[14]! ^ 1;
    expect(() => open(ring, { ...sealed, box: raw.toString('base64') }, 'tnt_1/sub_1')).toThrow(/failed authentication/);
    expect(() => open(ring, { ...sealed, kid: 'k9' }, 'tnt_1/sub_1')).toThrow(/"k9" is not in the ring/);
    expect(() => open(ring, { kid: 'k1', box: 'AAAA' }, 'tnt_1/sub_1')).toThrow(/too short/);
  });

  it('rotates: a new current key opens old values, which need re-sealing', () => {
    const old = seal(ring, 'secret', 'tnt_1/sub_1');
    const rotated = parseKeyring(JSON.stringify({ current: 'k2', k1: material('a'), k2: material('b') }));
    expect(open(rotated, old, 'tnt_1/sub_1')).toBe('secret');
    expect(needsReseal(rotated, old)).toBe(true);
    const fresh = seal(rotated, 'secret', 'tnt_1/sub_1');
    expect(fresh.kid).toBe('k2');
    expect(needsReseal(rotated, fresh)).toBe(false);
    expect(() => open(ring, fresh, 'tnt_1/sub_1')).toThrow(/"k2" is not in the ring/);
  });

  it('rejects malformed rings', () => {
    expect(() => parseKeyring('nope')).toThrow(/not JSON/);
    expect(() => parseKeyring('{"k1":"x"}')).toThrow(/no "current"/);
    expect(() => parseKeyring(JSON.stringify({ current: 'k2', k1: material('a') }))).toThrow(/no key "k2"/);
    expect(() => parseKeyring(JSON.stringify({ current: 'k1', k1: 'short' }))).toThrow(/at least 32/);
    expect(() => parseKeyring(JSON.stringify({ current: 'k 1', 'k 1': material('a') }))).toThrow(/must be 1 to 32/);
  });

  it('makes new rings that parse', () => {
    const r = parseKeyring(newKeyringText());
    expect(r.current).toBe('k1');
    expect(open(r, seal(r, 'x', 'a'), 'a')).toBe('x');
  });
});
