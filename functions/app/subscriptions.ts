import { randomUUID } from 'node:crypto';
import type { AddressPolicy } from '../domain/address-policy.js';
import type { Catalog } from '../domain/catalog.js';
import { type CustomHeaders, someHeaders } from '../domain/custom-headers.js';
import { notFound } from '../domain/errors.js';
import type { Subscription, SubscriptionStatus } from '../domain/model.js';
import type { PayloadFilter } from '../domain/payload-filter.js';
import { type RateLimit, rateLimitFromApi } from '../domain/rate-limit.js';
import { MANUAL_DISABLED_REASON } from '../domain/recovery.js';
import { checkEventFilters, checkUrl, throwIfProblems } from '../domain/requests.js';
import {
  MIN_SECONDS_BETWEEN_ROTATIONS,
  newSecretSet,
  parseSecretSet,
  rotate,
  rotationTooSoon,
  type SecretSet,
  serializeSecretSet,
  withHeaders,
} from '../domain/secret-set.js';
import { isVerified, startVerification, type Verification, type VerificationMode, VerificationMoved } from '../domain/verification.js';
import type { Page, PageRequest, SecretStore, SubscriptionRepository } from '../ports.js';
import type { ListSecretCache } from './list-secrets.js';
import type { OperationalEvents } from './operational-events.js';
import { newVerificationId, type VerificationRequests } from './verification.js';

/** Subscription use cases, shared by both API versions (which differ only in field names). */

export interface SubscriptionInput {
  url: string;
  description?: string | undefined;
  events: string[];
  /** Validated (requests.ts, PayloadFilterSchema); null or absent: none. */
  filter?: PayloadFilter | null | undefined;
  /** Validated (requests.ts, CustomHeadersSchema); null, empty or absent: none. */
  headers?: CustomHeaders | null | undefined;
  /** Validated (requests.ts, RateLimitSchema); null or absent: none. */
  rateLimit?: ApiRateLimit | null | undefined;
  version?: string | undefined;
  status?: SubscriptionStatus | undefined;
}

/** A rate limit as both API versions write it. */
type ApiRateLimit = { per_second: number; burst: number };

export interface SubscriptionChange {
  url?: string | undefined;
  description?: string | undefined;
  events?: string[] | undefined;
  /** null removes the filter; absent leaves it. */
  filter?: PayloadFilter | null | undefined;
  /** Replaces the whole set; null or empty removes them; absent leaves them. */
  headers?: CustomHeaders | null | undefined;
  /** null removes the limit; absent leaves it. */
  rateLimit?: ApiRateLimit | null | undefined;
  version?: string | undefined;
  status?: SubscriptionStatus | undefined;
}

export interface WithSecret {
  subscription: Subscription;
  secret: string;
  /** The custom headers in full, absent when none: views mask them (custom-headers.ts maskHeaders). */
  headers?: CustomHeaders;
  /** Set by an update that enabled a disabled subscription: since when it missed deliveries (a recovery's `since`). */
  missedSince?: string;
}

/** What answers need of a secret set: the current secret and the custom headers. */
function withSecret(subscription: Subscription, set: SecretSet): WithSecret {
  return { subscription, secret: set.current, ...(set.headers ? { headers: set.headers } : {}) };
}

export interface SubscriptionServiceDeps {
  repo: SubscriptionRepository;
  secrets: SecretStore;
  catalog: Catalog;
  policy: AddressPolicy;
  secretNamePrefix: string;
  /** Live subscriptions a tenant may have; create answers 409 past it. */
  maxPerTenant?: number;
  /** Lists' secrets kept per container (list-secrets.ts); without it every list reads them all. */
  listSecrets?: ListSecretCache;
  /** Reports a tenant's disable as `webhook.subscription.disabled`; without it nothing is reported. */
  operational?: OperationalEvents;
  /**
   * Endpoint verification (functions/domain/verification.ts): the operator's mode and where the
   * requests go. Without it subscriptions get no verification field, as before it.
   */
  verification?: { mode: VerificationMode; requests: VerificationRequests };
  now?: () => Date;
}

export class SubscriptionService {
  private readonly now: () => Date;

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Checks what only the deployment knows (address policy, catalog), naming the API's own field names. */
  validate(input: { url?: string | undefined; events?: string[] | undefined }, fields: { url: string; events: string }): void {
    throwIfProblems([
      ...(input.url !== undefined ? checkUrl(fields.url, input.url, this.deps.policy) : []),
      ...(input.events !== undefined ? checkEventFilters(fields.events, input.events, this.deps.catalog) : []),
    ]);
  }

  async create(tenantId: string, input: SubscriptionInput): Promise<WithSecret> {
    const id = randomUUID();
    const at = this.now().toISOString();
    const subscription: Subscription = {
      id,
      tenantId,
      url: input.url,
      description: input.description ?? '',
      events: input.events,
      ...(input.filter ? { filter: input.filter } : {}),
      ...(input.rateLimit ? { rateLimit: rateLimitFromApi(input.rateLimit) } : {}),
      version: input.version ?? '0.1',
      status: input.status ?? 'enabled',
      secretName: `${this.deps.secretNamePrefix}${tenantId}/${id}`,
      createdTime: at,
      updatedTime: at,
      ...this.verificationFor(input.url, at),
    };
    const set = newSecretSet(input.headers);
    // Secret first: a subscription must never exist without the secret that signs for it.
    await this.deps.secrets.create(subscription.secretName, serializeSecretSet(set), { tenant_id: tenantId, subscription_id: id });
    try {
      await this.deps.repo.create(subscription, this.deps.maxPerTenant !== undefined ? { maxPerTenant: this.deps.maxPerTenant } : {});
    } catch (err) {
      await this.deps.secrets.scheduleDeletion(subscription.secretName).catch(() => undefined);
      throw err;
    }
    this.deps.listSecrets?.remember(subscription, set);
    return withSecret(await this.sendVerification(subscription), set);
  }

  async get(tenantId: string, id: string): Promise<WithSecret> {
    const subscription = await this.find(tenantId, id);
    return withSecret(subscription, await this.secretSet(subscription));
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<WithSecret>> {
    const result = await this.deps.repo.list(tenantId, page);
    const items = (await this.pageSecrets(tenantId, result.items)).map(([subscription, set]) => withSecret(subscription, set));
    return { items, ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) };
  }

  async update(tenantId: string, id: string, change: (current: Subscription) => SubscriptionChange): Promise<WithSecret> {
    const current = await this.find(tenantId, id);
    const c = change(current);
    const { filter: currentFilter, rateLimit: currentLimit, ...rest } = current;
    const filter = c.filter === undefined ? currentFilter : (c.filter ?? undefined);
    const rateLimit: RateLimit | undefined =
      c.rateLimit === undefined ? currentLimit : c.rateLimit === null ? undefined : rateLimitFromApi(c.rateLimit);
    const now = this.now();
    const at = now.toISOString();
    let set = await this.secretSet(current);
    // New headers are a new secret set, written as a rotation writes one: under the same claim
    // (a new version of the stored secret, at most one per window; and never two writers of the
    // set at once, which would lose one's change), the set first, then the subscription with a new
    // secret version, so that the sender's and the lists' caches read it again.
    const rewrite = c.headers !== undefined && !sameHeaders(set.headers, someHeaders(c.headers));
    if (rewrite) {
      const since = new Date(now.getTime() - MIN_SECONDS_BETWEEN_ROTATIONS * 1000).toISOString();
      const claim = await this.deps.repo.claimRotation(tenantId, id, at, since);
      if (!claim.claimed) throw rotationTooSoon(id, claim.last, now, 'headers');
      try {
        // The set read above is still the stored one: any write of it since holds a claim inside the window.
        set = withHeaders(set, c.headers ?? null);
        await this.deps.secrets.put(current.secretName, serializeSecretSet(set));
      } catch (err) {
        await this.deps.repo.releaseRotation(tenantId, id, at).catch(() => undefined);
        throw err;
      }
    }
    const next: Subscription = {
      ...rest,
      ...(filter ? { filter } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      ...(c.url !== undefined ? { url: c.url } : {}),
      ...(c.description !== undefined ? { description: c.description } : {}),
      ...(c.events !== undefined ? { events: c.events } : {}),
      ...(c.version !== undefined ? { version: c.version } : {}),
      ...(c.status !== undefined ? { status: c.status } : {}),
      ...(rewrite ? { secretVersion: at } : {}),
      // A new URL is verified again: until it answers, nothing goes to it, nor to the old one. So is
      // one enabled again before it was verified (a disabled subscription's request goes nowhere).
      ...((c.url !== undefined && c.url !== current.url) || (c.status === 'enabled' && current.status !== 'enabled' && !isVerified(current))
        ? this.verificationFor(c.url ?? current.url, at, current.verification)
        : {}),
      updatedTime: at,
    };
    // Why and since when it is disabled, kept while it is: enabling clears them (and offers to
    // recover what it missed since then), disabling by hand records it.
    const enabled = current.status === 'disabled' && next.status === 'enabled';
    if (next.status === 'enabled') {
      delete next.disabledReason;
      delete next.disabledTime;
    } else if (current.status === 'enabled') {
      next.disabledReason = MANUAL_DISABLED_REASON;
      next.disabledTime = at;
    }
    const stored = await this.put(next, current);
    if (rewrite) this.deps.listSecrets?.remember(stored, set);
    // After the write: the notice follows the fact. It never fails the request (flush logs and counts).
    if (current.status === 'enabled' && stored.status === 'disabled')
      await this.deps.operational?.send('webhook.subscription.disabled', tenantId, {
        subscription_id: id,
        url: stored.url,
        reason: MANUAL_DISABLED_REASON,
        disabled_time: at,
      });
    const answer = withSecret(stored.verification !== current.verification ? await this.sendVerification(stored) : stored, set);
    return enabled ? { ...answer, missedSince: current.disabledTime ?? current.updatedTime } : answer;
  }

  /**
   * A new verification of the subscription's URL, as on create (the API's and the portal's "verify
   * again"): the one under way, if any, is superseded; its answer settles nothing.
   */
  async verify(tenantId: string, id: string): Promise<WithSecret> {
    const current = await this.find(tenantId, id);
    const at = this.now().toISOString();
    let next: Subscription = { ...current, ...this.verificationFor(current.url, at, current.verification, true) };
    if (next.verification !== current.verification) next = await this.put(next, current);
    return withSecret(await this.sendVerification(next), await this.secretSet(next));
  }

  /**
   * The verification a subscription starts with at `url`: none without the setting; under `none`
   * verified at once, but only recorded when there is a verification to replace (or `always`),
   * so an upgraded deployment's records stay as they were.
   */
  private verificationFor(
    url: string,
    at: string,
    current?: Verification,
    always = false,
  ): { verification: Verification } | Record<string, never> {
    const mode = this.deps.verification?.mode;
    if (mode === undefined || (mode === 'none' && !current && !always)) return {};
    return { verification: startVerification(mode, url, at, newVerificationId()) };
  }

  /**
   * Queues a pending verification's request. Should that fail, the subscription says so (failed,
   * with the reason) rather than waiting for a request that never went: it can be asked again.
   */
  private async sendVerification(s: Subscription): Promise<Subscription> {
    const v = s.verification;
    // A disabled subscription's request would be skipped unsent: enabling it starts one.
    if (!this.deps.verification || v?.status !== 'pending' || s.status !== 'enabled') return s;
    try {
      await this.deps.verification.requests.send(s, v.requestedTime);
      return s;
    } catch (err) {
      const failed: Subscription = {
        ...s,
        verification: {
          ...v,
          status: 'failed',
          lastError: `the verification request could not be queued (${(err as Error).message}); request it again`,
        },
      };
      return this.put(failed, s);
    }
  }

  /**
   * Writes `next`, made from `seen`, unless the sender settled the verification since `seen` was
   * read (VerificationMoved): then the settled one is kept, unless `next` starts a new one, and
   * written again. Three tries at most: a verification settles once per attempt, seconds apart.
   */
  private async put(next: Subscription, seen: Subscription): Promise<Subscription> {
    for (let tries = 1; ; tries++) {
      try {
        await this.deps.repo.update(next, { seenVerification: seen.verification ?? null });
        return next;
      } catch (err) {
        if (!(err instanceof VerificationMoved) || tries >= 3) throw err;
        const fresh = await this.find(seen.tenantId, seen.id);
        if (next.verification === seen.verification) {
          const { verification: _stale, ...rest } = next;
          next = { ...rest, ...(fresh.verification ? { verification: fresh.verification } : {}) };
        }
        seen = fresh;
      }
    }
  }

  /** Soft delete: the record stays for its delivery history, the secret is scheduled for deletion. */
  async delete(tenantId: string, id: string): Promise<WithSecret> {
    const current = await this.find(tenantId, id);
    const set = await this.secretSet(current);
    const at = this.now().toISOString();
    const deleted = await this.put({ ...current, status: 'disabled', updatedTime: at, deletedTime: at }, current);
    await this.deps.secrets.scheduleDeletion(current.secretName);
    return withSecret(deleted, set);
  }

  /**
   * At most once per MIN_SECONDS_BETWEEN_ROTATIONS: the claim comes first (a 429 changes nothing)
   * and is taken back when the new secret could not be written (a 503 changes nothing either).
   */
  async rotateSecret(tenantId: string, id: string, overlapSeconds: number): Promise<WithSecret & { previousExpiresAt: string }> {
    const subscription = await this.find(tenantId, id);
    const now = this.now();
    const at = now.toISOString();
    const since = new Date(now.getTime() - MIN_SECONDS_BETWEEN_ROTATIONS * 1000).toISOString();
    const claim = await this.deps.repo.claimRotation(tenantId, id, at, since);
    if (!claim.claimed) throw rotationTooSoon(id, claim.last, now);
    let next: SecretSet;
    try {
      next = rotate(await this.secretSet(subscription), now, overlapSeconds);
      await this.deps.secrets.put(subscription.secretName, serializeSecretSet(next));
    } catch (err) {
      await this.deps.repo.releaseRotation(tenantId, id, at).catch(() => undefined);
      throw err;
    }
    // A new secret version, written after the secret: caches key secrets by it (the sender's, the
    // lists'), so the next attempt signs with this one and the next list shows it.
    const rotated = await this.put({ ...subscription, secretVersion: at, updatedTime: at }, subscription);
    this.deps.listSecrets?.remember(rotated, next);
    return { ...withSecret(rotated, next), previousExpiresAt: next.previousExpiresAt! };
  }

  /** A page's secret sets: from the container's cache where it can vouch for them, else in one batched read, never one read per subscription. */
  private async pageSecrets(tenantId: string, page: Subscription[]): Promise<[Subscription, SecretSet][]> {
    if (page.length === 0) return [];
    if (this.deps.listSecrets) {
      const sets = await this.deps.listSecrets.currentSets(tenantId, page, this.deps);
      return page.map((s) => [s, sets.get(s.secretName)!]);
    }
    const texts = await this.deps.secrets.getMany(page.map((s) => s.secretName));
    return page.map((s) => [s, parseSecretSet(texts.get(s.secretName)!)]);
  }

  private async find(tenantId: string, id: string): Promise<Subscription> {
    const s = await this.deps.repo.get(tenantId, id);
    if (!s) throw notFound(`Webhook subscription ${id}`);
    return s;
  }

  private async secretSet(s: Subscription): Promise<SecretSet> {
    return parseSecretSet(await this.deps.secrets.get(s.secretName));
  }
}

/** The same names (case as given) and values, in any order. */
function sameHeaders(a: CustomHeaders | undefined, b: CustomHeaders | undefined): boolean {
  const ea = Object.entries(a ?? {});
  return ea.length === Object.keys(b ?? {}).length && ea.every(([k, v]) => b?.[k] === v);
}
