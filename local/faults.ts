import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DeliveryStore, ParkingIndex, Queue, TenantRepository } from '../functions/ports.js';

/**
 * Faults a test injects into local mode, where AWS could produce them: one registry for every
 * kind, shared by the pipeline's ports, pollers and SQS clients.
 *
 * Port calls and the sender's poller, by point (`fail(point, times)`):
 *   history-write       the sender's batched history write after its POSTs (DeliveryStore.write)
 *   visibility-change   the sender's ChangeMessageVisibilityBatch (Queue.changeVisibilities)
 *   invocation-timeout  the sender's invocation runs, then "times out": the poller discards its
 *                       answer, so every message of the batch returns (as Lambda does)
 *   throttle            the poller refuses to invoke the sender: the batch stays in flight until
 *                       its visibility timeout ends and comes back with a higher receive count
 *   resumer-after-send  the resumer's run "crashes" once it has sent messages, before its cursor
 *                       moves past their bucket: its next cursor write fails (ParkingIndex.writeCursor)
 *   tenant-read         the authorizer's read of a tenant by its Identity (TenantRepository.findByIdentity)
 *
 * SQS and whole invocations (`failSendEntries`, `failInvocations`): SendMessageBatch entries
 * reported Failed while the rest of the batch is accepted (local/aws-rules/sqs.ts), and a named
 * handler's invocation failing as a whole, before or after its work (Lambda returns the entire
 * batch to the queue).
 */
export type FaultPoint = 'history-write' | 'visibility-change' | 'invocation-timeout' | 'throttle' | 'resumer-after-send' | 'tenant-read';

export interface SendEntryFault {
  /** Only batches sent to this queue; any queue when absent. */
  queueUrl?: string;
  /** Which entries fail, by message body; every entry when absent. */
  match?: (body: string) => boolean;
  /** How many entries fail before the fault is spent; for ever when absent. */
  times?: number;
  /** As SQS reports it: `InternalError` (not the sender's fault, worth a retry) by default. */
  code?: string;
  senderFault?: boolean;
}

export interface InvocationFault {
  /** `after`: the handler ran (its sends happened) and then the invocation failed, as a timeout does. */
  when: 'before' | 'after';
  /** Only batches holding a record whose body matches; every batch when absent. */
  match?: (body: string) => boolean;
  times?: number;
}

export class InjectedFault extends Error {
  override name = 'InjectedFault';
  constructor(readonly point: FaultPoint) {
    super(`injected fault: ${point}`);
  }
}

export class Faults {
  private readonly armed = new Map<FaultPoint, number>();
  /** How many times each point has failed so far. */
  readonly fired = new Map<FaultPoint, number>();
  /** How many send-entry and invocation faults have fired: a test can tell its fault was met. */
  injected = 0;
  private sendFaults: SendEntryFault[] = [];
  private readonly invocationFaults = new Map<string, InvocationFault[]>();

  /** The next `times` calls at `point` fail. */
  fail(point: FaultPoint, times = 1): this {
    this.armed.set(point, (this.armed.get(point) ?? 0) + times);
    return this;
  }

  /** Whether this call at `point` fails (and counts it). */
  take(point: FaultPoint): boolean {
    const left = this.armed.get(point) ?? 0;
    if (left <= 0) return false;
    this.armed.set(point, left - 1);
    this.fired.set(point, (this.fired.get(point) ?? 0) + 1);
    return true;
  }

  check(point: FaultPoint): void {
    if (this.take(point)) throw new InjectedFault(point);
  }

  /** Calls still armed at `point`. */
  pending(point: FaultPoint): number {
    return this.armed.get(point) ?? 0;
  }

  failSendEntries(fault: SendEntryFault): this {
    this.sendFaults.push({ ...fault });
    return this;
  }

  failInvocations(handler: string, fault: InvocationFault): this {
    this.invocationFaults.set(handler, [...(this.invocationFaults.get(handler) ?? []), { ...fault }]);
    return this;
  }

  /** Disarms everything and forgets what fired. */
  clear(): void {
    this.armed.clear();
    this.fired.clear();
    this.injected = 0;
    this.sendFaults = [];
    this.invocationFaults.clear();
  }

  /** The fault an entry of a SendMessageBatch to `queueUrl` meets, if any (spending one of its times). */
  sendEntryFault(queueUrl: string, body: string): { code: string; senderFault: boolean } | undefined {
    for (const f of this.sendFaults) {
      if (f.queueUrl !== undefined && f.queueUrl !== queueUrl) continue;
      if (f.match && !f.match(body)) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      this.injected++;
      return { code: f.code ?? 'InternalError', senderFault: f.senderFault ?? false };
    }
    return undefined;
  }

  /** Wraps a queue-fed handler so that the invocation faults registered for `name` apply to it. */
  wrapHandler(name: string, handler: (event: SQSEvent) => Promise<SQSBatchResponse>): (event: SQSEvent) => Promise<SQSBatchResponse> {
    return async (event) => {
      const fault = this.invocationFault(name, event);
      if (fault?.when === 'before') throw new Error(`injected fault: ${name} invocation failed`);
      const result = await handler(event);
      if (fault?.when === 'after') throw new Error(`injected fault: ${name} invocation failed after its work (a timeout)`);
      return result;
    };
  }

  private invocationFault(name: string, event: SQSEvent): InvocationFault | undefined {
    for (const f of this.invocationFaults.get(name) ?? []) {
      if (f.match && !event.Records.some((r) => f.match!(r.body))) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      this.injected++;
      return f;
    }
    return undefined;
  }
}

export function faultyStore(store: DeliveryStore, faults: Faults): DeliveryStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'write')
        return async (items: Parameters<DeliveryStore['write']>[0]) => {
          faults.check('history-write');
          return target.write(items);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

export function faultyQueue(queue: Queue, faults: Faults): Queue {
  return {
    sendAll: (messages) => queue.sendAll(messages),
    changeVisibility: (handle, seconds) => {
      faults.check('visibility-change');
      return queue.changeVisibility(handle, seconds);
    },
    changeVisibilities: async (changes) => {
      faults.check('visibility-change');
      return queue.changeVisibilities(changes);
    },
  };
}

/** The authorizer's tenant reads with the `tenant-read` fault (DynamoDB throttling or refusing, as the stack's read would see). */
export function faultyTenants(tenants: TenantRepository, faults: Faults): TenantRepository {
  return new Proxy(tenants, {
    get(target, prop, receiver) {
      if (prop === 'findByIdentity')
        return async (identity: string) => {
          faults.check('tenant-read');
          return target.findByIdentity(identity);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The resumer's ports with the `resumer-after-send` fault: a crash between its sends and its cursor. */
export function faultyResumer(parking: ParkingIndex, queue: Queue, faults: Faults): { parking: ParkingIndex; queue: Queue } {
  let crashing = false;
  return {
    queue: {
      ...queue,
      sendAll: async (messages) => {
        await queue.sendAll(messages);
        if (messages.length > 0 && faults.take('resumer-after-send')) crashing = true;
      },
      changeVisibility: (handle, seconds) => queue.changeVisibility(handle, seconds),
      changeVisibilities: (changes) => queue.changeVisibilities(changes),
    },
    parking: new Proxy(parking, {
      get(target, prop, receiver) {
        if (prop === 'writeCursor')
          return async (cursor: Parameters<ParkingIndex['writeCursor']>[0]) => {
            if (crashing) {
              crashing = false;
              throw new InjectedFault('resumer-after-send');
            }
            return target.writeCursor(cursor);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }),
  };
}
