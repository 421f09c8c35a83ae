import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from './local-aws.js';
import type { QueueRef } from './sqs-emulator.js';

/**
 * What Lambda's SQS event source mapping does, for local mode: long-poll a queue, hand
 * batches of up to ten records in the SQS event shape to a handler, delete what succeeded
 * and leave the items named in `batchItemFailures` (or the whole batch, if the handler
 * throws) for SQS to make visible again.
 */
export interface PollerOptions {
  sqs: SQSClient;
  queue: QueueRef;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /** Batches handled at once, as Lambda scales out over a busy queue. */
  concurrency?: number;
  /** Records per handler call; over ten, several receives fill one batch. */
  batchSize?: number;
  /** How long to keep gathering a batch while messages keep coming. */
  batchWindowSeconds?: number;
  onError?: (err: Error) => void;
}

export interface Poller {
  stop(): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  const { sqs, queue, handler } = options;
  let running = true;
  const abort = new AbortController();

  const batchSize = options.batchSize ?? 10;
  const windowMs = (options.batchWindowSeconds ?? 0) * 1000;

  const receive = async (max: number, wait: number) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      )
    ).Messages ?? [];

  /**
   * Up to `batchSize` messages (SQS gives ten a call). Like the event source mapping's
   * batching window, it keeps gathering while messages keep coming, but hands over what it
   * has as soon as the queue runs dry, so an idle local pipeline answers at once.
   */
  async function receiveBatch() {
    const batch = await receive(batchSize, 1);
    const deadline = Date.now() + windowMs;
    while (batch.length > 0 && batch.length < batchSize && Date.now() < deadline && running) {
      const more = await receive(batchSize - batch.length, 0);
      if (more.length === 0) break;
      batch.push(...more);
    }
    return batch;
  }

  async function loop(): Promise<void> {
    while (running) {
      try {
        const messages = await receiveBatch();
        if (messages.length === 0) continue;
        const records: SQSRecord[] = messages.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body ?? '',
          attributes: {
            ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
            SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
            SenderId: m.Attributes?.SenderId ?? '000000000000',
            ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: queue.arn,
          awsRegion: LOCAL_REGION,
        }));
        let failed: Set<string>;
        try {
          const response = await handler({ Records: records });
          failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch (err) {
          options.onError?.(err as Error);
          continue;
        }
        const done = records.filter((r) => !failed.has(r.messageId));
        for (let i = 0; i < done.length; i += 10) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: done.slice(i, i + 10).map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
      } catch (err) {
        if (!running) return;
        options.onError?.(err as Error);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  const loops = Array.from({ length: options.concurrency ?? 1 }, () => loop());
  return {
    async stop() {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
