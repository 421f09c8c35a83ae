import { utf8Bytes } from './aws-limits.js';

/**
 * An item's size as DynamoDB counts it against its 400 KB limit and BatchWriteItem's 16 MB:
 * attribute names plus values; strings by UTF-8 bytes, numbers about one byte per two
 * significant digits plus one, booleans and nulls one byte, maps and lists three bytes plus one
 * per element plus the elements. Undefined attributes are not written (removeUndefinedValues).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8Bytes(name) + valueBytes(value);
  }
  return size;
}

function valueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueBytes(v), 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      size += 1 + utf8Bytes(k) + valueBytes(v);
    }
    return size;
  }
  return 0;
}
