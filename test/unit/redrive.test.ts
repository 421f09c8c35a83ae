import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRedriveArgs, RedriveError, type RedriveTarget, redriveLocal, runRedrive, UsageError } from '../../scripts/lib/redrive.js';

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-DeliveryDlq';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-DeliveryDlq';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-Delivery';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-Delivery';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

beforeEach(() => sqsMock.reset());
afterAll(() => sqsMock.restore());

function stack(overrides: Partial<RedriveTarget> = {}): RedriveTarget {
  return {
    kind: 'stack',
    sqs,
    deliveryQueueUrl: QUEUE_URL,
    deadLetterQueueUrl: DLQ_URL,
    deliveryQueueArn: QUEUE_ARN,
    deadLetterQueueArn: DLQ_ARN,
    ...overrides,
  };
}

function local(): RedriveTarget {
  return { kind: 'local', sqs, deliveryQueueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL };
}

/** Names of the commands the mock saw, in order. */
function sequence(): string[] {
  return sqsMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

describe('command line', () => {
  it('parses the flags', () => {
    expect(parseRedriveArgs([])).toEqual({ command: 'redrive' });
    expect(parseRedriveArgs(['--stack', 'Prod'])).toEqual({ command: 'redrive', stack: 'Prod' });
    expect(parseRedriveArgs(['--stack', 'Prod', '--max-per-second', '50'])).toEqual({
      command: 'redrive',
      stack: 'Prod',
      maxPerSecond: 50,
    });
    expect(parseRedriveArgs(['--status', '--stack', 'Prod'])).toEqual({ command: 'status', stack: 'Prod' });
    expect(parseRedriveArgs(['-h'])).toEqual({ command: 'help' });
  });

  it.each([
    [['extra']],
    [['--colour', 'blue']],
    [['--stack']],
    [['--stack', ' ']],
    [['--max-per-second', '0']],
    [['--max-per-second', '501']],
    [['--max-per-second', '1.5']],
    [['--max-per-second', 'many']],
    [['--status', '--max-per-second', '5']],
  ])('refuses %j', (argv) => {
    expect(() => parseRedriveArgs(argv)).toThrow(UsageError);
  });
});

describe('on AWS: a message move task', () => {
  it('starts StartMessageMoveTask from the DLQ to the delivery queue', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    const result = await runRedrive(stack(), { command: 'redrive' });
    expect(result).toEqual({ mode: 'aws', task_handle: 'handle-1', source: DLQ_ARN, destination: QUEUE_ARN });
    const calls = sqsMock.commandCalls(StartMessageMoveTaskCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toStrictEqual({ SourceArn: DLQ_ARN, DestinationArn: QUEUE_ARN });
    expect(sequence()).toEqual(['StartMessageMoveTaskCommand']);
  });

  it('passes --max-per-second as MaxNumberOfMessagesPerSecond', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-2' });
    const result = await runRedrive(stack(), { command: 'redrive', maxPerSecond: 25 });
    expect(result).toMatchObject({ mode: 'aws', task_handle: 'handle-2', source: DLQ_ARN, destination: QUEUE_ARN });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toStrictEqual({
      SourceArn: DLQ_ARN,
      DestinationArn: QUEUE_ARN,
      MaxNumberOfMessagesPerSecond: 25,
    });
  });

  it('asks SQS for the ARNs when the stack outputs lack them', async () => {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL }).resolves({ Attributes: { QueueArn: DLQ_ARN } });
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL }).resolves({ Attributes: { QueueArn: QUEUE_ARN } });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-3' });
    await runRedrive(stack({ deliveryQueueArn: undefined, deadLetterQueueArn: undefined }), { command: 'redrive' });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toStrictEqual({
      SourceArn: DLQ_ARN,
      DestinationArn: QUEUE_ARN,
    });
  });

  it('surfaces an SQS refusal (such as a task already running)', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).rejects(new Error('There is already a task running'));
    await expect(runRedrive(stack(), { command: 'redrive' })).rejects.toThrow(/already a task running/);
  });

  it('--status lists ListMessageMoveTasks for the DLQ', async () => {
    const started = Date.UTC(2024, 0, 2, 3, 4, 5);
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          TaskHandle: 'handle-1',
          Status: 'RUNNING',
          SourceArn: DLQ_ARN,
          DestinationArn: QUEUE_ARN,
          MaxNumberOfMessagesPerSecond: 25,
          ApproximateNumberOfMessagesMoved: 3,
          ApproximateNumberOfMessagesToMove: 10,
          StartedTimestamp: started,
        },
        {
          Status: 'FAILED',
          SourceArn: DLQ_ARN,
          FailureReason: 'AccessDenied',
          ApproximateNumberOfMessagesMoved: 0,
          StartedTimestamp: started - 1000,
        },
      ],
    });
    const result = await runRedrive(stack(), { command: 'status' });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0]!.args[0].input).toStrictEqual({ SourceArn: DLQ_ARN, MaxResults: 10 });
    expect(sequence()).toEqual(['ListMessageMoveTasksCommand']);
    expect(result).toEqual({
      mode: 'aws',
      source: DLQ_ARN,
      tasks: [
        {
          task_handle: 'handle-1',
          status: 'RUNNING',
          source: DLQ_ARN,
          destination: QUEUE_ARN,
          max_per_second: 25,
          approximate_number_of_messages_moved: 3,
          approximate_number_of_messages_to_move: 10,
          failure_reason: null,
          started_time: '2024-01-02T03:04:05.000Z',
        },
        {
          task_handle: null,
          status: 'FAILED',
          source: DLQ_ARN,
          destination: null,
          max_per_second: null,
          approximate_number_of_messages_moved: 0,
          approximate_number_of_messages_to_move: null,
          failure_reason: 'AccessDenied',
          started_time: '2024-01-02T03:04:04.000Z',
        },
      ],
    });
  });
});

describe('in local mode: receive, send, then delete', () => {
  const m = (n: number, extra: Record<string, unknown> = {}) => ({
    MessageId: `dlq-${n}`,
    ReceiptHandle: `rh-${n}`,
    Body: `{"deliveryId":"d${n}"}`,
    ...extra,
  });

  it('sends the bodies (and message attributes) to the delivery queue, then deletes exactly those from the DLQ', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [m(1), m(2, { MessageAttributes: { trace: { DataType: 'String', StringValue: 'abc', StringListValues: [] } } })],
      })
      .resolvesOnce({ Messages: [m(3)] })
      .resolves({});
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [
          { Id: '0', MessageId: 'new-1', MD5OfMessageBody: 'x' },
          { Id: '1', MessageId: 'new-2', MD5OfMessageBody: 'x' },
        ],
        Failed: [],
      })
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'new-3', MD5OfMessageBody: 'x' }], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    const result = await runRedrive(local(), { command: 'redrive' });
    expect(result).toEqual({ mode: 'local', moved: 3 });
    expect(sequence()).toEqual([
      'ReceiveMessageCommand',
      'SendMessageBatchCommand',
      'DeleteMessageBatchCommand',
      'ReceiveMessageCommand',
      'SendMessageBatchCommand',
      'DeleteMessageBatchCommand',
      'ReceiveMessageCommand',
      'ReceiveMessageCommand',
    ]);

    for (const call of sqsMock.commandCalls(ReceiveMessageCommand)) {
      expect(call.args[0].input).toStrictEqual({
        QueueUrl: DLQ_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        // The tenant goes along: the moved message keeps its MessageGroupId.
        MessageSystemAttributeNames: ['MessageGroupId'],
      });
    }

    const sends = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(sends).toStrictEqual([
      {
        QueueUrl: QUEUE_URL,
        Entries: [
          { Id: '0', MessageBody: '{"deliveryId":"d1"}' },
          { Id: '1', MessageBody: '{"deliveryId":"d2"}', MessageAttributes: { trace: { DataType: 'String', StringValue: 'abc' } } },
        ],
      },
      { QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: '{"deliveryId":"d3"}' }] },
    ]);
    const deletes = sqsMock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input);
    expect(deletes).toStrictEqual([
      {
        QueueUrl: DLQ_URL,
        Entries: [
          { Id: '0', ReceiptHandle: 'rh-1' },
          { Id: '1', ReceiptHandle: 'rh-2' },
        ],
      },
      { QueueUrl: DLQ_URL, Entries: [{ Id: '0', ReceiptHandle: 'rh-3' }] },
    ]);
  });

  it('moves nothing from an empty DLQ and stops after two empty receives', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    expect(await redriveLocal(sqs, { sourceUrl: DLQ_URL, destinationUrl: QUEUE_URL, waitTimeSeconds: 0 })).toEqual({
      mode: 'local',
      moved: 0,
    });
    expect(sequence()).toEqual(['ReceiveMessageCommand', 'ReceiveMessageCommand']);
  });

  it('deletes nothing when SendMessageBatch fails, and releases the batch for a later try', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [m(1), m(2)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    const run = redriveLocal(sqs, { sourceUrl: DLQ_URL, destinationUrl: QUEUE_URL, waitTimeSeconds: 0 });
    await expect(run).rejects.toThrow(RedriveError);
    await expect(run).rejects.toThrow(/AccessDenied/);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sequence()).toEqual(['ReceiveMessageCommand', 'SendMessageBatchCommand', 'ChangeMessageVisibilityBatchCommand']);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input).toStrictEqual({
      QueueUrl: DLQ_URL,
      Entries: [
        { Id: '0', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 },
        { Id: '1', ReceiptHandle: 'rh-2', VisibilityTimeout: 0 },
      ],
    });
  });

  it('deletes only the entries SQS accepted when SendMessageBatch partly fails, and reports the rest', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [m(1), m(2)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '1', MessageId: 'new-2', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });

    await expect(redriveLocal(sqs, { sourceUrl: DLQ_URL, destinationUrl: QUEUE_URL, waitTimeSeconds: 0 })).rejects.toThrow(
      /moved 1, 1 could not be sent and are still in the DLQ \(InternalError: try again\)/,
    );
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input)).toStrictEqual([
      { QueueUrl: DLQ_URL, Entries: [{ Id: '0', ReceiptHandle: 'rh-2' }] },
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toStrictEqual([
      { Id: '0', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 },
    ]);
  });

  it('does not move again a message it already moved that failed again and came back meanwhile', async () => {
    // SQS keeps a message's id when it dead-letters it: new-1 is the copy this run sent.
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [m(1)] })
      .resolvesOnce({ Messages: [{ MessageId: 'new-1', ReceiptHandle: 'rh-back', Body: '{"deliveryId":"d1"}' }] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'new-1', MD5OfMessageBody: 'x' }], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    expect(await redriveLocal(sqs, { sourceUrl: DLQ_URL, destinationUrl: QUEUE_URL, waitTimeSeconds: 0 })).toEqual({
      mode: 'local',
      moved: 1,
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toStrictEqual([
      { Id: '0', ReceiptHandle: 'rh-back', VisibilityTimeout: 0 },
    ]);
  });

  it('refuses the AWS-only flags against local mode, before touching SQS', async () => {
    await expect(runRedrive(local(), { command: 'status' })).rejects.toThrow(UsageError);
    await expect(runRedrive(local(), { command: 'redrive', maxPerSecond: 5 })).rejects.toThrow(UsageError);
    expect(sqsMock.calls()).toHaveLength(0);
  });
});

describe('--ingest', () => {
  const INGEST_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-Ingest';
  const INGEST_ARN = 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-Ingest';
  const INGEST_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-IngestDlq';
  const INGEST_DLQ_ARN = 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-IngestDlq';
  const TARGET_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-TargetDlq';
  const ingestStack = () =>
    stack({ ingestQueueUrl: INGEST_URL, ingestDeadLetterQueueUrl: INGEST_DLQ_URL, busTargetDeadLetterQueueUrl: TARGET_DLQ_URL });

  it('parses --ingest with the other flags', () => {
    expect(parseRedriveArgs(['--ingest'])).toEqual({ command: 'redrive', ingest: true });
    expect(parseRedriveArgs(['--ingest', '--stack', 'Prod', '--status'])).toEqual({ command: 'status', stack: 'Prod', ingest: true });
  });

  it('on AWS: a move task for the ingest DLQ, and the bus target DLQ sent to the ingest queue then deleted, split by bytes', async () => {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: INGEST_DLQ_URL }).resolves({ Attributes: { QueueArn: INGEST_DLQ_ARN } });
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: INGEST_URL }).resolves({ Attributes: { QueueArn: INGEST_ARN } });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    // Four EventBridge events of 300 KB: more than SendMessageBatch takes in one request.
    const big = (n: number) => ({ MessageId: `t${n}`, ReceiptHandle: `rh${n}`, Body: `{"detail":"${'x'.repeat(300 * 1024)}"}` });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [big(1), big(2), big(3), big(4)] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `n${e.Id}` })),
      Failed: [],
    }));
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    const result = await runRedrive(ingestStack(), { command: 'redrive', ingest: true }, { waitTimeSeconds: 0 });
    expect(result).toEqual({
      mode: 'aws',
      fanout_failures: { mode: 'aws', task_handle: 'task-1', source: INGEST_DLQ_ARN, destination: INGEST_ARN },
      bus_target_failures: { mode: 'local', moved: 4 },
    });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({
      SourceArn: INGEST_DLQ_ARN,
      DestinationArn: INGEST_ARN,
    });
    const sends = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(sends.map((s) => s.QueueUrl)).toEqual([INGEST_URL, INGEST_URL]);
    expect(sends.map((s) => s.Entries!.length)).toEqual([3, 1]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand).every((c) => c.args[0].input.QueueUrl === TARGET_DLQ_URL)).toBe(true);
  });

  it('says so when the target does not name its ingest DLQs', async () => {
    await expect(runRedrive(stack(), { command: 'redrive', ingest: true })).rejects.toThrow(/IngestDeadLetterQueueUrl/);
  });
});
