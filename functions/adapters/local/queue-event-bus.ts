import { randomUUID } from 'node:crypto';
import { fitsPutEventsEntry, PUT_EVENTS_MAX_ENTRIES, PUT_EVENTS_MAX_REQUEST_BYTES, putEventsEntryBytes } from '../../domain/aws-limits.js';
import { type BusEntry, busEntry, EntryTooLargeError, putEventsRequests } from '../../domain/bus-entry.js';
import type { WebhookEvent } from '../../domain/model.js';
import { OPERATIONAL_EVENT_SOURCE } from '../../domain/operational-events.js';
import type { BatchQueue, EntryBus, EventBus, Queue, QueueMessage } from '../../ports.js';

/** What EventBridge answers for a PutEvents request it refuses as a whole. */
export class PutEventsValidationError extends Error {
  override name = 'ValidationException';
}

/**
 * Local stand-in for the EventBridge bus and its rule. PutEvents as EventBridge takes it (1 to
 * 10 entries, each and all together under 1 MB by EventBridge's own count), then what the
 * deployed rule does: each event in the envelope EventBridge gives an SQS target, onto the
 * ingest queue, with the event's `detail.tenant_id` as its MessageGroupId (the rule target's
 * `SqsParameters.MessageGroupId` is the path `$.detail.tenant_id`, lib/constructs/event-ingest.ts).
 * A tenant id SQS refuses as a group id fails the send, so the event goes to the target's DLQ,
 * as on AWS; the DLQ's copy carries no group id.
 *
 * The rule matches events with a `detail.tenant_id` only. Others (inbound events, whatever else is
 * put on the bus) match no rule of ours: on AWS they go wherever the operator's own rules send
 * them. Locally they go to `otherEvents` when given, a queue that stands in for such a rule's
 * target (`npm start` makes `webhooks-bus-other-events`), else nowhere, as on a bus with no rule
 * for them.
 *
 * The rule's deliveries to the ingest queue from PutEvents calls made in the same turn of the
 * event loop go together, in SendMessageBatch calls of up to ten (EventBridge's target
 * delivery is its own, not one SQS call per PutEvents): one SendMessage per published event
 * was most of local mode's publish route. Each call still returns only once its own events are
 * on the queue, or in the target's DLQ.
 */
export class QueueEventBus implements EventBus, EntryBus {
  private waiting: { messages: QueueMessage[]; done: (failed: Set<string>) => void; fail: (err: Error) => void }[] = [];

  constructor(
    private readonly ingest: BatchQueue,
    private readonly region = 'us-east-1',
    /**
     * The rule target's DLQ: an event the rule cannot put on the ingest queue goes there, as
     * EventBridge does once its retries are spent, and PutEvents still succeeds.
     */
    private readonly targetDeadLetter?: Queue,
    /** Where events no rule of ours matches go (a stand-in for the operator's rule and its queue). */
    private readonly otherEvents?: Queue,
    /**
     * Where a copy of every operational event goes besides the ingest queue: an operator's rule on
     * their `source` (as on AWS, two rules that match one event each get it).
     */
    private readonly operatorRule?: Queue,
  ) {}

  async putEntries(entries: readonly BusEntry[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (const request of putEventsRequests(entries)) {
      options.signal?.throwIfAborted();
      await this.putEvents(request);
    }
  }

  async publish(tenantId: string, event: WebhookEvent, options: { stored?: boolean } = {}): Promise<void> {
    await this.putEvents([busEntry(tenantId, event, options.stored)]);
  }

  async putEvents(entries: readonly BusEntry[]): Promise<void> {
    if (entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES)
      throw new PutEventsValidationError(`PutEvents takes 1 to ${PUT_EVENTS_MAX_ENTRIES} entries, not ${entries.length}`);
    let total = 0;
    for (const entry of entries) {
      const bytes = putEventsEntryBytes(entry);
      if (!fitsPutEventsEntry(bytes)) throw new EntryTooLargeError(bytes);
      total += bytes;
    }
    if (total >= PUT_EVENTS_MAX_REQUEST_BYTES)
      throw new PutEventsValidationError(`Total size of the entries in the request is over the limit (${total} bytes)`);
    const events = entries.map((entry) => {
      const detail = JSON.parse(entry.Detail) as { tenant_id?: unknown } | null;
      const envelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: entry.Time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.region,
        resources: [],
        detail,
      };
      const tenant = detail?.tenant_id;
      return {
        id: envelope.id,
        body: JSON.stringify(envelope),
        ...(typeof tenant === 'string' ? { groupId: tenant } : {}),
        // The rule's pattern: `{"detail": {"tenant_id": [{"exists": true}]}}` (lib/constructs/event-ingest.ts).
        tenantEvent: tenant !== undefined && tenant !== null,
        operational: entry.Source === OPERATIONAL_EVENT_SOURCE,
      };
    });
    const forRule = events.filter((e) => e.tenantEvent).map(({ tenantEvent: _t, operational: _o, ...m }) => m);
    const forOperator = events.filter((e) => e.operational).map(({ tenantEvent: _t, operational: _o, groupId: _g, ...m }) => m);
    if (forOperator.length > 0 && this.operatorRule) await this.operatorRule.sendAll(forOperator);
    const others = events.filter((e) => !e.tenantEvent).map(({ tenantEvent: _t, operational: _o, groupId: _g, ...m }) => m);
    if (others.length > 0 && this.otherEvents) await this.otherEvents.sendAll(others);
    if (forRule.length === 0) return;
    let failed: QueueMessage[];
    try {
      const ids = await this.toIngest(forRule);
      failed = forRule.filter((m) => ids.has(m.id));
    } catch (err) {
      if (!this.targetDeadLetter) throw err;
      failed = forRule;
    }
    if (failed.length === 0) return;
    if (!this.targetDeadLetter) throw new Error(`SQS did not accept ${failed.length} message(s) for the ingest queue`);
    await this.targetDeadLetter.sendAll(failed.map(({ groupId: _tenant, ...message }) => message));
  }

  /** The ids of `messages` the ingest queue did not take, once this turn's sends are done. */
  private toIngest(messages: QueueMessage[]): Promise<Set<string>> {
    return new Promise((done, fail) => {
      if (this.waiting.push({ messages, done, fail }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      const failures = await this.ingest.trySendAll(batch.flatMap((w) => w.messages));
      const failed = new Set(failures.map((f) => f.id));
      for (const w of batch) w.done(failed);
    } catch (err) {
      for (const w of batch) w.fail(err as Error);
    }
  }
}
