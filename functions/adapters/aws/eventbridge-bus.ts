import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BusDetail, WebhookEvent } from '../../domain/model.js';
import { sqsSafeJson } from '../../domain/sqs-safe-json.js';
import type { EventBus } from '../../ports.js';

/** Events the API publishes carry this source; producers may use their own. */
export const API_EVENT_SOURCE = 'webhooks.api';

export function busDetail(tenantId: string, event: WebhookEvent, unique = false): BusDetail {
  return unique ? { tenant_id: tenantId, event, unique } : { tenant_id: tenantId, event };
}

export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(tenantId: string, event: WebhookEvent, options: { unique?: boolean } = {}): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: API_EVENT_SOURCE,
            DetailType: event.type,
            Time: new Date(event.timestamp),
            // The rule's target is the ingest queue: a detail SQS would refuse could never arrive.
            Detail: sqsSafeJson(JSON.stringify(busDetail(tenantId, event, options.unique))),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) {
      const entry = out.Entries?.[0];
      throw new Error(`EventBridge refused the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`);
    }
  }
}
