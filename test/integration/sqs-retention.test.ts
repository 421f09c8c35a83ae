import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { INGEST_MAX_RECEIVES, type QueueRef, type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { redriveLocal } from '../../scripts/lib/redrive.js';
import { eventually } from '../support/wait.js';

/**
 * Retention on the twin (setting-up-dead-letter-queue-retention.html): SQS deletes a message
 * older than its queue's MessageRetentionPeriod, counted from its first send, in whatever state;
 * a move to the DLQ keeps that time; a DLQ redrive makes a new message with a new time. The
 * tests move messages' send time back (SqsEmulator.backdate) rather than wait for it, and use
 * SQS's shortest retention, 60 s.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-retention-'));
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

const RETENTION = 60;
const retain = (twin: SqsEmulator, queue: QueueRef, seconds: number) =>
  twin.client.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { MessageRetentionPeriod: String(seconds) } }));
const send = async (twin: SqsEmulator, queue: QueueRef, body: string, delay = 0) =>
  (await twin.client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, DelaySeconds: delay }))).MessageId!;
const receive = (twin: SqsEmulator, queue: QueueRef, max = 10): Promise<Message[]> =>
  twin.client
    .send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'MessageGroupId'],
      }),
    )
    .then((o) => o.Messages ?? []);
const release = (twin: SqsEmulator, queue: QueueRef, m: Message) =>
  twin.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
const empty = (twin: SqsEmulator, queue: QueueRef) => {
  const s = twin.inspect(queue);
  return s.ready + s.delayed + s.inflight === 0 ? true : undefined;
};

/** Receives and releases a message until the ingest queue's redrive policy moves it to the DLQ. */
async function deadLetter(twin: SqsEmulator, body: string) {
  for (let n = 0; n < INGEST_MAX_RECEIVES; n++) {
    const [m] = await receive(twin, twin.ingest, 1);
    expect(m?.Body).toBe(body);
    await release(twin, twin.ingest, m!);
  }
  expect(await receive(twin, twin.ingest, 1)).toEqual([]);
}

describe('retention on the twin', () => {
  it('deletes ready, delayed and in-flight messages past the retention period, and the deletions last', async () => {
    const dir = join(dataDir, 'states');
    const first = await startTwin({ schedule: [1, 1], dataDir: dir });
    const q = first.delivery;
    await retain(first, q, RETENTION);
    const ids = [await send(first, q, 'in flight'), await send(first, q, 'delayed', 900)];
    expect(await receive(first, q)).toHaveLength(1);
    ids.push(await send(first, q, 'ready'));
    const young = await send(first, q, 'young');
    for (const id of ids) first.backdate(q, id, RETENTION + 1);
    await eventually('the old messages to go', async () => {
      const state = first.inspect(q);
      return state.ready === 1 && state.delayed === 0 && state.inflight === 0 ? true : undefined;
    });
    expect(first.inspect(q)).toEqual({ ready: 1, delayed: 0, inflight: 0 });
    await stopTwin(first);

    // On disk too: after a restart only the young one is there.
    const second = await startTwin({ schedule: [1, 1], dataDir: dir });
    expect(second.inspect(second.delivery)).toEqual({ ready: 1, delayed: 0, inflight: 0 });
    expect((await receive(second, second.delivery)).map((m) => m.MessageId)).toEqual([young]);
  });

  it('counts a dead-lettered message from its first send, not from its move to the DLQ', async () => {
    const twin = await startTwin({ schedule: [1, 1] });
    const sentAt = Date.now() - 58_000;
    const id = await send(twin, twin.ingest, 'doomed');
    twin.backdate(twin.ingest, id, 58);
    await deadLetter(twin, 'doomed');
    const movedAt = Date.now();
    // Moved whole: same id, same send time.
    const [moved] = await receive(twin, twin.ingestDlq);
    expect(moved?.MessageId).toBe(id);
    expect(Math.abs(Number(moved?.Attributes?.SentTimestamp) - sentAt)).toBeLessThan(2_000);
    await release(twin, twin.ingestDlq, moved!);
    await retain(twin, twin.ingestDlq, RETENTION);
    const fresh = await send(twin, twin.ingestDlq, 'fresh');

    // Gone about 60 s after its first send, long before 60 s after the move; one sent to the DLQ now stays.
    await eventually('the moved message to expire', async () => (twin.inspect(twin.ingestDlq).ready === 1 ? true : undefined), 30_000);
    expect(Date.now() - movedAt).toBeLessThan(RETENTION * 1000 - 20_000);
    expect((await receive(twin, twin.ingestDlq)).map((m) => m.MessageId)).toEqual([fresh]);
  });

  it('a redriven message is a new one: new id, new send time, its tenant kept', async () => {
    const twin = await startTwin({ schedule: [1, 1] });
    const id = (
      await twin.client.send(new SendMessageCommand({ QueueUrl: twin.ingest.url, MessageBody: 'again', MessageGroupId: 'tnt_r' }))
    ).MessageId!;
    // Older than the retention period by its first send: kept only if the redrive's time counts.
    twin.backdate(twin.ingest, id, RETENTION + 10);
    await deadLetter(twin, 'again');
    const redriveAt = Date.now();
    expect(await redriveLocal(twin.client, { sourceUrl: twin.ingestDlq.url, destinationUrl: twin.ingest.url })).toEqual({
      mode: 'local',
      moved: 1,
    });
    await retain(twin, twin.ingest, RETENTION);
    const [back] = await receive(twin, twin.ingest);
    expect(back?.Body).toBe('again');
    expect(back?.MessageId).not.toBe(id);
    expect(Number(back?.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(redriveAt);
    expect(back?.Attributes?.MessageGroupId).toBe('tnt_r');
    // Its new send time is what counts: a message as old as its first send goes, it stays.
    await release(twin, twin.ingest, back!);
    const old = await send(twin, twin.ingest, 'old');
    twin.backdate(twin.ingest, old, RETENTION + 10);
    await eventually('the old one to expire', async () => (twin.inspect(twin.ingest).ready === 1 ? true : undefined));
    expect((await receive(twin, twin.ingest)).map((m) => m.Body)).toEqual(['again']);
    expect(empty(twin, twin.ingestDlq)).toBe(true);
  });
});
