import { describe, expect, it } from 'vitest';
import { CACHE_TTL_MS, changesOf, SubscriptionCache } from '../../functions/adapters/aws/subscription-changes.js';
import type { Subscription } from '../../functions/domain/model.js';

const sub = (id: string, url = 'https://hooks.example.com/in'): Subscription => ({
  id,
  tenantId: 't1',
  url,
  description: '',
  events: ['card.created'],
  version: '0.1',
  status: 'enabled',
  secretName: `webhooks/t1/${id}`,
  createdTime: '2026-03-01T00:00:00.000Z',
  updatedTime: '2026-03-01T00:00:00.000Z',
});

describe('SubscriptionCache', () => {
  it('answers a subscription only under the change count it was read under', () => {
    const cache = new SubscriptionCache(() => 0);
    cache.put('t1', 4, sub('a'));
    expect(cache.get('t1', 4, 'a')).toEqual(sub('a'));
    expect(cache.get('t1', 5, 'a')).toBeUndefined();
    expect(cache.get('t2', 4, 'a')).toBeUndefined();
    expect(cache.get('t1', 4, 'b')).toBeUndefined();
    // Read again under the new count: the old copies are gone with the old count.
    cache.put('t1', 5, sub('a', 'https://new.example.com/in'));
    expect(cache.get('t1', 5, 'a')?.url).toBe('https://new.example.com/in');
    expect(cache.get('t1', 4, 'a')).toBeUndefined();
  });

  it('forgets a tenant after CACHE_TTL_MS even if the count stands still', () => {
    let now = 0;
    const cache = new SubscriptionCache(() => now);
    cache.put('t1', 0, sub('a'));
    now = CACHE_TTL_MS;
    expect(cache.get('t1', 0, 'a')).toEqual(sub('a'));
    now = CACHE_TTL_MS + 1;
    expect(cache.get('t1', 0, 'a')).toBeUndefined();
  });

  it('reads the count from its item; no item is no change since counting began', () => {
    expect(changesOf(undefined)).toBe(0);
    expect(changesOf({ changes: 7 })).toBe(7);
  });
});
