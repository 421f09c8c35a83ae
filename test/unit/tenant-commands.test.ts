import { describe, expect, it } from 'vitest';
import { hashKey } from '../../functions/domain/credentials.js';
import type { Tenant } from '../../functions/domain/model.js';
import type { TenantRepository } from '../../functions/ports.js';
import { CommandError, createTenant, listTenants, revokeTenant, UsageError } from '../../scripts/lib/tenant-commands.js';

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

const now = () => new Date('2025-01-02T03:04:05.000Z');

describe('tenant commands', () => {
  it('create stores only the hash of the key it returns', async () => {
    const repo = new MemoryTenants();
    const out = await createTenant(repo, { name: '  acme  ' }, { now });
    expect(out.name).toBe('acme');
    expect(out.tenant_id).toMatch(/^tnt_[0-9a-f]{24}$/);
    const stored = repo.items.get(out.identity)!;
    expect(stored).toEqual({
      tenantId: out.tenant_id,
      name: 'acme',
      identity: out.identity,
      keyHash: hashKey(out.authorization),
      status: 'active',
      createdTime: now().toISOString(),
    });
    expect(JSON.stringify(stored)).not.toContain(out.authorization);
  });

  it('rejects bad names before writing', async () => {
    const repo = new MemoryTenants();
    for (const name of [undefined, '', '   ', 'x'.repeat(201), 'a\nb']) {
      await expect(createTenant(repo, { name })).rejects.toBeInstanceOf(UsageError);
    }
    expect(repo.items.size).toBe(0);
    await createTenant(repo, { name: 'x'.repeat(200) });
    expect(repo.items.size).toBe(1);
  });

  it('list shows no hashes; revoke reports not found and already revoked', async () => {
    const repo = new MemoryTenants();
    const a = await createTenant(repo, { name: 'a' }, { now });
    const [view] = await listTenants(repo);
    expect(view).toEqual({
      tenant_id: a.tenant_id,
      name: 'a',
      identity: a.identity,
      status: 'active',
      created_time: now().toISOString(),
      revoked_time: null,
    });

    const revoked = await revokeTenant(repo, { identity: a.identity }, { now });
    expect(revoked).toMatchObject({ identity: a.identity, status: 'revoked', revoked_time: now().toISOString(), revoked: true });
    expect(revoked).not.toHaveProperty('keyHash');
    await expect(revokeTenant(repo, { identity: a.identity })).rejects.toMatchObject({ code: 'already_revoked' });
    await expect(revokeTenant(repo, { identity: 'idt_nope' })).rejects.toBeInstanceOf(CommandError);
    await expect(revokeTenant(repo, { identity: undefined })).rejects.toBeInstanceOf(UsageError);
  });
});
