import { describe, expect, it } from 'vitest';
import { SubscriptionService } from '../../functions/app/subscriptions.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import { temporarilyUnavailable } from '../../functions/domain/errors.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS } from '../../functions/domain/secret-set.js';
import { MemorySecrets, MemorySubscriptions } from '../support/memory-ports.js';

/** At most one rotation per subscription per MIN_SECONDS_BETWEEN_ROTATIONS, and a refused one changes nothing. */

const T = 'tnt_1';

function setUp() {
  const repo = new MemorySubscriptions();
  const secrets = new MemorySecrets();
  let now = Date.UTC(2026, 0, 1, 12);
  const service = new SubscriptionService({
    repo,
    secrets,
    catalog: loadCatalog(),
    policy: LOCAL_POLICY,
    secretNamePrefix: 'webhooks/test/',
    now: () => new Date(now),
  });
  return { repo, secrets, service, advance: (s: number) => (now += s * 1000) };
}

describe('the rotation limit', () => {
  it('refuses a second rotation inside the window with a 429 whose Retry-After counts down to its end, then allows it', async () => {
    const { secrets, service, advance } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'] });
    await service.rotateSecret(T, subscription.id, 86_400);
    const stored = await secrets.get(subscription.secretName);
    advance(100);
    const err = await service.rotateSecret(T, subscription.id, 86_400).catch((e: unknown) => e);
    expect(err).toMatchObject({
      statusCode: 429,
      code: 'rotation_rate_limited',
      headers: { 'Retry-After': String(MIN_SECONDS_BETWEEN_ROTATIONS - 100) },
    });
    expect(await secrets.get(subscription.secretName)).toBe(stored);
    advance(MIN_SECONDS_BETWEEN_ROTATIONS - 101);
    await expect(service.rotateSecret(T, subscription.id, 86_400)).rejects.toMatchObject({ headers: { 'Retry-After': '1' } });
    advance(1);
    await expect(service.rotateSecret(T, subscription.id, 86_400)).resolves.toBeTruthy();
  });

  it('lets one of two rotations at the same moment through', async () => {
    const { service } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'] });
    const results = await Promise.allSettled([service.rotateSecret(T, subscription.id, 60), service.rotateSecret(T, subscription.id, 60)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('is per subscription', async () => {
    const { service } = setUp();
    const a = (await service.create(T, { url: 'https://hooks.example.com/a', events: ['card.created'] })).subscription;
    const b = (await service.create(T, { url: 'https://hooks.example.com/b', events: ['card.created'] })).subscription;
    await service.rotateSecret(T, a.id, 60);
    await expect(service.rotateSecret(T, b.id, 60)).resolves.toBeTruthy();
  });

  it('does not spend the window on a rotation whose secret could not be written (a 503 changes nothing)', async () => {
    const { repo, secrets, service } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'] });
    const put = secrets.put.bind(secrets);
    secrets.put = async () => {
      throw temporarilyUnavailable('test');
    };
    await expect(service.rotateSecret(T, subscription.id, 60)).rejects.toMatchObject({ statusCode: 503 });
    expect((await repo.get(T, subscription.id))?.secretVersion).toBeUndefined();
    secrets.put = put;
    await expect(service.rotateSecret(T, subscription.id, 60)).resolves.toBeTruthy();
  });

  it('answers 404, and claims nothing, for an unknown subscription', async () => {
    const { repo, service } = setUp();
    await expect(service.rotateSecret(T, 'nope', 60)).rejects.toMatchObject({ statusCode: 404 });
    expect(repo.rotations.size).toBe(0);
  });
});
