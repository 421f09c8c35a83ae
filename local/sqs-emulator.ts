import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { maxReceiveCount, retentionSeconds } from '../functions/domain/retry-schedule.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

/**
 * fauxqs speaks the SQS API on loopback, so the real SqsQueue adapter runs against it. The
 * queues mirror the stack's: ingest with its DLQ, delivery with its DLQ, and the delivery
 * queue's maxReceiveCount derived from the retry schedule as on AWS. fauxqs keeps messages in
 * memory only, so local mode saves them on stop and sends them back on start.
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
  delivery: QueueRef;
  deliveryDlq: QueueRef;
  /** Every message of every queue (ready, delayed or in flight), with the seconds until it is due. */
  snapshot(): QueueSnapshot;
  /** Sends a snapshot's messages back, each due when it was (within SQS's 15-minute delay cap). */
  restore(snapshot: QueueSnapshot): Promise<number>;
  stop(): Promise<void>;
}

export type QueueSnapshot = Record<string, { body: string; dueInSeconds: number }[]>;

const MAX_DELAY_SECONDS = 900;

export const INGEST_MAX_RECEIVES = 5;
/** Visibility while a batch is being handled, as the stack's sender timeout x 6 would be. */
const PROCESSING_VISIBILITY_SECONDS = 60;

export async function startSqs(
  schedule: readonly number[],
  port = 0,
  processingVisibilitySeconds = PROCESSING_VISIBILITY_SECONDS,
): Promise<SqsEmulator> {
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false });
  const ref = (r: { queueUrl: string; queueArn: string; queueName: string }): QueueRef => ({
    url: r.queueUrl,
    arn: r.queueArn,
    name: r.queueName,
  });
  const retention = String(retentionSeconds(schedule));
  const ingestDlq = ref(server.createQueue('webhooks-ingest-dlq', { attributes: { MessageRetentionPeriod: '1209600' } }));
  const ingest = ref(
    server.createQueue('webhooks-ingest', {
      attributes: {
        VisibilityTimeout: String(PROCESSING_VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: ingestDlq.arn, maxReceiveCount: INGEST_MAX_RECEIVES }),
      },
    }),
  );
  const deliveryDlq = ref(server.createQueue('webhooks-delivery-dlq', { attributes: { MessageRetentionPeriod: '1209600' } }));
  const delivery = ref(
    server.createQueue('webhooks-delivery', {
      attributes: {
        VisibilityTimeout: String(processingVisibilitySeconds),
        MessageRetentionPeriod: retention,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deliveryDlq.arn, maxReceiveCount: maxReceiveCount(schedule) }),
      },
    }),
  );
  const client = new SQSClient({ endpoint: server.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const queues = [ingest, ingestDlq, delivery, deliveryDlq];
  return {
    snapshot() {
      const now = Date.now();
      const out: QueueSnapshot = {};
      for (const q of queues) {
        const state = server.inspectQueue(q.name);
        if (!state) continue;
        const due = (at: number | undefined) => Math.max(0, Math.ceil(((at ?? now) - now) / 1000));
        out[q.name] = [
          ...state.messages.ready.map((m) => ({ body: m.body, dueInSeconds: 0 })),
          ...state.messages.delayed.map((m) => ({ body: m.body, dueInSeconds: due(m.delayUntil) })),
          ...state.messages.inflight.map((e) => ({ body: e.message.body, dueInSeconds: due(e.visibilityDeadline) })),
        ];
      }
      return out;
    },
    async restore(snapshot) {
      let restored = 0;
      for (const q of queues) {
        const messages = snapshot[q.name] ?? [];
        for (let i = 0; i < messages.length; i += 10) {
          const chunk = messages.slice(i, i + 10);
          const out = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: q.url,
              Entries: chunk.map((m, n) => ({
                Id: String(n),
                MessageBody: m.body,
                DelaySeconds: Math.min(MAX_DELAY_SECONDS, m.dueInSeconds),
              })),
            }),
          );
          if (out.Failed?.length) throw new Error(`could not restore ${out.Failed.length} message(s) to ${q.name}: ${out.Failed[0]!.Code}`);
          restored += chunk.length;
        }
      }
      return restored;
    },
    endpoint: server.address,
    client,
    ingest,
    ingestDlq,
    delivery,
    deliveryDlq,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
