import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoSubscriptionRepository } from '../../functions/adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { createAuthorizer } from '../../functions/app/authorizer.js';
import { hashKey, newCredentials } from '../../functions/domain/credentials.js';
import type { Subscription } from '../../functions/domain/model.js';
import { startVerification, VerificationMoved } from '../../functions/domain/verification.js';
import { type DynamoEmulator, startDynamo } from '../../local/dynamodb-emulator.js';

/** The DynamoDB adapters against dynalite, with the table definition the stack uses. */
describe('DynamoDB repositories on dynalite', () => {
  let db: DynamoEmulator;
  let subs: DynamoSubscriptionRepository;
  let tenants: DynamoTenantRepository;

  beforeAll(async () => {
    db = await startDynamo(undefined, 'webhooks-test');
    subs = new DynamoSubscriptionRepository(db.doc, 'webhooks-test');
    tenants = new DynamoTenantRepository(db.doc, 'webhooks-test');
  });
  afterAll(async () => db?.stop());

  const sub = (tenantId: string, n: number, extra: Partial<Subscription> = {}): Subscription => ({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    tenantId,
    url: `https://example.com/${n}`,
    description: `sub ${n}`,
    events: ['card.created'],
    version: '0.1',
    status: 'enabled',
    secretName: `webhooks/test/${tenantId}/${n}`,
    createdTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    updatedTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    ...extra,
  });

  it('creates, reads back and refuses a duplicate id', async () => {
    const s = sub('t1', 1);
    await subs.create(s);
    expect(await subs.get('t1', s.id)).toEqual(s);
    await expect(subs.create(s)).rejects.toThrow(/conditional/i);
  });

  it("keeps tenants apart: another tenant's id reads as missing", async () => {
    const s = sub('t2', 2);
    await subs.create(s);
    expect(await subs.get('t1', s.id)).toBeUndefined();
    expect((await subs.list('t1', { limit: 50 })).items.map((i) => i.id)).not.toContain(s.id);
    expect((await subs.listAll('t1')).map((i) => i.id)).not.toContain(s.id);
  });

  it('updates only live subscriptions, and a deleted one disappears from reads and lists', async () => {
    const s = sub('t3', 3);
    await subs.create(s);
    await subs.update({ ...s, events: ['transactions'], updatedTime: '2026-02-01T00:00:00.000Z' });
    expect((await subs.get('t3', s.id))?.events).toEqual(['transactions']);
    await subs.update({ ...s, status: 'disabled', deletedTime: '2026-02-02T00:00:00.000Z' });
    expect(await subs.get('t3', s.id)).toBeUndefined();
    expect((await subs.list('t3', { limit: 10 })).items).toEqual([]);
    expect(await subs.listAll('t3')).toEqual([]);
    await expect(subs.update({ ...s, description: 'again' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(subs.update(sub('t3', 99))).rejects.toMatchObject({ statusCode: 404 });
  });

  it("stores a verification as a map, settles it only under its request id, and a change never undoes the sender's settle", async () => {
    const store = new DynamoDeliveryStore(db.doc, 'webhooks-test');
    const pending = startVerification('challenge', 'https://example.com/9', '2026-02-01T00:00:00.000Z', 'evt_verify_9');
    const s = sub('t9', 9, { verification: pending });
    await subs.create(s);
    expect((await subs.get('t9', s.id))?.verification).toEqual(pending);
    // Another request's answer settles nothing; this one's does.
    expect(await store.settleVerification('t9', s.id, 'evt_verify_8', { ...pending, status: 'verified' })).toBe(false);
    const verified = { ...pending, status: 'verified' as const, verifiedTime: '2026-02-01T00:00:01.000Z' };
    expect(await store.settleVerification('t9', s.id, 'evt_verify_9', verified)).toBe(true);
    // A change made from the pending copy it read is refused, changing nothing...
    await expect(subs.update({ ...s, description: 'stale' }, { seenVerification: pending })).rejects.toBeInstanceOf(VerificationMoved);
    expect(await subs.get('t9', s.id)).toMatchObject({ description: s.description, verification: verified });
    // ...and one made from what is stored goes through; null stands for no verification at all.
    await subs.update({ ...s, verification: verified, description: 'fresh' }, { seenVerification: verified });
    expect(await subs.get('t9', s.id)).toMatchObject({ description: 'fresh', verification: verified });
    await expect(subs.update({ ...s, description: 'x' }, { seenVerification: null })).rejects.toBeInstanceOf(VerificationMoved);
    const plain = sub('t9', 10);
    await subs.create(plain);
    await subs.update({ ...plain, description: 'y' }, { seenVerification: null });
    expect((await subs.get('t9', plain.id))?.description).toBe('y');
  });

  it("lists newest first in pages whose cursors only work inside the caller's partition", async () => {
    for (let n = 10; n < 15; n++) await subs.create(sub('t4', n));
    const first = await subs.list('t4', { limit: 2 });
    expect(first.items.map((i) => i.url)).toEqual(['https://example.com/14', 'https://example.com/13']);
    const second = await subs.list('t4', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.url)).toEqual(['https://example.com/12', 'https://example.com/11']);
    const third = await subs.list('t4', { limit: 2, cursor: second.nextCursor! });
    expect(third.items.map((i) => i.url)).toEqual(['https://example.com/10']);
    expect(third.nextCursor).toBeUndefined();
    // t4's cursor used by t1 walks t1's own partition, never t4's.
    const crossed = await subs.list('t1', { limit: 2, cursor: first.nextCursor! });
    expect(crossed.items.every((i) => i.tenantId === 't1')).toBe(true);
    await expect(subs.list('t4', { limit: 2, cursor: 'garbage' })).rejects.toMatchObject({ statusCode: 400, code: 'invalid_cursor' });
  });

  it('listAll returns every live subscription of a tenant, enabled or not', async () => {
    await subs.create(sub('t5', 20));
    await subs.create(sub('t5', 21, { status: 'disabled' }));
    expect((await subs.listAll('t5')).map((s) => s.status).sort()).toEqual(['disabled', 'enabled']);
  });

  it('stores tenants by identity with only the key hash, lists and revokes them', async () => {
    const creds = newCredentials();
    await tenants.create({
      tenantId: 'tnt_a',
      name: 'A',
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active',
      createdTime: '2026-01-01T00:00:00.000Z',
    });
    const found = await tenants.findByIdentity(creds.identity);
    expect(found).toMatchObject({ tenantId: 'tnt_a', name: 'A', status: 'active' });
    expect(JSON.stringify(found)).not.toContain(creds.authorization);
    await expect(tenants.create({ ...found!, tenantId: 'tnt_b' })).rejects.toThrow(/conditional/i);
    expect((await tenants.list()).map((t) => t.tenantId)).toContain('tnt_a');
    expect(await tenants.revoke(creds.identity, '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await tenants.revoke(creds.identity, '2026-01-03T00:00:00.000Z')).toBe(false);
    expect(await tenants.revoke('idt_missing', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect(await tenants.findByIdentity(creds.identity)).toMatchObject({ status: 'revoked', revokedTime: '2026-01-02T00:00:00.000Z' });
  });

  it("records a tenant's throttling key and its own limits, and removes them again", async () => {
    const creds = newCredentials();
    const tenant = {
      tenantId: 'tnt_throttled',
      name: 'T',
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active' as const,
      createdTime: '2026-01-01T00:00:00.000Z',
    };
    await tenants.create(tenant);
    expect(await tenants.findByIdentity(creds.identity)).toEqual(tenant);
    await tenants.setThrottleKey(creds.identity, { id: 'abc123', value: 'v'.repeat(40) });
    await tenants.setThrottle(creds.identity, { rateLimit: 50, burstLimit: 100 });
    expect(await tenants.findByIdentity(creds.identity)).toEqual({
      ...tenant,
      throttleKey: { id: 'abc123', value: 'v'.repeat(40) },
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    expect((await tenants.list()).find((t) => t.tenantId === 'tnt_throttled')?.throttle).toEqual({ rateLimit: 50, burstLimit: 100 });
    await tenants.setThrottle(creds.identity, undefined);
    await tenants.setThrottleKey(creds.identity, undefined);
    expect(await tenants.findByIdentity(creds.identity)).toEqual(tenant);
    // Created with both, as the tenant CLI does.
    const other = newCredentials();
    const full = { ...tenant, tenantId: 'tnt_full', identity: other.identity, throttleKey: { id: 'x1', value: 'w'.repeat(40) } };
    await tenants.create(full);
    expect(await tenants.findByIdentity(other.identity)).toEqual(full);
    // Never creates a tenant.
    await expect(tenants.setThrottle('idt_missing', { rateLimit: 1, burstLimit: 1 })).rejects.toThrow(/conditional/i);
    await expect(tenants.setThrottleKey('idt_missing', undefined)).rejects.toThrow(/conditional/i);
  });

  it('authorizer: valid credentials allow with the tenant in the context; missing, wrong and revoked are 401', async () => {
    const creds = newCredentials();
    await tenants.create({
      tenantId: 'tnt_auth',
      name: 'auth',
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active',
      createdTime: '2026-01-01T00:00:00.000Z',
    });
    const authorize = createAuthorizer(tenants);
    const event = (headers: Record<string, string>) =>
      ({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/v0.1/webhooks', headers }) as never;
    const ok = await authorize(event({ Identity: creds.identity, Authorization: creds.authorization }));
    expect(ok).toEqual({
      principalId: 'tnt_auth',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*' },
        ],
      },
      context: { tenantId: 'tnt_auth' },
    });
    // Header names are case-insensitive.
    expect((await authorize(event({ identity: creds.identity, authorization: creds.authorization }))).context).toEqual({
      tenantId: 'tnt_auth',
    });
    await expect(authorize(event({}))).rejects.toThrow('Unauthorized');
    await expect(authorize(event({ Identity: creds.identity }))).rejects.toThrow('Unauthorized');
    await expect(authorize(event({ Identity: creds.identity, Authorization: `${creds.authorization}x` }))).rejects.toThrow('Unauthorized');
    await expect(authorize(event({ Identity: 'idt_unknown', Authorization: creds.authorization }))).rejects.toThrow('Unauthorized');
    await tenants.revoke(creds.identity, new Date().toISOString());
    await expect(authorize(event({ Identity: creds.identity, Authorization: creds.authorization }))).rejects.toThrow('Unauthorized');
  });
});
