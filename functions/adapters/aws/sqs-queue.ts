import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  chunkByCountAndBytes,
  isSqsMessageGroupId,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_MESSAGE_BYTES,
  sqsMessageBytes,
} from '../../domain/aws-limits.js';
import { type SqsSafeOptions, sqsSafeJson } from '../../domain/sqs-safe-json.js';
import type { BatchQueue, ChangeVisibility, QueueMessage, SendFailure } from '../../ports.js';

const ATTEMPTS = 4;
const PARALLEL_BATCHES = 8;

interface Entry {
  message: QueueMessage;
  /** The body exactly as sent: sizes are counted on it. */
  body: string;
  bytes: number;
}

export class SqsQueue implements BatchQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    /** How bodies are made safe for SQS's character set (local mode escapes emoji too, for fauxqs). */
    private readonly text: SqsSafeOptions = {},
  ) {}

  async sendAll(messages: readonly QueueMessage[]): Promise<void> {
    const failed = await this.trySendAll(messages);
    if (failed.length > 0) throw new Error(`SQS did not accept ${failed.length} message(s): ${failed[0]!.reason}`);
  }

  /**
   * SendMessageBatch in batches of at most ten messages and 1 MiB together (SQS refuses a larger
   * request as a whole). SQS can accept a batch yet refuse some entries (throttling, internal
   * errors): those are sent again, a few times. A message SQS can never take (over 1 MiB, a
   * malformed group id, or refused as the sender's fault) is not retried. Answers what never went, by message id.
   */
  async trySendAll(messages: readonly QueueMessage[]): Promise<SendFailure[]> {
    const entries = messages.map((message): Entry => {
      // The body exactly as it goes to SQS: anything that rewrites it belongs here, before it is measured.
      const body = sqsSafeJson(message.body, this.text);
      return { message, body, bytes: sqsMessageBytes(body) };
    });
    // SQS would refuse a malformed group id as the sender's fault: named here, never sent.
    const failures: SendFailure[] = [];
    const sendable = entries.filter((e) => {
      const group = e.message.groupId;
      if (group === undefined || isSqsMessageGroupId(group)) return true;
      failures.push({ id: e.message.id, reason: `the group id ${JSON.stringify(group)} is not a valid SQS MessageGroupId` });
      return false;
    });
    // MessageGroupId is not part of a message's size (aws-limits.ts): the body alone is counted.
    const { batches, oversized } = chunkByCountAndBytes(sendable, (e) => e.bytes, SQS_MAX_BATCH_ENTRIES, SQS_MAX_BATCH_BYTES);
    for (const e of oversized)
      failures.push({ id: e.message.id, reason: `the message is ${e.bytes} bytes; SQS takes at most ${SQS_MAX_MESSAGE_BYTES}` });
    // A few batches at a time: a fan-out of a thousand messages takes a tenth of the time.
    let next = 0;
    const worker = async () => {
      while (next < batches.length) failures.push(...(await this.sendBatch(batches[next++]!)));
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
    return failures;
  }

  private async sendBatch(batch: readonly Entry[]): Promise<SendFailure[]> {
    const failures: SendFailure[] = [];
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let out: SendMessageBatchCommandOutput;
      try {
        out = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map((e, n) => ({
              Id: String(n),
              MessageBody: e.body,
              ...(e.message.delaySeconds ? { DelaySeconds: e.message.delaySeconds } : {}),
              ...(e.message.groupId !== undefined ? { MessageGroupId: e.message.groupId } : {}),
            })),
          }),
        );
      } catch (err) {
        // The SDK has retried already: nothing of this batch went.
        return [...failures, ...pending.map((e) => ({ id: e.message.id, reason: (err as Error).message }))];
      }
      const retry: Entry[] = [];
      for (const f of out.Failed ?? []) {
        const entry = pending[Number(f.Id)];
        if (!entry) continue;
        const reason = `${f.Code ?? 'error'} ${f.Message ?? ''}`.trim();
        if (f.SenderFault || attempt >= ATTEMPTS) failures.push({ id: entry.message.id, reason });
        else retry.push(entry);
      }
      pending = retry;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
    return failures;
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
    );
  }

  async changeVisibilities(changes: readonly ChangeVisibility[]): Promise<void> {
    for (let i = 0; i < changes.length; i += SQS_MAX_BATCH_ENTRIES) {
      const chunk = changes.slice(i, i + SQS_MAX_BATCH_ENTRIES);
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
