import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/** Local mode keeps what it accepted across a clean restart: tables and queues on disk. */
describe('local mode restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-restart-'));
  let receiver: Receiver | undefined;
  afterAll(async () => {
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers after a restart what was waiting for a retry when it stopped', async () => {
    let healthy = false;
    receiver = await startReceiver((_req, _n, res) => void res.writeHead(healthy ? 200 : 503).end());
    const first = await startTestPipeline({ dataDir, retrySchedule: [2, 2] });
    const sub = (await first.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).body.webhook_subscription;
    const published = await first.call('POST', '/api/v0.1/events', { type: 'card.created', data: { card_id: 'c', customer_id: 'u' } });
    await receiver.waitFor(1);
    // Stop once the sender has asked for the retry's visibility (stop lets the invocation finish), while it waits.
    await eventually('the retry visibility asked for', async () => (first.visibilityRule.requests.length > 0 ? true : undefined));
    await first.stop();

    healthy = true;
    const second = await startTestPipeline({ dataDir, retrySchedule: [2, 2] });
    try {
      // Same tenant, same subscription, same secret: the data survived.
      expect(second.credentials).toEqual(first.credentials);
      expect((await second.call('GET', `/api/v0.1/webhooks/${sub.id}`)).body.webhook_subscription.secret).toBe(sub.secret);
      const [, retried] = await receiver.waitFor(2);
      expect(retried!.headers['webhook-id']).toBe(published.body.id);
      let status = '';
      for (let i = 0; i < 100 && status !== 'succeeded'; i++) {
        status = (await second.call('GET', `/api/v0.1/webhooks/${sub.id}/deliveries`)).body.deliveries[0]?.status;
        if (status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('succeeded');
    } finally {
      await second.stop();
    }
  });
});
