import type { DeliveryStore, Queue } from '../functions/ports.js';

/**
 * Fault injection for tests of local mode: make a chosen port call fail the next N times.
 *
 *   history-write       the sender's batched history write after its POSTs (DeliveryStore.write)
 *   visibility-change   the sender's ChangeMessageVisibilityBatch (Queue.changeVisibilities)
 *   invocation-timeout  the sender's invocation runs, then "times out": the poller discards its
 *                       answer, so every message of the batch returns (as Lambda does)
 *   throttle            the poller refuses to invoke the sender: the batch stays in flight until
 *                       its visibility timeout ends and comes back with a higher receive count
 */
export type FaultPoint = 'history-write' | 'visibility-change' | 'invocation-timeout' | 'throttle';

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
