import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../functions/domain/ttl-cache.js';

describe('TtlCache', () => {
  it('peek answers a fresh entry without loading, and nothing for a missing or expired one', async () => {
    let now = 0;
    const cache = new TtlCache<string>(1000, () => now);
    let loads = 0;
    const load = async () => `value ${++loads}`;
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', load)).toBe('value 1');
    expect(cache.peek('k')).toBe('value 1');
    now = 999;
    expect(cache.peek('k')).toBe('value 1');
    expect(await cache.get('k', load)).toBe('value 1');
    now = 1000;
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', load)).toBe('value 2');
    expect(cache.peek('k')).toBe('value 2');
    cache.delete('k');
    expect(cache.peek('k')).toBeUndefined();
    expect(loads).toBe(2);
  });
});
