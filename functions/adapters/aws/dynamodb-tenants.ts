import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Tenant, ThrottleKey } from '../../domain/model.js';
import type { ThrottleLimits } from '../../domain/throttle.js';
import type { TenantRepository } from '../../ports.js';
import { keys } from './dynamodb-keys.js';

interface TenantItem {
  pk: string;
  sk: string;
  type: 'tenant';
  tenant_id: string;
  name: string;
  identity: string;
  key_hash: string;
  status: Tenant['status'];
  created_time: string;
  revoked_time?: string;
  /** API Gateway's key (Tenant.throttleKey): read by the authorizer with the rest of the item. */
  throttle_key?: string;
  throttle_key_id?: string;
  throttle_rate?: number;
  throttle_burst?: number;
}

function toItem(t: Tenant): TenantItem {
  const item: TenantItem = {
    ...keys.identity(t.identity),
    type: 'tenant',
    tenant_id: t.tenantId,
    name: t.name,
    identity: t.identity,
    key_hash: t.keyHash,
    status: t.status,
    created_time: t.createdTime,
  };
  if (t.revokedTime) item.revoked_time = t.revokedTime;
  if (t.throttleKey) Object.assign(item, keyAttributes(t.throttleKey));
  if (t.throttle) Object.assign(item, limitAttributes(t.throttle));
  return item;
}

const keyAttributes = (k: ThrottleKey) => ({ throttle_key: k.value, throttle_key_id: k.id });
const limitAttributes = (l: ThrottleLimits) => ({ throttle_rate: l.rateLimit, throttle_burst: l.burstLimit });

function fromItem(item: Record<string, unknown>): Tenant {
  const i = item as unknown as TenantItem;
  const t: Tenant = {
    tenantId: i.tenant_id,
    name: i.name,
    identity: i.identity,
    keyHash: i.key_hash,
    status: i.status,
    createdTime: i.created_time,
  };
  if (i.revoked_time) t.revokedTime = i.revoked_time;
  if (i.throttle_key && i.throttle_key_id) t.throttleKey = { id: i.throttle_key_id, value: i.throttle_key };
  if (i.throttle_rate !== undefined && i.throttle_burst !== undefined)
    t.throttle = { rateLimit: Number(i.throttle_rate), burstLimit: Number(i.throttle_burst) };
  return t;
}

/**
 * Tenants are keyed by their public Identity value, which is what the authorizer looks up.
 * Single-item writes only: dynalite, which local mode and the tests run on, has no transactions.
 */
export class DynamoTenantRepository implements TenantRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(tenant: Tenant): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: toItem(tenant), ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async findByIdentity(identity: string): Promise<Tenant | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.identity(identity) }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async list(): Promise<Tenant[]> {
    const out: Tenant[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': 'type' },
          ExpressionAttributeValues: { ':t': 'tenant' },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []).map(fromItem));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
  }

  async revoke(identity: string, at: string): Promise<boolean> {
    const tenant = await this.findByIdentity(identity);
    if (!tenant || tenant.status === 'revoked') return false;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.identity(identity),
        UpdateExpression: 'SET #s = :r, revoked_time = :at',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':r': 'revoked', ':at': at },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    return true;
  }

  async setThrottleKey(identity: string, key: ThrottleKey | undefined): Promise<void> {
    await this.setOrRemove(identity, key ? keyAttributes(key) : { throttle_key: undefined, throttle_key_id: undefined });
  }

  async setThrottle(identity: string, limits: ThrottleLimits | undefined): Promise<void> {
    await this.setOrRemove(identity, limits ? limitAttributes(limits) : { throttle_rate: undefined, throttle_burst: undefined });
  }

  /** One UpdateItem: SET the attributes with a value, REMOVE those without; never creates an item. */
  private async setOrRemove(identity: string, attributes: Record<string, string | number | undefined>): Promise<void> {
    const entries = Object.entries(attributes);
    const set = entries.filter(([, v]) => v !== undefined);
    const remove = entries.filter(([, v]) => v === undefined);
    const clauses = [
      set.length ? `SET ${set.map(([k]) => `#${k} = :${k}`).join(', ')}` : '',
      remove.length ? `REMOVE ${remove.map(([k]) => `#${k}`).join(', ')}` : '',
    ];
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.identity(identity),
        UpdateExpression: clauses.filter(Boolean).join(' '),
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
        ...(set.length ? { ExpressionAttributeValues: Object.fromEntries(set.map(([k, v]) => [`:${k}`, v])) } : {}),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }
}
