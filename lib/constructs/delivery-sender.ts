import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SENDER_BATCH_SIZE } from '../../functions/domain/batching.js';
import type { StaticEgress } from './egress.js';
import { type MemorySizes, WebhookFunction } from './webhook-function.js';

export const SENDER_TIMEOUT = Duration.seconds(60);

export interface DeliverySenderProps {
  readonly queue: sqs.Queue;
  readonly environment: Record<string, string>;
  /** MaximumConcurrency of the event source mapping (2 to 1,000). @default no cap but the account's */
  readonly maxConcurrency?: number;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Memory by handler, over this construct's own defaults (WebhookDeliveryProps.memorySizes). @default none */
  readonly memorySizes?: MemorySizes;
  /** Send from the fixed addresses of this egress (the construct's `staticSourceIps`). @default no VPC: Lambda's shared addresses */
  readonly egress?: StaticEgress;
}

/**
 * The sender: consumes the delivery queue with partial batch responses, signs and POSTs each
 * delivery, and on failure stretches the message's visibility to the next backoff step.
 */
export class DeliverySender extends Construct {
  readonly sender: WebhookFunction;

  constructor(scope: Construct, id: string, props: DeliverySenderProps) {
    super(scope, id);
    this.sender = new WebhookFunction(this, 'Sender', {
      handler: 'sender',
      description: 'Signs and POSTs webhook deliveries, recording every attempt; schedules retries.',
      memorySize: 512,
      timeout: SENDER_TIMEOUT,
      // Traced only as part of a trace already sampled upstream. Active tracing would start a
      // trace of its own for every sampled invocation (all of them, at a trickle, inside X-Ray's
      // one-per-second reservoir: $5 per million), and those traces would show only Lambda's own
      // segments, not the POSTs (no function carries a tracing library).
      tracing: lambda.Tracing.PASS_THROUGH,
      environment: props.environment,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
      ...(props.egress ? { network: props.egress.network } : {}),
    });
    props.egress?.grantNetworkInterfaces(this.sender.role);
    this.sender.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: SENDER_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
    // The event source grants consuming; the backoff itself is a visibility change.
    props.queue.grants.actions(this.sender.function, ['sqs:ChangeMessageVisibility']);
  }
}
