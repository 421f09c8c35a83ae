import type { Subscription } from '../domain/model.js';
import { parseSecretSet, type SecretSet } from '../domain/secret-set.js';
import type { SecretStore, SubscriptionRepository } from '../ports.js';

/**
 * A container's cache of the signing secrets lists answer (seeds 001 and 002 list `secret` with
 * every subscription), so a warm container's lists need no Secrets Manager call at all: a list
 * page of 100 costs 5 BatchGetSecretValue calls of the account's 100 a second, and seed 001's
 * list of all of a tenant's 1,000 subscriptions 50 of them.
 *
 * Why a cached secret is still the current one. A secret set changes only by a rotation, which
 * writes the new set to the store, then the subscription with a new `secretVersion`, then adds
 * one to the tenant's subscriptions-changed counter, and answers only after all three. A list
 * reads that counter strongly consistent (one read unit) before anything else:
 * - an entry read from the store after the counter showed `c` is at least as new as every
 *   rotation counted by `c`, so while the counter still shows `c` it is current;
 * - once the counter has moved (any change of any of the tenant's subscriptions), each cached
 *   entry the page needs is checked against its subscription's `secretVersion`, read strongly
 *   consistent (one BatchGetItem a page); an entry whose version moved is read again.
 * The list itself comes from an index, which can lag its table by a moment; the secret does not
 * lag with it, so a rotation shows in the very next list, on every container.
 *
 * Entries are read again after `ttlMs` whatever the counter says, so a value changed outside the
 * API (by hand in the console) shows within that; the cache starts afresh past `maxEntries`.
 */

/** How long an entry is kept from its read, for what changes outside the API. */
export const LIST_SECRET_CACHE_TTL_MS = 15 * 60_000;
const MAX_ENTRIES = 10_000;
/** An entry written by this container (create, rotate) that no counter value has vouched for yet. */
const UNCONFIRMED = -1;

interface Entry {
  set: SecretSet;
  /** The subscription's `secretVersion` the set belongs to ('' before any rotation). */
  version: string;
  /** The counter value under which the entry is known current. */
  confirmedAt: number;
  readAt: number;
}

const versionOf = (s: Subscription) => s.secretVersion ?? '';

export class ListSecretCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = LIST_SECRET_CACHE_TTL_MS,
  ) {}

  /** The current secret set of each subscription of one page of a tenant's, by secret name. */
  async currentSets(
    tenantId: string,
    page: readonly Subscription[],
    deps: { repo: SubscriptionRepository; secrets: SecretStore },
  ): Promise<Map<string, SecretSet>> {
    const out = new Map<string, SecretSet>();
    if (page.length === 0) return out;
    const changes = await deps.repo.changeCount(tenantId);
    const now = this.now();
    const fresh = (e: Entry | undefined): e is Entry => e !== undefined && now - e.readAt < this.ttlMs;

    const unconfirmed: Subscription[] = [];
    for (const s of page) {
      const e = this.entries.get(s.secretName);
      if (fresh(e) && e.confirmedAt === changes) out.set(s.secretName, e.set);
      else if (fresh(e)) unconfirmed.push(s);
    }
    const versions =
      unconfirmed.length > 0
        ? await deps.repo.secretVersions(
            tenantId,
            unconfirmed.map((s) => s.id),
          )
        : undefined;
    const toRead: Subscription[] = [];
    for (const s of page) {
      if (out.has(s.secretName)) continue;
      const e = this.entries.get(s.secretName);
      if (fresh(e) && versions?.get(s.id) === e.version) {
        e.confirmedAt = changes;
        out.set(s.secretName, e.set);
      } else toRead.push(s);
    }
    if (toRead.length === 0) return out;

    const read = await deps.secrets.getMany(toRead.map((s) => s.secretName));
    if (this.entries.size + toRead.length > MAX_ENTRIES) this.entries.clear();
    for (const s of toRead) {
      const set = parseSecretSet(read.get(s.secretName)!);
      // The version confirmed just now if there is one; else the listed one, which the index may
      // show late: then the next check after a change finds it moved and reads the set once more.
      this.entries.set(s.secretName, { set, version: versions?.get(s.id) ?? versionOf(s), confirmedAt: changes, readAt: this.now() });
      out.set(s.secretName, set);
    }
    return out;
  }

  /** What this container itself just wrote (a create, a rotation): the next list checks its version instead of reading it. */
  remember(s: Subscription, set: SecretSet): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(s.secretName, { set, version: versionOf(s), confirmedAt: UNCONFIRMED, readAt: this.now() });
  }
}
