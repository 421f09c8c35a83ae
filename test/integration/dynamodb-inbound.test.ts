import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoInboundStore } from '../../functions/adapters/aws/dynamodb-inbound.js';
import type { InboundRecord } from '../../functions/domain/inbound/event.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

/** Inbound events on dynalite: the conditional put that deduplicates, the markers, the history index, tallies and sources. */

const TABLE = 'inbound-test';
const record = (id: string, receivedTime: string, source = 'stripe'): InboundRecord => ({
  id,
  source,
  scheme: 'stripe',
  providerId: `evt_${id}`,
  providerType: 'charge.succeeded',
  type: 'charge.succeeded',
  receivedTime,
  headers: { 'content-type': 'application/json' },
  contentType: 'application/json',
  bodyBytes: 2,
  body: '{}',
});

describe('DynamoInboundStore on dynalite', () => {
  let db: DynamoEmulator;
  let store: DynamoInboundStore;
  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
    store = new DynamoInboundStore(db.doc, TABLE, 30);
  });
  afterAll(async () => db?.stop());

  it('stores an id once, even for two concurrent requests; the other is answered with what is stored', async () => {
    const r = record('inb_a', '2026-03-01T10:00:00.000Z');
    const results = await Promise.all([store.accept(r), store.accept({ ...r, receivedTime: '2026-03-01T10:00:01.000Z' })]);
    expect(results.filter((x) => x.accepted)).toHaveLength(1);
    const other = results.find((x) => !x.accepted) as { record: InboundRecord };
    expect(other.record.receivedTime).toBe(results[0]!.accepted ? r.receivedTime : '2026-03-01T10:00:01.000Z');
    const items = (await db.doc.send(new ScanCommand({ TableName: TABLE }))).Items!.filter((i) => i.pk === 'INBOUND#stripe#inb_a');
    expect(items).toHaveLength(1);
    // Expires with the retention (30 days after it was received), and is in the source's history index.
    expect(items[0]).toMatchObject({
      sk: 'EVENT',
      gsi1pk: 'INBOUND#stripe',
      ttl: Math.ceil(Date.parse(items[0]!.record.receivedTime) / 1000) + 30 * 86_400,
    });
  });

  it('records the bus’s refusals and the forwarding beside the event; get reads them back in one query', async () => {
    const r = record('inb_b', '2026-03-01T10:01:00.000Z');
    await store.accept(r);
    await store.markBusFailed(r, '2026-03-01T10:01:01.000Z', 'EventBridge refused 1 of 1 entries: InternalFailure');
    await store.markBusFailed(r, '2026-03-01T10:02:00.000Z', 'no answer from the bus within 1500 ms');
    expect((await store.get('stripe', 'inb_b'))!.status).toEqual({
      busFailures: 2,
      lastBusError: 'no answer from the bus within 1500 ms',
      lastBusAttemptTime: '2026-03-01T10:02:00.000Z',
    });
    await store.markForwarded(r, '2026-03-01T10:03:00.000Z', 2, 'too_large: ...');
    expect((await store.get('stripe', 'inb_b'))!.status).toMatchObject({
      forwardedTime: '2026-03-01T10:03:00.000Z',
      forwardedEntries: 2,
      forwardSkipped: 'too_large: ...',
      busFailures: 2,
    });
    expect(await store.get('stripe', 'inb_nothing')).toBeUndefined();
  });

  it('lists a source newest first, in pages, from a time, with each event’s markers; other sources apart', async () => {
    for (let i = 0; i < 7; i++) await store.accept(record(`inb_p${i}`, `2026-03-02T00:0${i}:00.000Z`, 'github'));
    await store.accept(record('inb_other', '2026-03-02T00:03:30.000Z', 'shopify'));
    await store.markForwarded(record('inb_p6', '2026-03-02T00:06:00.000Z', 'github'), '2026-03-02T00:06:01.000Z', 1);
    const first = await store.list('github', { limit: 3 });
    expect(first.items.map((x) => x.record.id)).toEqual(['inb_p6', 'inb_p5', 'inb_p4']);
    expect(first.items[0]!.status.forwardedTime).toBe('2026-03-02T00:06:01.000Z');
    expect(first.items[1]!.status).toEqual({});
    const second = await store.list('github', { limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((x) => x.record.id)).toEqual(['inb_p3', 'inb_p2', 'inb_p1']);
    const since = await store.list('github', { limit: 10, since: '2026-03-02T00:05:00.000Z' });
    expect(since.items.map((x) => x.record.id)).toEqual(['inb_p6', 'inb_p5']);
    await expect(store.list('shopify', { limit: 3, cursor: first.nextCursor! })).rejects.toThrow(/another source/);
  });

  it('adds refusal counts into one item per source and minute', async () => {
    await store.addRefusals('stripe', '2026-03-03T12:00:00.000Z', { signature_mismatch: 40, timestamp_out_of_tolerance: 2 });
    await store.addRefusals('stripe', '2026-03-03T12:00:00.000Z', { signature_mismatch: 3 });
    await store.addRefusals('stripe', '2026-03-03T12:05:00.000Z', { signature_missing: 1 });
    await store.addRefusals('stripe', '2026-03-03T12:06:00.000Z', {});
    expect(await store.listRefusals('stripe', '2026-03-03T12:00:00.000Z')).toEqual([
      { minute: '2026-03-03T12:00:00.000Z', counts: { signature_mismatch: 43, timestamp_out_of_tolerance: 2 } },
      { minute: '2026-03-03T12:05:00.000Z', counts: { signature_missing: 1 } },
    ]);
    expect(await store.listRefusals('stripe', '2026-03-03T12:01:00.000Z')).toHaveLength(1);
  });

  it('keeps run-time sources in one partition, checked when read', async () => {
    await store.putSource({ name: 'acme', scheme: 'hmac', hmac: { signatureHeader: 'X-Acme-Signature' } });
    await store.putSource({ name: 'gh', scheme: 'github', forwardTenantId: 'tnt_1' });
    expect((await store.listSources()).map((s) => s.name)).toEqual(['acme', 'gh']);
    expect(await store.deleteSource('acme')).toBe(true);
    expect(await store.deleteSource('acme')).toBe(false);
    expect(await store.listSources()).toEqual([{ name: 'gh', scheme: 'github', forwardTenantId: 'tnt_1' }]);
  });
});
