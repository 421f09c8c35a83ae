import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFanout } from '../../functions/app/fanout.js';
import { parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { encodeContinuation, parseContinuation, resumeFrom, START, tenantsInTurn } from '../../functions/domain/fanout-paging.js';
import type { StoredEvent } from '../../functions/domain/model.js';
import { MemoryDeliveryStore, MemoryQueue, MemorySubscriptions, subscription } from '../support/memory-ports.js';

/** A page of 10 messages, subscriptions read 7 at a time: several reads and pages on a few dozen subscriptions. */
const BUDGET = { messages: 10, bytes: 1024 * 1024 };
const SUBSCRIPTION_PAGE = 7;
const id = (n: number) => `s${String(n).padStart(2, '0')}`;

function busEvent(eventId: string, tenantId = 'tnt_1') {
  return JSON.stringify({
    id: `eb-${eventId}`,
    'detail-type': 'card.created',
    time: '2026-01-01T00:00:00Z',
    detail: { tenant_id: tenantId, event: { id: eventId, type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { n: 1 } } },
  });
}

/**
 * The ingest queue as the event source mapping sees it: batches in order, a failed message back
 * (same message id, as SQS re-delivers it), continuations the fan-out sent appended with new ids.
 */
class IngestQueue {
  pending: { messageId: string; body: string }[] = [];
  private seq = 0;
  /** Delivery messages each invocation sent. */
  readonly perInvocation: number[] = [];
  /** The MessageGroupId of each continuation the fan-out sent. */
  readonly continuationGroups: (string | undefined)[] = [];
  constructor(
    private readonly continuations: MemoryQueue,
    private readonly deliveries: MemoryQueue,
  ) {}

  push(body: string): string {
    const messageId = `m${this.seq++}`;
    this.pending.push({ messageId, body });
    return messageId;
  }

  /** One invocation; `lost`: the invocation fails after its work (a timeout), so every record comes back. */
  async invoke(handler: (e: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>, batchSize = 10, lost = false) {
    const batch = this.pending.splice(0, batchSize);
    const before = this.deliveries.sent.length;
    const res = await handler({
      Records: batch.map((m) => ({ messageId: m.messageId, receiptHandle: m.messageId, body: m.body, attributes: {} })),
    } as unknown as SQSEvent);
    this.perInvocation.push(this.deliveries.sent.length - before);
    for (const c of this.continuations.sent.splice(0)) {
      this.continuationGroups.push(c.groupId);
      this.push(c.body);
    }
    const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
    this.pending.push(...batch.filter((m) => lost || failed.has(m.messageId)));
    return res;
  }

  async drain(handler: Parameters<IngestQueue['invoke']>[0], batchSize = 10) {
    for (let i = 0; this.pending.length > 0; i++) {
      if (i > 200) throw new Error('the fan-out does not finish');
      await this.invoke(handler, batchSize);
    }
  }
}

describe('fan-out in pages', () => {
  let subs: MemorySubscriptions;
  let store: MemoryDeliveryStore;
  let deliveries: MemoryQueue;
  let continuations: MemoryQueue;
  let ingest: IngestQueue;
  const fanout = () =>
    createFanout({ subscriptions: subs, store, deliveries, ingest: continuations, budget: BUDGET, subscriptionPage: SUBSCRIPTION_PAGE });
  const delivered = (eventId?: string) =>
    deliveries.sent.map((m) => parseDeliveryMessage(m.body)).filter((m) => eventId === undefined || m.event.id === eventId);
  const subscriptionsReached = (eventId?: string) => [...new Set(delivered(eventId).map((m) => m.subscriptionId))].sort();

  beforeEach(async () => {
    subs = new MemorySubscriptions();
    store = new MemoryDeliveryStore();
    deliveries = new MemoryQueue();
    continuations = new MemoryQueue();
    ingest = new IngestQueue(continuations, deliveries);
    // 25 matching, interleaved with others the event must skip (and still count as examined).
    for (let n = 0; n < 25; n++) await subs.create(subscription({ id: id(n), events: ['card.created'] }));
    await subs.create(subscription({ id: 's03x', events: ['transactions'] }));
    await subs.create(subscription({ id: 's12x', events: ['*'], status: 'disabled' }));
    await subs.create(subscription({ id: 's20x', events: ['card*'], tenantId: 'tnt_2' }));
  });
  const all = Array.from({ length: 25 }, (_, n) => id(n));

  it('sends an event matching more subscriptions than the budget in pages, each invocation within the budget', async () => {
    ingest.push(busEvent('evt_1'));
    const first = await ingest.invoke(fanout());
    expect(first.batchItemFailures).toEqual([]);
    // Two reads of seven subscriptions cover the ten messages; the rest is left for the continuation.
    expect(subs.pageReads).toBe(2);
    // The first page: the first ten matching subscriptions by id, then a continuation after the tenth.
    expect(delivered().map((m) => m.subscriptionId)).toEqual(all.slice(0, 10));
    expect(store.events.get('tnt_1/evt_1')).toMatchObject({ fanout: { page: 1, cursor: 's09', sent: 10, by: 'bus:eb-evt_1' } });
    expect(store.events.get('tnt_1/evt_1')!.deliveries).toBeUndefined();
    expect(ingest.pending.map((m) => parseContinuation(JSON.parse(m.body)))).toEqual([
      { tenantId: 'tnt_1', eventId: 'evt_1', page: 1, cursor: 's09', sent: 10, token: expect.any(String) },
    ]);

    await ingest.drain(fanout());
    expect(ingest.perInvocation).toEqual([10, 10, 5]);
    expect(subscriptionsReached()).toEqual(all);
    expect(new Set(delivered().map((m) => m.deliveryId)).size).toBe(25);
    const stored = store.events.get('tnt_1/evt_1')!;
    expect(stored.deliveries).toBe(25);
    expect(stored.fanout).toBeUndefined();
    // Deliveries and continuations alike carry their tenant as the fair queues' group.
    expect(new Set(deliveries.sent.map((m) => m.groupId))).toEqual(new Set(['tnt_1']));
    expect(ingest.continuationGroups).toEqual(['tnt_1', 'tnt_1']);
  });

  it('shares the budget across a batch in order; events not started are stored and handed on, not failed', async () => {
    for (const e of ['evt_a', 'evt_b', 'evt_c']) ingest.push(busEvent(e));
    const first = await ingest.invoke(fanout());
    // Failing them would spend their receives: a busy queue could push them into the DLQ.
    expect(first.batchItemFailures).toEqual([]);
    expect(ingest.perInvocation).toEqual([10]);
    expect(subscriptionsReached('evt_a')).toHaveLength(10);
    // Stored first, so the continuation finds the event (it carries none of it).
    expect(store.events.get('tnt_1/evt_b')).toMatchObject({ event: { id: 'evt_b', data: { n: 1 } }, fanout: { page: 0, sent: 0 } });
    expect(ingest.pending.map((m) => parseContinuation(JSON.parse(m.body))!.eventId)).toEqual(['evt_a', 'evt_b', 'evt_c']);

    await ingest.drain(fanout());
    for (const e of ['evt_a', 'evt_b', 'evt_c']) {
      expect(subscriptionsReached(e)).toEqual(all);
      expect(store.events.get(`tnt_1/${e}`)!.deliveries).toBe(25);
    }
    expect(delivered()).toHaveLength(75);
    expect(Math.max(...ingest.perInvocation)).toBeLessThanOrEqual(BUDGET.messages);
  });

  it("takes the batch's tenants in turn at the budget: a quiet tenant's event behind a noisy tenant's is fanned out at once", async () => {
    // tnt_1's three events would take the whole budget of ten in arrival order; tnt_2's (one
    // subscription, s20x) came last.
    for (const e of ['evt_a', 'evt_b', 'evt_c']) ingest.push(busEvent(e));
    ingest.push(busEvent('evt_quiet', 'tnt_2'));
    await ingest.invoke(fanout());
    expect(subscriptionsReached('evt_quiet')).toEqual(['s20x']);
    expect(ingest.perInvocation).toEqual([10]);
    // The quiet event took one of the ten, evt_a the other nine.
    expect(subscriptionsReached('evt_a')).toHaveLength(9);
    expect(ingest.pending.map((m) => parseContinuation(JSON.parse(m.body))!.eventId)).toEqual(['evt_a', 'evt_b', 'evt_c']);

    await ingest.drain(fanout());
    for (const e of ['evt_a', 'evt_b', 'evt_c']) expect(subscriptionsReached(e)).toEqual(all);
    expect(delivered()).toHaveLength(76);
  });

  it('orders a batch by tenants in turn, fewest events first, each tenant in arrival order', () => {
    const batch = ['a1', 'a2', 'a3', 'b1', 'a4', 'c1', 'b2'];
    expect(tenantsInTurn(batch, (x) => x[0]!)).toEqual(['c1', 'b1', 'a1', 'b2', 'a2', 'a3', 'a4']);
    expect(tenantsInTurn(['a1', 'a2'], (x) => x[0]!)).toEqual(['a1', 'a2']);
    expect(tenantsInTurn([], (x: string) => x)).toEqual([]);
  });

  it('finishes small events within one invocation as before: no continuation, one write (their one delivery keeps them)', async () => {
    const few = new MemorySubscriptions();
    await few.create(subscription({ id: 'only', events: ['card.created'] }));
    subs = few;
    ingest.push(busEvent('evt_small'));
    ingest.push(busEvent('evt_small2'));
    await ingest.invoke(fanout());
    expect(ingest.pending).toEqual([]);
    expect(store.writes).toBe(1);
    expect(store.events.size).toBe(0);
    expect(store.history.map((h) => [h.subscriptionId, h.eventId])).toEqual([
      ['only', 'evt_small'],
      ['only', 'evt_small2'],
    ]);
  });

  it('spends the budget exactly without a continuation when nothing after the last message matches', async () => {
    // Five matching subscriptions, then (in the same page of seven) two the event does not match:
    // two events spend the budget of ten exactly.
    const exact = new MemorySubscriptions();
    for (let n = 0; n < 5; n++) await exact.create(subscription({ id: id(n), events: ['card.created'] }));
    for (let n = 5; n < 7; n++) await exact.create(subscription({ id: id(n), events: ['transactions'] }));
    subs = exact;
    ingest.push(busEvent('evt_x1'));
    ingest.push(busEvent('evt_x2'));
    await ingest.invoke(fanout());
    expect(ingest.perInvocation).toEqual([10]);
    expect(ingest.pending).toEqual([]);
    expect(store.events.get('tnt_1/evt_x2')).toMatchObject({ deliveries: 5 });
  });

  it('a crash after the page is stored but before the continuation: the message comes back and sends only the continuation', async () => {
    ingest.push(busEvent('evt_crash'));
    continuations.refuse = () => 'InternalError';
    const first = await ingest.invoke(fanout());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(delivered()).toHaveLength(10);
    expect(store.events.get('tnt_1/evt_crash')!.fanout).toMatchObject({ page: 1, by: 'bus:eb-evt_crash' });

    continuations.refuse = undefined;
    // m0 again: it stored the progress, so it owes the continuation and sends nothing else.
    await ingest.invoke(fanout());
    expect(delivered()).toHaveLength(10);
    expect(ingest.pending.map((m) => parseContinuation(JSON.parse(m.body)))).toEqual([
      { tenantId: 'tnt_1', eventId: 'evt_crash', page: 1, cursor: 's09', sent: 10, token: expect.any(String) },
    ]);
    await ingest.drain(fanout());
    expect(subscriptionsReached()).toEqual(all);
    expect(delivered()).toHaveLength(25);
  });

  it('the message that owes a continuation is known by its body: redriven from the DLQ under another message id, it still sends it', async () => {
    ingest.push(busEvent('evt_redriven'));
    continuations.refuse = () => 'InternalError';
    await ingest.invoke(fanout());
    continuations.refuse = undefined;
    // The ingest DLQ's redrive: the same body, a new SQS message id.
    const [parked] = ingest.pending.splice(0);
    expect(parked!.messageId).toBe('m0');
    ingest.push(parked!.body);
    await ingest.invoke(fanout());
    expect(delivered()).toHaveLength(10);
    expect(ingest.pending.map((m) => parseContinuation(JSON.parse(m.body))?.page)).toEqual([1]);
    await ingest.drain(fanout());
    expect(subscriptionsReached()).toEqual(all);
    expect(delivered()).toHaveLength(25);
  });

  it('a crash before the progress is stored: the page is sent again, with the same delivery ids', async () => {
    ingest.push(busEvent('evt_unstored'));
    const write = store.write.bind(store);
    // The batched write and the one-by-one write after it.
    let failures = 2;
    store.write = async (items) => {
      if (failures-- > 0) throw new Error('throttled');
      return write(items);
    };
    const first = await ingest.invoke(fanout());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    // Not stored, so no continuation either: it would find no event.
    expect(ingest.pending.map((m) => m.messageId)).toEqual(['m0']);
    await ingest.drain(fanout());
    expect(subscriptionsReached()).toEqual(all);
    // The first page twice (the sender drops the second copy by its delivery record), nothing else.
    const ids = delivered().map((m) => m.deliveryId);
    expect(ids).toHaveLength(35);
    expect(new Set(ids).size).toBe(25);
    expect(ids.slice(10, 20)).toEqual(ids.slice(0, 10));
  });

  it('a duplicate continuation stands down once the fan-out has gone past it', async () => {
    ingest.push(busEvent('evt_dup'));
    await ingest.invoke(fanout());
    // SQS delivers the continuation twice.
    ingest.push(ingest.pending[0]!.body);
    await ingest.drain(fanout(), 1);
    expect(subscriptionsReached()).toEqual(all);
    expect(delivered()).toHaveLength(25);
    expect(store.events.get('tnt_1/evt_dup')!.deliveries).toBe(25);
  });

  it('an invocation that times out after its work: the original comes back, re-sends the continuation, and nothing is delivered twice', async () => {
    ingest.push(busEvent('evt_timeout'));
    await ingest.invoke(fanout(), 10, true);
    expect(ingest.pending.map((m) => m.messageId)).toEqual(['m1', 'm0']);
    await ingest.drain(fanout(), 1);
    expect(subscriptionsReached()).toEqual(all);
    expect(delivered()).toHaveLength(25);

    // The same event on the bus again, after the fan-out completed: nothing.
    ingest.push(busEvent('evt_timeout'));
    await ingest.drain(fanout());
    expect(delivered()).toHaveLength(25);
  });

  it('a continuation and its own original in one batch: one piece of work, nothing twice', async () => {
    ingest.push(busEvent('evt_both'));
    await ingest.invoke(fanout(), 10, true);
    await ingest.drain(fanout(), 10);
    expect(subscriptionsReached()).toEqual(all);
    expect(delivered()).toHaveLength(25);
  });

  it('subscriptions created or deleted between pages: those that exist throughout get it, deleted and disabled ones do not', async () => {
    ingest.push(busEvent('evt_changes'));
    await ingest.invoke(fanout());
    const at = new Date().toISOString();
    await subs.update({ ...(await subs.get('tnt_1', 's03'))!, deletedTime: at }); // already sent
    await subs.update({ ...(await subs.get('tnt_1', 's15'))!, deletedTime: at }); // not yet
    await subs.update({ ...(await subs.get('tnt_1', 's20'))!, status: 'disabled' });
    await subs.create(subscription({ id: 's05a', events: ['card.created'] })); // behind the cursor: not reached
    await subs.create(subscription({ id: 's30', events: ['card.created'] })); // ahead of it: reached
    await ingest.drain(fanout());
    const reached = subscriptionsReached();
    for (const s of all.filter((s) => s !== 's15' && s !== 's20')) expect(reached).toContain(s);
    expect(reached).not.toContain('s15');
    expect(reached).not.toContain('s20');
    expect(reached).toContain('s30');
    expect(store.events.get('tnt_1/evt_changes')!.deliveries).toBe(delivered().length);
  });

  it('fails an unreadable continuation (it goes to the ingest DLQ) and one whose event is not in the table', async () => {
    const bad = ingest.push(JSON.stringify({ fanout_continuation: { tenant_id: 'tnt_1', page: -1 } }));
    const missing = ingest.push(
      encodeContinuation({ tenantId: 'tnt_1', eventId: 'evt_nowhere', page: 1, cursor: 's01', sent: 2, token: 't' }),
    );
    const res = await fanout()({
      Records: ingest.pending.map((m) => ({ messageId: m.messageId, body: m.body, attributes: {} })),
    } as unknown as SQSEvent);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([bad, missing]);
    expect(delivered()).toEqual([]);
  });
});

describe('resumeFrom', () => {
  const stored = (fanout?: StoredEvent['fanout'], deliveries?: number): StoredEvent => ({
    tenantId: 't',
    event: { id: 'e', type: 'x', timestamp: '', data: {} },
    storedTime: '',
    ...(fanout ? { fanout } : {}),
    ...(deliveries !== undefined ? { deliveries } : {}),
  });
  const progress = { page: 2, cursor: 's5', sent: 9, by: 'm7' };

  it('starts a new event, stops at a completed one', () => {
    expect(resumeFrom(START, undefined, ['m1'])).toEqual({ action: 'page', position: START });
    expect(resumeFrom(START, stored(), ['m1'])).toEqual({ action: 'page', position: START });
    expect(resumeFrom({ page: 3, cursor: 'a', sent: 1 }, stored(undefined, 4), ['m1'])).toEqual({ action: 'done' });
  });

  it('lets the message that stored the progress re-send its continuation, stands others down behind it, and lets those at or ahead of it go on', () => {
    expect(resumeFrom({ page: 1, cursor: 's2', sent: 4 }, stored(progress), ['m3', 'm7'])).toEqual({
      action: 'continue',
      position: { page: 2, cursor: 's5', sent: 9 },
    });
    expect(resumeFrom(START, stored(progress), ['m1'])).toEqual({ action: 'stale' });
    expect(resumeFrom({ page: 2, cursor: 's5', sent: 9 }, stored(progress), ['m8'])).toEqual({
      action: 'page',
      position: { page: 2, cursor: 's5', sent: 9 },
    });
    expect(resumeFrom({ page: 3, cursor: 's8', sent: 12 }, stored(progress), ['m9'])).toMatchObject({ action: 'page' });
  });

  it('reads back what it writes, and nothing that is not a continuation', () => {
    const c = { tenantId: 't', eventId: 'e', page: 4, cursor: 'sub_x', sent: 4000, token: 'tok' };
    expect(parseContinuation(JSON.parse(encodeContinuation(c)))).toEqual(c);
    expect(parseContinuation({ detail: { tenant_id: 't' } })).toBeUndefined();
    expect(() =>
      parseContinuation({ fanout_continuation: { tenant_id: 't', event_id: 'e', page: 1, sent: 1, token: 'x', cursor: 7 } }),
    ).toThrow(/unreadable/);
  });
});
