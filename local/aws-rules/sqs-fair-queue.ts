/**
 * SQS fair queues, as the twin hands out a standard queue's messages
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html,
 * "How Amazon SQS fair queues work", sqs-fair-queues-detailed.html). A message's MessageGroupId
 * names its tenant. SQS marks a tenant noisy when it has more than 10 % of the queue's in-flight
 * messages and at least 30 of its own in flight, or more than 10 % of recent consumer processing
 * time; while quieter tenants have messages waiting, those are handed out first; among noisy
 * tenants, the one with the fewest in flight first. A tenant stops being noisy once its backlog is
 * drained, or once none of its messages has been in flight for 5 minutes in a row (the English
 * page's wording; a translation of it says "5 minutes without sends").
 *
 * What the twin decides where SQS's pages leave it open: "recent" processing time is the last
 * 60 s, a receive's processing time runs from the receive until the message is deleted, released,
 * its visibility changed or its visibility runs out; a message without a group id is a tenant of
 * its own, and since one message can never be 30 in flight it is never marked noisy (nor is its
 * processing time anyone's share, though it counts towards the total). Noisiness is decided
 * afresh on every receive, with no memory beyond these figures.
 */
export const NOISY_SHARE = 0.1;
export const NOISY_MIN_IN_FLIGHT = 30;
export const QUIET_AFTER_MS = 5 * 60 * 1000;
export const PROCESSING_WINDOW_MS = 60 * 1000;

/** A tenant's id (a MessageGroupId), or undefined for a message that has none. */
export type Tenant = string | undefined;

interface Span {
  tenant: Tenant;
  end: number;
  ms: number;
}

/**
 * One queue's load by tenant, kept as things happen (a send, a message becoming ready or leaving,
 * a receive, its end) so that deciding who is noisy never scans the queue's messages.
 */
export class TenantLoad {
  private readonly inFlightBy = new Map<string, number>();
  private inFlightTotal = 0;
  /** Tenants with at least NOISY_MIN_IN_FLIGHT in flight: the only ones concurrency can mark. */
  private readonly heavy = new Set<string>();
  private readonly readyBy = new Map<string, number>();
  /** When each tenant's last message left flight (kept while none is in flight). */
  private readonly leftFlightBy = new Map<string, number>();
  /** Processing spans that ended within the window, oldest first. */
  private spans: Span[] = [];
  private spansHead = 0;
  private readonly processingBy = new Map<string, number>();
  private processingTotal = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** `n` of the tenant's messages became ready to receive (negative: left the ready list). */
  ready(tenant: Tenant, n: number): void {
    if (tenant !== undefined) bump(this.readyBy, tenant, n);
  }

  readyOf(tenant: string): number {
    return this.readyBy.get(tenant) ?? 0;
  }

  /** A message went in flight (+1) or left it (-1): received, then deleted, released or expired. */
  inFlight(tenant: Tenant, n: 1 | -1): void {
    this.inFlightTotal += n;
    if (tenant === undefined) return;
    const count = bump(this.inFlightBy, tenant, n);
    if (count >= NOISY_MIN_IN_FLIGHT) this.heavy.add(tenant);
    else this.heavy.delete(tenant);
    if (count <= 0) this.leftFlightBy.set(tenant, this.now());
    else this.leftFlightBy.delete(tenant);
  }

  inFlightOf(tenant: string): number {
    return this.inFlightBy.get(tenant) ?? 0;
  }

  get totalInFlight(): number {
    return this.inFlightTotal;
  }

  /** A consumer spent `ms` on one of the tenant's messages, ending now. */
  processed(tenant: Tenant, ms: number): void {
    const end = this.now();
    const counted = Math.max(0, Math.min(ms, PROCESSING_WINDOW_MS));
    this.spans.push({ tenant, end, ms: counted });
    this.processingTotal += counted;
    if (tenant !== undefined) bump(this.processingBy, tenant, counted);
    this.forgetOldSpans(end);
  }

  /** Tenants SQS would treat as noisy neighbours right now. */
  noisy(): Set<string> {
    const now = this.now();
    this.forgetOldSpans(now);
    const noisy = new Set<string>();
    const consider = (tenant: string) => {
      if (noisy.has(tenant) || this.readyOf(tenant) === 0) return;
      const inFlight = this.inFlightOf(tenant);
      const left = this.leftFlightBy.get(tenant);
      if (inFlight === 0 && (left === undefined || now - left >= QUIET_AFTER_MS)) return;
      const byConcurrency = inFlight >= NOISY_MIN_IN_FLIGHT && inFlight > NOISY_SHARE * this.inFlightTotal;
      const byTime = this.processingTotal > 0 && (this.processingBy.get(tenant) ?? 0) > NOISY_SHARE * this.processingTotal;
      if (byConcurrency || byTime) noisy.add(tenant);
    };
    for (const tenant of this.heavy) consider(tenant);
    for (const tenant of this.processingBy.keys()) consider(tenant);
    return noisy;
  }

  /** Everything back to nothing (the queue was purged). */
  clear(): void {
    this.inFlightBy.clear();
    this.inFlightTotal = 0;
    this.heavy.clear();
    this.readyBy.clear();
  }

  private forgetOldSpans(now: number): void {
    const from = now - PROCESSING_WINDOW_MS;
    while (this.spansHead < this.spans.length && this.spans[this.spansHead]!.end < from) {
      const old = this.spans[this.spansHead++]!;
      this.processingTotal -= old.ms;
      if (old.tenant !== undefined) bump(this.processingBy, old.tenant, -old.ms);
    }
    // Compacted now and then, so the list does not grow with everything ever processed.
    if (this.spansHead > 1024 && this.spansHead * 2 > this.spans.length) {
      this.spans = this.spans.slice(this.spansHead);
      this.spansHead = 0;
    }
    if (this.spans.length === this.spansHead) this.processingTotal = 0;
  }
}

/** Adds `n` to a count, dropping it at zero so maps hold only live tenants; answers the new count. */
function bump(map: Map<string, number>, key: string, n: number): number {
  const count = (map.get(key) ?? 0) + n;
  if (count > 0) map.set(key, count);
  else map.delete(key);
  return count;
}

/**
 * Which ready messages a receive of up to `count` hands out, as indexes into `ready` in the
 * order they go: quiet tenants' messages first, in arrival order; then noisy tenants', one at a
 * time from the one with the fewest in flight (counting what this receive hands out), each
 * tenant's in arrival order. Undefined when nobody is noisy: then arrival order, as ever.
 */
export function pickFair<M>(
  ready: ArrayLike<M>,
  count: number,
  tenantOf: (m: M) => Tenant,
  load: TenantLoad,
  noisy: ReadonlySet<string> = load.noisy(),
): number[] | undefined {
  if (noisy.size === 0) return undefined;
  const picks: number[] = [];
  let quietWaiting = ready.length;
  for (const tenant of noisy) quietWaiting -= load.readyOf(tenant);
  for (let i = 0; i < ready.length && picks.length < count && quietWaiting > 0; i++) {
    const tenant = tenantOf(ready[i]!);
    if (tenant === undefined || !noisy.has(tenant)) {
      picks.push(i);
      quietWaiting--;
    }
  }
  if (picks.length === count) return picks;

  // Each noisy tenant's next waiting message, found by a cursor that only moves forward.
  const next = new Map<string, number>();
  const inFlight = new Map<string, number>();
  for (const tenant of noisy) {
    next.set(tenant, -1);
    inFlight.set(tenant, load.inFlightOf(tenant));
  }
  const advance = (tenant: string, from: number) => {
    let i = from;
    while (i < ready.length && tenantOf(ready[i]!) !== tenant) i++;
    if (i < ready.length) next.set(tenant, i);
    else next.delete(tenant);
  };
  for (const tenant of noisy) advance(tenant, 0);
  while (picks.length < count && next.size > 0) {
    let best: string | undefined;
    for (const [tenant, at] of next) {
      const fewer = best === undefined || inFlight.get(tenant)! < inFlight.get(best)!;
      const tie = best !== undefined && inFlight.get(tenant) === inFlight.get(best) && at < next.get(best)!;
      if (fewer || tie) best = tenant;
    }
    const at = next.get(best!)!;
    picks.push(at);
    inFlight.set(best!, inFlight.get(best!)! + 1);
    advance(best!, at + 1);
  }
  return picks;
}
