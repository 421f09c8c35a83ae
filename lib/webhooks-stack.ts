import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  type InboundSource,
  type LogLevel,
  type MemorySizes,
  type ProvisionedConcurrency,
  SETTING_LIMITS,
  type SecretStorage,
  type StaticSourceIps,
  type ThrottleLimits,
  WebhookDelivery,
  wholeNumber,
} from './webhook-delivery.js';

export { API_SECRET_ACTIONS } from './webhook-delivery.js';

export interface WebhooksStackProps extends StackProps {
  /**
   * Seconds to wait before each retry of a failed delivery; a delivery gets one attempt more than
   * there are steps. Each step at most 12 h (SQS's visibility limit).
   * @default DEFAULT_RETRY_SCHEDULE (functions/domain/retry-schedule.ts)
   */
  readonly retrySchedule?: readonly number[];
  /** SNS topic (ARN) that gets the alarms and their recoveries. @default no alarm actions */
  readonly alarmTopicArn?: string;
  /**
   * Create the account-wide API Gateway CloudWatch Logs role that stage logging needs. Turn off
   * when the account and region already have one.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** How long a rotated-out signing secret keeps signing. @default 86400 (24 h) */
  readonly secretRotationOverlapSeconds?: number;
  /** Days events, deliveries and attempts are kept (DynamoDB TTL). @default 30 */
  readonly retentionDays?: number;
  /** Per-attempt HTTP timeout, 1 to 30 s (the sender runs a batch within its 60 s). @default DEFAULT_ATTEMPT_TIMEOUT_MS (functions/domain/retry-schedule.ts) */
  readonly attemptTimeoutSeconds?: number;
  /** MaximumConcurrency of the sender's event source mapping (2 to 1,000). @default 400 */
  readonly senderMaxConcurrency?: number;
  /** MaximumConcurrency of the fan-out's event source mapping (2 to 1,000). @default 50 */
  readonly fanoutMaxConcurrency?: number;
  /** Most subscriptions per tenant. @default 1000 */
  readonly maxSubscriptionsPerTenant?: number;
  /** The functions' log level. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** How long a tenant portal link works (once), 60 s to 1 day. @default 900 (15 min) */
  readonly portalLinkTtlSeconds?: number;
  /** How long a tenant portal session lasts, 60 s to 1 day. @default 3600 (1 h) */
  readonly portalSessionTtlSeconds?: number;
  /** Where the portal's link to the receiver guide points (see WebhookDeliveryProps.receiverGuideUrl). @default the guide the portal serves */
  readonly receiverGuideUrl?: string;
  /** Where signing secrets are kept (see WebhookDeliveryProps.secretStorage). @default 'per-subscription' */
  readonly secretStorage?: SecretStorage;
  /**
   * Envelope storage: the complete ARN of an existing key ring to use instead of making one (a
   * ring kept from an earlier stack, or from a version that named it `webhooks/<stack>-key-encryption-key`).
   * @default a new ring with a generated name
   */
  readonly keyEncryptionKeyArn?: string;
  /** Each tenant's API limit unless given its own (see WebhookDeliveryProps.tenantThrottle). @default 20 a second, burst 40 */
  readonly tenantThrottle?: ThrottleLimits;
  /** The API stage's limit for everyone together. @default 100 a second, burst 200 */
  readonly stageThrottle?: ThrottleLimits;
  /** Inbound webhook sources (see WebhookDeliveryProps.inboundSources). @default none */
  readonly inboundSources?: readonly InboundSource[];
  /** Deliveries from fixed Elastic IPs, one per zone (see WebhookDeliveryProps.staticSourceIps). @default off */
  readonly staticSourceIps?: StaticSourceIps;
  /** Memory per function, MB, over each one's default (see WebhookDeliveryProps.memorySizes). @default each function's own */
  readonly memorySizes?: MemorySizes;
  /** Pre-initialized environments for the api and the authorizer (see WebhookDeliveryProps.provisionedConcurrency). @default none */
  readonly provisionedConcurrency?: ProvisionedConcurrency;
}

/**
 * `npx cdk deploy`'s stack: one WebhookDelivery named after the stack (the bus
 * `<stack>-events`, the secrets `webhooks/<stack>/...`), and the outputs the CLI tools
 * (`npm run tenant`, `npm run redrive`) and docs/runbook.md look up by key.
 */
export class WebhooksStack extends Stack {
  readonly webhooks: WebhookDelivery;

  constructor(scope: Construct, id: string, props: WebhooksStackProps = {}) {
    super(scope, id, {
      description: 'Webhook delivery pipeline: API Gateway, EventBridge, SQS, Lambda, DynamoDB, Secrets Manager.',
      ...props,
    });

    // Checked here too so that a bad context value is reported under its own (context) name.
    const checked = (name: keyof typeof SETTING_LIMITS, v: number | undefined) =>
      v === undefined ? undefined : wholeNumber(name, v, SETTING_LIMITS[name][0], SETTING_LIMITS[name][1]);
    const seconds = (s: number | undefined) => (s === undefined ? undefined : Duration.seconds(s));
    // Id 'Default' leaves the resources' logical ids as they were before the construct existed.
    this.webhooks = new WebhookDelivery(this, 'Default', {
      namePrefix: this.stackName,
      retrySchedule: props.retrySchedule,
      alarmTopic: props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined,
      apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
      secretRotationOverlap: seconds(checked('secretRotationOverlapSeconds', props.secretRotationOverlapSeconds)),
      retention: props.retentionDays === undefined ? undefined : Duration.days(checked('retentionDays', props.retentionDays)!),
      attemptTimeout: seconds(checked('attemptTimeoutSeconds', props.attemptTimeoutSeconds)),
      senderMaxConcurrency: props.senderMaxConcurrency,
      fanoutMaxConcurrency: props.fanoutMaxConcurrency,
      maxSubscriptionsPerTenant: props.maxSubscriptionsPerTenant,
      logLevel: props.logLevel,
      portalLinkTtl: seconds(checked('portalLinkTtlSeconds', props.portalLinkTtlSeconds)),
      portalSessionTtl: seconds(checked('portalSessionTtlSeconds', props.portalSessionTtlSeconds)),
      receiverGuideUrl: props.receiverGuideUrl,
      secretStorage: props.secretStorage,
      keyEncryptionKey: props.keyEncryptionKeyArn
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'KeyEncryptionKeyRing', props.keyEncryptionKeyArn)
        : undefined,
      tenantThrottle: props.tenantThrottle,
      stageThrottle: props.stageThrottle,
      inboundSources: props.inboundSources,
      staticSourceIps: props.staticSourceIps,
      memorySizes: props.memorySizes,
      provisionedConcurrency: props.provisionedConcurrency,
    });
    const w = this.webhooks;

    const output = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    output('ApiUrl', w.apiUrl, 'Base URL of the tenant API (ends with the stage and a slash).');
    output('TableName', w.table.tableName, 'DynamoDB table of tenants, subscriptions, events and attempts.');
    output('EventBusName', w.eventBusName, 'EventBridge bus producers publish tenant events to (detail.tenant_id).');
    output('IngestQueueUrl', w.ingestQueue.queueUrl, 'Buffer between the bus and the fan-out.');
    output('DeliveryQueueUrl', w.deliveryQueue.queueUrl, 'One message per (event, subscription) delivery.');
    output('DeliveryQueueArn', w.deliveryQueue.queueArn, 'ARN of the delivery queue (redrive destination).');
    output('DeadLetterQueueUrl', w.deadLetterQueue.queueUrl, 'Deliveries that failed every attempt.');
    output('DeadLetterQueueArn', w.deadLetterQueue.queueArn, 'ARN of the delivery DLQ (redrive source).');
    output('IngestQueueArn', w.ingestQueue.queueArn, 'ARN of the ingest queue (redrive destination of the ingest DLQ).');
    output('IngestDeadLetterQueueUrl', w.ingestDeadLetterQueue.queueUrl, 'Events the fan-out failed on (redrive to source).');
    output('BusTargetDeadLetterQueueUrl', w.busTargetDeadLetterQueue.queueUrl, 'Events EventBridge could not put on the ingest queue.');
    output('IngestDeadLetterQueueArn', w.ingestDeadLetterQueue.queueArn, 'ARN of the ingest DLQ (redrive source).');
    output('SecretNamePrefix', w.secretNamePrefix, 'Secrets Manager name prefix of the signing secrets.');
    if (w.keyEncryptionKey)
      output(
        'KeyEncryptionKeyArn',
        w.keyEncryptionKey.secretArn,
        'Secret holding the key ring that seals the signing secrets (envelope storage).',
      );
    if (w.sourceIps)
      output('SourceIps', w.sourceIps, 'Every delivery comes from these Elastic IPs (comma-separated): receivers may allow only them.');
    output('DashboardName', w.dashboard.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline.');
    output('ApiFunctionName', w.functions.api.functionName, 'The api Lambda (logs: its LoggingConfig.LogGroup).');
    output('AuthorizerFunctionName', w.functions.authorizer.functionName, 'The authorizer Lambda.');
    output('FanoutFunctionName', w.functions.fanout.functionName, 'The fan-out Lambda.');
    output('SenderFunctionName', w.functions.sender.functionName, 'The sender Lambda.');
    output('ResumerFunctionName', w.functions.resumer.functionName, 'The resumer Lambda (parked deliveries, lots).');
    const api = w.webhookApi;
    output('RestApiId', api.api.restApiId, 'The REST API (the tenant CLI makes usage plans for its stage).');
    output('ApiStageName', api.api.deploymentStage.stageName, 'The REST API stage tenants call.');
    output('DefaultUsagePlanId', api.throttling.defaultUsagePlan.usagePlanId, "Usage plan of tenants' keys at the default limits.");
    output(
      'SharedUsagePlanId',
      api.throttling.sharedUsagePlan.usagePlanId,
      'Usage plan of the shared key (tenants without a key of their own).',
    );
    output('InboundUrl', `${w.apiUrl}inbound/`, 'Providers POST their webhooks to <InboundUrl><source> (npm run inbound).');
    output('InboundSecretNamePrefix', w.inboundSecretNamePrefix, "Secrets Manager name prefix of the inbound sources' secrets.");
    output(
      'InboundSources',
      w.inboundSources.map((s) => s.name).join(',') || '-',
      'Inbound sources the stack declares (comma-separated; - for none); npm run inbound -- add declares more.',
    );
    output('InboundFunctionName', w.functions.inbound.functionName, 'The inbound Lambda (POST /inbound/{source}).');
    output('BodyBucketName', w.bodies.bucket.bucketName, 'Bucket of event bodies too large for the table (and large inbound bodies).');
    output('StackName', this.stackName, 'Name of this stack.');
  }
}
