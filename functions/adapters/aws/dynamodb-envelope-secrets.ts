import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_BATCH_GET_MAX_KEYS } from '../../domain/aws-limits.js';
import { type Keyring, needsReseal, open, parseKeyring, type Sealed, seal } from '../../domain/envelope.js';
import type { SecretStore } from '../../ports.js';
import { keys } from './dynamodb-keys.js';
import { DELETION_RECOVERY_DAYS } from './secrets-manager-store.js';

/** Rounds that read nothing (everything left unprocessed) before the read fails. */
const IDLE_TRIES = 5;
/** The KEK ring is read again after this long, so a rotation reaches every container. */
export const DEFAULT_KEYRING_TTL_MS = 5 * 60_000;

interface SecretItem {
  pk: string;
  sk: string;
  type: 'secret';
  kid: string;
  box: string;
  deleted_time?: string;
  ttl?: number;
}

/**
 * Envelope storage of signing secrets: each subscription's secret set sealed (AES-256-GCM) in an
 * item beside the subscription, under one key-encryption key ring read from a single secret.
 * Names are the ones the per-subscription storage uses (`<prefix><tenant>/<subscription>`), so
 * the two storages are interchangeable behind SecretStore; `<tenant>/<subscription>` is the AAD,
 * which pins a sealed value to its owner. Values sealed under an older key are re-sealed under
 * the current one when next read or written.
 */
export class EnvelopeSecretStore implements SecretStore {
  private ring: { value: Keyring; at: number } | undefined;
  private readonly now: () => number;
  private readonly keyringTtlMs: number;

  constructor(
    private readonly deps: {
      doc: DynamoDBDocumentClient;
      tableName: string;
      /** The prefix every name starts with (SECRET_NAME_PREFIX). */
      namePrefix: string;
      /** Reads the KEK ring's text (its Secrets Manager secret). */
      readKeyring: () => Promise<string>;
      keyringTtlMs?: number;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.keyringTtlMs = deps.keyringTtlMs ?? DEFAULT_KEYRING_TTL_MS;
  }

  /** Tags have no place here: the item sits in its tenant's partition, named by its subscription. */
  async create(name: string, value: string, _tags?: Record<string, string>): Promise<void> {
    const owner = this.owner(name);
    const ring = await this.keyring();
    try {
      await this.deps.doc.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: this.item(owner, seal(ring, value, owner.aad)),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new Error(`secret ${name} already exists`);
      throw err;
    }
  }

  async get(name: string): Promise<string> {
    const owner = this.owner(name);
    const out = await this.deps.doc.send(new GetCommand({ TableName: this.deps.tableName, Key: owner.key, ConsistentRead: true }));
    return this.openItem(name, owner, out.Item as SecretItem | undefined);
  }

  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map([...new Set(names)].map((n) => [n, this.owner(n)]));
    const byKey = new Map<string, SecretItem>();
    const all = [...owners.values()];
    // BatchGetItem in hundreds; what DynamoDB leaves unprocessed is asked for again, with a
    // growing pause after rounds that read nothing.
    for (let i = 0; i < all.length; i += DYNAMODB_BATCH_GET_MAX_KEYS) {
      let pending: Record<string, unknown>[] | undefined = all.slice(i, i + DYNAMODB_BATCH_GET_MAX_KEYS).map((o) => o.key);
      for (let idle = 0; pending && pending.length > 0; ) {
        const res: BatchGetCommandOutput = await this.deps.doc.send(
          new BatchGetCommand({ RequestItems: { [this.deps.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        const got = (res.Responses?.[this.deps.tableName] ?? []) as SecretItem[];
        for (const item of got) byKey.set(`${item.pk}|${item.sk}`, item);
        pending = res.UnprocessedKeys?.[this.deps.tableName]?.Keys;
        if (!pending?.length || got.length > 0) continue;
        if (++idle >= IDLE_TRIES) throw new Error(`DynamoDB left ${pending.length} signing secret(s) unread after ${IDLE_TRIES} tries`);
        await new Promise((r) => setTimeout(r, 50 * 2 ** idle));
      }
    }
    const out = new Map<string, string>();
    for (const [name, owner] of owners) out.set(name, await this.openItem(name, owner, byKey.get(`${owner.key.pk}|${owner.key.sk}`)));
    return out;
  }

  async put(name: string, value: string): Promise<void> {
    const owner = this.owner(name);
    const sealed = seal(await this.keyring(), value, owner.aad);
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: owner.key,
          UpdateExpression: 'SET kid = :kid, box = :box',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleted_time)',
          ExpressionAttributeValues: { ':kid': sealed.kid, ':box': sealed.box },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new Error(`secret ${name} not found`);
      throw err;
    }
  }

  /** Like Secrets Manager: unreadable at once, gone (by the table's TTL) after the recovery window. */
  async scheduleDeletion(name: string): Promise<void> {
    const owner = this.owner(name);
    const at = this.now();
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: owner.key,
          UpdateExpression: 'SET deleted_time = if_not_exists(deleted_time, :at), #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':at': new Date(at).toISOString(),
            ':ttl': Math.floor(at / 1000) + DELETION_RECOVERY_DAYS * 86_400,
          },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new Error(`secret ${name} not found`);
      throw err;
    }
  }

  private owner(name: string) {
    const rest = name.startsWith(this.deps.namePrefix) ? name.slice(this.deps.namePrefix.length) : undefined;
    const [tenantId, subscriptionId, extra] = rest?.split('/') ?? [];
    if (!tenantId || !subscriptionId || extra !== undefined) throw new Error(`secret name ${name} is not <prefix><tenant>/<subscription>`);
    return { aad: `${tenantId}/${subscriptionId}`, key: keys.subscriptionSecret(tenantId, subscriptionId) };
  }

  private item(owner: ReturnType<EnvelopeSecretStore['owner']>, sealed: Sealed): SecretItem {
    return { ...owner.key, type: 'secret', kid: sealed.kid, box: sealed.box };
  }

  private async openItem(name: string, owner: ReturnType<EnvelopeSecretStore['owner']>, item: SecretItem | undefined): Promise<string> {
    if (!item || item.deleted_time) throw new Error(`secret ${name} not found`);
    const sealed = { kid: item.kid, box: item.box };
    let ring = await this.keyring();
    // A key newer than this container's cached ring: the ring was rotated since it was read.
    if (!ring.keys.has(sealed.kid)) ring = await this.keyring(true);
    const value = open(ring, sealed, owner.aad);
    if (needsReseal(ring, sealed)) await this.reseal(owner, sealed, seal(ring, value, owner.aad));
    return value;
  }

  /** Lazy re-encryption after a KEK rotation; conditional, so a concurrent rotate of the secret wins. */
  private async reseal(owner: ReturnType<EnvelopeSecretStore['owner']>, old: Sealed, fresh: Sealed): Promise<void> {
    await this.deps.doc
      .send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: owner.key,
          UpdateExpression: 'SET kid = :kid, box = :box',
          ConditionExpression: 'box = :old',
          ExpressionAttributeValues: { ':kid': fresh.kid, ':box': fresh.box, ':old': old.box },
        }),
      )
      // A failed condition means someone wrote it meanwhile (under the current key); any other
      // failure leaves the old, still readable value to be re-sealed on a later read.
      .catch(() => undefined);
  }

  private async keyring(refresh = false): Promise<Keyring> {
    const t = this.now();
    if (!refresh && this.ring && t - this.ring.at < this.keyringTtlMs) return this.ring.value;
    const value = parseKeyring(await this.deps.readKeyring());
    this.ring = { value, at: t };
    return value;
  }
}
