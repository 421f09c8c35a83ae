import { randomUUID } from 'node:crypto';
import type { WebhookEvent } from '../../domain/model.js';
import type { EventBus, Queue } from '../../ports.js';
import { API_EVENT_SOURCE, busDetail } from '../aws/eventbridge-bus.js';

/**
 * Local stand-in for the EventBridge bus and its rule: wraps the event in the envelope
 * EventBridge gives an SQS target and sends it to the ingest queue, which is what the
 * deployed rule does.
 */
export class QueueEventBus implements EventBus {
  constructor(
    private readonly ingest: Queue,
    private readonly region = 'us-east-1',
  ) {}

  async publish(tenantId: string, event: WebhookEvent, options: { unique?: boolean } = {}): Promise<void> {
    const envelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': event.type,
      source: API_EVENT_SOURCE,
      account: '000000000000',
      time: new Date(event.timestamp).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [],
      detail: busDetail(tenantId, event, options.unique),
    };
    await this.ingest.sendAll([{ id: envelope.id, body: JSON.stringify(envelope) }]);
  }
}
