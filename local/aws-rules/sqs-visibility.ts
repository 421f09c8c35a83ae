import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * SQS's 12-hour visibility rule, which fauxqs does not enforce: a message's visibility can be
 * extended to at most 12 hours after the receive that gave the receipt handle
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
 * As an SDK middleware on local mode's SQS clients: it notes when each receipt handle was
 * received and refuses a ChangeMessageVisibility(Batch) past 12 h from then as SQS does, with
 * `InvalidParameterValue` (the batch call fails that entry only). It also keeps what was asked,
 * so tests can check that nothing ever came close.
 */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
const MAX_TRACKED = 200_000;

export interface VisibilityRequest {
  seconds: number;
  /** Seconds from the receive to the end of the requested visibility. */
  sinceReceiveSeconds: number;
  accepted: boolean;
}

export class VisibilityRule {
  private readonly receivedAt = new Map<string, number>();
  readonly requests: VisibilityRequest[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  get rejected(): number {
    return this.requests.filter((r) => !r.accepted).length;
  }

  /** The latest end of visibility any change asked for, in seconds from its receive. */
  get furthestSinceReceive(): number {
    return this.requests.reduce((m, r) => Math.max(m, r.sinceReceiveSeconds), 0);
  }

  attach(client: SQSClient): void {
    const middleware =
      (next: (args: { input: object }) => Promise<{ output: unknown }>, context: { commandName?: string }) =>
      async (args: { input: object }): Promise<{ output: unknown }> => {
        const name = context.commandName;
        const input = args.input as { ReceiptHandle?: string; VisibilityTimeout?: number; Entries?: unknown[] };
        if (name === 'ReceiveMessageCommand') {
          const out = await next(args);
          const at = this.now();
          for (const m of (out.output as { Messages?: { ReceiptHandle?: string }[] }).Messages ?? []) {
            if (m.ReceiptHandle) this.track(m.ReceiptHandle, at);
          }
          return out;
        }
        if (name === 'ChangeMessageVisibilityCommand') {
          const problem = this.check(input.ReceiptHandle ?? '', Number(input.VisibilityTimeout));
          if (problem) throw sqsError(problem);
          return next(args);
        }
        if (name === 'ChangeMessageVisibilityBatchCommand') {
          const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string; VisibilityTimeout?: number }[];
          const refused = new Map<string, string>();
          for (const e of entries) {
            const problem = this.check(e.ReceiptHandle, Number(e.VisibilityTimeout ?? 0));
            if (problem) refused.set(e.Id, problem);
          }
          if (refused.size === 0) return next(args);
          const failed = [...refused].map(([Id, Message]) => ({ Id, Code: 'InvalidParameterValue', SenderFault: true, Message }));
          const rest = entries.filter((e) => !refused.has(e.Id));
          if (rest.length === 0) return { output: { Successful: [], Failed: failed, $metadata: {} } };
          const out = await next({ ...args, input: { ...input, Entries: rest } });
          const o = out.output as { Successful?: unknown[]; Failed?: unknown[] };
          return { ...out, output: { ...o, Failed: [...(o.Failed ?? []), ...failed] } };
        }
        return next(args);
      };
    // The SDK's middleware types are per command; this one handles three commands' shapes itself.
    client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'twinSqsVisibilityRule', override: true });
  }

  private track(handle: string, at: number): void {
    if (this.receivedAt.size >= MAX_TRACKED) this.receivedAt.delete(this.receivedAt.keys().next().value as string);
    this.receivedAt.set(handle, at);
  }

  /** The refusal message, or undefined when SQS would accept the change. */
  private check(handle: string, seconds: number): string | undefined {
    const at = this.receivedAt.get(handle);
    if (at === undefined) return undefined;
    const since = (this.now() - at) / 1000 + seconds;
    const accepted = since <= SQS_MAX_VISIBILITY_SECONDS;
    this.requests.push({ seconds, sinceReceiveSeconds: since, accepted });
    if (this.requests.length > MAX_TRACKED) this.requests.shift();
    return accepted
      ? undefined
      : `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${SQS_MAX_VISIBILITY_SECONDS} seconds].`;
  }
}

function sqsError(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'InvalidParameterValue',
    Code: 'InvalidParameterValue',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}
