import { beforeEach, describe, expect, it } from 'vitest';
import { SubscriptionService } from '../../functions/app/subscriptions.js';
import { VerificationRequests } from '../../functions/app/verification.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { createCatalog } from '../../functions/domain/catalog.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import type { Subscription } from '../../functions/domain/model.js';
import { VERIFICATION_EVENT_TYPE, type VerificationMode } from '../../functions/domain/verification.js';
import { MemoryDeliveryStore, MemoryQueue, MemorySecrets, MemorySubscriptions } from '../support/memory-ports.js';

/**
 * The API's side of endpoint verification (functions/app/subscriptions.ts): which changes start
 * one, what a request sends, and that a change never writes back a verification the sender
 * settled after the change read the subscription.
 */

const catalog = createCatalog([{ type: 'card.created', description: 'x', schema: { type: 'object' }, example: {} }]);
const T = '2026-03-01T00:00:00.000Z';

describe('subscriptions, endpoint verification', () => {
  let repo: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let queue: MemoryQueue;
  const service = (mode: VerificationMode | undefined) =>
    new SubscriptionService({
      repo,
      secrets: new MemorySecrets(),
      catalog,
      policy: LOCAL_POLICY,
      secretNamePrefix: 'webhooks/test/',
      ...(mode ? { verification: { mode, requests: new VerificationRequests({ store, deliveries: queue }) } } : {}),
      now: () => new Date(T),
    });
  const sentEvents = () =>
    queue.sent.map((m) => JSON.parse(parseDeliveryMessage(m.body).body!) as { id: string; type: string; data: Record<string, string> });

  beforeEach(() => {
    repo = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    queue = new MemoryQueue();
    store.subscriptions = repo;
  });

  it('starts a challenge on create and on a URL change only, and sends its request with a fresh challenge', async () => {
    const s = service('challenge');
    const { subscription } = await s.create('tnt_1', { url: 'https://a.example/in', events: ['card.created'] });
    expect(subscription.verification).toMatchObject({ status: 'pending', mode: 'challenge', url: 'https://a.example/in' });
    expect(sentEvents()).toHaveLength(1);
    const [first] = sentEvents();
    expect(first).toMatchObject({
      id: subscription.verification!.requestId,
      type: VERIFICATION_EVENT_TYPE,
      data: { subscription_id: subscription.id },
    });
    expect(first!.data.challenge).toMatch(/^[A-Za-z0-9_-]{32}$/);

    await s.update('tnt_1', subscription.id, () => ({ description: 'no URL change' }));
    expect(sentEvents()).toHaveLength(1);
    const moved = await s.update('tnt_1', subscription.id, () => ({ url: 'https://b.example/in' }));
    expect(moved.subscription.verification).toMatchObject({ status: 'pending', url: 'https://b.example/in' });
    expect(moved.subscription.verification!.requestId).not.toBe(subscription.verification!.requestId);
    expect(sentEvents()).toHaveLength(2);
    expect(sentEvents()[1]!.data.challenge).not.toBe(first!.data.challenge);
  });

  it('under none, records nothing on create, and verifies at once when asked', async () => {
    const s = service('none');
    const { subscription } = await s.create('tnt_1', { url: 'https://a.example/in', events: ['card.created'] });
    expect(subscription.verification).toBeUndefined();
    expect((await s.verify('tnt_1', subscription.id)).subscription.verification).toMatchObject({ status: 'verified', mode: 'none' });
    expect(queue.sent).toEqual([]);
  });

  it('marks it failed, re-requestable, when its request cannot be queued', async () => {
    queue.refuse = () => 'queue unavailable';
    const { subscription } = await service('challenge').create('tnt_1', { url: 'https://a.example/in', events: ['card.created'] });
    expect(subscription.verification).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/could not be queued \(queue unavailable\)/),
    });
    expect((await repo.get('tnt_1', subscription.id))!.verification!.status).toBe('failed');
  });

  it('keeps what the sender settled while a change was under way', async () => {
    const s = service('challenge');
    const { subscription } = await s.create('tnt_1', { url: 'https://a.example/in', events: ['card.created'] });
    const requestId = subscription.verification!.requestId!;
    // The sender's answer lands between the change's read and its write.
    const update = repo.update.bind(repo);
    let raced = false;
    repo.update = async (next: Subscription, options) => {
      if (!raced) {
        raced = true;
        await store.settleVerification('tnt_1', subscription.id, requestId, {
          ...subscription.verification!,
          status: 'verified',
          verifiedTime: T,
        });
      }
      return update(next, options);
    };
    const changed = await s.update('tnt_1', subscription.id, () => ({ description: 'renamed' }));
    expect(changed.subscription).toMatchObject({ description: 'renamed', verification: { status: 'verified', verifiedTime: T } });
    expect((await repo.get('tnt_1', subscription.id))!.verification!.status).toBe('verified');
  });
});
