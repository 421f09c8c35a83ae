import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { chunkByCountAndBytes, LAMBDA_SYNC_PAYLOAD_BYTES, utf8Bytes } from '../functions/domain/aws-limits.js';
import type { Faults } from './faults.js';
import { LOCAL_REGION } from './local-aws.js';
import type { QueueRef } from './sqs-emulator.js';

/**
 * What Lambda's SQS event source mapping does, for local mode: long-poll a queue, hand
 * batches of up to ten records in the SQS event shape to a handler, delete what succeeded
 * and leave the items named in `batchItemFailures` for SQS to make visible again. As on
 * Lambda, a batch goes in invocations of at most 6 MB, and an invocation that throws, times out or is throttled returns EVERY message of its
 * batch (each becomes visible when its visibility timeout ends, with a higher receive count),
 * and so does a response naming an item that is not in the batch.
 */
export interface PollerOptions {
  sqs: SQSClient;
  queue: QueueRef;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /** Batches handled at once while the queue is quiet. */
  concurrency?: number;
  /**
   * How far it scales out while every invocation is busy and the queue still has messages, as
   * Lambda adds concurrent invocations up to the mapping's maximum concurrency (at once here;
   * Lambda adds them over seconds). A slow invocation holds only its own slot.
   */
  maxConcurrency?: number;
  /** Records per handler call; over ten, several receives fill one batch. */
  batchSize?: number;
  /** How long to keep gathering a batch while messages keep coming. */
  batchWindowSeconds?: number;
  /** Like the function's timeout: past it the invocation's answer is discarded. */
  invocationTimeoutMs?: number;
  /** `throttle` and `invocation-timeout` faults, for tests. */
  faults?: Faults;
  onError?: (err: Error) => void;
}

/**
 * The records of one receive as the invocations an event source mapping makes of them: "all of
 * the records in the batch ... up to the payload limit for synchronous invocation (6 MB)"
 * (LAMBDA_SYNC_PAYLOAD_BYTES), counted as the event's JSON. Ten 1 MiB messages are two invocations.
 */
export function byInvocationPayload(records: readonly SQSRecord[], maxBytes = LAMBDA_SYNC_PAYLOAD_BYTES): SQSRecord[][] {
  const { batches, oversized } = chunkByCountAndBytes(
    records,
    (r) => utf8Bytes(JSON.stringify(r)) + 1,
    Number.POSITIVE_INFINITY,
    maxBytes - utf8Bytes('{"Records":[]}'),
  );
  // One record larger than an invocation cannot be: SQS's 1 MiB message limit keeps any from it.
  return [...batches, ...oversized.map((r) => [r])];
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
      // Lambda long-polls, which at SQS's in-flight cap answers nothing; these short polls get
      // OverLimit there instead, which ends the gathering as an empty answer would.
      const more = await receive(batchSize - batch.length, 0).catch((err: Error) => {
        if (err.name === 'OverLimit') return [];
        throw err;
      });
      if (more.length === 0) break;
      batch.push(...more);
    }
    return batch;
  }

  async function invoke(event: SQSEvent): Promise<SQSBatchResponse | undefined> {
    const timeoutMs = options.invocationTimeoutMs;
    if (!timeoutMs) return handler(event);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        handler(event),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`invocation timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function handleBatch(records: SQSRecord[]): Promise<void> {
    let failed: Set<string>;
    if (options.faults?.take('throttle')) {
      // Lambda refused the invocation: the records stay in flight until their timeout ends.
      options.onError?.(new Error('invocation throttled (injected)'));
      return;
    }
    try {
      const response = await invoke({ Records: records });
      if (options.faults?.take('invocation-timeout')) throw new Error('invocation timed out (injected)');
      const ids = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      // Lambda takes an unknown or empty identifier for a failure of the whole batch.
      if (ids.some((id) => !id || !records.some((r) => r.messageId === id)))
        throw new Error('batchItemFailures names an item not in the batch');
      failed = new Set(ids);
    } catch (err) {
      options.onError?.(err as Error);
      return;
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
  }

  const base = options.concurrency ?? 1;
  const max = Math.max(base, options.maxConcurrency ?? base);
  let active = 0;
  let busy = 0;
  const loops: Promise<void>[] = [];
  const spawn = (extra: boolean) => {
    active++;
    loops.push(loop(extra).finally(() => active--));
  };

  async function loop(extra: boolean): Promise<void> {
    while (running) {
      let counted = false;
      try {
        const messages = await receiveBatch();
        if (messages.length === 0) {
          // A scaled-out slot goes away once the queue is drained.
          if (extra) return;
          continue;
        }
        busy++;
        counted = true;
        if (busy >= active && active < max) spawn(true);
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
        // A batch goes to the function in invocations of at most 6 MB, as the mapping sends them.
        for (const batch of byInvocationPayload(records)) await handleBatch(batch);
      } catch (err) {
        if (!running) return;
        options.onError?.(err as Error);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        if (counted) busy--;
      }
    }
  }

  for (let i = 0; i < base; i++) spawn(false);
  return {
    async stop() {
      running = false;
      abort.abort();
      // Scaled-out slots may start while others stop: wait until none is left.
      while (loops.length > 0) await Promise.allSettled(loops.splice(0));
    },
  };
}
