import { DELIVERY_SK, LOT_ENTRY_PREFIX, LOT_SK, TABLE_DEFINITION } from '../functions/adapters/aws/dynamodb-keys.js';
import { putEventsEntryBytes, utf8Bytes } from '../functions/domain/aws-limits.js';
import { busEntry, putEventsRequests } from '../functions/domain/bus-entry.js';
import { dynamoItemBytes } from '../functions/domain/dynamodb-item-size.js';
import type { WebhookEvent } from '../functions/domain/model.js';
import type { EntryBus, EventBus } from '../functions/ports.js';

/**
 * What local mode would be billed for on AWS, by the unit each service bills in: DynamoDB
 * capacity units (as dynalite reports them with ReturnConsumedCapacity, plus what it leaves out:
 * index writes, the minimum a Query or Scan that reads nothing consumes, and failed conditional
 * writes), SQS requests in 64 KB chunks (our code's, and the event source mappings' and the bus
 * rule's, which AWS makes for us but bills to the account), EventBridge events in 64 KB chunks,
 * Lambda invocations and their durations, API requests and log bytes. `npm run bench` prices
 * these (bench/cost-model.ts).
 */

const KiB = 1024;
const SQS_CHUNK_BYTES = 64 * KiB;
const EVENTBRIDGE_CHUNK_BYTES = 64 * KiB;

interface IndexDefinition {
  name: string;
  hash: string;
  range: string;
  /** ALL: an entry is the whole item; KEYS_ONLY: the table's and the index's keys. */
  projection: 'ALL' | 'KEYS_ONLY';
}
/** The table's key attributes and global indexes, as the stack and local mode create them. */
const TABLE_KEYS = TABLE_DEFINITION.KeySchema.map((k) => k.AttributeName);
const INDEXES: readonly IndexDefinition[] = TABLE_DEFINITION.GlobalSecondaryIndexes.map((g) => ({
  name: g.IndexName,
  hash: g.KeySchema[0].AttributeName,
  range: g.KeySchema[1].AttributeName,
  projection: g.Projection.ProjectionType,
}));

export type LambdaName = 'api' | 'authorizer' | 'fanout' | 'sender' | 'resumer' | 'inbound';

export interface LambdaUsage {
  invocations: number;
  /** Invocations that threw, as Lambda's Errors metric counts them (the authorizer's 401s among them). */
  errors: number;
  /** Lambda bills each invocation's duration rounded up to the millisecond. */
  billedMs: number;
  /** Each invocation's billed milliseconds (the first 100,000). */
  samples: number[];
}

export interface UsageSnapshot {
  dynamodb: {
    readUnits: number;
    writeUnits: number;
    /** Write units of every global index write (all indexes): dynalite does not count them. */
    indexWriteUnits: number;
    /** Per index: entries written (a new entry, a changed one, or a removal, each one write) and their write units. */
    indexWrites: Record<string, { writes: number; units: number }>;
    requests: Record<string, number>;
    /**
     * Items each operation touched, by what they are (`GetItem lot`, `BatchWriteItem delivery`,
     * `Query index gsi2`: a Query counts once): shows where parking reads and writes, and that the
     * common path touches none of it.
     */
    items: Record<string, number>;
  };
  /** Billed SQS requests (64 KB chunks), by who makes them and the operation. */
  sqs: Record<string, number>;
  /** Receives the mappings made that came back empty (idle polling: a fixed monthly cost, not per delivery). */
  sqsEmptyReceives: number;
  eventBridge: { putEventsCalls: number; billedEvents: number };
  lambda: Record<LambdaName, LambdaUsage>;
  apiRequests: number;
  /** Application log lines at INFO and above, as Powertools would write them. */
  logLines: number;
  logBytes: number;
}

type Middleware = (
  next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
  context: {
    commandName?: string;
  },
) => (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

interface Instrumentable {
  middlewareStack: { add(middleware: unknown, options: unknown): void };
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);
const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);

export class UsageMeter {
  private u: UsageSnapshot = empty();
  /** What each indexed item's entries are, as last written through this meter (kept across resets). */
  private readonly indexes = new IndexEntries();

  /** Zeroes the counts; what the meter knows of the items in the indexes stays. */
  reset(): void {
    this.u = empty();
  }

  snapshot(): UsageSnapshot {
    return structuredClone(this.u);
  }

  /**
   * Asks DynamoDB for the capacity each call consumed and adds it up, reads and writes apart, with
   * what dynalite leaves out: the global index writes (from the items written and what this meter
   * last saw written under the same key), the minimum of a Query or Scan that reads nothing (half a
   * unit, a unit strongly consistent), and the write unit a failed conditional write still costs.
   */
  instrumentDynamo<C extends Instrumentable>(client: C): C {
    const mw: Middleware = (next, context) => async (args) => {
      const name = String(context.commandName);
      if (!CAPACITY_COMMANDS.has(name)) return next(args);
      const input = args.input;
      input.ReturnConsumedCapacity = 'TOTAL';
      const op = name.replace(/Command$/, '');
      const d = this.u.dynamodb;
      d.requests[op] = (d.requests[op] ?? 0) + 1;
      for (const kind of itemKinds(op, input)) d.items[`${op} ${kind}`] = (d.items[`${op} ${kind}`] ?? 0) + 1;
      let result: { output: Record<string, unknown> };
      try {
        result = await next(args);
      } catch (err) {
        // DynamoDB bills a write whose condition failed: the existing item's size, at least 1 unit
        // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption).
        // 1 here: the items this code writes conditionally (lot heads, the resumer's cursor) are under 1 KB.
        if ((err as Error).name === 'ConditionalCheckFailedException') d.writeUnits += 1;
        throw err;
      }
      const consumed = result.output.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
      let units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      if (name === 'QueryCommand' || name === 'ScanCommand') units = Math.max(units, input.ConsistentRead ? 1 : 0.5);
      if (READS.has(name)) d.readUnits += units;
      else {
        d.writeUnits += units;
        for (const w of this.indexes.written(op, input, result.output)) {
          const i = d.indexWrites[w.index] ?? { writes: 0, units: 0 };
          i.writes++;
          i.units += w.units;
          d.indexWrites[w.index] = i;
          d.indexWriteUnits += w.units;
        }
      }
      return result;
    };
    // At the first step: the document client has not marshalled yet, so items are plain values, sized as DynamoDB sizes them.
    client.middlewareStack.add(mw, { step: 'initialize', name: 'usage-meter-dynamodb', priority: 'low' });
    return client;
  }

  /**
   * SQS requests in 64 KB chunks. `who` is `code` for our handlers' client and `aws` for the
   * client standing in for AWS itself: the event source mappings' receives and deletes, and the
   * bus rule, which puts each event on its target with its own SendMessage.
   */
  instrumentSqs<C extends Instrumentable>(client: C, who: 'code' | 'aws'): C {
    const mw: Middleware = (next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      const result = await next(args);
      if (op === 'ReceiveMessage') {
        const messages = (result.output.Messages as { Body?: string }[] | undefined) ?? [];
        if (messages.length === 0) this.u.sqsEmptyReceives++;
        else this.addSqs(who, op, chunks(sum(messages.map((m) => utf8Bytes(m.Body ?? ''))), SQS_CHUNK_BYTES));
      } else if (op === 'SendMessageBatch') {
        const bodies = ((args.input.Entries as { MessageBody?: string }[] | undefined) ?? []).map((e) => utf8Bytes(e.MessageBody ?? ''));
        // EventBridge's rule sends each event on its own.
        if (who === 'aws') for (const b of bodies) this.addSqs(who, 'SendMessage', chunks(b, SQS_CHUNK_BYTES));
        else this.addSqs(who, op, chunks(sum(bodies), SQS_CHUNK_BYTES));
      } else if (op === 'SendMessage') this.addSqs(who, op, chunks(utf8Bytes(String(args.input.MessageBody ?? '')), SQS_CHUNK_BYTES));
      else this.addSqs(who, op, 1);
      return result;
    };
    client.middlewareStack.add(mw, { step: 'initialize', name: `usage-meter-sqs-${who}`, priority: 'low' });
    return client;
  }

  /** The bus as producers and the API use it: PutEvents entries in 64 KB chunks. */
  bus(inner: EventBus): EventBus {
    return {
      publish: (tenantId: string, event: WebhookEvent, options?: { stored?: boolean }) => {
        this.u.eventBridge.putEventsCalls++;
        this.u.eventBridge.billedEvents += chunks(putEventsEntryBytes(busEntry(tenantId, event, options?.stored)), EVENTBRIDGE_CHUNK_BYTES);
        return inner.publish(tenantId, event, options);
      },
    };
  }

  /** The bus as the inbound function uses it: every entry in 64 KB chunks, one call per PutEvents request. */
  entries(inner: EntryBus): EntryBus {
    return {
      putEntries: (entries, options) => {
        this.u.eventBridge.putEventsCalls += putEventsRequests(entries).length;
        for (const e of entries) this.u.eventBridge.billedEvents += chunks(putEventsEntryBytes(e), EVENTBRIDGE_CHUNK_BYTES);
        return inner.putEntries(entries, options);
      },
    };
  }

  /** A handler as Lambda runs it: counted, and its duration billed by the millisecond. */
  lambda<E, R>(name: LambdaName, handler: (event: E) => Promise<R>): (event: E) => Promise<R> {
    return async (event: E) => {
      const t0 = performance.now();
      try {
        return await handler(event);
      } catch (err) {
        this.u.lambda[name].errors++;
        throw err;
      } finally {
        const usage = this.u.lambda[name];
        const ms = Math.max(1, Math.ceil(performance.now() - t0));
        usage.invocations++;
        usage.billedMs += ms;
        if (usage.samples.length < 100_000) usage.samples.push(ms);
        if (name === 'api' || name === 'inbound') this.u.apiRequests++;
      }
    };
  }

  /** The handlers' log function: lines at INFO and above are what CloudWatch Logs ingests (Powertools JSON). */
  log<D extends Record<string, unknown>>(
    inner: (level: string, message: string, detail: D) => void,
  ): (level: string, message: string, detail: D) => void {
    return (level, message, detail) => {
      if (level !== 'debug') {
        this.u.logLines++;
        this.u.logBytes += utf8Bytes(JSON.stringify({ level: level.toUpperCase(), message, ...detail })) + POWERTOOLS_KEYS_BYTES;
      }
      inner(level, message, detail);
    };
  }

  private addSqs(who: 'code' | 'aws', op: string, n: number): void {
    const key = `${who === 'aws' ? 'by AWS' : 'by our code'}: ${op}`;
    this.u.sqs[key] = (this.u.sqs[key] ?? 0) + n;
  }
}

/**
 * What Powertools Logger adds to every line (timestamp, service, cold_start, function name, ARN,
 * memory size, request id, X-Ray trace id): about this many bytes.
 */
const POWERTOOLS_KEYS_BYTES = 330;

const chunks = (bytes: number, chunk: number) => Math.max(1, Math.ceil(bytes / chunk));
const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);

type Item = Record<string, unknown>;
interface Entry {
  /** The index keys' values, as one string: an entry whose keys change is removed and written again. */
  keys: string;
  bytes: number;
}

/**
 * The global index entries of the items written through the meter, to count index writes as
 * DynamoDB bills them (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes):
 * an item that gains the index's keys is one write to the index, one that loses them one (the
 * removal), one whose keys change two (removal and new entry); one that keeps them costs a write
 * only if the index projects attributes that may have changed (ALL), none for KEYS_ONLY. Each
 * write is billed by the started KB of the entry: the whole item for ALL, the table's and the
 * index's keys for KEYS_ONLY. An item this meter never saw written (before it started) counts as
 * not in the index.
 */
class IndexEntries {
  private readonly entries = new Map<string, Map<string, Entry>>();

  written(op: string, input: Item, output: Item): { index: string; units: number }[] {
    const table = String(input.TableName ?? '');
    const out: { index: string; units: number }[] = [];
    const put = (item: Item) => this.change(table, keyOf(item), (old) => entriesOf(item, old), out);
    const remove = (key: Item) => this.change(table, keyOf(key), () => new Map(), out);
    if (op === 'PutItem' && input.Item) put(input.Item as Item);
    else if (op === 'DeleteItem' && input.Key) remove(input.Key as Item);
    else if (op === 'UpdateItem' && input.Key) {
      const key = input.Key as Item;
      this.change(table, keyOf(key), (old) => updatedEntries(key, input, old), out);
    } else if (op === 'BatchWriteItem') {
      const requests = input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]> | undefined;
      const unprocessed = output.UnprocessedItems as
        | Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>
        | undefined;
      for (const [name, list] of Object.entries(requests ?? {})) {
        // Items DynamoDB left unprocessed were not written.
        const skipped = new Set((unprocessed?.[name] ?? []).map((r) => keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {})));
        for (const r of list) {
          const item = r.PutRequest?.Item;
          const key = item ?? r.DeleteRequest?.Key;
          if (!key || skipped.has(keyOf(key))) continue;
          if (item) this.change(name, keyOf(item), (old) => entriesOf(item, old), out);
          else this.change(name, keyOf(key), () => new Map(), out);
        }
      }
    }
    return out;
  }

  private change(
    table: string,
    key: string,
    next: (old: Map<string, Entry>) => Map<string, Entry>,
    out: { index: string; units: number }[],
  ): void {
    const id = `${table}|${key}`;
    const old = this.entries.get(id) ?? new Map<string, Entry>();
    const now = next(old);
    for (const ix of INDEXES) {
      const before = old.get(ix.name);
      const after = now.get(ix.name);
      if (before && (!after || after.keys !== before.keys)) out.push({ index: ix.name, units: chunks(before.bytes, KiB) });
      if (after && (!before || after.keys !== before.keys || ix.projection === 'ALL'))
        out.push({ index: ix.name, units: chunks(after.bytes, KiB) });
    }
    if (now.size > 0) this.entries.set(id, now);
    else this.entries.delete(id);
  }
}

const keyOf = (item: Item) => JSON.stringify(TABLE_KEYS.map((k) => item[k]));

/** The index entries a whole item has (a put). */
function entriesOf(item: Item, _old: Map<string, Entry>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const ix of INDEXES) {
    if (item[ix.hash] === undefined || item[ix.range] === undefined) continue;
    out.set(ix.name, { keys: JSON.stringify([item[ix.hash], item[ix.range]]), bytes: entryBytes(ix, item) });
  }
  return out;
}

function entryBytes(ix: IndexDefinition, item: Item): number {
  if (ix.projection === 'ALL') return dynamoItemBytes(item);
  const keys: Item = {};
  for (const k of [...TABLE_KEYS, ix.hash, ix.range]) keys[k] = item[k];
  return dynamoItemBytes(keys);
}

/**
 * The index entries after an UpdateItem: the old ones with what its SET and REMOVE clauses do to
 * the index keys (a key set to something other than a plain value counts as changed). An ALL
 * entry keeps its last known size: the meter does not rebuild the whole item.
 */
function updatedEntries(key: Item, input: Item, old: Map<string, Entry>): Map<string, Entry> {
  const { set, removed } = updateClauses(
    String(input.UpdateExpression ?? ''),
    (input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {},
    (input.ExpressionAttributeValues as Item | undefined) ?? {},
  );
  const out = new Map<string, Entry>();
  for (const ix of INDEXES) {
    const before = old.get(ix.name);
    const [hash, range] = before ? (JSON.parse(before.keys) as unknown[]) : [undefined, undefined];
    const value = (attr: string, was: unknown) => (removed.has(attr) ? undefined : set.has(attr) ? set.get(attr) : was);
    const h = value(ix.hash, hash);
    const r = value(ix.range, range);
    if (h === undefined || r === undefined) continue;
    const item: Item = { ...key, [ix.hash]: h, [ix.range]: r };
    out.set(ix.name, { keys: JSON.stringify([h, r]), bytes: ix.projection === 'ALL' && before ? before.bytes : entryBytes(ix, item) });
  }
  return out;
}

/** The top-level attributes an update expression sets (to their values; an expression: a fresh symbol) and removes. */
export function updateClauses(
  expression: string,
  names: Record<string, string>,
  values: Item,
): { set: Map<string, unknown>; removed: Set<string> } {
  const set = new Map<string, unknown>();
  const removed = new Set<string>();
  const attr = (path: string) => {
    const top = path.trim().split(/[.[]/)[0]!;
    return names[top] ?? top;
  };
  const clauses = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i);
  for (let i = 1; i < clauses.length; i += 2) {
    const verb = clauses[i]!.toUpperCase();
    const body = clauses[i + 1] ?? '';
    for (const part of splitTopLevel(body)) {
      if (verb === 'SET') {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        const rhs = part.slice(eq + 1).trim();
        set.set(attr(part.slice(0, eq)), /^:[A-Za-z0-9_]+$/.test(rhs) ? values[rhs] : Symbol(rhs));
      } else if (verb === 'REMOVE') removed.add(attr(part));
      else set.set(attr(part.trim().split(/\s+/)[0]!), Symbol(part));
    }
  }
  return { set, removed };
}

/** A clause's comma-separated actions, commas inside parentheses (if_not_exists(a, :b)) left alone. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** What a request's items are, one entry per item (per key for reads), a Query or Scan once. */
function itemKinds(op: string, input: Item): string[] {
  if (op === 'Query' || op === 'Scan') {
    if (input.IndexName) return [`index ${String(input.IndexName)}`];
    const values = Object.values((input.ExpressionAttributeValues as Item | undefined) ?? {});
    const pk = values.find(
      (v): v is string => typeof v === 'string' && (v.startsWith('TENANT#') || v.startsWith('INBOUND#') || v === 'RESUMER'),
    );
    return [pk ? partitionKind(pk) : op === 'Scan' ? 'table' : 'other'];
  }
  const keys: Item[] = [];
  if (input.Item) keys.push(input.Item as Item);
  if (input.Key) keys.push(input.Key as Item);
  const requestItems = input.RequestItems as
    | Record<string, { Keys?: Item[] } | { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>
    | undefined;
  for (const entry of Object.values(requestItems ?? {})) {
    if (Array.isArray(entry)) for (const r of entry) keys.push(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {});
    else for (const k of entry.Keys ?? []) keys.push(k);
  }
  return keys.map(itemKind);
}

function itemKind(key: Item): string {
  const pk = String(key.pk ?? '');
  const sk = String(key.sk ?? '');
  if (pk === 'RESUMER') return 'resumer cursor';
  if (pk.startsWith('INBOUND#'))
    return sk === 'EVENT'
      ? 'inbound event'
      : pk.endsWith('#REFUSED')
        ? 'inbound refusals'
        : pk === 'INBOUND#SOURCES'
          ? 'inbound source'
          : 'inbound marker';
  if (pk.startsWith('RATE#')) return 'rate limit slots';
  if (sk === LOT_SK) return 'lot';
  if (sk.startsWith(LOT_ENTRY_PREFIX) && pk.endsWith('#LOT')) return 'lot entry';
  if (sk === DELIVERY_SK) return 'delivery';
  if (sk === 'EVENT') return 'event';
  if (pk.endsWith('#HISTORY')) return 'history';
  if (sk.startsWith('SUB#')) return 'subscription';
  return (sk.split('#')[0] ?? '').toLowerCase() || 'other';
}

function partitionKind(pk: string): string {
  if (pk === 'RESUMER') return 'resumer cursor';
  if (pk.startsWith('INBOUND#')) return pk === 'INBOUND#SOURCES' ? 'inbound sources' : 'inbound partition';
  if (pk.endsWith('#LOT')) return 'lot entries';
  if (pk.endsWith('#HISTORY')) return 'history';
  if (pk.includes('#DELIVERY#')) return 'delivery partition';
  return 'tenant';
}

function empty(): UsageSnapshot {
  const fn = (): LambdaUsage => ({ invocations: 0, errors: 0, billedMs: 0, samples: [] });
  return {
    dynamodb: { readUnits: 0, writeUnits: 0, indexWriteUnits: 0, indexWrites: {}, requests: {}, items: {} },
    sqs: {},
    sqsEmptyReceives: 0,
    eventBridge: { putEventsCalls: 0, billedEvents: 0 },
    lambda: { api: fn(), authorizer: fn(), fanout: fn(), sender: fn(), resumer: fn(), inbound: fn() },
    apiRequests: 0,
    logLines: 0,
    logBytes: 0,
  };
}
