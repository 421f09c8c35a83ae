import type { LocalPipeline } from '../../local/pipeline.js';
import type { QueueRef } from '../../local/sqs-emulator.js';
import type { LambdaName } from '../../local/usage-meter.js';

/**
 * The CloudWatch metrics the stack's alarms watch, as local mode measures them: one reading is
 * one datapoint (a period) for test/support/alarm-evaluation.ts.
 */

/** SQS's ApproximateNumberOfMessagesVisible: messages ready to be received. */
export const visibleMessages = (p: LocalPipeline, queue: QueueRef): number => p.sqs.inspect(queue).ready;

/** SQS's ApproximateNumberOfMessagesNotVisible: received and not deleted. */
export const inFlightMessages = (p: LocalPipeline, queue: QueueRef): number => p.sqs.inspect(queue).inflight;

/** SQS leaves a message out of ApproximateAgeOfOldestMessage once it has been received this often (docs/aws-rules.md). */
export const AGE_METRIC_RECEIVE_LIMIT = 3;

/**
 * SQS's ApproximateAgeOfOldestMessage: seconds since the oldest message still in the queue
 * (ready, delayed or in flight) was first sent, of those received fewer than three times; 0
 * when there is none.
 */
export function ageOfOldestMessage(p: LocalPipeline, queue: QueueRef, now = Date.now()): number {
  const counted = p.sqs.peek(queue).filter((m) => m.receiveCount < AGE_METRIC_RECEIVE_LIMIT);
  return counted.length === 0 ? 0 : Math.floor((now - Math.min(...counted.map((m) => m.sentTimestamp))) / 1000);
}

/** Lambda's Errors of one function so far: its invocations that threw (local/usage-meter.ts). */
export const lambdaErrors = (p: LocalPipeline, fn: LambdaName): number => p.usage.snapshot().lambda[fn].errors;

/** Lambda's Throttles of the sender so far: invocations the local event source mapping was refused (the `throttle` fault). */
export const senderThrottles = (p: LocalPipeline): number => p.faults.fired.get('throttle') ?? 0;

/** One of the pipeline's own counts so far (LocalMetrics, EMF on AWS). */
export const pipelineCount = (p: LocalPipeline, name: string): number => p.metrics.counts.get(name) ?? 0;

/**
 * A Sum over one period: what `read` went up by since the period began. `missingWhenZero` for
 * a metric nothing writes when there is nothing to count (an EMF count written only when
 * positive, Lambda's metrics of a function not invoked): CloudWatch then has no datapoint.
 */
export function periodSum(read: () => number, options: { missingWhenZero?: boolean } = {}): () => number | undefined {
  const start = read();
  return () => {
    const n = read() - start;
    return n === 0 && options.missingWhenZero ? undefined : n;
  };
}

/** API Gateway's 5XXError as an Average over a period: the share of answers that were 5xx (no request, no datapoint). */
export function serverErrorShare(statuses: readonly number[]): number | undefined {
  if (statuses.length === 0) return undefined;
  return statuses.filter((s) => s >= 500).length / statuses.length;
}
