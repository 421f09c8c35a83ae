import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { maxReceiveCount } from '../../functions/domain/retry-schedule.js';
import { startSqs } from '../../local/sqs-emulator.js';

/** fauxqs with its SQLite under a data directory: what local mode's durability rests on. */
describe('local SQS on disk', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-sqs-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const receive = async (sqs: Awaited<ReturnType<typeof startSqs>>, visibility?: number) =>
    (
      await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs.delivery.url,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
        }),
      )
    ).Messages ?? [];

  it('keeps a message released with visibility 0, with its receive count, and dead-letters it on schedule', async () => {
    const sqs = await startSqs({ schedule: [1, 1], dataDir: join(dataDir, 'release') });
    try {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.delivery.url, MessageBody: 'released' }));
      const limit = maxReceiveCount([1, 1]);
      for (let n = 1; n <= limit; n++) {
        const [m] = await receive(sqs);
        expect(m?.Attributes?.ApproximateReceiveCount).toBe(String(n));
        await sqs.client.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: sqs.delivery.url, ReceiptHandle: m!.ReceiptHandle!, VisibilityTimeout: 0 }),
        );
      }
      // The receive after the last one maxReceiveCount allows moves it to the DLQ.
      expect(await receive(sqs)).toEqual([]);
      expect(sqs.inspect(sqs.deliveryDlq)).toEqual({ ready: 1, delayed: 0, inflight: 0 });
    } finally {
      await sqs.stop();
    }
  });

  it('brings back ready, delayed and in-flight messages after a restart, with their receive counts', async () => {
    const dir = join(dataDir, 'restart');
    const first = await startSqs({ schedule: [1, 1], dataDir: dir });
    await first.client.send(new SendMessageCommand({ QueueUrl: first.delivery.url, MessageBody: 'in flight' }));
    const [inFlight] = await receive(first, 1);
    expect(inFlight?.Body).toBe('in flight');
    await first.client.send(new SendMessageCommand({ QueueUrl: first.delivery.url, MessageBody: 'ready' }));
    await first.client.send(new SendMessageCommand({ QueueUrl: first.delivery.url, MessageBody: 'delayed', DelaySeconds: 1 }));
    await first.stop();

    const second = await startSqs({ schedule: [1, 1], dataDir: dir });
    try {
      const got = new Map<string, string>();
      for (let i = 0; i < 40 && got.size < 3; i++) {
        for (const m of await receive(second)) got.set(m.Body!, m.Attributes!.ApproximateReceiveCount!);
        if (got.size < 3) await new Promise((r) => setTimeout(r, 100));
      }
      expect(Object.fromEntries(got)).toEqual({ 'in flight': '2', ready: '1', delayed: '1' });
    } finally {
      await second.stop();
    }
  });
});
