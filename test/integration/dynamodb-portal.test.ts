import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoPortalSessionStore } from '../../functions/adapters/aws/dynamodb-portal-sessions.js';
import { deliveryIdFor } from '../../functions/domain/delivery-id.js';
import type { Delivery } from '../../functions/domain/model.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

describe('portal storage on dynalite', () => {
  let db: DynamoEmulator;
  let portal: DynamoPortalSessionStore;
  let store: DynamoDeliveryStore;
  beforeAll(async () => {
    db = await startDynamo(undefined, 'portal-test');
    portal = new DynamoPortalSessionStore(db.doc, 'portal-test');
    store = new DynamoDeliveryStore(db.doc, 'portal-test');
  });
  afterAll(async () => db?.stop());

  it('takes a link once, even when two exchanges race, and keeps only token hashes with a TTL', async () => {
    const link = { tokenHash: 'a'.repeat(64), tenantId: 't1', expiresTime: '2026-03-01T00:15:00.000Z' };
    await portal.putLink(link);
    const taken = await Promise.all([portal.takeLink(link.tokenHash), portal.takeLink(link.tokenHash)]);
    expect(taken.filter(Boolean)).toEqual([link]);
    expect(await portal.takeLink(link.tokenHash)).toBeUndefined();

    const session = { tokenHash: 'b'.repeat(64), tenantId: 't1', expiresTime: '2026-03-01T01:00:00.000Z' };
    await portal.putSession(session);
    expect(await portal.getSession(session.tokenHash)).toEqual(session);
    expect(await portal.getSession('c'.repeat(64))).toBeUndefined();
    const items = (await db.doc.send(new ScanCommand({ TableName: 'portal-test' }))).Items ?? [];
    expect(items).toEqual([
      {
        pk: `PORTAL#${'b'.repeat(64)}`,
        sk: 'SESSION',
        type: 'portal_session',
        tenant_id: 't1',
        expires_time: session.expiresTime,
        ttl: 1772326800,
      },
    ]);
  });

  it("keeps the tenant's throttling key on a link and its session", async () => {
    const link = { tokenHash: 'd'.repeat(64), tenantId: 't1', expiresTime: '2026-03-01T00:15:00.000Z', throttleKey: 'k'.repeat(40) };
    await portal.putLink(link);
    expect(await portal.takeLink(link.tokenHash)).toEqual(link);
    const session = { ...link, tokenHash: 'e'.repeat(64) };
    await portal.putSession(session);
    expect(await portal.getSession(session.tokenHash)).toEqual(session);
  });

  it('filters a delivery list by status, with cursors that step over filtered-out deliveries', async () => {
    const statuses: Delivery['status'][] = [
      'succeeded',
      'pending',
      'pending',
      'dead_lettered',
      'succeeded',
      'pending',
      'pending',
      'succeeded',
    ];
    const deliveries: Delivery[] = statuses.map((status, n) => ({
      id: deliveryIdFor(`evt_${n}`, 'sub_f'),
      tenantId: 't1',
      subscriptionId: 'sub_f',
      eventId: `evt_${n}`,
      eventType: 'card.created',
      status,
      attempts: 1,
      generation: 0,
      createdTime: new Date(Date.UTC(2026, 2, 1, 0, 0, n)).toISOString(),
      updatedTime: new Date(Date.UTC(2026, 2, 1, 0, 0, n)).toISOString(),
    }));
    // Listed by the subscription's history index, as fan-out writes it.
    await store.write({
      deliveries,
      history: deliveries.map((d) => ({
        tenantId: 't1',
        subscriptionId: 'sub_f',
        eventId: d.eventId,
        eventType: d.eventType,
        createdTime: d.createdTime,
      })),
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listDeliveries('t1', 'sub_f', { limit: 1, ...(cursor ? { cursor } : {}) }, 'succeeded');
      for (const d of page.items) expect(d.status).toBe('succeeded');
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(['evt_7', 'evt_4', 'evt_0'].map((e) => deliveryIdFor(e, 'sub_f')));
    expect((await store.listDeliveries('t1', 'sub_f', { limit: 50 }, 'dead_lettered')).items.map((d) => d.eventId)).toEqual(['evt_3']);
    expect((await store.listDeliveries('t1', 'sub_f', { limit: 50 }, 'skipped')).items).toEqual([]);
    expect((await store.listDeliveries('t2', 'sub_f', { limit: 50 }, 'succeeded')).items).toEqual([]);
  });
});
