import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FANOUT_BATCH_SIZE, FANOUT_BATCH_WINDOW_SECONDS } from '../../functions/domain/batching.js';
import { MAX_MESSAGE_BYTES } from './delivery-queues.js';
import { type MemorySizes, WebhookFunction } from './webhook-function.js';

export const FANOUT_TIMEOUT = Duration.seconds(60);
/** Receives of one ingest message before it is parked in the ingest DLQ. */
export const INGEST_MAX_RECEIVE_COUNT = 5;
/** Where the rule target finds each event's MessageGroupId: its tenant. */
export const TENANT_GROUP_PATH = '$.detail.tenant_id';

export interface EventIngestProps {
  /** Name of the custom bus producers publish to. */
  readonly eventBusName: string;
  /** Environment of the fan-out function; EVENT_BUS_NAME is added here. */
  readonly environment: Record<string, string>;
  /** MaximumConcurrency of the fan-out's event source mapping (2 to 1,000). @default no cap but the account's */
  readonly maxConcurrency?: number;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Memory by handler, over this construct's own defaults (WebhookDeliveryProps.memorySizes). @default none */
  readonly memorySizes?: MemorySizes;
}

/**
 * Producers' side: the custom event bus, a rule taking every event that carries
 * `detail.tenant_id` into the ingest queue (a buffer with its own DLQ), and the fan-out function
 * that turns each event into one delivery message per matching subscription.
 */
export class EventIngest extends Construct {
  readonly bus: events.EventBus;
  readonly rule: events.Rule;
  readonly queue: sqs.Queue;
  /** Fan-out failures: an SQS DLQ of the ingest queue, so SQS's "redrive to source" works on it. */
  readonly deadLetterQueue: sqs.Queue;
  /**
   * Events EventBridge could not hand to the ingest queue. Not the DLQ of an SQS queue, so SQS
   * cannot redrive it to a source: `npm run redrive -- --ingest` sends its messages (the events)
   * to the ingest queue.
   */
  readonly targetDeadLetterQueue: sqs.Queue;
  readonly fanout: WebhookFunction;

  constructor(scope: Construct, id: string, props: EventIngestProps) {
    super(scope, id);

    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'Tenant events to deliver as webhooks: detail.tenant_id names the tenant, detail-type the event type.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    this.targetDeadLetterQueue = new sqs.Queue(this, 'TargetDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.targetDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "It is a dead-letter queue: EventBridge's, for the rule target (cdk-nag recognises only SQS queues' DLQs).",
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(FANOUT_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
    });

    this.rule = new events.Rule(this, 'TenantEventsRule', {
      eventBus: this.bus,
      description: 'Every event with a tenant goes to the fan-out.',
      eventPattern: { detail: { tenant_id: events.Match.exists() } },
      targets: [
        new targets.SqsQueue(this.queue, {
          // The tenant as each message's group id makes the ingest queue a fair queue: a noisy
          // tenant's burst does not delay the others' events. A target parameter may be a JSON
          // path into the event, which EventBridge fills in as it delivers (eb-targets.html,
          // "Dynamic path parameters"; SqsParameters serve SQS fair and FIFO queues).
          messageGroupId: TENANT_GROUP_PATH,
          // Kept apart from the failed fan-outs: the two are redriven differently.
          deadLetterQueue: this.targetDeadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    this.fanout = new WebhookFunction(this, 'Fanout', {
      handler: 'fanout',
      description: 'Fans each tenant event out to one delivery message per matching subscription.',
      timeout: FANOUT_TIMEOUT,
      // INGEST_QUEUE_URL: an event matching more subscriptions than one invocation's page budget
      // goes on in a continuation message on this same queue.
      environment: { ...props.environment, EVENT_BUS_NAME: this.bus.eventBusName, INGEST_QUEUE_URL: this.queue.queueUrl },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
    });
    this.fanout.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: FANOUT_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(FANOUT_BATCH_WINDOW_SECONDS),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
    this.queue.grants.sendMessages(this.fanout.function);
  }
}
