import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Tenant } from '../../domain/model.js';
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
  return item;
}

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
}
