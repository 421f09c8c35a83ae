import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import type { Subscription } from '../../functions/domain/model.js';
import type { Page } from '../../functions/ports.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

/** SubscriptionRepository.listById on dynalite: the pages fan-out reads, in id order. */
describe('subscriptions by id, a page at a time', () => {
  let db: DynamoEmulator;
  let subs: DynamoSubscriptionRepository;
  let queries = 0;
  const TABLE = 'pages-test';

  beforeAll(async () => {
    db = await startDynamo(undefined, TABLE);
    db.doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize', name: 'count-queries' },
    );
    subs = new DynamoSubscriptionRepository(db.doc, TABLE);
  });
  afterAll(async () => db?.stop());

  const sub = (tenantId: string, overrides: Partial<Subscription> = {}): Subscription => ({
    id: randomUUID(),
    tenantId,
    url: 'https://example.com/hook',
    description: '',
    events: ['card.created'],
    version: '0.1',
    status: 'enabled',
    secretName: 's/x',
    createdTime: '2026-01-01T00:00:00.000Z',
    updatedTime: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });

  async function readAll(tenantId: string, limit: number): Promise<{ pages: Page<Subscription>[]; ids: string[] }> {
    const pages: Page<Subscription>[] = [];
    let cursor: string | undefined;
    do {
      const page = await subs.listById(tenantId, { limit, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    return { pages, ids: pages.flatMap((p) => p.items.map((s) => s.id)) };
  }

  it("answers a tenant's live subscriptions in id order, page after page, deleted ones examined but left out", async () => {
    const created = Array.from({ length: 23 }, () => sub('t1'));
    // The cap's counter item and another tenant's subscriptions share the table (and, the first, the partition).
    for (const s of created) await subs.create(s, { maxPerTenant: 100 });
    await subs.create(sub('t2'));
    const deleted = [created[4]!, created[11]!, created[17]!];
    for (const s of deleted) await subs.update({ ...s, deletedTime: '2026-01-02T00:00:00.000Z' });
    const disabled = created[6]!;
    await subs.update({ ...disabled, status: 'disabled' });

    const live = created.filter((s) => !deleted.includes(s)).map((s) => s.id);
    const { pages, ids } = await readAll('t1', 5);
    expect(ids).toEqual([...live].sort());
    // Five examined a page: 23 in five pages, the deleted ones making some pages short.
    expect(pages.slice(0, -1).every((p) => p.nextCursor)).toBe(true);
    expect(pages.reduce((n, p) => n + p.items.length, 0)).toBe(20);
    expect(pages.some((p) => p.items.length < 5 && p.nextCursor)).toBe(true);
    // Disabled subscriptions are live: fan-out filters them itself.
    expect(ids).toContain(disabled.id);
  });

  it('goes on after a cursor whose subscription is gone, or never existed', async () => {
    const tenant = 't3';
    const created = Array.from({ length: 6 }, () => sub(tenant)).sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const s of created) await subs.create(s);
    await subs.update({ ...created[2]!, deletedTime: '2026-01-02T00:00:00.000Z' });
    const afterDeleted = await subs.listById(tenant, { limit: 10, cursor: created[2]!.id });
    expect(afterDeleted.items.map((s) => s.id)).toEqual(created.slice(3).map((s) => s.id));
    expect(afterDeleted.nextCursor).toBeUndefined();
    // Just after created[0]'s id: not a subscription of anyone's.
    const between = await subs.listById(tenant, { limit: 10, cursor: `${created[0]!.id}-` });
    expect(between.items.map((s) => s.id)).toEqual([created[1]!, ...created.slice(3)].map((s) => s.id));
  });

  it("reads on past DynamoDB's 1 MB a Query until the page's limit is examined", async () => {
    const tenant = 't4';
    // About 10 KB each: 120 of them are more than one Query answers.
    const big = Array.from({ length: 120 }, () => sub(tenant, { description: 'd'.repeat(10_000) }));
    for (const s of big) await subs.create(s);
    const before = queries;
    const page = await subs.listById(tenant, { limit: 120 });
    expect(queries - before).toBeGreaterThan(1);
    expect(page.items.map((s) => s.id)).toEqual(big.map((s) => s.id).sort());
  });
});
