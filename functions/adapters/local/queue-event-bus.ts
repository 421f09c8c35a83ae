import { randomUUID } from 'node:crypto';
import { fitsPutEventsEntry, PUT_EVENTS_MAX_ENTRIES, PUT_EVENTS_MAX_REQUEST_BYTES, putEventsEntryBytes } from '../../domain/aws-limits.js';
import { type BusEntry, busEntry, EntryTooLargeError } from '../../domain/bus-entry.js';
import type { WebhookEvent } from '../../domain/model.js';
import type { EventBus, Queue } from '../../ports.js';

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
 */
export class QueueEventBus implements EventBus {
  constructor(
    private readonly ingest: Queue,
    private readonly region = 'us-east-1',
    /**
     * The rule target's DLQ: an event the rule cannot put on the ingest queue goes there, as
     * EventBridge does once its retries are spent, and PutEvents still succeeds.
     */
    private readonly targetDeadLetter?: Queue,
  ) {}

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
      return { id: envelope.id, body: JSON.stringify(envelope), ...(typeof tenant === 'string' ? { groupId: tenant } : {}) };
    });
    try {
      await this.ingest.sendAll(events);
    } catch (err) {
      if (!this.targetDeadLetter) throw err;
      await this.targetDeadLetter.sendAll(events.map(({ groupId: _tenant, ...message }) => message));
    }
  }
}
