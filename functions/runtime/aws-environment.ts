import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDeliveryStore, DEFAULT_RETENTION_DAYS } from '../adapters/aws/dynamodb-deliveries.js';
import { EmfMetrics } from '../adapters/aws/powertools-metrics.js';
import { DynamoSubscriptionRepository } from '../adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../adapters/aws/dynamodb-tenants.js';
import { EventBridgeBus } from '../adapters/aws/eventbridge-bus.js';
import { SecretsManagerStore } from '../adapters/aws/secrets-manager-store.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import { DEFAULT_RETRY_SCHEDULE, parseSchedule } from '../domain/retry-schedule.js';

/**
 * Builds the AWS adapters from the environment the CDK stack sets. Each getter creates its
 * client on first use, so a handler only pays for the clients it touches.
 */

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

let doc: DynamoDBDocumentClient | undefined;
const documentClient = () => (doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));
let sqs: SQSClient | undefined;
const sqsClient = () => (sqs ??= new SQSClient({}));

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks' });

export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Webhooks', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks' });

export const aws = {
  store: () => new DynamoDeliveryStore(documentClient(), required('TABLE_NAME'), Number(process.env.WEBHOOKS_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS)),
  metrics: () => new EmfMetrics(metrics),
  subscriptions: () => new DynamoSubscriptionRepository(documentClient(), required('TABLE_NAME')),
  tenants: () => new DynamoTenantRepository(documentClient(), required('TABLE_NAME')),
  secrets: () => new SecretsManagerStore(new SecretsManagerClient({})),
  bus: () => new EventBridgeBus(new EventBridgeClient({}), required('EVENT_BUS_NAME')),
  deliveryQueue: () => new SqsQueue(sqsClient(), required('DELIVERY_QUEUE_URL')),
  secretNamePrefix: () => required('SECRET_NAME_PREFIX'),
  retrySchedule: () => (process.env.WEBHOOKS_RETRY_SCHEDULE ? parseSchedule(process.env.WEBHOOKS_RETRY_SCHEDULE) : DEFAULT_RETRY_SCHEDULE),
};

export function logFn(level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>): void {
  logger[level](message, detail);
}
