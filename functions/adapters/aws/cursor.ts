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

/** An equality filter on one attribute, and how to name an item from its key (for cursors past filtered-out items). */
export interface QueryFilter {
  attribute: string;
  value: string;
  idOfKey: (key: Record<string, string>) => string;
}

/** Filtered queries read at most this many times to fill one page. */
const MAX_FILTERED_READS = 5;

/**
 * One page of a `gsi1` partition, newest first. `baseKey(id)` gives an item's table key, which
 * DynamoDB needs in ExclusiveStartKey beside the index key; cursors carry only the sort key and id.
 * With a filter DynamoDB applies `Limit` before filtering, so a page may come back short with a cursor.
 */
export async function queryNewestFirst<T extends { id: string }>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  gsi1pk: string,
  page: PageRequest,
  baseKey: (id: string) => Record<string, string>,
  fromItem: (item: Record<string, unknown>) => T,
  filter?: QueryFilter,
): Promise<Page<T>> {
  let start: Record<string, string> | undefined;
  if (page.cursor) {
    const pos = decodeCursor(page.cursor, ['gsi1sk', 'id']);
    start = { ...baseKey(pos.id!), gsi1pk, gsi1sk: pos.gsi1sk! };
  }
  const items: T[] = [];
  let last: Record<string, string> | undefined;
  for (let read = 0; read < (filter ? MAX_FILTERED_READS : 1); read++) {
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :p',
        ...(filter
          ? {
              FilterExpression: '#f = :f',
              ExpressionAttributeNames: { '#f': filter.attribute },
              ExpressionAttributeValues: { ':p': gsi1pk, ':f': filter.value },
            }
          : { ExpressionAttributeValues: { ':p': gsi1pk } }),
        ScanIndexForward: false,
        Limit: page.limit - items.length,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []).map(fromItem));
    last = out.LastEvaluatedKey as Record<string, string> | undefined;
    if (!last || items.length >= page.limit) break;
    start = last;
  }
  const result: Page<T> = { items };
  if (last && filter) result.nextCursor = encodeCursor({ gsi1sk: last.gsi1sk!, id: filter.idOfKey(last) });
  else if (last && items.length > 0) result.nextCursor = encodeCursor({ gsi1sk: last.gsi1sk!, id: items[items.length - 1]!.id });
  return result;
}
