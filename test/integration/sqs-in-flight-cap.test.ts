import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  OverLimit,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startPoller } from '../../local/queue-poller.js';
import { type QueueRef, type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { eventually } from '../support/wait.js';

/**
 * SQS's in-flight cap on the twin (quotas-queues.html, "Messages per queue (in flight)"): at the
 * cap a short poll fails with OverLimit, a long poll (what Lambda's event source mapping makes)
 * answers no messages and no error. A cap of 50 here, as a test may set it; 120,000 by default.
 */
const CAP = 50;
/** Twins a test started, stopped after it. */
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

async function fill(twin: SqsEmulator, queue: QueueRef, n: number) {
  for (let i = 0; i < n; i += 10)
    await twin.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: Array.from({ length: Math.min(10, n - i) }, (_, k) => ({ Id: String(k), MessageBody: `m${i + k}` })),
      }),
    );
}

const receive = (twin: SqsEmulator, queue: QueueRef, wait = 0, visibility?: number) =>
  twin.client
    .send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: wait,
        ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
      }),
    )
    .then((out) => out.Messages ?? []);

const remove = (twin: SqsEmulator, queue: QueueRef, messages: Message[]) =>
  Promise.all(messages.map((m) => twin.client.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle! }))));

describe('the in-flight cap', () => {
  it('stops receives at the cap: a long poll waits and gets nothing, a short poll gets OverLimit; deleting lets them go on', async () => {
    const twin = await startTwin({ schedule: [1, 1], inFlightCap: CAP });
    const q = twin.delivery;
    await fill(twin, q, 80);
    const held: Message[] = [];
    for (let i = 0; i < 5; i++) held.push(...(await receive(twin, q)));
    expect(held).toHaveLength(CAP);
    expect(twin.inspect(q)).toEqual({ ready: 30, delayed: 0, inflight: CAP });

    const started = Date.now();
    expect(await receive(twin, q, 1)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const err = await receive(twin, q).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverLimit);
    expect(err).toMatchObject({ name: 'OverLimit', $fault: 'client', $metadata: { httpStatusCode: 403 } });

    // Five deleted: room for five, not ten, then the cap again.
    await remove(twin, q, held.splice(0, 5));
    expect(await receive(twin, q)).toHaveLength(5);
    await expect(receive(twin, q)).rejects.toBeInstanceOf(OverLimit);
    // Released messages are out of flight too.
    await twin.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: held[0]!.ReceiptHandle!, VisibilityTimeout: 0 }),
    );
    expect(await receive(twin, q)).toHaveLength(1);
    expect(twin.inspect(q).inflight).toBe(CAP);
  });

  it('a long poll at the cap receives once messages leave flight during its wait', async () => {
    const twin = await startTwin({ schedule: [1, 1], inFlightCap: CAP });
    const q = twin.delivery;
    await fill(twin, q, 60);
    const held: Message[] = [];
    for (let i = 0; i < 5; i++) held.push(...(await receive(twin, q)));
    const started = Date.now();
    let answered = false;
    const waiting = receive(twin, q, 10).finally(() => {
      answered = true;
    });
    // Time for the receive to reach the twin; what follows holds whenever it got there.
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    await remove(twin, q, held.slice(0, 3));
    // The poll answers as soon as there is room, which may be after the first of the three
    // deletes (SQS's long poll too returns what it has, not its maximum): the rest is there after.
    const first = await waiting;
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(first.length).toBeLessThanOrEqual(3);
    const rest = first.length < 3 ? await receive(twin, q) : [];
    expect(first.length + rest.length).toBe(3);
    await expect(receive(twin, q)).rejects.toBeInstanceOf(OverLimit);
  });

  it('counts only messages whose visibility has not run out', async () => {
    const twin = await startTwin({ schedule: [1, 1], inFlightCap: CAP });
    const q = twin.delivery;
    await fill(twin, q, 60);
    for (let i = 0; i < 4; i++) await receive(twin, q);
    expect(await receive(twin, q, 0, 1)).toHaveLength(10);
    await expect(receive(twin, q)).rejects.toBeInstanceOf(OverLimit);
    // A second on, those ten are no longer in flight (and come out again with the ten never received).
    const got = await eventually('the visibility to run out', async () => {
      const m = await receive(twin, q).catch(() => []);
      return m.length > 0 ? m : undefined;
    });
    expect(got).toHaveLength(10);
  });

  it("the local event source mapping hands over what it gathered when the cap stops its batch's short polls", async () => {
    const twin = await startTwin({ schedule: [1, 1], inFlightCap: 15 });
    const q = twin.ingest;
    await fill(twin, q, 30);
    const batches: number[] = [];
    const errors: Error[] = [];
    const poller = startPoller({
      sqs: twin.client,
      queue: q,
      batchSize: 20,
      batchWindowSeconds: 1,
      handler: async (event: SQSEvent) => {
        batches.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      onError: (e) => errors.push(e),
    });
    try {
      await eventually('every message handled', async () => (batches.reduce((a, b) => a + b, 0) >= 30 ? true : undefined));
    } finally {
      await poller.stop();
    }
    expect(batches).toEqual([15, 15]);
    expect(errors).toEqual([]);
    expect(twin.inspect(q)).toEqual({ ready: 0, delayed: 0, inflight: 0 });
  });

  it('is 120,000 by default, and must be a whole number of at least 1', async () => {
    await expect(startSqs({ schedule: [1, 1], inFlightCap: 0 })).rejects.toThrow(/inFlightCap/);
    const twin = await startTwin({ schedule: [1, 1] });
    await fill(twin, twin.delivery, 30);
    for (let i = 0; i < 3; i++) expect(await receive(twin, twin.delivery)).toHaveLength(10);
  });
});
