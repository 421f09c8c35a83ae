import { describe, expect, it } from 'vitest';
import { LIST_SECRET_CACHE_TTL_MS, ListSecretCache } from '../../functions/app/list-secrets.js';
import { SubscriptionService } from '../../functions/app/subscriptions.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import type { Subscription } from '../../functions/domain/model.js';
import { MemorySecrets, MemorySubscriptions } from '../support/memory-ports.js';

/**
 * The lists' secret cache across containers: each container (a SubscriptionService with its own
 * cache) shares the table and the secret store with the others, as Lambda containers do.
 */

class CountingSecrets extends MemorySecrets {
  batchReads: string[][] = [];
  override async getMany(names: readonly string[]) {
    this.batchReads.push([...names]);
    return super.getMany(names);
  }
}

/** Lists through an index that may lag: `lagging` answers the copies it held before the latest writes. */
class LaggingIndex extends MemorySubscriptions {
  lagging: Map<string, Subscription> | undefined;
  override async list(tenantId: string, page: { limit: number }) {
    const page0 = await super.list(tenantId, page);
    return this.lagging ? { items: page0.items.map((s) => this.lagging!.get(s.id) ?? s) } : page0;
  }
}

function world() {
  const repo = new LaggingIndex();
  const secrets = new CountingSecrets();
  let now = Date.UTC(2026, 0, 1);
  const container = () =>
    new SubscriptionService({
      repo,
      secrets,
      catalog: loadCatalog(),
      policy: LOCAL_POLICY,
      secretNamePrefix: 'webhooks/test/',
      listSecrets: new ListSecretCache(() => now),
      now: () => new Date(now),
    });
  return {
    repo,
    secrets,
    container,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const T = 'tnt_1';
const input = { url: 'https://hooks.example.com/in', events: ['card.created'] };
const secretOf = async (svc: SubscriptionService, id: string) =>
  (await svc.list(T, { limit: 100 })).items.find((i) => i.subscription.id === id)?.secret;

describe('ListSecretCache', () => {
  it('reads a cold page once, then answers from the container; another container reads it once too', async () => {
    const w = world();
    const creator = w.container();
    for (let i = 0; i < 30; i++) await creator.create(T, input);
    const a = w.container();
    const first = await a.list(T, { limit: 100 });
    expect(w.secrets.batchReads.map((r) => r.length)).toEqual([30]);
    const again = await a.list(T, { limit: 100 });
    expect(again.items.map((i) => i.secret)).toEqual(first.items.map((i) => i.secret));
    expect(w.secrets.batchReads).toHaveLength(1);
    // The container that created them has them already (it checks their versions, no secret read).
    await creator.list(T, { limit: 100 });
    expect(w.secrets.batchReads).toHaveLength(1);
    await w.container().list(T, { limit: 100 });
    expect(w.secrets.batchReads).toHaveLength(2);
  });

  it("shows another container's rotation in the very next list, reading only the rotated secret", async () => {
    const w = world();
    const a = w.container();
    const b = w.container();
    const subs = [];
    for (let i = 0; i < 5; i++) subs.push((await a.create(T, input)).subscription);
    await a.list(T, { limit: 100 });
    await b.list(T, { limit: 100 });
    const reads = w.secrets.batchReads.length;
    const rotated = await b.rotateSecret(T, subs[2]!.id, 86_400);
    expect(await secretOf(a, subs[2]!.id)).toBe(rotated.secret);
    expect(w.secrets.batchReads.slice(reads)).toEqual([[subs[2]!.secretName]]);
    // The rotating container keeps what it wrote: no read at all.
    expect(await secretOf(b, subs[2]!.id)).toBe(rotated.secret);
    expect(w.secrets.batchReads.length).toBe(reads + 1);
  });

  it('shows a rotation even while the index still lists the subscription as it was', async () => {
    const w = world();
    const a = w.container();
    const b = w.container();
    const sub = (await a.create(T, input)).subscription;
    await a.list(T, { limit: 100 });
    // The index has not caught up with the rotation: it lists the old copy (old secretVersion).
    w.repo.lagging = new Map([[sub.id, { ...(await w.repo.get(T, sub.id))! }]]);
    const rotated = await b.rotateSecret(T, sub.id, 86_400);
    expect(w.repo.lagging.get(sub.id)?.secretVersion).toBeUndefined();
    expect(await secretOf(a, sub.id)).toBe(rotated.secret);
    expect(await secretOf(w.container(), sub.id)).toBe(rotated.secret);
  });

  it('reads an entry again after its time to live, whatever the counter says (a value changed outside the API)', async () => {
    const w = world();
    const a = w.container();
    const sub = (await a.create(T, input)).subscription;
    await a.list(T, { limit: 100 });
    await w.secrets.put(sub.secretName, JSON.stringify({ current: 'whsec_byhand' }));
    expect(await secretOf(a, sub.id)).not.toBe('whsec_byhand');
    w.advance(LIST_SECRET_CACHE_TTL_MS);
    expect(await secretOf(a, sub.id)).toBe('whsec_byhand');
  });

  it('never caches what a failed read did not give', async () => {
    const w = world();
    const a = w.container();
    const sub = (await a.create(T, input)).subscription;
    const b = w.container();
    w.secrets.values.delete(sub.secretName);
    await expect(b.list(T, { limit: 100 })).rejects.toThrow(/no secret/);
    await w.secrets.create(sub.secretName, JSON.stringify({ current: 'whsec_back' }));
    expect(await secretOf(b, sub.id)).toBe('whsec_back');
  });
});
