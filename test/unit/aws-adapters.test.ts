import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../functions/adapters/aws/eventbridge-bus.js';
import { SECRETS_MANAGER_BUDGETS, SecretsManagerStore } from '../../functions/adapters/aws/secrets-manager-store.js';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { PUT_EVENTS_MAX_ENTRY_BYTES, SECRETS_MANAGER_RATE_QUOTAS } from '../../functions/domain/aws-limits.js';
import { ApiError, budgetSpent } from '../../functions/domain/errors.js';
import type { CallBudget } from '../../functions/ports.js';

/** Adapters for services that cannot run here: the exact requests they send. */

describe('SecretsManagerStore', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());
  const store = new SecretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }));

  it('creates one secret per subscription, tagged with its tenant and subscription', async () => {
    sm.on(CreateSecretCommand).resolves({});
    await store.create('webhooks/Webhooks/tnt_1/sub_1', '{"current":"whsec_x"}', { tenant_id: 'tnt_1', subscription_id: 'sub_1' });
    expect(sm.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'webhooks/Webhooks/tnt_1/sub_1',
        SecretString: '{"current":"whsec_x"}',
        Description: 'Webhook signing secret (Standard Webhooks)',
        Tags: [
          { Key: 'tenant_id', Value: 'tnt_1' },
          { Key: 'subscription_id', Value: 'sub_1' },
        ],
      },
    ]);
  });

  it('reads, writes a new version and schedules deletion with a 7-day recovery window', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"current":"whsec_y"}' });
    sm.on(PutSecretValueCommand).resolves({});
    sm.on(DeleteSecretCommand).resolves({});
    expect(await store.get('webhooks/W/t/s')).toBe('{"current":"whsec_y"}');
    await store.put('webhooks/W/t/s', '{"current":"whsec_z"}');
    await store.scheduleDeletion('webhooks/W/t/s');
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: 'webhooks/W/t/s' });
    expect(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'webhooks/W/t/s',
      SecretString: '{"current":"whsec_z"}',
    });
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: 'webhooks/W/t/s', RecoveryWindowInDays: 7 });
  });

  it('reads a list page in calls of at most 20 secrets (BatchGetSecretValue by SecretIdList)', async () => {
    const names = Array.from({ length: 45 }, (_, i) => `webhooks/W/t/s${i}`);
    sm.on(BatchGetSecretValueCommand).callsFake((input: { SecretIdList: string[] }) => ({
      SecretValues: input.SecretIdList.map((n) => ({ Name: n, SecretString: `{"current":"whsec_${n.slice(13)}"}` })),
    }));
    const values = await store.getMany([...names, names[0]!]);
    expect(sm.commandCalls(BatchGetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretIdList: names.slice(0, 20) },
      { SecretIdList: names.slice(20, 40) },
      { SecretIdList: names.slice(40) },
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(values.size).toBe(45);
    expect(values.get('webhooks/W/t/s44')).toBe('{"current":"whsec_s44"}');
  });

  it('fails a batch read when Secrets Manager reports an error for one secret', async () => {
    sm.on(BatchGetSecretValueCommand).resolves({
      SecretValues: [{ Name: 'a', SecretString: '{}' }],
      Errors: [{ SecretId: 'b', ErrorCode: 'ResourceNotFoundException', Message: 'gone' }],
    });
    await expect(store.getMany(['a', 'b'])).rejects.toThrow(/secret b could not be read: ResourceNotFoundException gone/);
  });

  it('fails loudly on a binary secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(store.get('x')).rejects.toThrow(/no string value/);
  });
});

describe('SecretsManagerStore with an account-wide budget', () => {
  const sm = mockClient(SecretsManagerClient);
  /** Records what is taken, in order with the calls; refuses once `refuse` is set. */
  const taken: [string, number][] = [];
  let refuse = false;
  const budget: CallBudget = {
    take: async (call, n) => {
      if (refuse) throw budgetSpent(call);
      taken.push([call, n]);
    },
  };
  const store = new SecretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1', maxAttempts: 1 }), { budget });
  beforeEach(() => {
    sm.reset();
    taken.length = 0;
    refuse = false;
  });
  const names = Array.from({ length: 100 }, (_, i) => `webhooks/W/t/s${i}`);
  const answerAll = () =>
    sm.on(BatchGetSecretValueCommand).callsFake((input: { SecretIdList: string[] }) => ({
      SecretValues: input.SecretIdList.map((n) => ({ Name: n, SecretString: '{"current":"whsec_x"}' })),
    }));

  it("budgets four fifths of the quotas our calls meet (BatchGetSecretValue 100 and PutSecretValue 50 a second), leaving room for a second's calls that reach AWS in the next", () => {
    expect(SECRETS_MANAGER_RATE_QUOTAS).toMatchObject({ BatchGetSecretValue: 100, PutSecretValue: 50 });
    expect(SECRETS_MANAGER_BUDGETS).toEqual({ 'SecretsManager.BatchGetSecretValue': 80, 'SecretsManager.PutSecretValue': 40 });
  });

  it('takes a page of 100 as 5 BatchGetSecretValue calls from the budget, all at once, before calling', async () => {
    answerAll();
    await store.getMany(names);
    expect(taken).toEqual([['SecretsManager.BatchGetSecretValue', 5]]);
    expect(sm.commandCalls(BatchGetSecretValueCommand).map((c) => c.args[0].input.SecretIdList)).toEqual(
      [0, 20, 40, 60, 80].map((i) => names.slice(i, i + 20)),
    );
  });

  it('takes one PutSecretValue per rotation; reads of one secret and creates are not budgeted', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"current":"whsec_y"}' });
    sm.on(CreateSecretCommand).resolves({});
    await store.put('webhooks/W/t/s', '{"current":"whsec_z"}');
    await store.get('webhooks/W/t/s');
    await store.create('webhooks/W/t/s2', '{"current":"whsec_z"}', {});
    expect(taken).toEqual([['SecretsManager.PutSecretValue', 1]]);
    expect(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'webhooks/W/t/s',
      SecretString: '{"current":"whsec_z"}',
    });
  });

  it('calls nothing when the budget refuses, and passes its 503 with Retry-After on', async () => {
    answerAll();
    sm.on(PutSecretValueCommand).resolves({});
    refuse = true;
    for (const attempt of [store.getMany(names), store.put('webhooks/W/t/s', '{}')]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ statusCode: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } });
    }
    expect(sm.calls()).toHaveLength(0);
  });

  it("answers Secrets Manager's own ThrottlingException (another caller took the quota) as a 503 with Retry-After, on every call", async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(BatchGetSecretValueCommand).rejects(throttled);
    sm.on(GetSecretValueCommand).rejects(throttled);
    sm.on(PutSecretValueCommand).rejects(throttled);
    sm.on(CreateSecretCommand).rejects(throttled);
    sm.on(DeleteSecretCommand).rejects(throttled);
    const calls = [
      store.getMany(names.slice(0, 3)),
      store.get('a'),
      store.put('a', '{}'),
      store.create('a', '{}', {}),
      store.scheduleDeletion('a'),
    ];
    for (const call of calls)
      await expect(call).rejects.toMatchObject({ statusCode: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } });
    // Other failures stay what they are (the API answers them 500, as before).
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('no'), { name: 'ResourceNotFoundException' }));
    await expect(store.get('a')).rejects.not.toBeInstanceOf(ApiError);
  });
});

describe('EventBridgeBus', () => {
  const eb = mockClient(EventBridgeClient);
  beforeEach(() => eb.reset());
  const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'webhooks-bus');
  const event = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { card_id: 'c' } };

  it('puts one entry on the bus with the tenant in the detail', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    await bus.publish('tnt_1', event);
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'webhooks-bus',
          Source: 'webhooks.api',
          DetailType: 'card.created',
          Time: new Date('2026-01-01T00:00:00.000Z'),
          Detail: JSON.stringify({ tenant_id: 'tnt_1', event }),
        },
      ],
    });
  });

  it('puts only a reference for an event stored in the table', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    await bus.publish('tnt_1', event, { stored: true });
    expect(JSON.parse(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toEqual({
      tenant_id: 'tnt_1',
      event: { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z' },
      stored: true,
    });
  });

  it("refuses, without calling EventBridge, an entry of 1 MB (1,000,000 bytes) or more by EventBridge's count", async () => {
    // Detail + DetailType + Source + 14 bytes for Time: exactly PUT_EVENTS_MAX_ENTRY_BYTES.
    const fixed =
      JSON.stringify({ tenant_id: 'tnt_1', event: { ...event, data: { card_id: '' } } }).length +
      'card.created'.length +
      'webhooks.api'.length +
      14;
    const big = { ...event, data: { card_id: 'x'.repeat(PUT_EVENTS_MAX_ENTRY_BYTES - fixed) } };
    await expect(bus.publish('tnt_1', big)).rejects.toThrow(/1000000 bytes is over EventBridge's limit/);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    const justUnder = { ...event, data: { card_id: 'x'.repeat(PUT_EVENTS_MAX_ENTRY_BYTES - fixed - 1) } };
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    await bus.publish('tnt_1', justUnder);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('throws when EventBridge refuses the entry, so the API does not answer 202', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(bus.publish('tnt_1', event)).rejects.toThrow(/InternalFailure try again/);
  });
});

describe('SqsQueue', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());
  const queue = new SqsQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs.eu-west-1.amazonaws.com/1/delivery');
  const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: `body ${i}` }));

  it('sends in batches of ten', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue.sendAll(messages(23));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls[0]).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/delivery',
      Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `body ${i}` })),
    });
    expect(calls[2]!.Entries!.map((e) => e.MessageBody)).toEqual(['body 20', 'body 21', 'body 22']);
  });

  it("sends each message's group id as its MessageGroupId, and names a malformed one without sending it", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const failed = await queue.trySendAll([
      { id: 'a', body: 'one', groupId: 'tnt_1' },
      { id: 'b', body: 'two' },
      { id: 'c', body: 'three', groupId: 'not a group id' },
    ]);
    expect(failed).toEqual([{ id: 'c', reason: expect.stringMatching(/not a valid SQS MessageGroupId/) }]);
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries)).toEqual([
      [
        { Id: '0', MessageBody: 'one', MessageGroupId: 'tnt_1' },
        { Id: '1', MessageBody: 'two' },
      ],
    ]);
  });

  it('resends only the entries a batch reports failed', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: '1', Code: 'InternalError', SenderFault: false },
          { Id: '2', Code: 'ServiceUnavailable', SenderFault: false },
        ],
      })
      .resolves({ Failed: [] });
    await queue.sendAll(messages(3));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.Entries).toEqual([
      { Id: '0', MessageBody: 'body 1' },
      { Id: '1', MessageBody: 'body 2' },
    ]);
  });

  it('gives up with an error (never silently) when entries keep failing or SQS blames the sender', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await expect(queue.sendAll(messages(1))).rejects.toThrow(/did not accept 1 message/);
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad' }] });
    await expect(queue.sendAll(messages(1))).rejects.toThrow(/InvalidMessageContents bad/);
  });

  it('changes a message visibility', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    await queue.changeVisibility('rh-1', 300);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/delivery',
      ReceiptHandle: 'rh-1',
      VisibilityTimeout: 300,
    });
  });
});
