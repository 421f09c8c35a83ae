import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { isSqsMessageGroupId } from '../functions/domain/aws-limits.js';
import { pickFair, TenantLoad } from './aws-rules/sqs-fair-queue.js';
import { fauxqsModule } from './fauxqs-fixes.js';

/**
 * SQS rules fauxqs 2.4 does not keep and an SDK middleware cannot add, because they decide what
 * the queue itself holds and hands out (docs/aws-rules.md):
 *
 * - MessageGroupId on a standard queue: kept, persisted and returned on ReceiveMessage, as SQS
 *   keeps it to make the queue a fair queue; refused when malformed.
 * - Fair queues: which ready messages a receive returns (local/aws-rules/sqs-fair-queue.ts).
 * - The in-flight cap: at `inFlightCap` messages in flight a short poll fails with OverLimit and a
 *   long poll waits out its wait time and returns nothing.
 * - Retention: a message is deleted once older than its queue's MessageRetentionPeriod, counted
 *   from its first send (a move to the DLQ keeps that time; a redrive is a new message).
 *
 * Each is a patch of a fauxqs prototype, applied once; a twin's settings reach its own store
 * (several twins can run in one process, as tests do). The patches touch standard queues only:
 * every queue of the stack is one.
 */
export interface TwinSqsRules {
  /** In-flight messages a queue holds before receives stop (SQS: about 120,000). */
  inFlightCap: number;
}

export interface TwinFauxqs {
  server: FauxqsServer;
  /**
   * Moves a message's first-send time back by `seconds`, in memory and on disk (tests: retention
   * without waiting for it). False when the queue has no such message.
   */
  backdate(queueName: string, messageId: string, seconds: number): boolean;
  stop(): Promise<void>;
}

/** How often messages past their retention are looked for (SQS deletes them some time after, too). */
const RETENTION_SWEEP_MS = 1_000;
/** How often a long poll at the cap looks again; expired visibility is noticed at most this often. */
const CAP_POLL_MS = 50;
const CAP_TIMERS_MS = 250;

// ------------------------------------------------------------------------------------------
// fauxqs's internals, as far as the patches read them (fauxqs/dist/sqs/sqsStore.js).

interface Message {
  messageId: string;
  sentTimestamp: number;
  messageGroupId?: string;
}
interface InFlightEntry {
  message: Message;
  receiptHandle: string;
  visibilityDeadline: number;
}
interface Persistence {
  db: { prepare(sql: string): { run(...args: unknown[]): unknown } };
  deleteMessage(messageId: string): void;
}
interface Queue {
  name: string;
  attributes: Record<string, string>;
  messages: Message[];
  delayedMessages: Message[];
  inflightMessages: Map<string, InFlightEntry>;
  persistence?: Persistence;
  isFifo(): boolean;
  processTimers(): void;
  dequeue(maxCount: number, visibilityTimeout?: number, dlqResolver?: unknown): unknown[];
  changeVisibility(receiptHandle: string, seconds: number): void;
  purge(): void;
}
interface Store {
  getQueue(url: string): Queue | undefined;
  getQueueByName(name: string): Queue | undefined;
  allQueues(): Iterable<Queue>;
  createQueue(...args: unknown[]): Queue;
}
type Handler = (body: Record<string, unknown>, store: Store, request: unknown) => unknown;
interface SqsErrorClass {
  new (code: string, message: string, statusCode?: number, senderFault?: boolean): Error;
}

// ------------------------------------------------------------------------------------------
// What the twin keeps beside fauxqs's own state.

/** Per queue: its store (for the settings) and the tenants' load the fair queue decides by. */
interface QueueTwin {
  store: Store;
  load: TenantLoad;
  /** Set around fauxqs's own dequeue: a receive starts a message's processing time, a reload does not. */
  receiving: boolean;
  lastTimers: number;
}
const twins = new WeakMap<Queue, QueueTwin>();
const settingsOf = new WeakMap<Store, TwinSqsRules & { stopped: boolean }>();
/** Set while a twin's fauxqs starts, so its router's first `register` ties the settings to its store. */
let starting: { rules: TwinSqsRules & { stopped: boolean }; store?: Store } | undefined;
/** SendMessage(Batch) hands createMessage each entry's own attributes object: its group id rides on it. */
const groupOfAttributes = new WeakMap<object, string>();

/**
 * A standard queue's ready messages: fauxqs's plain array, whose push and shift (all fauxqs does
 * to it) also count each tenant's waiting messages, so the fair queue never scans the backlog to
 * learn them. Own methods rather than an Array subclass: V8 shifts fast only on plain arrays (a
 * subclass made a receive over a backlog of 30,000 seven times slower).
 */
const readyLists = new WeakSet<Message[]>();
function readyList(load: TenantLoad): Message[] {
  const list: Message[] = [];
  const { push, shift } = Array.prototype;
  Object.defineProperties(list, {
    push: {
      value(...items: Message[]): number {
        for (const m of items) {
          load.ready(m.messageGroupId, 1);
        }
        return push.apply(list, items);
      },
    },
    shift: {
      value(): Message | undefined {
        const m = shift.call(list) as Message | undefined;
        if (m) load.ready(m.messageGroupId, -1);
        return m;
      },
    },
  });
  readyLists.add(list);
  return list;
}

/** Puts the messages at `picks` first, in that order, the others keeping theirs. */
function moveToFront(list: Message[], picks: readonly number[]): void {
  const chosen = picks.map((i) => list[i]!);
  const picked = new Set(picks);
  let to = Math.max(...picks);
  for (let from = to; from >= 0; from--) if (!picked.has(from)) list[to--] = list[from]!;
  for (let i = 0; i < chosen.length; i++) list[i] = chosen[i]!;
}

/** Takes out of a ready list the messages `gone` says, keeping the others' order; answers those taken. */
function removeWhere(list: Message[], load: TenantLoad, gone: (m: Message) => boolean): Message[] {
  const removed: Message[] = [];
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    if (gone(m)) {
      removed.push(m);
      load.ready(m.messageGroupId, -1);
    } else list[kept++] = m;
  }
  list.length = kept;
  return removed;
}

/**
 * A standard queue's in-flight messages by receipt handle, counting each tenant's as they come
 * and go (the fair queue's concurrency share; the cap reads `size`, exactly what SQS counts), and
 * timing each receive's processing until the message is deleted, released, its visibility is
 * changed or runs out.
 */
class InFlightMap extends Map<string, InFlightEntry> {
  private readonly processingSince = new Map<string, number>();
  constructor(private readonly twin: QueueTwin) {
    super();
  }
  override set(handle: string, entry: InFlightEntry): this {
    if (!super.has(handle)) {
      this.twin.load.inFlight(entry.message.messageGroupId, 1);
      if (this.twin.receiving) this.processingSince.set(handle, Date.now());
    }
    return super.set(handle, entry);
  }
  override delete(handle: string): boolean {
    const entry = super.get(handle);
    if (!entry) return false;
    this.twin.load.inFlight(entry.message.messageGroupId, -1);
    this.endProcessing(handle, entry);
    return super.delete(handle);
  }
  override clear(): void {
    for (const handle of [...this.keys()]) this.delete(handle);
  }
  endProcessing(handle: string, entry: InFlightEntry): void {
    const since = this.processingSince.get(handle);
    if (since === undefined) return;
    this.processingSince.delete(handle);
    this.twin.load.processed(entry.message.messageGroupId, Date.now() - since);
  }
}

function install(queue: Queue, store: Store): void {
  if (queue.isFifo() || twins.has(queue)) return;
  const twin: QueueTwin = { store, load: new TenantLoad(), receiving: false, lastTimers: 0 };
  twins.set(queue, twin);
  queue.messages = readyList(twin.load);
  queue.inflightMessages = new InFlightMap(twin);
}

/** The cap of the queue's twin, or none for a fauxqs started without the twin's rules. */
function capOf(queue: Queue): number {
  const twin = twins.get(queue);
  const settings = twin && settingsOf.get(twin.store);
  return settings ? settings.inFlightCap : Number.POSITIVE_INFINITY;
}

/**
 * Whether the queue is at its cap. Visibility that ran out stays in fauxqs's map until its timers
 * run, so at the cap they are run (now and then) before answering.
 */
function atCap(queue: Queue): boolean {
  const cap = capOf(queue);
  if (queue.inflightMessages.size < cap) return false;
  const twin = twins.get(queue)!;
  if (Date.now() - twin.lastTimers >= CAP_TIMERS_MS) {
    twin.lastTimers = Date.now();
    queue.processTimers();
  }
  return queue.inflightMessages.size >= cap;
}

// ------------------------------------------------------------------------------------------
// The handlers' wrappers.

/**
 * An error as SQS sends it: fauxqs prefixes every query-compatible code with
 * `AWS.SimpleQueueService.`, which the SDK then takes for the error's name; SQS's model gives
 * OverLimit and InvalidParameterValue plain.
 */
function sqsErrors(SqsError: SqsErrorClass) {
  return class extends SqsError {
    constructor(
      private readonly errorCode: string,
      message: string,
      statusCode = 400,
    ) {
      super(errorCode, message, statusCode);
    }
    get queryErrorHeader(): string {
      return `${this.errorCode};Sender`;
    }
  };
}

function wrapSend(SqsError: SqsErrorClass, original: Handler, batch: boolean): Handler {
  const Refusal = sqsErrors(SqsError);
  const refuse = (id: unknown) =>
    new Refusal(
      'InvalidParameterValue',
      `Value ${String(id)} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  return (body, store, request) => {
    const queue = typeof body.QueueUrl === 'string' ? store.getQueue(body.QueueUrl) : undefined;
    if (!queue || queue.isFifo()) return original(body, store, request);
    const entries = (batch ? (body.Entries ?? []) : [body]) as { MessageGroupId?: unknown; MessageAttributes?: object }[];
    for (const e of entries) {
      if (e.MessageGroupId === undefined) continue;
      // SQS's pages do not say whether a malformed group id fails its entry or the request: the twin fails the request.
      if (typeof e.MessageGroupId !== 'string' || !isSqsMessageGroupId(e.MessageGroupId)) throw refuse(e.MessageGroupId);
      // fauxqs gives createMessage `MessageAttributes ?? {}`: an object of its own per entry carries the group id there.
      e.MessageAttributes ??= {};
      groupOfAttributes.set(e.MessageAttributes, e.MessageGroupId);
    }
    return original(body, store, request);
  };
}

function wrapReceive(SqsError: SqsErrorClass, original: Handler): Handler {
  const Refusal = sqsErrors(SqsError);
  return async (body, store, request) => {
    const queue = typeof body.QueueUrl === 'string' ? store.getQueue(body.QueueUrl) : undefined;
    if (!queue || queue.isFifo() || !atCap(queue)) return original(body, store, request);
    const wait = Number(body.WaitTimeSeconds ?? queue.attributes.ReceiveMessageWaitTimeSeconds);
    const max = Number(body.MaxNumberOfMessages ?? 1);
    // A request fauxqs refuses anyway is refused for that first.
    if (!(wait >= 0 && wait <= 20 && max >= 1 && max <= 10)) return original(body, store, request);
    if (wait === 0)
      // 403 with the plain code `OverLimit`, as the SDK's model of SQS has it.
      throw new Refusal(
        'OverLimit',
        `The maximum number of in flight messages is reached (${capOf(queue)}): delete received messages before receiving more.`,
        403,
      );
    // A long poll at the cap answers nothing once its wait is over, without an error; if
    // messages leave flight meanwhile it receives what the rest of its wait brings.
    const deadline = Date.now() + wait * 1000;
    const settings = settingsOf.get(twins.get(queue)!.store);
    while (Date.now() < deadline && !settings?.stopped) {
      await new Promise((r) => setTimeout(r, Math.min(CAP_POLL_MS, deadline - Date.now())).unref());
      if (!atCap(queue)) return original({ ...body, WaitTimeSeconds: Math.max(0, (deadline - Date.now()) / 1000) }, store, request);
    }
    return {};
  };
}

// ------------------------------------------------------------------------------------------
// The patches.

let applied: Promise<void> | undefined;

function applyFauxqsRules(): Promise<void> {
  applied ??= (async () => {
    const { SqsStore, SqsQueue } = await fauxqsModule<{
      SqsStore: { prototype: Store; createMessage(...args: unknown[]): Message };
      SqsQueue: { prototype: Queue };
    }>('./sqs/sqsStore.js');
    const { SqsRouter } = await fauxqsModule<{
      SqsRouter: { prototype: { store: Store; register(action: string, handler: Handler): void } };
    }>('./sqs/sqsRouter.js');
    const { SqsError } = await fauxqsModule<{ SqsError: SqsErrorClass }>('./common/errors.js');

    // fauxqs routes SQS actions to handlers it registers on its router as it builds its app,
    // synchronously inside startFauxqs. Wrapping them there adds the rules to its own handling,
    // and the first registration names the store a starting twin's settings belong to.
    const register = SqsRouter.prototype.register;
    SqsRouter.prototype.register = function (action, handler) {
      if (starting && !starting.store) {
        starting.store = this.store;
        settingsOf.set(this.store, starting.rules);
      }
      const wrapped =
        action === 'SendMessage'
          ? wrapSend(SqsError, handler, false)
          : action === 'SendMessageBatch'
            ? wrapSend(SqsError, handler, true)
            : action === 'ReceiveMessage'
              ? wrapReceive(SqsError, handler)
              : handler;
      register.call(this, action, wrapped);
    };

    // Every queue, created or reloaded from disk, gets the twin's ready list and in-flight map
    // before it holds a message.
    const createQueue = SqsStore.prototype.createQueue;
    SqsStore.prototype.createQueue = function (this: Store, ...args: unknown[]) {
      const queue = createQueue.apply(this, args);
      install(queue, this);
      return queue;
    };

    // fauxqs passes a MessageGroupId to createMessage only for FIFO queues, so a standard queue
    // drops it. SQS keeps it on a standard queue (it is what makes the queue fair) and returns it
    // as the MessageGroupId system attribute. Set before enqueue, it is persisted with the
    // message (fauxqs's message_group_id column) and comes back after a restart.
    const createMessage = SqsStore.createMessage;
    SqsStore.createMessage = (...args: unknown[]) => {
      const msg = createMessage(...args);
      const group = args[1] && typeof args[1] === 'object' ? groupOfAttributes.get(args[1]) : undefined;
      if (group !== undefined && msg.messageGroupId === undefined) msg.messageGroupId = group;
      return msg;
    };

    // fauxqs hands out a standard queue's ready messages in arrival order and any number of them
    // whatever is in flight. SQS stops at the in-flight cap, and a fair queue hands out quieter
    // tenants' messages before a noisy tenant's backlog. The messages this receive should get are
    // moved to the front and fauxqs's own dequeue takes exactly that many (receive counts, DLQ
    // moves, persistence as ever); with nobody noisy nothing moves.
    const dequeue = SqsQueue.prototype.dequeue;
    SqsQueue.prototype.dequeue = function (maxCount, visibilityTimeout, dlqResolver) {
      const twin = twins.get(this);
      if (!twin) return dequeue.call(this, maxCount, visibilityTimeout, dlqResolver);
      const room = capOf(this) - this.inflightMessages.size;
      let count = Math.min(maxCount, room, 10);
      if (count <= 0) return [];
      if (twin.load.noisy().size > 0) {
        // Messages whose visibility or delay just ran out join the choice when the ready ones
        // cannot fill the receive (fauxqs's dequeue runs its timers again, finding nothing new).
        if (this.messages.length < count) this.processTimers();
        const picks = pickFair(this.messages, count, (m) => m.messageGroupId, twin.load);
        if (picks) {
          count = picks.length;
          if (picks.some((at, i) => at !== i)) moveToFront(this.messages, picks);
        }
        if (count === 0) return [];
      }
      twin.receiving = true;
      try {
        return dequeue.call(this, count, visibilityTimeout, dlqResolver);
      } finally {
        twin.receiving = false;
      }
    };

    // A visibility change ends the consumer's processing of that receive (it chose when to see
    // the message again); a change to 0 takes the message out of flight, which the map notes itself.
    const changeVisibility = SqsQueue.prototype.changeVisibility;
    SqsQueue.prototype.changeVisibility = function (handle, seconds) {
      const map = this.inflightMessages;
      const entry = map.get(handle);
      if (entry && seconds > 0 && map instanceof InFlightMap) map.endProcessing(handle, entry);
      changeVisibility.call(this, handle, seconds);
    };

    // fauxqs's purge replaces the ready list with a plain array: the twin's goes back in.
    const purge = SqsQueue.prototype.purge;
    SqsQueue.prototype.purge = function () {
      purge.call(this);
      const twin = twins.get(this);
      if (!twin) return;
      twin.load.clear();
      this.messages = readyList(twin.load);
    };
  })();
  return applied;
}

/**
 * fauxqs never deletes a message for its age. SQS deletes one older than its queue's
 * MessageRetentionPeriod, counted from its original enqueue time whatever state it is in, also
 * after the redrive policy moved it to a DLQ ("the enqueue timestamp is unchanged"; fauxqs moves
 * the message object itself, keeping `sentTimestamp`). Deletions are written through.
 */
function expireMessages(store: Store, now: number): void {
  for (const queue of store.allQueues()) {
    if (queue.isFifo()) continue;
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    if (!(retentionMs > 0)) continue;
    const expired = (m: Message) => now - m.sentTimestamp > retentionMs;
    const gone: Message[] = [];
    const twin = twins.get(queue);
    if (twin && readyLists.has(queue.messages)) gone.push(...removeWhere(queue.messages, twin.load, expired));
    if (queue.delayedMessages.some(expired)) {
      gone.push(...queue.delayedMessages.filter(expired));
      queue.delayedMessages = queue.delayedMessages.filter((m) => !expired(m));
    }
    for (const [handle, entry] of queue.inflightMessages)
      if (expired(entry.message)) {
        queue.inflightMessages.delete(handle);
        gone.push(entry.message);
      }
    for (const m of gone) queue.persistence?.deleteMessage(m.messageId);
  }
}

/** fauxqs with the twin's rules, on its own store. */
export async function startTwinFauxqs(options: Parameters<typeof startFauxqs>[0], rules: TwinSqsRules): Promise<TwinFauxqs> {
  await applyFauxqsRules();
  const binding: NonNullable<typeof starting> = { rules: { ...rules, stopped: false } };
  let started: Promise<FauxqsServer>;
  starting = binding;
  try {
    started = startFauxqs(options);
  } finally {
    starting = undefined;
  }
  const server = await started;
  const store = binding.store;
  if (!store) {
    await server.stop();
    throw new Error('fauxqs no longer registers its SQS handlers as it starts: local/fauxqs-rules.ts needs updating');
  }
  const sweep = setInterval(() => expireMessages(store, Date.now()), RETENTION_SWEEP_MS);
  sweep.unref();
  return {
    server,
    backdate(queueName, messageId, seconds) {
      const queue = store.getQueueByName(queueName);
      if (!queue) return false;
      const all = [...queue.messages, ...queue.delayedMessages, ...[...queue.inflightMessages.values()].map((e) => e.message)];
      const msg = all.find((m) => m.messageId === messageId);
      if (!msg) return false;
      msg.sentTimestamp -= seconds * 1000;
      queue.persistence?.db.prepare('UPDATE sqs_messages SET sent_timestamp = ? WHERE message_id = ?').run(msg.sentTimestamp, messageId);
      return true;
    },
    async stop() {
      clearInterval(sweep);
      binding.rules.stopped = true;
      await server.stop();
    },
  };
}
