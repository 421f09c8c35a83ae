import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RETENTION_DAYS, DynamoDeliveryStore } from '../adapters/aws/dynamodb-deliveries.js';
import { DynamoParkingStore } from '../adapters/aws/dynamodb-parking.js';
import { DynamoPortalSessionStore } from '../adapters/aws/dynamodb-portal-sessions.js';
import { DynamoRateSlots } from '../adapters/aws/dynamodb-rate-limit.js';
import { DynamoRecoveryStore } from '../adapters/aws/dynamodb-recoveries.js';
import { DynamoSubscriptionRepository } from '../adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../adapters/aws/dynamodb-tenants.js';
import { optionalNumber, tableName } from './config.js';

/** The DynamoDB adapters, sharing one client per container. */

let doc: DynamoDBDocumentClient | undefined;
export const documentClient = () =>
  (doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));

export const subscriptionRepository = () => new DynamoSubscriptionRepository(documentClient(), tableName());
export const tenantRepository = () => new DynamoTenantRepository(documentClient(), tableName());
export const retentionDays = () => optionalNumber('WEBHOOKS_RETENTION_DAYS') ?? DEFAULT_RETENTION_DAYS;
export const deliveryStore = () => new DynamoDeliveryStore(documentClient(), tableName(), retentionDays());
/** Recoveries and auto-disable (functions/domain/recovery.ts). */
export const recoveryStore = () => new DynamoRecoveryStore(documentClient(), tableName(), retentionDays());
/** Lots and the due-time index (functions/domain/parking.ts). */
export const parkingStore = () => new DynamoParkingStore(documentClient(), tableName());
/** Subscriptions' rate limits (functions/domain/rate-limit.ts). */
export const rateSlots = () => new DynamoRateSlots(documentClient(), tableName());
export const portalSessionStore = () => new DynamoPortalSessionStore(documentClient(), tableName());
