import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { utf8Bytes } from '../domain/aws-limits.js';
import { bodyGoesBeside } from '../domain/bus-entry.js';
import { deliveryIdFor } from '../domain/delivery-id.js';
import { bodyKeyFor, deliveryMessage, encodeDeliveryMessage, type MessageContent } from '../domain/delivery-message.js';
import { eventGoesInRecord } from '../domain/delivery-record.js';
import {
  type Continuation,
  DEFAULT_PAGE_BUDGET,
  encodeContinuation,
  FANOUT_SUBSCRIPTION_PAGE,
  type FanoutPosition,
  ingestIdentity,
  type PageBudget,
  parseContinuation,
  resumeFrom,
  START,
  tenantsInTurn,
} from '../domain/fanout-paging.js';
import { messageGroupOf } from '../domain/message-group.js';
import type { Delivery, StoredEvent, Subscription, WebhookEvent } from '../domain/model.js';
import { subscriptionTakes } from '../domain/operational-events.js';
import { payloadDigest } from '../domain/payload-digest.js';
import { payloadMatches } from '../domain/payload-filter.js';
import { serializeEvent } from '../domain/webhook-body.js';
import {
  type BatchQueue,
  type BodyStore,
  type DeliveryStore,
  type Metrics,
  NO_METRICS,
  type Page,
  type QueueMessage,
  type SubscriptionRepository,
  storeKey,
} from '../ports.js';

export { deliveryMessage } from '../domain/delivery-message.js';

/**
 * Ingest queue -> one delivery message per (event, matching enabled subscription), in pages.
 *
 * Per batch: subscription pages per tenant in id order (shared by the batch's events), one read
 * of the events already stored (so an event put on the bus twice, or an ingest message that
 * comes back, makes no second delivery; the API parks events too large for a PutEvents entry in
 * the same table, and this read fetches them too; a fan-out in pages keeps its progress there),
 * the messages in batches within SQS's limits, one batched write storing the subscriptions'
 * history entries and then the events (in that order: an event stored is done, so its entries
 * must already be there), then the continuations. The events are stored after their
 * messages are sent: a crash in between sends them again (at least once), never zero times.
 *
 * An event one subscription matches, with a body of up to 1 KB, gets no item of its own: its
 * delivery's record keeps it (delivery-record.ts), and that record, looked up instead of the
 * event, is what shows it was sent before.
 *
 * An invocation sends at most a page budget of messages (functions/domain/fanout-paging.ts).
 * Events are taken in order while it lasts; the event that exhausts it gets its page, is stored
 * with its progress, and a continuation message on the ingest queue carries on after the last
 * subscription examined. Events not started within the budget are handed on the same way (with
 * no page): failing them instead would spend their receives, and a busy queue could push them
 * into the ingest DLQ. A continuation is sent before the ingest message that led to it is
 * acknowledged; if it cannot be sent, that message fails and comes back.
 *
 * Failures are per event: an event whose messages could not all be sent, whose tenant's
 * subscriptions could not be read, that could not be stored or whose continuation could not be
 * sent is reported failed on its own (partial batch response) and comes back alone; the others
 * are done and never sent again.
 */

export interface FanoutDeps {
  subscriptions: SubscriptionRepository;
  deliveries: BatchQueue;
  /** The ingest queue itself: continuations go there. */
  ingest: BatchQueue;
  store: DeliveryStore;
  /** Bodies too large for the table's items (ports.ts); every real wiring passes one. */
  bodies?: BodyStore;
  metrics?: Metrics;
  now?: () => Date;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
  /** Delivery messages (and their bytes) one invocation may send; DEFAULT_PAGE_BUDGET unless a test shrinks it. */
  budget?: PageBudget;
  /** Subscriptions examined per read; FANOUT_SUBSCRIPTION_PAGE unless a test shrinks it. */
  subscriptionPage?: number;
}

/** How many delivery-message bytes are built before they are sent: bounds memory for large events. */
const SEND_GROUP_BYTES = 16 * 1024 * 1024;

interface BusEnvelope {
  id?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { tenant_id?: unknown; event?: Partial<WebhookEvent>; stored?: unknown };
}

export interface IngestedEvent {
  tenantId: string;
  event: WebhookEvent;
  /** The event's data is in the table (the API stored it); `event.data` is empty until read. */
  stored: boolean;
}

/** Producers may put events on the bus themselves; what they leave out comes from the envelope. */
export function eventFromEnvelope(body: string): IngestedEvent {
  const envelope = JSON.parse(body) as BusEnvelope;
  const detail = envelope.detail;
  if (!detail || typeof detail.tenant_id !== 'string' || !detail.tenant_id) throw new Error('bus event has no detail.tenant_id');
  const e = detail.event ?? {};
  const type = e.type ?? envelope['detail-type'];
  const id = e.id ?? envelope.id;
  if (typeof type !== 'string' || !type) throw new Error('bus event has no type (detail.event.type or detail-type)');
  if (typeof id !== 'string' || !id) throw new Error('bus event has no id');
  const data = e.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('bus event data must be a JSON object');
  return {
    tenantId: detail.tenant_id,
    event: { id, type, timestamp: e.timestamp ?? envelope.time ?? new Date().toISOString(), data },
    stored: detail.stored === true,
  };
}

/** What the ingest queue carries: an event from the bus, or the continuation of a fan-out in pages. */
export type IngestMessage = ({ kind: 'event'; ingested: IngestedEvent } | { kind: 'continuation'; continuation: Continuation }) & {
  identity: string;
};

/** Throws for anything unreadable, which the fan-out leaves to fail until the ingest DLQ keeps it. */
export function parseIngestMessage(body: string, messageId: string): IngestMessage {
  const parsed: unknown = JSON.parse(body);
  const continuation = parseContinuation(parsed);
  const identity = ingestIdentity(parsed, continuation, messageId);
  if (continuation) return { kind: 'continuation', continuation, identity };
  return { kind: 'event', ingested: eventFromEnvelope(body), identity };
}

interface EventWork {
  key: string;
  tenantId: string;
  eventId: string;
  source: 'bus' | 'continuation';
  /** The event as the bus carried it; absent for continuations and for events the API stored. */
  event?: WebhookEvent;
  /** `event` as receivers get it, serialized once. */
  body?: string;
  position: FanoutPosition;
  /** Every ingest message of the batch that carries this event. */
  messageIds: string[];
  /** Their identities (ingestIdentity): the stored progress names the one that wrote it. */
  identities: string[];
}

/** One event's share of the invocation: its page's messages, what to store, and where it goes on. */
interface PageWork {
  work: EventWork;
  /** The event, when the page lists it in subscriptions' history (`subscriptionIds`). */
  event?: WebhookEvent;
  messages: QueueMessage[];
  /** The subscription of each message: the page's entries in their history index. */
  subscriptionIds: string[];
  /** Disabled subscriptions that want the event: listed skipped in their history, so a recovery can send it. */
  skippedIds?: string[];
  /** The history entries' created time when not the invocation's: that of a delivery sent before. */
  createdTime?: string;
  /** Written in the invocation's one batched write; absent when the table already has what is needed. */
  stored?: StoredEvent;
  /** The event's one delivery, its body kept in the delivery's record rather than an event item. */
  inRecord?: boolean;
  /** Sent to the ingest queue once `stored` is written. */
  continuation?: FanoutPosition;
}

function workOf(message: IngestMessage, messageId: string): EventWork {
  const ids = { messageIds: [messageId], identities: [message.identity] };
  if (message.kind === 'continuation') {
    const { tenantId, eventId, token: _token, ...position } = message.continuation;
    return { key: storeKey(tenantId, eventId), tenantId, eventId, source: 'continuation', position, ...ids };
  }
  const { tenantId, event, stored } = message.ingested;
  const w: EventWork = {
    key: storeKey(tenantId, event.id),
    tenantId,
    eventId: event.id,
    source: 'bus',
    position: START,
    ...ids,
  };
  if (!stored) {
    w.event = event;
    w.body = serializeEvent(event);
  }
  return w;
}

export function createFanout(deps: FanoutDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;
  const log = deps.log ?? (() => undefined);
  const budget = deps.budget ?? DEFAULT_PAGE_BUDGET;
  const subscriptionPage = deps.subscriptionPage ?? FANOUT_SUBSCRIPTION_PAGE;

  return async (sqsEvent: SQSEvent): Promise<SQSBatchResponse> => {
    const failures = new Set<string>();
    const fail = (w: EventWork, error: string) => {
      log('error', 'event not fanned out; it will come back', { eventId: w.eventId, tenantId: w.tenantId, page: w.position.page, error });
      for (const id of w.messageIds) failures.add(id);
    };

    // The same event twice in one batch is one piece of work; its messages share its outcome,
    // and it goes on from the furthest of their positions.
    const work = new Map<string, EventWork>();
    for (const record of sqsEvent.Records) {
      let w: EventWork;
      try {
        w = workOf(parseIngestMessage(record.body, record.messageId), record.messageId);
      } catch (err) {
        // It can never succeed: left to fail until the ingest DLQ keeps it for a person to read.
        log('error', 'unreadable ingest message', { messageId: record.messageId, error: (err as Error).message });
        failures.add(record.messageId);
        continue;
      }
      const existing = work.get(w.key);
      if (!existing) work.set(w.key, w);
      else {
        existing.messageIds.push(...w.messageIds);
        existing.identities.push(...w.identities);
        existing.event ??= w.event;
        existing.body ??= w.body;
        if (w.position.page > existing.position.page) {
          existing.position = w.position;
          existing.source = w.source;
        }
      }
    }
    // The tenants take turns at the invocation's budget (fanout-paging.ts).
    const events = tenantsInTurn([...work.values()], (w) => w.tenantId);

    // Events of one tenant read the same pages: one Query per page per invocation.
    const pages = new Map<string, Promise<Page<Subscription>>>();
    const subscriptionsAfter = (tenantId: string, cursor: string | undefined) => {
      const key = `${tenantId}\n${cursor ?? ''}`;
      if (!pages.has(key))
        pages.set(key, deps.subscriptions.listById(tenantId, { limit: subscriptionPage, ...(cursor !== undefined ? { cursor } : {}) }));
      return pages.get(key)!;
    };

    // An event from the bus that one subscription matches goes, if small, in its delivery's record
    // (delivery-record.ts): no event item is written, and the delivery's record is what shows it
    // was sent. Decided from the tenant's first page of subscriptions, before reading the table.
    const soleDelivery = new Map<string, { subscriptionId: string; deliveryId: string }>();
    await Promise.all(
      events.map(async (w) => {
        if (w.source !== 'bus' || !w.event || !w.body) return;
        const page = await subscriptionsAfter(w.tenantId, undefined).catch(() => undefined);
        // Unreadable: read again, and failed on its own, when its page is built.
        if (!page || page.nextCursor) return;
        const event = w.event;
        const matching = page.items.filter((s) => matches(s, event));
        // A disabled subscription that wants it lists it skipped, and a recovery reads the event's own item.
        const skipping = page.items.some((s) => skips(s, event));
        if (!skipping && eventGoesInRecord(matching.length, utf8Bytes(w.body))) {
          const subscriptionId = matching[0]!.id;
          soleDelivery.set(w.key, { subscriptionId, deliveryId: deliveryIdFor(event.id, subscriptionId) });
        }
      }),
    );

    let seen: Map<string, StoredEvent>;
    let recorded: Map<string, Delivery>;
    try {
      const eventKey = (w: EventWork) => ({ tenantId: w.tenantId, eventId: w.eventId });
      const itemless = (w: EventWork) => !soleDelivery.has(w.key);
      const [stored, fromBus, records] = await Promise.all([
        // Strongly consistent: an event the API stored a moment before putting its reference on
        // the bus, and the progress of a fan-out in pages.
        deps.store.getEvents(events.filter((w) => itemless(w) && !w.event).map(eventKey)),
        // An event the bus carried is looked up only to find it fanned out already: by a message
        // that comes back, minutes later, or a producer's repeated PutEvents. Half the read units.
        deps.store.getEvents(events.filter((w) => itemless(w) && w.event).map(eventKey), { consistent: false }),
        deps.store.getDeliveries(
          events.flatMap((w) => {
            const sole = soleDelivery.get(w.key);
            return sole ? [{ tenantId: w.tenantId, deliveryId: sole.deliveryId }] : [];
          }),
        ),
      ]);
      seen = new Map([...stored, ...fromBus]);
      recorded = records;
    } catch (err) {
      // Nothing was sent yet: the whole batch comes back and nothing is duplicated.
      for (const w of events) fail(w, `could not read the events table: ${(err as Error).message}`);
      return response(failures);
    }

    const left = { ...budget };
    const createdTime = now().toISOString();
    const sent: PageWork[] = [];
    const resend: PageWork[] = [];
    let duplicates = 0;
    let stale = 0;
    let deliveriesCreated = 0;

    let group: PageWork[] = [];
    let groupBytes = 0;
    const flush = async () => {
      const batch = group;
      group = [];
      groupBytes = 0;
      const failed = new Map((await deps.deliveries.trySendAll(batch.flatMap((g) => g.messages))).map((f) => [f.id, f.reason]));
      for (const g of batch) {
        const refused = g.messages.filter((m) => failed.has(m.id));
        if (refused.length > 0)
          fail(g.work, `${refused.length} of ${g.messages.length} delivery messages not sent: ${failed.get(refused[0]!.id)}`);
        else {
          sent.push(g);
          deliveriesCreated += g.messages.length;
        }
      }
    };

    for (const w of events) {
      const sole = soleDelivery.get(w.key);
      const record = sole && recorded.get(storeKey(w.tenantId, sole.deliveryId));
      if (sole && record) {
        // Sent before: a producer put it on the bus again, or this message comes back after a
        // crash, which may have come before its history entry was written. So the entry is
        // written again, beside the first (at the delivery's created time); lists show a delivery once.
        duplicates += w.messageIds.length;
        if (!record.legacyListing)
          sent.push({ work: w, event: w.event!, messages: [], subscriptionIds: [sole.subscriptionId], createdTime: record.createdTime });
        continue;
      }
      const prior = seen.get(w.key);
      const resume = resumeFrom(w.position, prior, w.identities);
      if (resume.action === 'done') {
        duplicates += w.messageIds.length;
        continue;
      }
      if (resume.action === 'stale') {
        stale += w.messageIds.length;
        continue;
      }
      if (resume.action === 'continue') {
        // This message stored the progress, then failed or timed out: the continuation may not have gone.
        resend.push({ work: w, messages: [], subscriptionIds: [], continuation: resume.position });
        continue;
      }
      try {
        const event = w.event ?? prior?.event;
        if (!event) {
          throw new Error(
            w.source === 'bus'
              ? 'the bus names a stored event that is not in the table (yet)'
              : 'a fan-out continuation names an event that is not in the table',
          );
        }
        const page = await nextPage(w, event, resume.position, prior, sole !== undefined);
        group.push(page);
        groupBytes += page.messages.reduce((n, m) => n + m.body.length, 0);
      } catch (err) {
        fail(w, (err as Error).message);
        continue;
      }
      if (groupBytes >= SEND_GROUP_BYTES) await flush();
    }
    if (group.length > 0) await flush();

    /**
     * The event's next page, within what is left of the invocation's budget: the tenant's
     * subscriptions after the position's cursor, in id order, until the budget runs out (then a
     * continuation after the last one examined) or the subscriptions do (then it is done).
     */
    async function nextPage(
      w: EventWork,
      event: WebhookEvent,
      from: FanoutPosition,
      prior: StoredEvent | undefined,
      inRecord: boolean,
    ): Promise<PageWork> {
      const content = await contentFor(w, event, prior);
      // Every message names its tenant, so the fair queue can keep a noisy tenant from delaying the others.
      const groupId = messageGroupOf(w.tenantId);
      // An event read back from the table with its body beside it has no data: payload filters
      // need it, so it is read from the body store, once, and only when a page has a filter.
      let filtered = event;
      let bodyRead = typeof content === 'string' || w.event !== undefined;
      const readBody = async (items: readonly Subscription[]) => {
        if (bodyRead || !items.some((s) => s.filter)) return;
        bodyRead = true;
        filtered = { ...event, data: await dataBeside(typeof content === 'string' ? '' : content.bodyKey) };
      };
      const matching = (s: Subscription) => matches(s, filtered);
      const messages: QueueMessage[] = [];
      const subscriptionIds: string[] = [];
      const skippedIds: string[] = [];
      let after = from.cursor;
      let cut = false;
      read: for (;;) {
        // Nothing left of the budget: not even a read.
        if (left.messages < 1) {
          cut = true;
          break;
        }
        const page = await subscriptionsAfter(w.tenantId, after);
        await readBody(page.items);
        for (let i = 0; i < page.items.length; i++) {
          const s = page.items[i]!;
          if (matching(s)) {
            const m = deliveryMessage(w.tenantId, s.id, event, createdTime, 0, content);
            if (inRecord) m.eventInRecord = true;
            const message = { id: m.deliveryId, body: encodeDeliveryMessage(m), groupId };
            const size = utf8Bytes(message.body);
            if (left.messages < 1 || left.bytes < size) {
              cut = true;
              break read;
            }
            messages.push(message);
            subscriptionIds.push(s.id);
            left.messages--;
            left.bytes -= size;
            after = s.id;
            if (left.messages < 1 || left.bytes < size) {
              // The budget is spent. The rest of this page is at hand: a continuation only if
              // something in it matches, or more pages may follow (rather than read on to find out).
              if (page.items.slice(i + 1).some((x) => matching(x) || skips(x, filtered))) cut = true;
              else if (page.nextCursor) {
                after = page.nextCursor;
                cut = true;
              }
              break read;
            }
          } else {
            if (skips(s, filtered)) skippedIds.push(s.id);
            after = s.id;
          }
        }
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }

      const base: StoredEvent = {
        tenantId: w.tenantId,
        event,
        storedTime: w.position.page > 0 && prior ? prior.storedTime : createdTime,
        payloadHash: prior?.payloadHash ?? payloadDigest(event.type, event.data),
        published: true,
        ...(typeof content === 'string' ? {} : { bodyKey: content.bodyKey }),
      };
      const by = w.identities[0]!;
      const page = { work: w, event, messages, subscriptionIds, ...(skippedIds.length > 0 ? { skippedIds } : {}) };
      if (!cut && inRecord && messages.length === 1) return { ...page, inRecord: true };
      if (!cut) return { ...page, stored: { ...base, deliveries: from.sent + messages.length } };
      if (messages.length > 0) {
        const next: FanoutPosition = {
          page: from.page + 1,
          sent: from.sent + messages.length,
          ...(after !== undefined ? { cursor: after } : {}),
        };
        return { ...page, stored: { ...base, fanout: { ...next, by } }, continuation: next };
      }
      // Not started within the budget: handed on as it is. A continuation carries no event, so
      // one the table does not hold yet is stored first.
      if (prior) return { ...page, continuation: from };
      return { ...page, stored: { ...base, fanout: { ...from, by } }, continuation: from };
    }

    /** The data of an event whose body is kept beside the table (the sender reads the same body). */
    async function dataBeside(bodyKey: string): Promise<Record<string, unknown>> {
      const body = deps.bodies ? await deps.bodies.get(bodyKey) : undefined;
      if (body === undefined)
        throw new Error(`the event's body ${bodyKey} is not in the body store: its payload filters cannot be evaluated`);
      return (JSON.parse(body) as WebhookEvent).data;
    }

    /**
     * What the event's messages carry: its body, or for a body too large for the event's item, the
     * key it is kept under beside the table, put there before any message names it (the API put
     * those it stored; a repeated put after a crash writes the same object).
     */
    async function contentFor(w: EventWork, event: WebhookEvent, prior: StoredEvent | undefined): Promise<MessageContent> {
      if (prior?.bodyKey) return { bodyKey: prior.bodyKey };
      const body = w.body ?? serializeEvent(event);
      if (!bodyGoesBeside(utf8Bytes(body))) return body;
      if (!deps.bodies) throw new Error('no body store: an event over the table item limit cannot be fanned out');
      const bodyKey = bodyKeyFor(w.tenantId, event.id, body);
      await deps.bodies.put(bodyKey, body);
      return { bodyKey };
    }

    // One batched write, with one history index item per subscription listing what this page sent
    // it; if it fails, each event on its own, so only the ones that cannot be stored come back
    // (and only their deliveries are sent again).
    const historyOf = (g: PageWork) => {
      const entry = (subscriptionId: string) => ({
        tenantId: g.work.tenantId,
        subscriptionId,
        eventId: g.event!.id,
        eventType: g.event!.type,
        createdTime: g.createdTime ?? createdTime,
      });
      return [...g.subscriptionIds.map(entry), ...(g.skippedIds ?? []).map((id) => ({ ...entry(id), skipped: true }))];
    };
    const eventsOf = (g: PageWork) => (g.stored ? [g.stored] : []);
    const writes = (g: PageWork) => g.stored !== undefined || g.subscriptionIds.length > 0 || (g.skippedIds?.length ?? 0) > 0;
    const stored = new Set<PageWork>(sent.filter((g) => !writes(g)));
    const toStore = sent.filter(writes);
    try {
      if (toStore.length > 0) await deps.store.write({ events: toStore.flatMap(eventsOf), history: toStore.flatMap(historyOf) });
      for (const g of toStore) stored.add(g);
    } catch (err) {
      log('warn', 'batched event write failed; writing one by one', { error: (err as Error).message });
      await Promise.all(
        toStore.map(async (g) => {
          try {
            await deps.store.write({ events: eventsOf(g), history: historyOf(g) });
            stored.add(g);
          } catch (e) {
            fail(g.work, `could not store the fanned-out event: ${(e as Error).message}`);
          }
        }),
      );
    }

    // The continuations, once what they read is in the table, and before their ingest messages
    // are acknowledged: one that cannot be sent fails its message, which comes back for it.
    const continuing = [...sent.filter((g) => stored.has(g)), ...resend].filter((g) => g.continuation);
    let continued = 0;
    if (continuing.length > 0) {
      const failed = new Map(
        (
          await deps.ingest.trySendAll(
            continuing.map((g) => ({
              id: g.work.key,
              body: encodeContinuation({ tenantId: g.work.tenantId, eventId: g.work.eventId, ...g.continuation!, token: randomUUID() }),
              groupId: messageGroupOf(g.work.tenantId),
            })),
          )
        ).map((f) => [f.id, f.reason]),
      );
      for (const g of continuing) {
        const reason = failed.get(g.work.key);
        if (reason !== undefined) fail(g.work, `continuation not sent: ${reason}`);
        else {
          continued++;
          log('debug', 'event continues in another invocation', {
            eventId: g.work.eventId,
            tenantId: g.work.tenantId,
            page: g.continuation!.page,
            sent: g.continuation!.sent,
          });
        }
      }
    }

    const done = [...stored].flatMap((g) => {
      const deliveries = g.stored?.deliveries ?? (g.inRecord ? 1 : undefined);
      return deliveries === undefined ? [] : [{ work: g.work, eventType: g.event!.type, deliveries }];
    });
    metrics.count('EventsFannedOut', done.length);
    metrics.count('DeliveriesCreated', deliveriesCreated);
    if (continued > 0) metrics.count('FanoutContinued', continued);
    for (const d of done)
      log('debug', 'event fanned out', {
        eventId: d.work.eventId,
        eventType: d.eventType,
        tenantId: d.work.tenantId,
        deliveries: d.deliveries,
      });
    if (duplicates > 0) log('info', 'duplicate events skipped', { count: duplicates });
    if (stale > 0) log('info', 'stale fan-out continuations skipped', { count: stale });
    return response(failures);
  };
}

/**
 * Whether an event goes to a subscription: enabled, one of its event types, and its data passes
 * the subscription's payload filter. Decided before any message or record is made, so an event
 * no filter matches costs no delivery.
 */
function matches(s: Subscription, event: WebhookEvent): boolean {
  return s.status === 'enabled' && wants(s, event);
}

/**
 * What it would get if enabled: one of its event types (subscriptionTakes, with the rules that
 * keep operational events off the subscription they are about), and its data passes the payload filter.
 */
function wants(s: Subscription, event: WebhookEvent): boolean {
  return subscriptionTakes(s, event) && payloadMatches(s.filter, event.data);
}

/**
 * A disabled subscription that wants the event: it is not sent, but listed skipped in the
 * subscription's history (one index item per fan-out invocation, as for those sent), so that a
 * recovery once it is enabled again sends it, for as long as the event is kept.
 */
function skips(s: Subscription, event: WebhookEvent): boolean {
  return s.status === 'disabled' && !s.deletedTime && wants(s, event);
}

function response(failures: Set<string>): SQSBatchResponse {
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}
