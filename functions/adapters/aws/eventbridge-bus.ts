import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { fitsPutEventsEntry, putEventsEntryBytes } from '../../domain/aws-limits.js';
import { busEntry, EntryTooLargeError } from '../../domain/bus-entry.js';
import type { WebhookEvent } from '../../domain/model.js';
import type { EventBus } from '../../ports.js';

export { API_EVENT_SOURCE } from '../../domain/bus-entry.js';

export class EventBridgeBus implements EventBus {
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
}
