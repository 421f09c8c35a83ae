import { GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FauxqsServer } from 'fauxqs';
import { SQS_MAX_IN_FLIGHT_MESSAGES } from '../functions/domain/aws-limits.js';
import { maxReceiveCount, retentionSeconds } from '../functions/domain/retry-schedule.js';
import { applyFauxqsFixes } from './fauxqs-fixes.js';
import { startTwinFauxqs } from './fauxqs-rules.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

/**
 * fauxqs speaks the SQS API on loopback, so the real SqsQueue adapter runs against it. The
 * queues mirror the stack's: ingest with its DLQ, delivery with its DLQ, and the delivery
 * queue's maxReceiveCount derived from the retry schedule as on AWS. Given a directory, fauxqs
 * writes every change through to SQLite there, so a `kill -9` loses no message: on the next
 * start ready, delayed and in-flight messages come back with their receive counts and
 * visibility deadlines. The queues follow SQS's rules fauxqs leaves out (local/fauxqs-rules.ts):
 * MessageGroupId kept on standard queues, fair queues, the in-flight cap, retention.
 */
export interface QueueRef {
  url: string;
  arn: string;
  name: string;
}

export interface SqsEmulator {
  endpoint: string;
  client: SQSClient;
  ingest: QueueRef;
  ingestDlq: QueueRef;
  /** The bus rule target's DLQ: events the stand-in for EventBridge could not put on the ingest queue. */
  busTargetDlq: QueueRef;
  /**
   * Events on the bus no rule of the pipeline matches (inbound events among them): a stand-in for
   * an operator's own rule with a queue as its target, so that they can be seen locally.
   */
  busOtherEvents: QueueRef;
  /**
   * Where the bus puts a copy of every operational event (source `webhooks.operational`): the
   * stand-in for an operator's own rule on that source with a queue as its target.
   */
  busOperationalEvents: QueueRef;
  delivery: QueueRef;
  deliveryDlq: QueueRef;
  /** Messages of a queue by state, without changing anything (tests and diagnostics). */
  inspect(queue: QueueRef): { ready: number; delayed: number; inflight: number };
  /** Every message of a queue, in whatever state, without changing anything (tests). */
  peek(queue: QueueRef): PeekedMessage[];
  /**
   * Tests: moves a message's first-send time back by `seconds` (in memory and on disk), so
   * retention can be seen without waiting for it. Throws when the queue has no such message.
   */
  backdate(queue: QueueRef, messageId: string, seconds: number): void;
  stop(): Promise<void>;
}

export interface PeekedMessage {
  messageId: string;
  body: string;
  /** When it was first sent (epoch ms): what its retention counts from. */
  sentTimestamp: number;
  /** Times it has been received (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  groupId?: string;
  state: 'ready' | 'delayed' | 'inflight';
}

export const INGEST_MAX_RECEIVES = 5;
/**
 * Visibility while a batch is being handled. The stack's is six times its functions' timeout
 * (lib/constructs/delivery-queues.ts, event-ingest.ts); a minute here, so a batch a crash cut
 * off comes back soon.
 */
export const PROCESSING_VISIBILITY_SECONDS = 60;
const DLQ_RETENTION_SECONDS = String(14 * 24 * 60 * 60);

export interface SqsEmulatorOptions {
  schedule: readonly number[];
  /** Where fauxqs keeps its SQLite database; in memory when absent. */
  dataDir?: string;
  port?: number;
  /** How long a received batch stays invisible before SQS hands it out again. */
  processingVisibilitySeconds?: number;
  /**
   * In-flight messages a queue holds before receives stop, every queue alike: SQS's quota for a
   * standard queue (about 120,000) unless a test sets it low to see what happens at it.
   */
  inFlightCap?: number;
}

export async function startSqs(options: SqsEmulatorOptions): Promise<SqsEmulator> {
  if (options.dataDir) await applyFauxqsFixes();
  const inFlightCap = options.inFlightCap ?? SQS_MAX_IN_FLIGHT_MESSAGES;
  if (!Number.isInteger(inFlightCap) || inFlightCap < 1)
    throw new Error(`inFlightCap must be a whole number of at least 1, not ${inFlightCap}`);
  const twin = await startTwinFauxqs(
    {
      port: options.port ?? 0,
      host: '127.0.0.1',
      logger: false,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    },
    { inFlightCap },
  );
  const { server } = twin;
  const client = new SQSClient({ endpoint: server.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const queue = (name: string, attributes: Record<string, string>) => ensureQueue(server, client, name, attributes);
    const visibility = String(options.processingVisibilitySeconds ?? PROCESSING_VISIBILITY_SECONDS);
    const ingestDlq = await queue('webhooks-ingest-dlq', { MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
    const ingest = await queue('webhooks-ingest', {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: ingestDlq.arn, maxReceiveCount: INGEST_MAX_RECEIVES }),
    });
    const busTargetDlq = await queue('webhooks-bus-target-dlq', { MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
    const busOtherEvents = await queue('webhooks-bus-other-events', { MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
    const busOperationalEvents = await queue('webhooks-bus-operational-events', { MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
    const deliveryDlq = await queue('webhooks-delivery-dlq', { MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
    const delivery = await queue('webhooks-delivery', {
      VisibilityTimeout: visibility,
      MessageRetentionPeriod: String(retentionSeconds(options.schedule)),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deliveryDlq.arn, maxReceiveCount: maxReceiveCount(options.schedule) }),
    });
    return {
      endpoint: server.address,
      client,
      ingest,
      ingestDlq,
      busTargetDlq,
      busOtherEvents,
      busOperationalEvents,
      delivery,
      deliveryDlq,
      inspect(q) {
        const state = server.inspectQueue(q.name);
        if (!state) throw new Error(`no queue ${q.name}`);
        return { ready: state.messages.ready.length, delayed: state.messages.delayed.length, inflight: state.messages.inflight.length };
      },
      peek(q) {
        const state = server.inspectQueue(q.name);
        if (!state) throw new Error(`no queue ${q.name}`);
        type Raw = { messageId: string; body: string; sentTimestamp: number; approximateReceiveCount: number; messageGroupId?: string };
        const of = (m: Raw, s: PeekedMessage['state']): PeekedMessage => ({
          messageId: m.messageId,
          body: m.body,
          sentTimestamp: m.sentTimestamp,
          receiveCount: m.approximateReceiveCount,
          ...(m.messageGroupId ? { groupId: m.messageGroupId } : {}),
          state: s,
        });
        return [
          ...(state.messages.ready as Raw[]).map((m) => of(m, 'ready')),
          ...(state.messages.delayed as Raw[]).map((m) => of(m, 'delayed')),
          ...(state.messages.inflight as { message: Raw }[]).map((e) => of(e.message, 'inflight')),
        ];
      },
      backdate(q, messageId, seconds) {
        if (!twin.backdate(q.name, messageId, seconds)) throw new Error(`no message ${messageId} in ${q.name}`);
      },
      async stop() {
        client.destroy();
        await twin.stop();
      },
    };
  } catch (err) {
    client.destroy();
    await twin.stop();
    throw err;
  }
}

/**
 * A queue restored from the data directory keeps its messages: creating it again would replace
 * it (and its messages) with an empty one, so only its attributes are brought up to date, as a
 * redeploy of the stack would.
 */
async function ensureQueue(server: FauxqsServer, client: SQSClient, name: string, attributes: Record<string, string>): Promise<QueueRef> {
  if (!server.inspectQueue(name)) {
    const created = server.createQueue(name, { attributes });
    return { url: created.queueUrl, arn: created.queueArn, name };
  }
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return { url: QueueUrl!, arn: server.inspectQueue(name)!.arn, name };
}
