import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeBus } from '../adapters/aws/eventbridge-bus.js';
import { SecretsManagerStore } from '../adapters/aws/secrets-manager-store.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import { required } from './config.js';

/**
 * The SQS, EventBridge and Secrets Manager adapters. Each handler imports only the factories it
 * calls, so the bundler leaves the other clients out of its bundle.
 */

export const deliveryQueue = () => new SqsQueue(new SQSClient({}), required('DELIVERY_QUEUE_URL'));
export const eventBus = () => new EventBridgeBus(new EventBridgeClient({}), required('EVENT_BUS_NAME'));
export const secretStore = () => new SecretsManagerStore(new SecretsManagerClient({}));
