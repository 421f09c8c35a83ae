/** Stored shapes, independent of both API versions' views of them. */

export type SubscriptionStatus = 'enabled' | 'disabled';

export interface Subscription {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  events: string[];
  version: string;
  status: SubscriptionStatus;
  /** Name of the signing secret in the secret store; the value never sits in DynamoDB. */
  secretName: string;
  createdTime: string;
  updatedTime: string;
  deletedTime?: string;
}

export interface Tenant {
  tenantId: string;
  name: string;
  identity: string;
  /** sha256 of the Authorization value, hex; the value itself is shown once and never stored. */
  keyHash: string;
  status: 'active' | 'revoked';
  createdTime: string;
  revokedTime?: string;
}

/** The envelope every receiver gets: Standard Webhooks' recommended `type`, `timestamp`, `data`. */
export interface WebhookEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** One SQS message on the delivery queue: everything the sender needs, so it reads no event table. */
export interface DeliveryMessage {
  deliveryId: string;
  tenantId: string;
  subscriptionId: string;
  event: WebhookEvent;
  createdTime: string;
}

/** The detail of the EventBridge events the bus carries (detail-type is the event type). */
export interface BusDetail {
  tenant_id: string;
  event: WebhookEvent;
}
