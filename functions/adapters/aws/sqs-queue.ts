import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type SqsSafeOptions, sqsSafeJson } from '../../domain/sqs-safe-json.js';
import type { ChangeVisibility, Queue, QueueMessage } from '../../ports.js';

const BATCH = 10;
const ATTEMPTS = 4;
const PARALLEL_BATCHES = 8;

export class SqsQueue implements Queue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    /** How bodies are made safe for SQS's character set (local mode escapes emoji too, for fauxqs). */
    private readonly text: SqsSafeOptions = {},
  ) {}

  /**
   * SendMessageBatch in tens. SQS can accept a batch yet refuse some entries (throttling,
   * internal errors): those are sent again, a few times, and anything still refused fails
   * the whole call so the caller's message is retried rather than lost.
   */
  async sendAll(unsafe: readonly QueueMessage[]): Promise<void> {
    // Before any size is measured: an escape makes a body longer.
    const messages = unsafe.map((m) => ({ ...m, body: sqsSafeJson(m.body, this.text) }));
    const chunks: QueueMessage[][] = [];
    for (let i = 0; i < messages.length; i += BATCH) chunks.push(messages.slice(i, i + BATCH));
    // A few batches at a time: a fan-out of a thousand messages takes a tenth of the time.
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await this.sendBatch(chunks[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, chunks.length) }, worker));
  }

  private async sendBatch(batch: readonly QueueMessage[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: pending.map((m, n) => ({
            Id: String(n),
            MessageBody: m.body,
            ...(m.delaySeconds ? { DelaySeconds: m.delaySeconds } : {}),
          })),
        }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
      const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
      if (senderFault) throw new Error(`SQS refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`);
      pending = pending.filter((_, n) => failed.has(n));
      if (pending.length > 0 && attempt >= ATTEMPTS)
        throw new Error(`SQS did not accept ${pending.length} message(s) after ${ATTEMPTS} tries`);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
    );
  }

  async changeVisibilities(changes: readonly ChangeVisibility[]): Promise<void> {
    for (let i = 0; i < changes.length; i += BATCH) {
      const chunk = changes.slice(i, i + BATCH);
      const out = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((c, n) => ({ Id: String(n), ReceiptHandle: c.receiptHandle, VisibilityTimeout: c.seconds })),
        }),
      );
      // A failed change leaves the queue's own visibility timeout in force: the message still
      // comes back, only sooner or later than planned. Worth knowing, not worth losing a batch over.
      if (out.Failed?.length)
        throw new Error(`SQS did not change the visibility of ${out.Failed.length} message(s): ${out.Failed[0]!.Code}`);
    }
  }
}
