import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InFlightGauge } from '../../ports.js';

/**
 * A queue's in-flight count as SQS reports it (ApproximateNumberOfMessagesNotVisible: received,
 * not deleted, visibility not expired), the number SQS's in-flight quota caps.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 */
export class SqsInFlightGauge implements InFlightGauge {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async inFlight(): Promise<number> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
}
