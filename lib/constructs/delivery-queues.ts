import { Duration, Fn, Names, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SQS_MAX_MESSAGE_BYTES } from '../../functions/domain/aws-limits.js';
import { maxReceiveCount, retentionSeconds } from '../../functions/domain/retry-schedule.js';

/** SQS's largest message (1 MiB): the queues take all of it. */
export const MAX_MESSAGE_BYTES = SQS_MAX_MESSAGE_BYTES;

export interface DeliveryQueuesProps {
  /** Seconds before each retry (already validated); fixes maxReceiveCount and retention. */
  readonly retrySchedule: readonly number[];
  /** The sender's timeout; the queue's visibility timeout is six times it, as AWS advises. */
  readonly senderTimeout: Duration;
}

/**
 * The delivery queue (one message per event and subscription) and its dead-letter queue.
 *
 * The sender stretches a failed message's visibility to the next backoff step (in hops of at
 * most 11.5 h) and counts attempts in the delivery record, so maxReceiveCount is the receives
 * the schedule needs plus headroom for receives without a POST (throttles, deferrals), and
 * retention is SQS's 14 days. After the last attempt the sender releases the message until
 * SQS moves it to the DLQ, whose redrive allow policy names the delivery queue so the
 * console's "Start DLQ redrive" sends it back there.
 */
export class DeliveryQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeliveryQueuesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The delivery queue names the DLQ (redrive policy) and the DLQ names the delivery queue
    // (redrive allow policy). Referencing each other's ARN attribute would be a circular
    // dependency, so the DLQ refers to the delivery queue's ARN built from its name, and that
    // name is decided here without being fixed: this construct's unique name in the stack (so
    // two pipelines in one stack differ) and the last group of the stack's id, a UUID
    // CloudFormation draws when it creates the stack (so a stack created again after a failed
    // create does not wait SQS's 60 s before a deleted queue's name may be reused).
    const queueName = deliveryQueueName(this);
    const queueArn = stack.formatArn({ service: 'sqs', resource: queueName });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      redriveAllowPolicy: {
        redrivePermission: sqs.RedrivePermission.BY_QUEUE,
        sourceQueues: [sqs.Queue.fromQueueArn(this, 'DeliveryQueueByName', queueArn)],
      },
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName,
      visibilityTimeout: Duration.seconds(props.senderTimeout.toSeconds() * 6),
      retentionPeriod: Duration.seconds(retentionSeconds(props.retrySchedule)),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: maxReceiveCount(props.retrySchedule) },
    });
  }
}

/** At most 64 + 1 + 12 characters, within SQS's 80 (letters, digits, hyphens). */
function deliveryQueueName(scope: Construct): string {
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  const lastGroup = Fn.select(4, Fn.split('-', stackUuid));
  return Fn.join('-', [Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' }), lastGroup]);
}
