import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { maxAttempts, retentionSeconds } from '../functions/domain/retry-schedule.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

/**
 * fauxqs speaks the SQS API on loopback, so the real SqsQueue adapter runs against it. The
 * queues mirror the stack's: ingest with its DLQ, delivery with its DLQ, and the delivery
 * queue's maxReceiveCount derived from the retry schedule as on AWS.
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
  stop(): Promise<void>;
}

export const INGEST_MAX_RECEIVES = 5;
/** Visibility while a batch is being handled, as the stack's sender timeout x 6 would be. */
const PROCESSING_VISIBILITY_SECONDS = 60;

export async function startSqs(schedule: readonly number[], port = 0): Promise<SqsEmulator> {
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false });
  const ref = (r: { queueUrl: string; queueArn: string; queueName: string }): QueueRef => ({ url: r.queueUrl, arn: r.queueArn, name: r.queueName });
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
        VisibilityTimeout: String(PROCESSING_VISIBILITY_SECONDS),
        MessageRetentionPeriod: retention,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deliveryDlq.arn, maxReceiveCount: maxAttempts(schedule) }),
      },
    }),
  );
  const client = new SQSClient({ endpoint: server.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
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
