import { ArnFormat, CfnOutput, type CfnResource, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_SCHEDULE, validateSchedule } from '../functions/domain/retry-schedule.js';
import { PipelineAlarms } from './constructs/alarms.js';
import { DataTable } from './constructs/data-table.js';
import { DeliveryQueues } from './constructs/delivery-queues.js';
import { DeliverySender, SENDER_TIMEOUT } from './constructs/delivery-sender.js';
import { EventIngest } from './constructs/event-ingest.js';
import { WebhookApi } from './constructs/webhook-api.js';
import type { WebhookFunction } from './constructs/webhook-function.js';

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
  /** Per-attempt HTTP timeout, 1 to 30 s (the sender runs a batch within its 60 s). @default 10 */
  readonly attemptTimeoutSeconds?: number;
}

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

/** Secret actions the api function needs to manage one signing secret per subscription. */
export const API_SECRET_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:TagResource',
  'secretsmanager:DescribeSecret',
] as const;

/**
 * The webhook delivery pipeline:
 *
 *   tenant -> API Gateway (authorizer) -> api fn -> DynamoDB, Secrets Manager, bus, delivery queue
 *   producers -> bus -> rule -> ingest queue -> fanout fn -> delivery queue -> sender fn -> receivers
 *   delivery queue -> (last attempt failed) -> DLQ -> (console redrive) -> delivery queue
 */
export class WebhooksStack extends Stack {
  readonly retrySchedule: readonly number[];
  readonly secretNamePrefix: string;
  readonly data: DataTable;
  readonly deliveryQueues: DeliveryQueues;
  readonly ingest: EventIngest;
  readonly delivery: DeliverySender;
  readonly webhookApi: WebhookApi;
  readonly alarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: WebhooksStackProps = {}) {
    super(scope, id, {
      description: 'Webhook delivery pipeline: API Gateway, EventBridge, SQS, Lambda, DynamoDB, Secrets Manager.',
      ...props,
    });

    this.retrySchedule = validateSchedule([...(props.retrySchedule ?? DEFAULT_RETRY_SCHEDULE)]);
    this.secretNamePrefix = `webhooks/${this.stackName}/`;

    this.data = new DataTable(this, 'Data');
    const table = this.data.table;

    this.deliveryQueues = new DeliveryQueues(this, 'Delivery', {
      retrySchedule: this.retrySchedule,
      senderTimeout: SENDER_TIMEOUT,
    });
    const deliveryQueue = this.deliveryQueues.queue;

    const environment: Record<string, string> = {
      WEBHOOKS_MODE: 'aws',
      TABLE_NAME: table.tableName,
      DELIVERY_QUEUE_URL: deliveryQueue.queueUrl,
      SECRET_NAME_PREFIX: this.secretNamePrefix,
      WEBHOOKS_RETRY_SCHEDULE: this.retrySchedule.join(','),
      WEBHOOKS_ROTATION_OVERLAP_SECONDS: String(
        wholeNumber('secretRotationOverlapSeconds', props.secretRotationOverlapSeconds ?? 86_400, 0, 30 * 86_400),
      ),
      WEBHOOKS_RETENTION_DAYS: String(wholeNumber('retentionDays', props.retentionDays ?? 30, 1, 365)),
      WEBHOOKS_ATTEMPT_TIMEOUT_MS: String(
        wholeNumber('attemptTimeoutSeconds', props.attemptTimeoutSeconds ?? DEFAULT_ATTEMPT_TIMEOUT_MS / 1000, 1, 30) * 1000,
      ),
      POWERTOOLS_SERVICE_NAME: 'webhooks',
      POWERTOOLS_METRICS_NAMESPACE: 'Webhooks',
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.ingest = new EventIngest(this, 'Ingest', {
      eventBusName: `${this.stackName}-events`,
      environment,
    });
    const bus = this.ingest.bus;
    environment.EVENT_BUS_NAME = bus.eventBusName;

    this.delivery = new DeliverySender(this, 'Sender', { queue: deliveryQueue, environment });

    this.webhookApi = new WebhookApi(this, 'Api', {
      environment,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
    });

    // ---- Least privilege: every grant of the stack, by function. ----
    const api = this.webhookApi.apiFunction;
    const authorizer = this.webhookApi.authorizerFunction;
    const fanout = this.ingest.fanout;
    const sender = this.delivery.sender;
    const secretsArn = this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.secretNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    table.grants.readWriteData(api.function);
    // Not bus.grants.allPutEvents: that grants events:PutEvents on every bus ("*").
    bus.grants.actions(api.function, ['events:PutEvents']);
    deliveryQueue.grants.sendMessages(api.function);
    api.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...API_SECRET_ACTIONS], resources: [secretsArn] }));

    table.grants.readData(authorizer.function);

    table.grants.readWriteData(fanout.function);
    deliveryQueue.grants.sendMessages(fanout.function);

    table.grants.readWriteData(sender.function);
    sender.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretsArn] }));

    const tableIndexes = `Resource::<${this.resolve((table.node.defaultChild as CfnResource).logicalId)}.Arn>/index/*`;
    const secretPrefix = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.secretNamePrefix}*`;
    for (const fn of [api, authorizer, fanout, sender]) {
      acknowledgeWildcard(fn, tableIndexes, 'Queries the table\'s GSI gsi1; CDK grants every index of this one table ("<table>/index/*").');
    }
    for (const fn of [api, sender]) {
      acknowledgeWildcard(
        fn,
        secretPrefix,
        `Signing secrets are created per subscription at run time; access is limited to this stack's name prefix ${this.secretNamePrefix}.`,
      );
    }

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      deadLetterQueue: this.deliveryQueues.deadLetterQueue,
      ingestDeadLetterQueue: this.ingest.deadLetterQueue,
      sender: sender.function,
      fanout: fanout.function,
      alarmTopic: props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined,
    });

    // ---- Outputs: the CLI tools (npm run tenant, npm run redrive) find the stack by these keys. ----
    const output = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    output('ApiUrl', this.webhookApi.api.url, 'Base URL of the tenant API (ends with the stage and a slash).');
    output('TableName', table.tableName, 'DynamoDB table of tenants, subscriptions, events and attempts.');
    output('EventBusName', bus.eventBusName, 'EventBridge bus producers publish tenant events to (detail.tenant_id).');
    output('IngestQueueUrl', this.ingest.queue.queueUrl, 'Buffer between the bus and the fan-out.');
    output('DeliveryQueueUrl', deliveryQueue.queueUrl, 'One message per (event, subscription) delivery.');
    output('DeliveryQueueArn', deliveryQueue.queueArn, 'ARN of the delivery queue (redrive destination).');
    output('DeadLetterQueueUrl', this.deliveryQueues.deadLetterQueue.queueUrl, 'Deliveries that failed every attempt.');
    output('DeadLetterQueueArn', this.deliveryQueues.deadLetterQueue.queueArn, 'ARN of the delivery DLQ (redrive source).');
    output('SecretNamePrefix', this.secretNamePrefix, 'Secrets Manager name prefix of the signing secrets.');
    output('StackName', this.stackName, 'Name of this stack.');
  }
}

function acknowledgeWildcard(fn: WebhookFunction, finding: string, reason: string): void {
  Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}
