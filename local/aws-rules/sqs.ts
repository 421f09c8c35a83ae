import {
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SendMessageCommandInput,
  type SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_ATTRIBUTES } from '../../functions/domain/aws-limits.js';
import type { Faults } from '../faults.js';

/**
 * SQS rules fauxqs 2 does not enforce, as middleware on the twin's SQS clients. fauxqs already
 * refuses: more than 10 entries a batch (TooManyEntriesInBatchRequest), duplicate or malformed
 * entry ids, a batch over 1 MiB in total (BatchRequestTooLong), a message over the queue's
 * maximum size (1 MiB), characters outside SQS's allowed set (InvalidMessageContents), and
 * visibility timeouts outside 0..43200 s. Added here: at most 10 message attributes a message,
 * and the injected faults (entries of a SendMessageBatch reported Failed).
 */
export function enforceSqsRules(client: SQSClient, faults?: Faults): SQSClient {
  (client.middlewareStack as unknown as MiddlewareAdder).add(
    (next: (args: { input: unknown }) => Promise<{ output: unknown }>, context: { commandName?: string }) =>
      async (args: { input: unknown }) => {
        const name = context.commandName;
        if (name === 'SendMessageCommand') checkAttributes((args.input as SendMessageCommandInput).MessageAttributes);
        if (name !== 'SendMessageBatchCommand') return next(args);
        const input = args.input as SendMessageBatchCommandInput;
        for (const e of input.Entries ?? []) checkAttributes(e.MessageAttributes);
        const refused = new Map<string, { code: string; senderFault: boolean }>();
        for (const e of input.Entries ?? []) {
          const fault = faults?.sendEntryFault(input.QueueUrl ?? '', e.MessageBody ?? '');
          if (fault && e.Id) refused.set(e.Id, fault);
        }
        if (refused.size === 0) return next(args);
        const kept = (input.Entries ?? []).filter((e) => !refused.has(e.Id ?? ''));
        const failed = [...refused].map(([Id, f]) => ({ Id, Code: f.code, SenderFault: f.senderFault, Message: 'injected fault' }));
        if (kept.length === 0) return { output: { Successful: [], Failed: failed, $metadata: {} } };
        const result = await next({ ...args, input: { ...input, Entries: kept } });
        const output = result.output as SendMessageBatchCommandOutput;
        return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } };
      },
    { step: 'initialize', name: 'local-aws-rules-sqs' },
  );
  return client;
}

function checkAttributes(attributes: Record<string, unknown> | undefined): void {
  const n = Object.keys(attributes ?? {}).length;
  if (n > SQS_MAX_MESSAGE_ATTRIBUTES)
    throw new SQSServiceException({
      name: 'InvalidParameterValue',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `Number of message attributes [${n}] exceeds the allowed maximum [${SQS_MAX_MESSAGE_ATTRIBUTES}].`,
    });
}

/** The stack's add(), without its overloads: the middleware is typed by what it reads. */
interface MiddlewareAdder {
  add(middleware: unknown, options: { step: string; name: string }): void;
}
