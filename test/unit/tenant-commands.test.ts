import { describe, expect, it } from 'vitest';
import { hashKey } from '../../functions/domain/credentials.js';
import type { Tenant, ThrottleKey } from '../../functions/domain/model.js';
import type { ThrottleLimits } from '../../functions/domain/throttle.js';
import type { TenantRepository } from '../../functions/ports.js';
import {
  backfillKeys,
  CommandError,
  createTenant,
  listTenants,
  revokeTenant,
  throttleTenant,
  UsageError,
  validateLimits,
} from '../../scripts/lib/tenant-commands.js';
import type { ThrottlePlans } from '../../scripts/lib/throttle-plans.js';

class MemoryTenants implements TenantRepository {
  readonly items = new Map<string, Tenant>();
  async create(t: Tenant) {
    if (this.items.has(t.identity)) throw new Error('exists');
    this.items.set(t.identity, { ...t });
  }
  async findByIdentity(identity: string) {
    return this.items.get(identity);
  }
  async list() {
    return [...this.items.values()];
  }
  async revoke(identity: string, at: string) {
    const t = this.items.get(identity);
    if (!t || t.status === 'revoked') return false;
    this.items.set(identity, { ...t, status: 'revoked', revokedTime: at });
    return true;
  }
  async setThrottleKey(identity: string, throttleKey: Tenant['throttleKey']) {
    const { throttleKey: _old, ...t } = this.items.get(identity)!;
    this.items.set(identity, { ...t, ...(throttleKey ? { throttleKey } : {}) });
  }
  async setThrottle(identity: string, throttle: Tenant['throttle']) {
    const { throttle: _old, ...t } = this.items.get(identity)!;
    this.items.set(identity, { ...t, ...(throttle ? { throttle } : {}) });
  }
}

/** Usage plans as the commands see them: which plan (by limits; undefined is the default) holds each key. */
class MemoryPlans implements ThrottlePlans {
  readonly keys = new Map<string, ThrottleLimits | undefined>();
  readonly calls: string[] = [];
  private next = 0;
  async createKey(tenantId: string, limits?: ThrottleLimits) {
    const key = { id: `key${++this.next}`, value: `value-of-${tenantId}-${'x'.repeat(20)}` };
    this.calls.push(`createKey ${tenantId} ${JSON.stringify(limits ?? 'default')}`);
    this.keys.set(key.id, limits);
    return key;
  }
  async assign(key: ThrottleKey, limits?: ThrottleLimits) {
    this.calls.push(`assign ${key.id} ${JSON.stringify(limits ?? 'default')}`);
    this.keys.set(key.id, limits);
  }
  async deleteKey(key: ThrottleKey) {
    this.calls.push(`deleteKey ${key.id}`);
    this.keys.delete(key.id);
  }
  async planLimits() {
    return { default: { rateLimit: 20, burstLimit: 40 }, shared: { rateLimit: 100, burstLimit: 200 } };
  }
  async flushAuthorizerCache() {
    this.calls.push('flushAuthorizerCache');
  }
}

const now = () => new Date('2025-01-02T03:04:05.000Z');
const TARGET = 'local mode in /tmp/x';

describe('tenant commands', () => {
  it('create stores only the hash of the key it returns, and the throttling key it made in the default plan', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    const out = await createTenant(repo, plans, { name: '  acme  ' }, { now });
    expect(out.name).toBe('acme');
    expect(out.tenant_id).toMatch(/^tnt_[0-9a-f]{24}$/);
    expect(Object.keys(out).sort()).toEqual(['authorization', 'identity', 'name', 'tenant_id']);
    const stored = repo.items.get(out.identity)!;
    expect(stored).toEqual({
      tenantId: out.tenant_id,
      name: 'acme',
      identity: out.identity,
      keyHash: hashKey(out.authorization),
      status: 'active',
      createdTime: now().toISOString(),
      throttleKey: { id: 'key1', value: `value-of-${out.tenant_id}-${'x'.repeat(20)}` },
    });
    expect(plans.calls).toEqual([`createKey ${out.tenant_id} "default"`]);
    expect(JSON.stringify(stored)).not.toContain(out.authorization);
    expect(stored.throttleKey!.value).not.toBe(out.authorization);
  });

  it('create deletes the key again when the tenant cannot be written; without plans it makes a tenant with none', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    const creds = { identity: 'idt_same', authorization: 'key_same' };
    await createTenant(repo, plans, { name: 'first' }, { credentials: () => creds });
    await expect(createTenant(repo, plans, { name: 'second' }, { credentials: () => creds })).rejects.toThrow('exists');
    expect(plans.calls.slice(1)).toEqual([expect.stringMatching(/^createKey /), 'deleteKey key2']);
    expect([...plans.keys.keys()]).toEqual(['key1']);

    const old = await createTenant(repo, undefined, { name: 'before the deploy' });
    expect(repo.items.get(old.identity)!.throttleKey).toBeUndefined();
  });

  it('rejects bad names before writing', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    for (const name of [undefined, '', '   ', 'x'.repeat(201), 'a\nb']) {
      await expect(createTenant(repo, plans, { name })).rejects.toBeInstanceOf(UsageError);
    }
    expect(repo.items.size).toBe(0);
    expect(plans.calls).toEqual([]);
    await createTenant(repo, plans, { name: 'x'.repeat(200) });
    expect(repo.items.size).toBe(1);
  });

  it('list shows no hashes nor keys, and how each tenant is throttled; revoke deletes the key and reports not found and already revoked', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    const a = await createTenant(repo, plans, { name: 'a' }, { now });
    const [view] = await listTenants(repo, plans);
    expect(view).toEqual({
      tenant_id: a.tenant_id,
      name: 'a',
      identity: a.identity,
      status: 'active',
      created_time: now().toISOString(),
      revoked_time: null,
      throttle: { plan: 'default', rate_limit: 20, burst_limit: 40 },
    });
    expect(JSON.stringify(view)).not.toContain('value-of');
    // Without plans to read, the numbers are unknown.
    expect((await listTenants(repo, undefined))[0]!.throttle).toEqual({ plan: 'default', rate_limit: null, burst_limit: null });

    const revoked = await revokeTenant(repo, plans, { identity: a.identity }, { now });
    expect(revoked).toMatchObject({ identity: a.identity, status: 'revoked', revoked_time: now().toISOString(), revoked: true });
    expect(revoked).not.toHaveProperty('keyHash');
    expect(plans.calls.at(-1)).toBe('deleteKey key1');
    expect(repo.items.get(a.identity)!.throttleKey).toBeUndefined();
    await expect(revokeTenant(repo, plans, { identity: a.identity })).rejects.toMatchObject({ code: 'already_revoked' });
    await expect(revokeTenant(repo, plans, { identity: 'idt_nope' })).rejects.toBeInstanceOf(CommandError);
    await expect(revokeTenant(repo, plans, { identity: undefined })).rejects.toBeInstanceOf(UsageError);
  });

  it('throttle moves the key to the plan for its own limits and back, and list shows it', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    const a = await createTenant(repo, plans, { name: 'a' });
    const own = await throttleTenant(repo, plans, { identity: a.identity, limits: { rateLimit: 50, burstLimit: 100 }, target: TARGET });
    expect(own.throttle).toEqual({ plan: 'own', rate_limit: 50, burst_limit: 100 });
    expect(plans.keys.get('key1')).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(repo.items.get(a.identity)!.throttle).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect((await listTenants(repo, plans))[0]!.throttle).toEqual({ plan: 'own', rate_limit: 50, burst_limit: 100 });

    const reset = await throttleTenant(repo, plans, { identity: a.identity, limits: undefined, target: TARGET });
    expect(reset.throttle).toEqual({ plan: 'default', rate_limit: 20, burst_limit: 40 });
    expect(plans.keys.get('key1')).toBeUndefined();
    expect(plans.calls).toEqual([
      `createKey ${a.tenant_id} "default"`,
      'assign key1 {"rateLimit":50,"burstLimit":100}',
      'assign key1 "default"',
    ]);
    expect(repo.items.get(a.identity)!.throttle).toBeUndefined();

    await expect(throttleTenant(repo, plans, { identity: 'idt_nope', limits: undefined, target: TARGET })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(throttleTenant(repo, undefined, { identity: a.identity, limits: undefined, target: TARGET })).rejects.toMatchObject({
      code: 'not_deployed',
      message: expect.stringContaining(`${TARGET} has no usage plans`),
    });
  });

  it('throttle and backfill give tenants from before per-tenant throttling a key of their own, once', async () => {
    const repo = new MemoryTenants();
    const plans = new MemoryPlans();
    const older = await createTenant(repo, undefined, { name: 'older' });
    const oldest = await createTenant(repo, undefined, { name: 'oldest' });
    const gone = await createTenant(repo, undefined, { name: 'gone' });
    await revokeTenant(repo, plans, { identity: gone.identity });
    const keyed = await createTenant(repo, plans, { name: 'keyed' });
    expect((await listTenants(repo, plans)).find((t) => t.identity === older.identity)!.throttle).toEqual({
      plan: 'shared',
      rate_limit: 100,
      burst_limit: 200,
    });

    const own = await throttleTenant(repo, plans, { identity: older.identity, limits: { rateLimit: 5, burstLimit: 10 }, target: TARGET });
    expect(own.throttle.plan).toBe('own');
    expect(repo.items.get(older.identity)!.throttleKey).toBeDefined();

    const result = await backfillKeys(repo, plans, TARGET);
    expect(result).toEqual({ keyed: [{ tenant_id: oldest.tenant_id, identity: oldest.identity }], already_keyed: 2, revoked: 1 });
    expect(repo.items.get(oldest.identity)!.throttleKey).toBeDefined();
    expect(repo.items.get(keyed.identity)!.throttleKey!.id).toBe('key1');
    // Then cached authorizer answers, which named the shared key (or none), give way.
    expect(plans.calls.at(-1)).toBe('flushAuthorizerCache');
    expect(await backfillKeys(repo, plans, TARGET)).toEqual({ keyed: [], already_keyed: 3, revoked: 1 });
  });

  it('limits are both given, whole and within the account quota', () => {
    expect(validateLimits('50', '100')).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(() => validateLimits(undefined, '1')).toThrow(/--rate is required \(or --reset\)/);
    expect(() => validateLimits('1', undefined)).toThrow(/--burst is required/);
    expect(() => validateLimits('0', '1')).toThrow(/--rate must be a whole number from 1 to 10000, got '0'/);
    expect(() => validateLimits('2.5', '1')).toThrow(UsageError);
    expect(() => validateLimits('1', '5001')).toThrow(/--burst must be a whole number from 1 to 5000/);
    expect(() => validateLimits('ten', '1')).toThrow(UsageError);
  });
});
