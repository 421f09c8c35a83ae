import { createHash } from 'node:crypto';

/**
 * A digest of an event's type and data that ignores key order, so a client repeating a
 * publish with the same id is recognised however its JSON library orders the keys.
 */
export function payloadDigest(type: string, data: unknown): string {
  return createHash('sha256').update(canonicalJson({ type, data })).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
