import { type BusEntry, busEntry } from '../domain/bus-entry.js';
import {
  OPERATIONAL_EVENT_SOURCE,
  type OperationalData,
  type OperationalEventType,
  operationalEvent,
} from '../domain/operational-events.js';
import { type EntryBus, type Metrics, NO_METRICS } from '../ports.js';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;

export interface OperationalEventsDeps {
  /** The pipeline's bus (EventBridge on AWS, local mode's QueueEventBus). */
  bus: EntryBus;
  metrics?: Pick<Metrics, 'count'>;
  log?: Log;
  now?: () => Date;
  /** The wait before the one retry of a failed PutEvents. */
  retryDelayMs?: number;
  /** How long one PutEvents may take before it counts as failed: a bus that hangs must not hold the sender's batch. */
  timeoutMs?: number;
}

/** Well above PutEvents' usual tens of milliseconds, far below the sender's 60 s timeout. */
const DEFAULT_TIMEOUT_MS = 3000;

/** Tries of a PutEvents of operational events: one retry, then logged and counted. */
const TRIES = 2;

/**
 * Puts operational events (functions/domain/operational-events.ts) on the bus under their own
 * source, with the tenant's id in the detail as every tenant event has it: the stack's rule
 * takes them to the fan-out like any event, and an operator's rule can match `source` and
 * `detail-type`.
 *
 * `emit` only queues; `flush` sends what is queued in as few PutEvents requests as EventBridge's
 * limits allow (10 entries a request: a sender batch of 10 dead letters is one call) and never
 * throws. The fact an event reports is already recorded (a delivery record, a lot, a subscription)
 * before it is flushed, so a failure here loses only the notice, never the fact: it is retried
 * once (the events' ids come from the facts, so a request that half succeeded and is sent again
 * makes no second delivery), then logged and counted as OperationalEventsFailed. Each try is
 * bounded (`timeoutMs`), so a hanging bus costs a batch seconds, never the function's timeout
 * (which would bring the batch's messages back).
 */
export class OperationalEvents {
  private pending: BusEntry[] = [];
  /** The pending events' ids: one fact noted twice before a flush (two deliveries opening one lot) goes once. */
  private pendingIds = new Set<string>();
  private readonly metrics: Pick<Metrics, 'count'>;
  private readonly now: () => Date;

  constructor(private readonly deps: OperationalEventsDeps) {
    this.metrics = deps.metrics ?? NO_METRICS;
    this.now = deps.now ?? (() => new Date());
  }

  /** Queues one operational event about one of `tenantId`'s subscriptions; `flush` sends it. */
  emit<K extends OperationalEventType>(kind: K, tenantId: string, data: OperationalData[K]): void {
    const event = operationalEvent(kind, tenantId, data, this.now());
    if (this.pendingIds.has(event.id)) return;
    this.pendingIds.add(event.id);
    this.pending.push(busEntry(tenantId, event, false, OPERATIONAL_EVENT_SOURCE));
  }

  /** `emit` then `flush`: for a fact outside a batch (a PATCH, the verification handshake). Never throws. */
  async send<K extends OperationalEventType>(kind: K, tenantId: string, data: OperationalData[K]): Promise<void> {
    this.emit(kind, tenantId, data);
    await this.flush();
  }

  /** Sends what is queued. Never throws: a failure is logged and counted. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    this.pendingIds = new Set();
    for (let tries = 1; ; tries++) {
      try {
        await this.deps.bus.putEntries(entries, { signal: AbortSignal.timeout(this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
        this.metrics.count('OperationalEventsEmitted', entries.length);
        return;
      } catch (err) {
        if (tries < TRIES) {
          await new Promise((r) => setTimeout(r, this.deps.retryDelayMs ?? 100));
          continue;
        }
        this.metrics.count('OperationalEventsFailed', entries.length);
        this.deps.log?.('error', 'could not put operational events on the bus; the facts they report are recorded, the notices are lost', {
          events: entries.map((e) => ({ type: e.DetailType, detail: e.Detail.slice(0, 300) })),
          error: (err as Error).message,
        });
        return;
      }
    }
  }
}
