import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../../local/faults.js';
import { type Poller, startPoller } from '../../local/queue-poller.js';
import { type SqsEmulator, startSqs } from '../../local/sqs-emulator.js';
import { eventually } from '../support/wait.js';

/**
 * Local mode's poller against fauxqs behaves as Lambda's SQS event source mapping: a throttled
 * invocation, one that throws and one that times out each return EVERY message of the batch
 * (back after the visibility timeout, receive count up by one); a partial batch response
 * returns only the items it names; one naming an item not in the batch returns the whole batch.
 */
describe('local queue poller', () => {
  let sqs: SqsEmulator;
  let poller: Poller | undefined;
  beforeAll(async () => {
    sqs = await startSqs({ schedule: [1], processingVisibilitySeconds: 1 });
  });
  afterAll(async () => {
    await poller?.stop();
    await sqs?.stop();
  });

  it('returns whole batches on throttle, throw and timeout, and honours partial batch responses', async () => {
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.delivery.url,
        Entries: ['a', 'b', 'c'].map((id) => ({ Id: id, MessageBody: id })),
      }),
    );
    const faults = new Faults().fail('throttle', 1);
    const seen: { bodies: string[]; counts: string[] }[] = [];
    const script: ((e: SQSEvent) => Promise<SQSBatchResponse>)[] = [
      async () => {
        throw new Error('handler threw');
      },
      () => new Promise((r) => setTimeout(() => r({ batchItemFailures: [] }), 800)),
      async (e) => ({ batchItemFailures: [{ itemIdentifier: e.Records.find((r) => r.body === 'a')!.messageId }] }),
      async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }),
      async () => ({ batchItemFailures: [] }),
    ];
    poller = startPoller({
      sqs: sqs.client,
      queue: sqs.delivery,
      batchSize: 10,
      invocationTimeoutMs: 300,
      faults,
      handler: async (e) => {
        seen.push({ bodies: e.Records.map((r) => r.body).sort(), counts: e.Records.map((r) => r.attributes.ApproximateReceiveCount) });
        return script[seen.length - 1]!(e);
      },
    });
    await eventually('five invocations', async () => (seen.length >= 5 ? true : undefined), 30_000);
    expect(faults.fired.get('throttle')).toBe(1);
    // The throttled receive counted (1), then the throw (2) and the timeout (3) returned all three.
    expect(seen.slice(0, 3)).toEqual([
      { bodies: ['a', 'b', 'c'], counts: ['2', '2', '2'] },
      { bodies: ['a', 'b', 'c'], counts: ['3', '3', '3'] },
      { bodies: ['a', 'b', 'c'], counts: ['4', '4', '4'] },
    ]);
    // Only 'a' came back from the partial response; an unknown identifier returned it again.
    expect(seen.slice(3)).toEqual([
      { bodies: ['a'], counts: ['5'] },
      { bodies: ['a'], counts: ['6'] },
    ]);
  });
});
