import { putEventsEntryBytes, utf8Bytes } from '../functions/domain/aws-limits.js';
import { busEntry } from '../functions/domain/bus-entry.js';
import { dynamoItemBytes } from '../functions/domain/dynamodb-item-size.js';
import type { WebhookEvent } from '../functions/domain/model.js';
import type { EventBus } from '../functions/ports.js';

/**
 * What local mode would be billed for on AWS, by the unit each service bills in: DynamoDB
 * capacity units (as dynalite reports them with ReturnConsumedCapacity, plus the index writes it
 * does not count), SQS requests in 64 KB chunks (our code's, and the event source mappings' and
 * the bus rule's, which AWS makes for us but bills to the account), EventBridge events in 64 KB
 * chunks, Lambda invocations and their durations, API requests and log bytes. `npm run bench`
 * prices these (bench/cost-model.ts).
 */

const KiB = 1024;
const SQS_CHUNK_BYTES = 64 * KiB;
const EVENTBRIDGE_CHUNK_BYTES = 64 * KiB;
/** The one global index; its projection is ALL, so an item that carries its key is written to it whole. */
const INDEX_KEY = 'gsi1pk';

export type LambdaName = 'api' | 'authorizer' | 'fanout' | 'sender' | 'resumer';

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
  dynamodb: { readUnits: number; writeUnits: number; indexWriteUnits: number; requests: Record<string, number> };
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

  reset(): void {
    this.u = empty();
  }

  snapshot(): UsageSnapshot {
    return structuredClone(this.u);
  }

  /** Asks DynamoDB for the capacity each call consumed and adds it up, reads and writes apart. */
  instrumentDynamo<C extends Instrumentable>(client: C): C {
    const mw: Middleware = (next, context) => async (args) => {
      const name = String(context.commandName);
      if (!CAPACITY_COMMANDS.has(name)) return next(args);
      args.input.ReturnConsumedCapacity = 'TOTAL';
      const op = name.replace(/Command$/, '');
      this.u.dynamodb.requests[op] = (this.u.dynamodb.requests[op] ?? 0) + 1;
      if (!READS.has(name)) this.u.dynamodb.indexWriteUnits += indexWriteUnits(args.input);
      const result = await next(args);
      const consumed = result.output.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      if (READS.has(name)) this.u.dynamodb.readUnits += units;
      else this.u.dynamodb.writeUnits += units;
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
        if (name === 'api') this.u.apiRequests++;
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

/** Index writes dynalite does not report: a written item that carries the index key is written to the index whole. */
function indexWriteUnits(input: Record<string, unknown>): number {
  const items: Record<string, unknown>[] = [];
  if (input.Item) items.push(input.Item as Record<string, unknown>);
  const requestItems = input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]> | undefined;
  for (const requests of Object.values(requestItems ?? {})) {
    if (Array.isArray(requests)) for (const r of requests) if (r.PutRequest?.Item) items.push(r.PutRequest.Item);
  }
  return items.filter((i) => i[INDEX_KEY] !== undefined).reduce((n, i) => n + chunks(dynamoItemBytes(i), KiB), 0);
}

function empty(): UsageSnapshot {
  const fn = (): LambdaUsage => ({ invocations: 0, errors: 0, billedMs: 0, samples: [] });
  return {
    dynamodb: { readUnits: 0, writeUnits: 0, indexWriteUnits: 0, requests: {} },
    sqs: {},
    sqsEmptyReceives: 0,
    eventBridge: { putEventsCalls: 0, billedEvents: 0 },
    lambda: { api: fn(), authorizer: fn(), fanout: fn(), sender: fn(), resumer: fn() },
    apiRequests: 0,
    logLines: 0,
    logBytes: 0,
  };
}
