import { ApiError } from '../../domain/errors.js';

/**
 * Page cursors are opaque to clients: base64url JSON of the position inside the caller's own
 * partition. The partition itself is never taken from the cursor, so a cursor cannot reach
 * another tenant's items.
 */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, fields: readonly string[]): Record<string, string> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const f of fields) {
      const v = value[f];
      if (typeof v !== 'string') throw new Error('bad cursor');
      out[f] = v;
    }
    return out;
  } catch {
    throw new ApiError(400, 'invalid_cursor', 'next_cursor is not one this API gave out; start again without it');
  }
}
