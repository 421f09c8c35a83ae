import { describe, expect, it } from 'vitest';
import { createApi } from '../../functions/app/api.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { MemoryDeliveryStore, MemoryQueue, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/** The routes that put a delivery on the delivery queue themselves, past the fan-out. */
describe('routes that send to the delivery queue', () => {
  it('name the tenant as the message group: the test event and a manual retry', async () => {
    const subscriptions = new MemorySubscriptions();
    await subscriptions.create(subscription({ id: 'sub_1', tenantId: 'tnt_1', events: ['*'] }));
    const deliveries = new MemoryQueue();
    const store = new MemoryDeliveryStore();
    const api = createApi({
      subscriptions,
      secrets: {} as never,
      bus: {} as never,
      store,
      deliveries,
      catalog: loadCatalog(),
      policy: LOCAL_POLICY,
      secretNamePrefix: 'p/',
    });
    const call = (path: string) =>
      api({ httpMethod: 'POST', path, headers: {}, body: null, requestContext: { authorizer: { tenantId: 'tnt_1' } } } as never);

    expect((await call('/api/v0.1/webhooks/sub_1/test')).statusCode).toBe(202);
    const test = parseDeliveryMessage(deliveries.sent[0]!.body);
    // The sender's record of its attempt, as a retry finds it.
    await store.write({
      deliveries: [
        {
          id: test.deliveryId,
          tenantId: 'tnt_1',
          subscriptionId: 'sub_1',
          eventId: test.event.id,
          eventType: test.event.type,
          status: 'dead_lettered',
          attempts: 1,
          generation: 0,
          createdTime: test.createdTime,
          updatedTime: test.createdTime,
        },
      ],
    });
    const retry = await call(`/api/v0.1/webhooks/sub_1/deliveries/${test.deliveryId}/retry`);
    expect(retry.statusCode, retry.body).toBe(202);
    expect(deliveries.sent.map((m) => m.groupId)).toEqual(['tnt_1', 'tnt_1']);
  });
});
