import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/adapters/aws/sqs-queue.js';
import { type QueueRef, type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';

/**
 * Fair queues on the twin (sqs-fair-queues.html): MessageGroupId names a message's tenant on a
 * standard queue, and a receive hands out quieter tenants' waiting messages before a noisy
 * tenant's backlog. Through the real SqsQueue adapter and SDK, against fauxqs.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-fair-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
/** Twins a test started, stopped after it (unless it stopped one itself, to start it again). */
const running = new Set<SqsEmulator>();
afterEach(async () => {
  for (const twin of running) await twin.stop();
  running.clear();
});
async function startTwin(options: Parameters<typeof startSqs>[0]): Promise<SqsEmulator> {
  const twin = await startSqs(options);
  running.add(twin);
  return twin;
}
async function stopTwin(twin: SqsEmulator): Promise<void> {
  running.delete(twin);
  await twin.stop();
}

const receive = (twin: SqsEmulator, queue: QueueRef, visibility?: number) =>
  twin.client
    .send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['MessageGroupId'],
        ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
      }),
    )
    .then((out) => out.Messages ?? []);

/**
 * Messages of a tenant, each body `tenant:n`, sent with the tenant as group id (or none for `-`),
 * ten at a time in order (SqsQueue sends a long list's batches in parallel).
 */
async function send(queue: SqsQueue, tenant: string, n: number, from = 0) {
  for (let i = 0; i < n; i += 10)
    await queue.sendAll(
      Array.from({ length: Math.min(10, n - i) }, (_, k) => ({
        id: `${tenant}-${from + i + k}`,
        body: `${tenant}:${from + i + k}`,
        ...(tenant === '-' ? {} : { groupId: tenant }),
      })),
    );
}
const bodies = (messages: Message[]) => messages.map((m) => m.Body);

describe('fair queues on the twin', () => {
  it('hands out the quiet tenants’ messages before a noisy tenant’s backlog', async () => {
    const twin = await startTwin({ schedule: [1, 1] });
    const queue = new SqsQueue(twin.client, twin.delivery.url);
    await send(queue, 'tnt_noisy', 300);
    // 40 of its messages in flight: more than 10 % of the queue's in-flight messages, and at least 30.
    for (let i = 0; i < 4; i++) expect(await receive(twin, twin.delivery)).toHaveLength(10);
    await send(queue, 'tnt_quiet1', 4);
    await send(queue, 'tnt_quiet2', 4);
    await send(queue, '-', 1);
    const first = await receive(twin, twin.delivery);
    expect(bodies(first)).toEqual([
      'tnt_quiet1:0',
      'tnt_quiet1:1',
      'tnt_quiet1:2',
      'tnt_quiet1:3',
      'tnt_quiet2:0',
      'tnt_quiet2:1',
      'tnt_quiet2:2',
      'tnt_quiet2:3',
      // A message without a group id is a tenant of its own, never a noisy one.
      '-:0',
      // Nothing quiet is left waiting: the noisy tenant's backlog goes on in its order.
      'tnt_noisy:40',
    ]);
    expect(first.map((m) => m.Attributes?.MessageGroupId)).toEqual([
      ...Array(4).fill('tnt_quiet1'),
      ...Array(4).fill('tnt_quiet2'),
      undefined,
      'tnt_noisy',
    ]);
    expect(bodies(await receive(twin, twin.delivery))).toEqual(Array.from({ length: 10 }, (_, i) => `tnt_noisy:${41 + i}`));
  });

  it('keeps arrival order while nobody is noisy', async () => {
    const twin = await startTwin({ schedule: [1, 1] });
    const queue = new SqsQueue(twin.client, twin.ingest.url);
    await send(queue, 'tnt_a', 10);
    await send(queue, 'tnt_b', 5);
    await send(queue, 'tnt_a', 10, 10);
    await send(queue, 'tnt_c', 5);
    const got: Message[] = [];
    for (let i = 0; i < 3; i++) got.push(...(await receive(twin, twin.ingest)));
    // tnt_a ends with 20 in flight: under 30, so not noisy, and no message has been processed yet.
    expect(bodies(got)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `tnt_a:${i}`),
      ...Array.from({ length: 5 }, (_, i) => `tnt_b:${i}`),
      ...Array.from({ length: 10 }, (_, i) => `tnt_a:${10 + i}`),
      ...Array.from({ length: 5 }, (_, i) => `tnt_c:${i}`),
    ]);
  });

  it('SqsQueue sends MessageGroupId, which comes back on ReceiveMessage; a malformed one is named and never sent', async () => {
    const twin = await startTwin({ schedule: [1, 1] });
    const queue = new SqsQueue(twin.client, twin.delivery.url);
    const failed = await queue.trySendAll([
      { id: 'a', body: 'a', groupId: 'tnt_0123456789abcdef01234567' },
      { id: 'b', body: 'b' },
      { id: 'c', body: 'c', groupId: 'tnt with spaces' },
    ]);
    expect(failed.map((f) => f.id)).toEqual(['c']);
    const got = await receive(twin, twin.delivery);
    expect(got.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([
      ['a', 'tnt_0123456789abcdef01234567'],
      ['b', undefined],
    ]);
    // SQS itself refuses a malformed group id on a standard queue, too.
    await expect(
      twin.client.send(new SendMessageCommand({ QueueUrl: twin.delivery.url, MessageBody: 'x', MessageGroupId: 'a'.repeat(129) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });

  it('persists MessageGroupId: ready and in-flight messages keep it across a restart', async () => {
    const dir = join(dataDir, 'restart');
    const first = await startTwin({ schedule: [1, 1], dataDir: dir });
    const queue = new SqsQueue(first.client, first.delivery.url);
    await send(queue, 'tnt_x', 2);
    await send(queue, 'tnt_y', 1);
    await send(queue, '-', 1);
    const [inFlight] = await first.client
      .send(new ReceiveMessageCommand({ QueueUrl: first.delivery.url, MaxNumberOfMessages: 1, VisibilityTimeout: 1 }))
      .then((o) => o.Messages ?? []);
    expect(inFlight?.Body).toBe('tnt_x:0');
    await stopTwin(first);

    // fauxqs's own column holds it.
    const db = new DatabaseSync(join(dir, 'fauxqs.db'), { readOnly: true });
    try {
      const rows = db.prepare("SELECT body, message_group_id FROM sqs_messages WHERE queue_name = 'webhooks-delivery' ORDER BY body").all();
      expect(rows.map((r) => [r.body, r.message_group_id])).toEqual([
        ['-:0', null],
        ['tnt_x:0', 'tnt_x'],
        ['tnt_x:1', 'tnt_x'],
        ['tnt_y:0', 'tnt_y'],
      ]);
    } finally {
      db.close();
    }

    const second = await startTwin({ schedule: [1, 1], dataDir: dir });
    const got = new Map<string, string | undefined>();
    for (let i = 0; i < 60 && got.size < 4; i++) {
      for (const m of await receive(second, second.delivery)) got.set(m.Body!, m.Attributes?.MessageGroupId);
      if (got.size < 4) await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.fromEntries(got)).toEqual({ 'tnt_x:0': 'tnt_x', 'tnt_x:1': 'tnt_x', 'tnt_y:0': 'tnt_y', '-:0': undefined });
  });
});
