import { parseArgs } from 'node:util';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { chunkByCountAndBytes, SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES, sqsMessageBytes } from '../../functions/domain/aws-limits.js';

/**
 * What `npm run redrive` does: put every message of the delivery DLQ back on the delivery
 * queue, where each is a new message (receive count 1), so it gets the whole retry schedule
 * again.
 *
 *   deployed stack -> SQS's own message move task (StartMessageMoveTask, DLQ -> delivery queue);
 *                     `--status` lists the DLQ's move tasks (ListMessageMoveTasks)
 *   local mode     -> receive from the DLQ, SendMessageBatch to the delivery queue, and only
 *                     then DeleteMessageBatch from the DLQ: a crash at any point loses nothing
 *                     (at worst a message is in both queues; the sender ignores a delivery
 *                     that already succeeded). fauxqs has no StartMessageMoveTask.
 */

/** Bad command line: usage on stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The redrive could not be done (or only partly): message on stderr, exit 1. */
export class RedriveError extends Error {
  override name = 'RedriveError';
}

/** SQS's bounds for MaxNumberOfMessagesPerSecond. */
export const MAX_MESSAGES_PER_SECOND = 500;

export type RedriveArgs =
  | { command: 'help' }
  | { command: 'redrive'; stack?: string; maxPerSecond?: number; ingest?: true }
  | { command: 'status'; stack?: string; ingest?: true };

export function parseRedriveArgs(argv: string[]): RedriveArgs {
  let values: { stack?: string; status?: boolean; 'max-per-second'?: string; help?: boolean; ingest?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        stack: { type: 'string' },
        status: { type: 'boolean' },
        'max-per-second': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ingest: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { command: 'help' };
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.stack !== undefined && !values.stack.trim()) throw new UsageError('--stack must not be empty');
  const stack = { ...(values.stack !== undefined ? { stack: values.stack } : {}), ...(values.ingest ? { ingest: true as const } : {}) };
  const raw = values['max-per-second'];
  if (values.status) {
    if (raw !== undefined) throw new UsageError('--status takes no --max-per-second');
    return { command: 'status', ...stack };
  }
  if (raw === undefined) return { command: 'redrive', ...stack };
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_MESSAGES_PER_SECOND) {
    throw new UsageError(`--max-per-second must be a whole number from 1 to ${MAX_MESSAGES_PER_SECOND} (got '${raw}')`);
  }
  return { command: 'redrive', ...stack, maxPerSecond: Number(raw) };
}

// ---------------------------------------------------------------------------------------------
// AWS: SQS moves the messages itself.

export interface AwsRedriveResult {
  mode: 'aws';
  task_handle: string;
  source: string;
  destination: string;
  max_per_second?: number;
}

export interface MoveTaskView {
  task_handle: string | null;
  status: string | null;
  source: string | null;
  destination: string | null;
  max_per_second: number | null;
  approximate_number_of_messages_moved: number | null;
  approximate_number_of_messages_to_move: number | null;
  failure_reason: string | null;
  started_time: string | null;
}

export interface AwsStatusResult {
  mode: 'aws';
  source: string;
  tasks: MoveTaskView[];
}

/** The queue's ARN: the one the stack output gives, else asked of SQS. */
export async function queueArn(sqs: SQSClient, queueUrl: string, known?: string): Promise<string> {
  if (known) return known;
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new RedriveError(`SQS did not give the ARN of ${queueUrl}`);
  return arn;
}

export async function startMoveTask(
  sqs: SQSClient,
  options: { sourceArn: string; destinationArn: string; maxPerSecond?: number },
): Promise<AwsRedriveResult> {
  const out = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: options.sourceArn,
      DestinationArn: options.destinationArn,
      ...(options.maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: options.maxPerSecond } : {}),
    }),
  );
  if (!out.TaskHandle) throw new RedriveError('SQS started no message move task (no task handle in its answer)');
  return {
    mode: 'aws',
    task_handle: out.TaskHandle,
    source: options.sourceArn,
    destination: options.destinationArn,
    ...(options.maxPerSecond !== undefined ? { max_per_second: options.maxPerSecond } : {}),
  };
}

export async function listMoveTasks(sqs: SQSClient, sourceArn: string): Promise<AwsStatusResult> {
  const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
  return {
    mode: 'aws',
    source: sourceArn,
    tasks: (out.Results ?? []).map((t) => ({
      task_handle: t.TaskHandle ?? null,
      status: t.Status ?? null,
      source: t.SourceArn ?? null,
      destination: t.DestinationArn ?? null,
      max_per_second: t.MaxNumberOfMessagesPerSecond ?? null,
      approximate_number_of_messages_moved: t.ApproximateNumberOfMessagesMoved ?? null,
      approximate_number_of_messages_to_move: t.ApproximateNumberOfMessagesToMove ?? null,
      failure_reason: t.FailureReason ?? null,
      started_time: t.StartedTimestamp !== undefined ? new Date(t.StartedTimestamp).toISOString() : null,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Local mode: receive, send, then delete.

export interface LocalRedriveOptions {
  sourceUrl: string;
  destinationUrl: string;
  /**
   * Long-poll seconds per receive. 0 by default: the local emulator answers a receive from its
   * whole queue at once, so two empty receives in a row mean the DLQ is drained.
   */
  waitTimeSeconds?: number;
  /** How long a received DLQ message stays hidden while it is being moved; after a crash it reappears then. */
  visibilityTimeoutSeconds?: number;
  /** Consecutive empty receives that mean the DLQ is drained. */
  emptyReceives?: number;
}

export interface LocalRedriveResult {
  mode: 'local';
  moved: number;
}

/**
 * Moves every message of `sourceUrl` to `destinationUrl`. A message this run already moved
 * that failed again and came back to the DLQ meanwhile (short retry schedules) is left there:
 * SQS keeps a message's id when it dead-letters it, so it is recognised by the id SendMessageBatch
 * gave it, and the run ends instead of cycling.
 */
export async function redriveLocal(sqs: SQSClient, options: LocalRedriveOptions): Promise<LocalRedriveResult> {
  const { sourceUrl, destinationUrl } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 0;
  const visibilityTimeout = options.visibilityTimeoutSeconds ?? 30;
  const emptyReceivesToStop = options.emptyReceives ?? 2;
  const sentIds = new Set<string>();
  const cameBack = new Map<string, string>(); // message id -> latest receipt handle
  let moved = 0;
  let empty = 0;

  try {
    while (empty < emptyReceivesToStop) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          VisibilityTimeout: visibilityTimeout,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['MessageGroupId'],
        }),
      );
      const received = out.Messages ?? [];
      const batch: Message[] = [];
      for (const m of received) {
        if (!m.ReceiptHandle) continue;
        if (m.MessageId && sentIds.has(m.MessageId)) cameBack.set(m.MessageId, m.ReceiptHandle);
        else batch.push(m);
      }
      if (batch.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      // Ten messages can be more than SendMessageBatch's 1 MiB together.
      const { batches } = chunkByCountAndBytes(
        batch,
        (m) => sqsMessageBytes(m.Body ?? '', m.MessageAttributes),
        SQS_MAX_BATCH_ENTRIES,
        SQS_MAX_BATCH_BYTES,
      );
      for (const chunk of batches) moved += await moveBatch(sqs, sourceUrl, destinationUrl, chunk, sentIds, moved);
    }
  } finally {
    // Those that came back stay in the DLQ, visible again for the operator (best effort).
    if (cameBack.size > 0) await release(sqs, sourceUrl, [...cameBack.values()]);
  }
  return { mode: 'local', moved };
}

/** One batch: send all, then delete exactly those SQS accepted. Returns how many were moved. */
async function moveBatch(
  sqs: SQSClient,
  sourceUrl: string,
  destinationUrl: string,
  batch: Message[],
  sentIds: Set<string>,
  movedBefore: number,
): Promise<number> {
  const entries = batch.map((m, i) => {
    const attributes = copyAttributes(m.MessageAttributes);
    // A moved message stays its tenant's: the fair queue groups it with the tenant's others.
    const group = m.Attributes?.MessageGroupId;
    return {
      Id: String(i),
      MessageBody: m.Body ?? '',
      ...(attributes ? { MessageAttributes: attributes } : {}),
      ...(group ? { MessageGroupId: group } : {}),
    };
  });
  let sent: SendMessageBatchCommandOutput;
  try {
    sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: destinationUrl, Entries: entries }));
  } catch (err) {
    // Nothing of this batch reached the delivery queue: leave all of it in the DLQ.
    await release(
      sqs,
      sourceUrl,
      batch.map((m) => m.ReceiptHandle!),
    );
    throw new RedriveError(
      `could not send to the delivery queue after moving ${movedBefore}: ${errorMessage(err)}; the rest are still in the DLQ`,
    );
  }
  const okIds = new Set((sent.Successful ?? []).map((s) => s.Id));
  for (const s of sent.Successful ?? []) if (s.MessageId) sentIds.add(s.MessageId);
  const accepted = batch.filter((_m, i) => okIds.has(String(i)));
  const refused = batch.filter((_m, i) => !okIds.has(String(i)));
  if (refused.length > 0)
    await release(
      sqs,
      sourceUrl,
      refused.map((m) => m.ReceiptHandle!),
    );

  let notDeleted = 0;
  if (accepted.length > 0) {
    try {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: sourceUrl,
          Entries: accepted.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      notDeleted = deleted.Failed?.length ?? 0;
    } catch (err) {
      throw new RedriveError(
        `moved ${movedBefore + accepted.length} to the delivery queue, but could not delete the last ${accepted.length} from the DLQ (${errorMessage(err)}): ` +
          'they are in both queues now; the sender skips a delivery that already succeeded',
      );
    }
  }
  if (refused.length > 0 || notDeleted > 0) {
    const reasons = (sent.Failed ?? []).map((f) => `${f.Code ?? 'error'}: ${f.Message ?? ''}`.trim());
    const parts = [`moved ${movedBefore + accepted.length}`];
    if (refused.length > 0)
      parts.push(`${refused.length} could not be sent and are still in the DLQ (${[...new Set(reasons)].join('; ')})`);
    if (notDeleted > 0) parts.push(`${notDeleted} were sent but could not be deleted from the DLQ, so they are in both queues`);
    throw new RedriveError(parts.join(', '));
  }
  return accepted.length;
}

/** SendMessageBatch takes String and Binary values; the list forms are reserved by SQS. */
function copyAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(attributes)) {
    copy[name] = {
      DataType: v.DataType,
      ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue } : {}),
    };
  }
  return copy;
}

/** Makes received messages visible again at once (best effort: otherwise their visibility timeout does). */
async function release(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const chunk = receiptHandles.slice(i, i + 10);
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      )
      .catch(() => undefined);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Dispatch on the target.

/** The parts of a Target (scripts/lib/targets.ts) a redrive needs. */
export interface RedriveTarget {
  kind: 'stack' | 'local';
  sqs: SQSClient;
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  deliveryQueueArn?: string;
  deadLetterQueueArn?: string;
  /** For --ingest: the ingest queue, its DLQ (fan-out failures) and the bus rule target's DLQ. */
  ingestQueueUrl?: string;
  ingestDeadLetterQueueUrl?: string;
  busTargetDeadLetterQueueUrl?: string;
}

/** What `--ingest` did with each of the two ingest DLQs. */
export interface IngestRedriveResult {
  mode: 'aws' | 'local';
  /** Fan-out failures (the ingest queue's own DLQ): SQS's move task on AWS, moved at once locally. */
  fanout_failures: AwsRedriveResult | LocalRedriveResult;
  /** Events EventBridge could not put on the ingest queue: sent to it, then deleted. */
  bus_target_failures: LocalRedriveResult;
}

export type RedriveResult = AwsRedriveResult | AwsStatusResult | LocalRedriveResult | IngestRedriveResult;

export async function runRedrive(
  target: RedriveTarget,
  args: Exclude<RedriveArgs, { command: 'help' }>,
  local: Partial<LocalRedriveOptions> = {},
): Promise<RedriveResult> {
  if (args.ingest) return runIngestRedrive(target, args, local);
  if (target.kind === 'local') {
    if (args.command === 'status')
      throw new UsageError(
        '--status needs a deployed stack (--stack NAME or WEBHOOKS_STACK): local mode redrives at once, with no move task',
      );
    if (args.maxPerSecond !== undefined) throw new UsageError('--max-per-second needs a deployed stack (--stack NAME or WEBHOOKS_STACK)');
    return redriveLocal(target.sqs, { ...local, sourceUrl: target.deadLetterQueueUrl, destinationUrl: target.deliveryQueueUrl });
  }
  const sourceArn = await queueArn(target.sqs, target.deadLetterQueueUrl, target.deadLetterQueueArn);
  if (args.command === 'status') return listMoveTasks(target.sqs, sourceArn);
  const destinationArn = await queueArn(target.sqs, target.deliveryQueueUrl, target.deliveryQueueArn);
  return startMoveTask(target.sqs, {
    sourceArn,
    destinationArn,
    ...(args.maxPerSecond !== undefined ? { maxPerSecond: args.maxPerSecond } : {}),
  });
}

/**
 * `--ingest`: both kinds of ingest failure go back to the ingest queue, where fan-out takes them
 * as new (and skips events it already fanned out). The ingest queue's DLQ is an SQS DLQ, so on
 * AWS SQS moves it (StartMessageMoveTask, as the console's "Start DLQ redrive" does). The bus
 * rule target's DLQ is EventBridge's, which SQS cannot redrive to a source: its messages (each
 * the EventBridge event the rule would have delivered) are received, sent to the ingest queue
 * and only then deleted, on AWS as locally.
 */
async function runIngestRedrive(
  target: RedriveTarget,
  args: Exclude<RedriveArgs, { command: 'help' }>,
  local: Partial<LocalRedriveOptions>,
): Promise<RedriveResult> {
  const { ingestQueueUrl, ingestDeadLetterQueueUrl, busTargetDeadLetterQueueUrl } = target;
  if (!ingestQueueUrl || !ingestDeadLetterQueueUrl || !busTargetDeadLetterQueueUrl)
    throw new RedriveError(
      'the target does not name its ingest dead-letter queues (outputs IngestDeadLetterQueueUrl and BusTargetDeadLetterQueueUrl): deploy this version, or restart local mode',
    );
  if (target.kind === 'local') {
    if (args.command === 'status') throw new UsageError('--status needs a deployed stack (--stack NAME or WEBHOOKS_STACK)');
    if (args.maxPerSecond !== undefined) throw new UsageError('--max-per-second needs a deployed stack (--stack NAME or WEBHOOKS_STACK)');
    const fanout = await redriveLocal(target.sqs, { ...local, sourceUrl: ingestDeadLetterQueueUrl, destinationUrl: ingestQueueUrl });
    const bus = await redriveLocal(target.sqs, { ...local, sourceUrl: busTargetDeadLetterQueueUrl, destinationUrl: ingestQueueUrl });
    return { mode: 'local', fanout_failures: fanout, bus_target_failures: bus };
  }
  const sourceArn = await queueArn(target.sqs, ingestDeadLetterQueueUrl);
  if (args.command === 'status') return listMoveTasks(target.sqs, sourceArn);
  const destinationArn = await queueArn(target.sqs, ingestQueueUrl);
  const fanout = await startMoveTask(target.sqs, {
    sourceArn,
    destinationArn,
    ...(args.maxPerSecond !== undefined ? { maxPerSecond: args.maxPerSecond } : {}),
  });
  // Long polls: a short poll of a real queue samples only some of its servers.
  const bus = await redriveLocal(target.sqs, {
    waitTimeSeconds: 2,
    ...local,
    sourceUrl: busTargetDeadLetterQueueUrl,
    destinationUrl: ingestQueueUrl,
  });
  return { mode: 'aws', fanout_failures: fanout, bus_target_failures: bus };
}
