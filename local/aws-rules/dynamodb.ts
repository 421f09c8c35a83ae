import { type DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_BATCH_WRITE_MAX_BYTES, DYNAMODB_MAX_NESTING_DEPTH, utf8Bytes } from '../../functions/domain/aws-limits.js';

/**
 * DynamoDB rules dynalite does not enforce, as middleware on the twin's DynamoDB client (the
 * document client shares its stack). dynalite already refuses: items over 400 KB (PutItem,
 * BatchWriteItem, UpdateItem), more than 25 requests a BatchWriteItem, more than 100 keys a
 * BatchGetItem; and it answers a BatchGetItem with at most about 1 MB, leaving the rest in
 * UnprocessedKeys (AWS: 16 MB), which only exercises the same code path harder. Added here:
 * BatchWriteItem's 16 MB a request, and maps and lists nested deeper than 32 levels. Checked on
 * the request as it goes on the wire, after the document client has marshalled it.
 */
export function enforceDynamoRules(client: DynamoDBClient): DynamoDBClient {
  (client.middlewareStack as unknown as MiddlewareAdder).add(
    (next: (args: { request: unknown }) => Promise<unknown>, context: { commandName?: string }) => async (args: { request: unknown }) => {
      const raw = (args.request as { body?: unknown }).body;
      // The JSON protocol hands over a string or UTF-8 bytes.
      const body =
        typeof raw === 'string'
          ? raw
          : raw instanceof Uint8Array
            ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
            : '';
      if (body.length > 0) check(context.commandName ?? '', JSON.parse(body) as WireRequest);
      return next(args);
    },
    { step: 'build', name: 'local-aws-rules-dynamodb' },
  );
  return client;
}

type WireItem = Record<string, Record<string, unknown>>;
interface WireRequest {
  Item?: WireItem;
  RequestItems?: Record<string, { PutRequest?: { Item: WireItem } }[]>;
}

function check(command: string, request: WireRequest): void {
  const items: WireItem[] = [];
  if (request.Item) items.push(request.Item);
  if (command === 'BatchWriteItemCommand') {
    let total = 0;
    for (const requests of Object.values(request.RequestItems ?? {}))
      for (const r of requests)
        if (r.PutRequest) {
          items.push(r.PutRequest.Item);
          total += wireItemBytes(r.PutRequest.Item);
        }
    if (total > DYNAMODB_BATCH_WRITE_MAX_BYTES)
      refuse(`Item collection too large: a BatchWriteItem request writes ${total} bytes; the limit is 16 MB`);
  }
  for (const item of items)
    for (const value of Object.values(item))
      if (depth(value) > DYNAMODB_MAX_NESTING_DEPTH) refuse('Nesting Levels have exceeded supported limits');
}

function depth(value: Record<string, unknown>): number {
  if (value.M) return 1 + Math.max(0, ...Object.values(value.M as WireItem).map(depth));
  if (value.L) return 1 + Math.max(0, ...(value.L as Record<string, unknown>[]).map(depth));
  return 0;
}

function refuse(message: string): never {
  throw new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** DynamoDB's item size, computed on the wire form (the same rules as functions/domain/dynamodb-item-size.ts). */
function wireItemBytes(item: WireItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Bytes(name) + wireValueBytes(value);
  return size;
}

function wireValueBytes(value: Record<string, unknown>): number {
  if (typeof value.S === 'string') return utf8Bytes(value.S);
  if (typeof value.N === 'string') return numberBytes(value.N);
  if (typeof value.B === 'string') return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M) return 3 + Object.entries(value.M as WireItem).reduce((n, [k, v]) => n + 1 + utf8Bytes(k) + wireValueBytes(v), 0);
  if (value.L) return 3 + (value.L as Record<string, unknown>[]).reduce((n, v) => n + 1 + wireValueBytes(v), 0);
  if (Array.isArray(value.SS)) return (value.SS as string[]).reduce((n, v) => n + utf8Bytes(v), 0);
  if (Array.isArray(value.NS)) return (value.NS as string[]).reduce((n, v) => n + numberBytes(v), 0);
  return 0;
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** The stack's add(), without its overloads: the middleware is typed by what it reads. */
interface MiddlewareAdder {
  add(middleware: unknown, options: { step: string; name: string }): void;
}
