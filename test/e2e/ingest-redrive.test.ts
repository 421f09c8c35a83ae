import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually, queuesSettled } from '../support/wait.js';

/**
 * `npm run redrive -- --ingest`, run as an operator runs it against local mode, brings back both
 * kinds of ingest failure: an event the bus rule could not put on the ingest queue (in the rule
 * target's DLQ: PutEvents succeeded, the delivery to the target did not) and an event the fan-out
 * gave up on (in the ingest queue's DLQ). Each is then delivered once.
 */
describe('ingest dead letters and npm run redrive -- --ingest', () => {
  let pipeline: TestPipeline;
  let receiver: Receiver;

  beforeAll(async () => {
    pipeline = await startTestPipeline();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.close();
  });

  const depth = async (url: string) => {
    const out = await pipeline.sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
  };

  it('moves both DLQs back to the ingest queue, and each event is delivered once', async () => {
    const sub = await pipeline.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    expect(sub.status).toBe(201);

    // The ingest queue refuses everything: the bus stand-in parks the event in the target DLQ.
    pipeline.faults.failSendEntries({ queueUrl: pipeline.sqs.ingest.url, senderFault: true, code: 'KMS.AccessDeniedException' });
    const a = await pipeline.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'a', customer_id: 'u' } });
    expect(a.status).toBe(202);
    pipeline.faults.clear();
    expect(await depth(pipeline.sqs.busTargetDlq.url)).toBe(1);

    // An event the fan-out failed on five times, as SQS leaves it in the ingest DLQ.
    // local/pipeline.ts names the local tenant after its identity.
    const tenantOfLocal = `tnt_local_${pipeline.credentials.identity.slice(-8)}`;
    const b = {
      id: 'evt_from_ingest_dlq',
      type: 'card.created',
      timestamp: new Date().toISOString(),
      data: { card_id: 'b', customer_id: 'u' },
    };
    await pipeline.sqs.client.send(
      new SendMessageCommand({
        QueueUrl: pipeline.sqs.ingestDlq.url,
        MessageBody: JSON.stringify({
          version: '0',
          id: 'eb-1',
          'detail-type': b.type,
          source: 'acme.cards',
          account: '000000000000',
          time: b.timestamp,
          region: 'us-east-1',
          resources: [],
          detail: { tenant_id: tenantOfLocal, event: b },
        }),
      }),
    );
    await queuesSettled(pipeline);
    expect(receiver.requests).toHaveLength(0);

    const result = await runCli('redrive', pipeline.dataDir, ['--ingest']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      mode: 'local',
      fanout_failures: { mode: 'local', moved: 1 },
      bus_target_failures: { mode: 'local', moved: 1 },
    });

    await receiver.waitFor(2, 30_000);
    await eventually('both DLQs empty', async () =>
      (await depth(pipeline.sqs.ingestDlq.url)) + (await depth(pipeline.sqs.busTargetDlq.url)) === 0 ? true : undefined,
    );
    await queuesSettled(pipeline);
    expect(receiver.requests.map((r) => String(r.headers['webhook-id'])).sort()).toEqual([a.body.id, b.id].sort());
  }, 60_000);
});
