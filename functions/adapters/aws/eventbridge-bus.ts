import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { fitsPutEventsEntry, putEventsEntryBytes } from '../../domain/aws-limits.js';
import { type BusEntry, busEntry, EntryTooLargeError, putEventsRequests } from '../../domain/bus-entry.js';
import type { WebhookEvent } from '../../domain/model.js';
import { BusEntriesFailed, type EntryBus, type EventBus } from '../../ports.js';

export { API_EVENT_SOURCE } from '../../domain/bus-entry.js';

export class EventBridgeBus implements EventBus, EntryBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(tenantId: string, event: WebhookEvent, options: { stored?: boolean } = {}): Promise<void> {
    const entry = busEntry(tenantId, event, options.stored);
    // Checked here too, so a caller that skipped fitsBusInline gets a clear error, not EventBridge's.
    const bytes = putEventsEntryBytes(entry);
    if (!fitsPutEventsEntry(bytes)) throw new EntryTooLargeError(bytes);
    const out = await this.client.send(new PutEventsCommand({ Entries: [{ EventBusName: this.busName, ...entry }] }));
    if (out.FailedEntryCount) {
      const failed = out.Entries?.[0];
      throw new Error(`EventBridge refused the event: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`);
    }
  }

  /**
   * Every entry, in requests of at most 10 entries and under 1 MB together. PutEvents can succeed
   * and still refuse some entries (FailedEntryCount, each with ErrorCode): that is a failure too.
   * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
   */
  async putEntries(entries: readonly BusEntry[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (const request of putEventsRequests(entries)) {
      const out = await this.client.send(
        new PutEventsCommand({ Entries: request.map((e) => ({ EventBusName: this.busName, ...e })) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      if (out.FailedEntryCount) {
        const first = out.Entries?.find((e) => e.ErrorCode);
        throw new BusEntriesFailed(
          `EventBridge refused ${out.FailedEntryCount} of ${request.length} entries: ${first?.ErrorCode ?? 'unknown'} ${first?.ErrorMessage ?? ''}`.trim(),
          out.FailedEntryCount,
        );
      }
    }
  }
}
