import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoCallBudget } from '../adapters/aws/dynamodb-call-budget.js';
import { EnvelopeSecretStore } from '../adapters/aws/dynamodb-envelope-secrets.js';
import { EventBridgeBus } from '../adapters/aws/eventbridge-bus.js';
import { SECRETS_MANAGER_BUDGETS, SecretsManagerStore } from '../adapters/aws/secrets-manager-store.js';
import { SqsInFlightGauge } from '../adapters/aws/sqs-in-flight.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import type { SecretStore } from '../ports.js';
import { required, secretNamePrefix, secretStorage, tableName } from './config.js';
import { documentClient } from './dynamodb.js';

/**
 * The SQS, EventBridge and Secrets Manager adapters. Each handler imports only the factories it
 * calls, so the bundler leaves the other clients out of its bundle.
 */

let sqs: SQSClient | undefined;
const sqsClient = () => (sqs ??= new SQSClient({}));
export const deliveryQueue = () => new SqsQueue(sqsClient(), required('DELIVERY_QUEUE_URL'));
/** The delivery queue's in-flight count, for the sender's parking. */
export const deliveryInFlight = () => new SqsInFlightGauge(sqsClient(), required('DELIVERY_QUEUE_URL'));
/** The fan-out's own queue, which its continuations go to (only the fan-out has INGEST_QUEUE_URL). */
export const ingestQueue = () => new SqsQueue(sqsClient(), required('INGEST_QUEUE_URL'));
export const eventBus = () => new EventBridgeBus(new EventBridgeClient({}), required('EVENT_BUS_NAME'));
/** The bus as the sender and the API put operational events on it. */
export const operationalBus = () => new EventBridgeBus(new EventBridgeClient({}), required('EVENT_BUS_NAME'));
/** The bus as the inbound function puts any entries on it. */
export const inboundBus = () => new EventBridgeBus(new EventBridgeClient({}), required('EVENT_BUS_NAME'));
/**
 * The inbound sources' secrets: Secrets Manager, whatever the signing secrets' storage. Only
 * GetSecretValue (10,000 a second, cached per container), so nothing is taken from the budget,
 * whose items the inbound function's role cannot reach.
 */
export const inboundSecrets = () => new SecretsManagerStore(new SecretsManagerClient({}));
/**
 * SECRET_STORAGE picks the storage; envelope reads its key ring from the secret SECRET_KEK_ID.
 * Secrets Manager's small quotas are budgeted in the table, across every container of the stack.
 */
export function secretStore(): SecretStore {
  const budget = new DynamoCallBudget({ doc: documentClient(), tableName: tableName(), limits: SECRETS_MANAGER_BUDGETS });
  const manager = new SecretsManagerStore(new SecretsManagerClient({}), { budget });
  if (secretStorage() === 'per-subscription') return manager;
  const kekId = required('SECRET_KEK_ID');
  return new EnvelopeSecretStore({
    doc: documentClient(),
    tableName: tableName(),
    namePrefix: secretNamePrefix(),
    readKeyring: () => manager.get(kekId),
  });
}
