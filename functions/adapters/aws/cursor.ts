import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ApiError } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../ports.js';
import { GSI1 } from './dynamodb-keys.js';

/**
 * Page cursors are opaque to clients: base64url JSON of the position inside the caller's own
 * partition. The partition itself is never taken from the cursor, so a cursor cannot reach
 * another tenant's items.
 */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const MAX_CURSOR_KEY_BYTES = 512;

export function decodeCursor(cursor: string, fields: readonly string[]): Record<string, string> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) throw new Error('bad cursor');
    const out: Record<string, string> = {};
    for (const f of fields) {
      const v = (value as Record<string, unknown>)[f];
      // DynamoDB refuses empty keys and keys past 1,024 bytes (a sort key) with a 500-shaped
      // ValidationException; no cursor we issue comes near either.
      if (typeof v !== 'string' || v === '' || Buffer.byteLength(v) > MAX_CURSOR_KEY_BYTES) throw new Error('bad cursor');
      out[f] = v;
    }
    return out;
  } catch {
    throw new ApiError(400, 'invalid_cursor', 'next_cursor is not one this API gave out; start again without it');
  }
}

/**
 * One page of a `gsi1` partition, newest first. `baseKey(id)` gives an item's table key, which
 * DynamoDB needs in ExclusiveStartKey beside the index key; cursors carry only the sort key and id.
 */
export async function queryNewestFirst<T extends { id: string }>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  gsi1pk: string,
  page: PageRequest,
  baseKey: (id: string) => Record<string, string>,
  fromItem: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  let start: Record<string, string> | undefined;
  if (page.cursor) {
    const pos = decodeCursor(page.cursor, ['gsi1sk', 'id']);
    start = { ...baseKey(pos.id!), gsi1pk, gsi1sk: pos.gsi1sk! };
  }
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': gsi1pk },
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: start,
    }),
  );
  const items = (out.Items ?? []).map(fromItem);
  const last = out.LastEvaluatedKey as { gsi1sk: string } | undefined;
  const result: Page<T> = { items };
  if (last && items.length > 0) result.nextCursor = encodeCursor({ gsi1sk: last.gsi1sk, id: items[items.length - 1]!.id });
  return result;
}
