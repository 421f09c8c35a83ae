import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PortalGrant, PortalSessionStore } from '../../ports.js';
import { keys } from './dynamodb-keys.js';

/**
 * Portal links and sessions, one item each under the hash of their token. DynamoDB's TTL removes
 * them some time after they expire (not at once), so readers still compare `expires_time`.
 */
export class DynamoPortalSessionStore implements PortalSessionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(key: { pk: string; sk: string }, g: PortalGrant, type: string) {
    return {
      ...key,
      type,
      tenant_id: g.tenantId,
      expires_time: g.expiresTime,
      ...(g.throttleKey ? { throttle_key: g.throttleKey } : {}),
      ttl: Math.ceil(Date.parse(g.expiresTime) / 1000),
    };
  }

  async putLink(link: PortalGrant): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: this.item(keys.portalLink(link.tokenHash), link, 'portal_link') }),
    );
  }

  async takeLink(tokenHash: string): Promise<PortalGrant | undefined> {
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.portalLink(tokenHash),
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? fromItem(tokenHash, out.Attributes) : undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  async putSession(session: PortalGrant): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: this.item(keys.portalSession(session.tokenHash), session, 'portal_session') }),
    );
  }

  async getSession(tokenHash: string): Promise<PortalGrant | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.portalSession(tokenHash) }));
    return out.Item ? fromItem(tokenHash, out.Item) : undefined;
  }
}

function fromItem(tokenHash: string, item: Record<string, unknown>): PortalGrant {
  const grant: PortalGrant = { tokenHash, tenantId: item.tenant_id as string, expiresTime: item.expires_time as string };
  if (typeof item.throttle_key === 'string') grant.throttleKey = item.throttle_key;
  return grant;
}
