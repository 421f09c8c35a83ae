import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption of signing secrets: one key-encryption key (KEK) ring, kept in a single
 * Secrets Manager secret, seals every subscription's secret set with AES-256-GCM. Each sealed
 * value records the key id it was sealed with, so the ring can gain a new current key and old
 * values be re-sealed lazily (`needsReseal`).
 *
 * The ring's text is JSON `{"current":"<id>","<id>":"<material>",...}`: the shape CDK's generated
 * secret strings produce (a template plus one generated key), and an operator rotates by adding a
 * key and pointing `current` at it. Material is any string of at least 32 characters; the
 * AES key is its SHA-256, so generated passwords work as they are.
 */

const IV_BYTES = 12; // 96-bit IVs, as NIST SP 800-38D recommends for GCM
const TAG_BYTES = 16;
const MIN_MATERIAL_CHARS = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export interface Keyring {
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

export interface Sealed {
  /** Id of the KEK in the ring that sealed it. */
  kid: string;
  /** base64 of IV, ciphertext and GCM tag. */
  box: string;
}

export function parseKeyring(text: string): Keyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('key-encryption key ring is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('key-encryption key ring is not a JSON object');
  const { current, ...rest } = parsed as Record<string, unknown>;
  if (typeof current !== 'string') throw new Error('key-encryption key ring has no "current" key id');
  const keys = new Map<string, Buffer>();
  for (const [id, material] of Object.entries(rest)) {
    if (!KEY_ID.test(id)) throw new Error(`key-encryption key id "${id}" must be 1 to 32 letters, digits, "-" or "_"`);
    if (typeof material !== 'string' || material.length < MIN_MATERIAL_CHARS)
      throw new Error(`key-encryption key "${id}" must be a string of at least ${MIN_MATERIAL_CHARS} characters`);
    keys.set(id, createHash('sha256').update(material, 'utf8').digest());
  }
  if (!keys.has(current)) throw new Error(`key-encryption key ring has no key "${current}" (its "current")`);
  return { current, keys };
}

/** A new ring with one key (local mode's stand-in for the secret CDK generates). */
export function newKeyringText(id = 'k1'): string {
  return JSON.stringify({ current: id, [id]: randomBytes(32).toString('base64url') });
}

/** Seals with the ring's current key; `aad` binds the value to its owner (tenant/subscription). */
export function seal(ring: Keyring, plaintext: string, aad: string): Sealed {
  const key = ring.keys.get(ring.current)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { kid: ring.current, box: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
}

/** Throws when the key is unknown, the value was changed, or it belongs to another `aad`. */
export function open(ring: Keyring, sealed: Sealed, aad: string): string {
  const key = ring.keys.get(sealed.kid);
  if (!key) throw new Error(`key-encryption key "${sealed.kid}" is not in the ring`);
  const raw = Buffer.from(sealed.box, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('sealed secret failed authentication (wrong key, owner or a changed value)');
  }
}

/** True when the value was sealed with a key other than the ring's current one. */
export const needsReseal = (ring: Keyring, sealed: Sealed) => sealed.kid !== ring.current;

/** Bytes a sealed secret set adds to an item: IV + tag + base64 overhead, for the cost model. */
export const sealedOverheadBytes = (plaintextBytes: number) => Math.ceil(((IV_BYTES + plaintextBytes + TAG_BYTES) * 4) / 3);
