import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BodyStore } from '../functions/adapters/aws/s3-bodies.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

export const LOCAL_BODY_BUCKET = 'webhooks-bodies';

export interface BodyBucket {
  client: S3Client;
  store: S3BodyStore;
  stop(): void;
}

/**
 * The stack's body bucket (lib/constructs/event-bodies.ts) on fauxqs's S3, which shares the SQS
 * emulator's port and data directory, so large bodies outlive a restart as the queues do. Its
 * lifecycle rule is the stack's; fauxqs stores it and does not expire objects (a local bucket
 * grows by what large events put in it).
 */
export async function startBodyBucket(endpoint: string, retentionDays: number): Promise<BodyBucket> {
  const client = new S3Client({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: LOCAL_BODY_BUCKET }));
  await client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: LOCAL_BODY_BUCKET,
      LifecycleConfiguration: {
        Rules: [{ ID: 'expire-with-retention', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: retentionDays } }],
      },
    }),
  );
  return { client, store: new S3BodyStore(client, LOCAL_BODY_BUCKET), stop: () => client.destroy() };
}
