import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoInboundStore } from '../../functions/adapters/aws/dynamodb-inbound.js';
import { EventBridgeBus } from '../../functions/adapters/aws/eventbridge-bus.js';
import { S3BodyStore } from '../../functions/adapters/aws/s3-bodies.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { QueueEventBus } from '../../functions/adapters/local/queue-event-bus.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import type { InboundTarget } from './inbound-commands.js';
import { type Target, TargetError } from './targets.js';

/**
 * The inbound CLI's ports on a target: the table, Secrets Manager, the bus and the body bucket of
 * the deployed stack, or local mode's (dynalite, its Secrets Manager stand-in, its bus stand-in
 * over fauxqs, fauxqs's S3), all through the same adapters the functions use.
 */
export function inboundTargetOf(target: Target, retentionDays?: number): InboundTarget & { close(): void } {
  const inbound = target.inbound;
  if (!inbound)
    throw new TargetError(
      `${target.description} has no inbound webhooks (deployed before them): deploy this version first (npx cdk deploy)`,
    );
  const config =
    target.kind === 'local' ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } : target.region ? { region: target.region } : {};
  const secretsManager = new SecretsManagerClient({
    ...config,
    ...(inbound.secretsManagerEndpoint ? { endpoint: inbound.secretsManagerEndpoint } : {}),
  });
  const s3 = new S3Client({ ...config, ...(target.kind === 'local' ? { endpoint: target.sqsEndpoint!, forcePathStyle: true } : {}) });
  let bus: InboundTarget['bus'];
  let eventBridge: EventBridgeClient | undefined;
  if (target.kind === 'local') {
    if (!target.ingestQueueUrl || !inbound.busOtherEventsQueueUrl)
      throw new TargetError(`${target.description}: restart local mode with npm start`);
    bus = new QueueEventBus(
      new SqsQueue(target.sqs, target.ingestQueueUrl, { astral: true }),
      LOCAL_REGION,
      target.busTargetDeadLetterQueueUrl ? new SqsQueue(target.sqs, target.busTargetDeadLetterQueueUrl) : undefined,
      new SqsQueue(target.sqs, inbound.busOtherEventsQueueUrl, { astral: true }),
    );
  } else {
    eventBridge = new EventBridgeClient(config);
    bus = new EventBridgeBus(eventBridge, inbound.eventBusName!);
  }
  const store = new DynamoInboundStore(target.doc, target.tableName, retentionDays);
  return {
    sources: store,
    store,
    bodies: new S3BodyStore(s3, inbound.bodyBucket),
    bus,
    secretsManager,
    secretPrefix: inbound.secretPrefix,
    declared: inbound.declaredSources,
    bodyBucket: inbound.bodyBucket,
    ...(target.apiUrl ? { apiUrl: target.apiUrl } : {}),
    close() {
      secretsManager.destroy();
      s3.destroy();
      eventBridge?.destroy();
    },
  };
}
