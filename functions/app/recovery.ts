import { randomUUID } from 'node:crypto';
import { contentOf, deliveryMessage, encodeDeliveryMessage } from '../domain/delivery-message.js';
import { eventOfRecord, pendingDelivery } from '../domain/delivery-record.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { Delivery, StoredEvent } from '../domain/model.js';
import { DEFAULT_RESUME_RATE_PER_SECOND } from '../domain/parking.js';
import {
  claimedButUnsent,
  claimedDelivery,
  pacedDelays,
  pacedOut,
  type Recovery,
  type RecoveryWindow,
  recoverable,
  recoveryFree,
} from '../domain/recovery.js';
import { type DeliveryStore, type Queue, type QueueMessage, type RecoveryStore, type SubscriptionRepository, storeKey } from '../ports.js';

/**
 * Recoveries in pages: each page reads a few of the subscription's history index items in the
 * window (oldest first), the deliveries' records, and the events of those it will send; claims
 * each recoverable delivery with one conditional write; sends the claimed ones' messages; then
 * saves the recovery's counts and cursor, conditional on its version. The API runs pages for a
 * short budget before it answers 202; the resumer, once a minute on AWS (every second locally),
 * goes on with every recovery still running. A page that fails (a send, a read) is not saved:
 * the next worker reads it again, and sends again what this one claimed but may not have sent.
 */

/** History index items a page reads: each lists one event or up to a few hundred. */
export const RECOVERY_PAGE_ITEMS = 25;
/** Claims written at once (each a PutItem of one delivery). */
const CLAIM_CONCURRENCY = 25;
/** How long the API works on a new recovery before it answers 202 (API Gateway gives up at 29 s). */
export const API_RECOVERY_BUDGET_MS = 3_000;
/** A worker's lease outlasts its budget by this much: a page started just before the budget ends. */
const LEASE_MARGIN_MS = 30_000;
/** Running recoveries a resumer run looks at. */
const RUNNING_READ = 25;

export interface RecoveryDeps {
  recoveries: RecoveryStore;
  store: Pick<DeliveryStore, 'getDeliveries' | 'getEvents'>;
  subscriptions: Pick<SubscriptionRepository, 'get'>;
  /** The delivery queue. */
  deliveries: Queue;
  now?: () => Date;
  pageItems?: number;
  /** Messages a second a recovery sends one subscription (DEFAULT_RESUME_RATE_PER_SECOND, the lots' drain rate). */
  ratePerSecond?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

export type RecoveryWorker = ReturnType<typeof createRecoveryWorker>;

export function createRecoveryWorker(deps: RecoveryDeps) {
  const now = deps.now ?? (() => new Date());
  const pageItems = deps.pageItems ?? RECOVERY_PAGE_ITEMS;
  const rate = deps.ratePerSecond ?? DEFAULT_RESUME_RATE_PER_SECOND;
  const log = deps.log ?? (() => undefined);

  /** One page; answers the recovery as saved, or undefined when another worker's save came first. */
  async function page(r: Recovery): Promise<Recovery | undefined> {
    const at = now().toISOString();
    const subscription = await deps.subscriptions.get(r.tenantId, r.subscriptionId);
    const window: RecoveryWindow = { since: r.since, until: r.until };
    const read = subscription
      ? await deps.recoveries.historyWindow(r.tenantId, r.subscriptionId, window, r.cursor, pageItems)
      : { entries: [], more: false };
    const entries = [...new Map(read.entries.map((e) => [e.deliveryId, e])).values()];
    const records = await deps.store.getDeliveries(entries.map((e) => ({ tenantId: r.tenantId, deliveryId: e.deliveryId })));
    const claims: { prior: Delivery | undefined; claimed: Delivery }[] = [];
    const resends: Delivery[] = [];
    for (const e of entries) {
      const d = records.get(storeKey(r.tenantId, e.deliveryId));
      if (d && recoverable(d)) claims.push({ prior: d, claimed: claimedDelivery(d, r.id, at) });
      else if (d && claimedButUnsent(d, r.id)) resends.push(d);
      else if (!d && e.skipped) {
        const never = pendingDelivery({ tenantId: r.tenantId, subscriptionId: r.subscriptionId, ...e }, e.deliveryId);
        claims.push({ prior: undefined, claimed: claimedDelivery(never, r.id, at) });
      }
    }
    // The events first: a delivery whose event has expired is left as it is, not claimed.
    const needEvents = [...claims.map((c) => c.claimed), ...resends].filter((d) => d.eventBody === undefined);
    const events = await deps.store.getEvents(
      needEvents.map((d) => ({ tenantId: d.tenantId, eventId: d.eventId })),
      { consistent: false },
    );
    const eventOf = (d: Delivery): Pick<StoredEvent, 'event' | 'bodyKey'> | undefined => {
      const inRecord = eventOfRecord(d);
      return inRecord ? { event: inRecord } : events.get(storeKey(d.tenantId, d.eventId));
    };
    const sendable = claims.filter((c) => eventOf(c.claimed) !== undefined);
    const expired = claims.length - sendable.length;
    const won: Delivery[] = [];
    for (let i = 0; i < sendable.length; i += CLAIM_CONCURRENCY) {
      const chunk = sendable.slice(i, i + CLAIM_CONCURRENCY);
      const results = await Promise.all(chunk.map((c) => deps.recoveries.claimDelivery(c.claimed, c.prior)));
      chunk.forEach((c, n) => {
        if (results[n]) won.push(c.claimed);
      });
    }
    const toSend = [...won, ...resends];
    const pace = pacedDelays(toSend.length, Date.parse(at), r.paceTime ? Date.parse(r.paceTime) : undefined, rate);
    const messages: QueueMessage[] = toSend.map((d, i) => {
      const stored = eventOf(d)!;
      const m = deliveryMessage(d.tenantId, d.subscriptionId, stored.event, d.createdTime, d.generation, contentOf(stored));
      m.deliveryId = d.id;
      if (d.legacyListing) delete m.listed;
      if (d.eventBody !== undefined) m.eventInRecord = true;
      const delaySeconds = pace.delays[i]!;
      return {
        id: d.id,
        body: encodeDeliveryMessage(m),
        groupId: messageGroupOf(d.tenantId),
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      };
    });
    await deps.deliveries.sendAll(messages);
    const done = !read.more;
    const next: Recovery = {
      ...r,
      found: r.found + sendable.length,
      queued: r.queued + won.length,
      expired: r.expired + expired,
      version: r.version + 1,
      updatedTime: at,
      ...(toSend.length > 0 ? { paceTime: new Date(pace.paceMs).toISOString() } : {}),
      ...(read.last !== undefined ? { cursor: read.last } : {}),
      ...(done ? { state: 'done' as const, doneTime: at } : {}),
    };
    if (done) delete next.leaseUntil;
    if (!(await deps.recoveries.save(next, r.version))) return undefined;
    if (done) log('info', 'recovery done', { recoveryId: r.id, subscriptionId: r.subscriptionId, queued: next.queued, found: next.found });
    return next;
  }

  /** Takes the recovery's lease for `budgetMs`, then pages until done or out of time; answers it as last saved. */
  async function work(r: Recovery, budgetMs: number): Promise<Recovery> {
    const started = Date.now();
    let current: Recovery = r;
    while (current.state === 'running' && Date.now() - started < budgetMs) {
      // Far enough ahead of its pace that a page's delays would pass SQS's limit: a later run goes on.
      if (pacedOut(current.paceTime ? Date.parse(current.paceTime) : undefined, now().getTime())) break;
      const next = await page(current);
      if (!next) return (await deps.recoveries.get(r.tenantId, r.id)) ?? current;
      current = next;
    }
    if (current.state === 'running') {
      // Out of time: the lease is given back, so the resumer's next run takes it on.
      const released: Recovery = { ...current, version: current.version + 1, updatedTime: now().toISOString() };
      delete released.leaseUntil;
      if (await deps.recoveries.save(released, current.version)) return released;
    }
    return current;
  }

  const leased = (r: Recovery, budgetMs: number): Recovery => ({
    ...r,
    leaseUntil: new Date(now().getTime() + budgetMs + LEASE_MARGIN_MS).toISOString(),
  });

  return {
    /** A new recovery of the window, worked on for `budgetMs` (the API's request) before it is answered. */
    async start(tenantId: string, subscriptionId: string, window: RecoveryWindow, budgetMs = API_RECOVERY_BUDGET_MS): Promise<Recovery> {
      const at = now().toISOString();
      const r: Recovery = leased(
        {
          id: `rcv_${randomUUID()}`,
          tenantId,
          subscriptionId,
          ...window,
          state: 'running',
          found: 0,
          queued: 0,
          expired: 0,
          version: 0,
          createdTime: at,
          updatedTime: at,
        },
        budgetMs,
      );
      await deps.recoveries.create(r);
      try {
        return await work(r, budgetMs);
      } catch (err) {
        // Saved as running with its lease: the resumer goes on once the lease ends.
        log('warn', 'recovery page failed; the resumer will go on with it', { recoveryId: r.id, error: (err as Error).message });
        return (await deps.recoveries.get(tenantId, r.id)) ?? r;
      }
    },

    /** The resumer's share: every running recovery nobody holds, in turn, within `budgetMs`. Answers how many it worked on. */
    async continueRunning(budgetMs: number): Promise<number> {
      const started = Date.now();
      let worked = 0;
      for (const ref of await deps.recoveries.running(RUNNING_READ)) {
        const left = budgetMs - (Date.now() - started);
        if (left <= 0) break;
        const r = await deps.recoveries.get(ref.tenantId, ref.id);
        if (!r || !recoveryFree(r, now().getTime())) continue;
        const mine = { ...leased(r, left), version: r.version + 1 };
        if (!(await deps.recoveries.save(mine, r.version))) continue;
        try {
          await work(mine, left);
          worked++;
        } catch (err) {
          log('warn', 'recovery page failed; the next run goes on with it', { recoveryId: r.id, error: (err as Error).message });
        }
      }
      return worked;
    },
  };
}
