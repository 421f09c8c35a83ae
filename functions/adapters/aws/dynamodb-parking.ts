import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_DUE_BUCKET_SECONDS, dueBucket, dueShard, type Lot, type LotEntry, nextProbeSeconds } from '../../domain/parking.js';
import type { DueCursor, DueEntry, ParkingIndex } from '../../ports.js';
import { DELIVERY_SK, duePartition, GSI2, keys, LOT_ENTRY_PREFIX, LOT_SK, lotPartition } from './dynamodb-keys.js';

type Item = Record<string, unknown>;

/** Entries a due-index read asks for: keys only, about 200 bytes each. */
const DUE_PAGE = 1000;

/**
 * Parking on DynamoDB: lot heads (`TENANT#t#SUB#s#LOT` / `LOT`) and their held entries in the
 * same partition, the due-time index (gsi2, keys only) over parked delivery records and lot
 * heads, and the resumer's cursor. Delivery records get their park attributes from the delivery
 * store, which writes them; this reads the index and keeps the lots.
 */
export class DynamoParkingStore implements ParkingIndex {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly bucketSeconds = DEFAULT_DUE_BUCKET_SECONDS,
  ) {}

  async getLot(tenantId: string, subscriptionId: string): Promise<Lot | undefined> {
    return this.lot(tenantId, subscriptionId, false);
  }

  async readLot(tenantId: string, subscriptionId: string): Promise<Lot | undefined> {
    return this.lot(tenantId, subscriptionId, true);
  }

  private async lot(tenantId: string, subscriptionId: string, consistent: boolean): Promise<Lot | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.lot(tenantId, subscriptionId), ConsistentRead: consistent }),
    );
    return res.Item ? fromLotItem(res.Item) : undefined;
  }

  async openLot(lot: Lot): Promise<Lot> {
    // A lot opened loudly forgets an earlier quiet opening, and the other way round.
    const quiet = lot.quiet
      ? { set: ', quiet = :quiet', remove: '', values: { ':quiet': true } }
      : { set: '', remove: ', quiet', values: {} };
    // A lot that opens again (closed, or draining) drains from its start next time: what it holds
    // now may sort before how far the last drain got (entries sort by deadline), and what that
    // drain sent is no longer held, so reading it again resumes nothing twice.
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.lot(lot.tenantId, lot.subscriptionId),
          UpdateExpression: `SET #type = :type, tenant_id = :t, subscription_id = :s, #state = :open, #url = :url, opened_time = :opened, wake_time = :wake, probe_seconds = :probe, probe_max_seconds = :probeMax, gsi2pk = :gpk, gsi2sk = :gsk${quiet.set} REMOVE closed_time, drained_to, drained_time${quiet.remove}`,
          ConditionExpression: 'attribute_not_exists(pk) OR #state <> :open',
          ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#url': 'url' },
          ExpressionAttributeValues: {
            ':type': 'lot',
            ':t': lot.tenantId,
            ':s': lot.subscriptionId,
            ':open': 'open',
            ':url': lot.url,
            ':opened': lot.openedTime,
            ':wake': lot.wakeTime,
            ':probe': lot.probeSeconds,
            ':probeMax': lot.probeMaxSeconds,
            ...this.wakeKeys(lot, ':gpk', ':gsk'),
            ...quiet.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromLotItem(res.Attributes!);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Open already (another instance opened it): that one stands.
      return (await this.readLot(lot.tenantId, lot.subscriptionId)) ?? lot;
    }
  }

  async probeFailed(tenantId: string, subscriptionId: string, at: Date): Promise<void> {
    const lot = await this.readLot(tenantId, subscriptionId);
    if (lot?.state !== 'open') return;
    const probeSeconds = nextProbeSeconds(lot.probeSeconds, lot.probeMaxSeconds);
    const next: Lot = { ...lot, probeSeconds, wakeTime: new Date(at.getTime() + probeSeconds * 1000).toISOString() };
    // Lost to a concurrent change (the resumer's, another probe's): that change stands.
    await this.saveLot(next, lot);
  }

  async recovered(tenantId: string, subscriptionId: string, at: Date): Promise<Lot | undefined> {
    // The resumer drains it from its next run: the next bucket, one it has not swept yet.
    const wake = (dueBucket(at.getTime(), this.bucketSeconds) + this.bucketSeconds) * 1000;
    const lot = { tenantId, subscriptionId, wakeTime: new Date(wake).toISOString() };
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.lot(tenantId, subscriptionId),
          UpdateExpression: 'SET #state = :draining, wake_time = :wake, gsi2pk = :gpk, gsi2sk = :gsk',
          ConditionExpression: '#state = :open',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':draining': 'draining',
            ':open': 'open',
            ':wake': lot.wakeTime,
            ...this.wakeKeys(lot, ':gpk', ':gsk'),
          },
          // The lot as it was open: what the endpoint.recovered event reports (since when it failed).
          ReturnValues: 'ALL_OLD',
        }),
      );
      return res.Attributes ? fromLotItem(res.Attributes) : undefined;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return undefined;
    }
  }

  async saveLot(lot: Lot, expected: Pick<Lot, 'state' | 'wakeTime'>): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.lotItem(lot),
          ConditionExpression: '#state = :state AND wake_time = :wake',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': expected.state, ':wake': expected.wakeTime },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async deleteLot(lot: Pick<Lot, 'tenantId' | 'subscriptionId'>, expected: Pick<Lot, 'state' | 'wakeTime'>): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.lot(lot.tenantId, lot.subscriptionId),
          ConditionExpression: '#state = :state AND wake_time = :wake',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': expected.state, ':wake': expected.wakeTime },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async lotEntries(tenantId: string, subscriptionId: string, after: string | undefined, limit: number): Promise<LotEntry[]> {
    const out: LotEntry[] = [];
    let start: Item | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...this.entriesAfter(tenantId, subscriptionId, after),
          ConsistentRead: true,
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const i of res.Items ?? []) {
        out.push({
          tenantId,
          subscriptionId,
          deliveryId: i.delivery_id as string,
          position: (i.sk as string).slice(LOT_ENTRY_PREFIX.length),
          token: i.token as string,
        });
      }
      start = res.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async countLotEntries(tenantId: string, subscriptionId: string, after: string | undefined, max: number): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...this.entriesAfter(tenantId, subscriptionId, after),
          Select: 'COUNT',
          Limit: max - count,
          ExclusiveStartKey: start,
        }),
      );
      count += res.Count ?? 0;
      start = res.LastEvaluatedKey;
    } while (start && count < max);
    return count;
  }

  async dueIn(bucket: number, shard: number, start?: string): Promise<{ entries: DueEntry[]; next?: string }> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI2,
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': duePartition(bucket, shard) },
        Limit: DUE_PAGE,
        ...(start ? { ExclusiveStartKey: JSON.parse(Buffer.from(start, 'base64url').toString('utf8')) as Item } : {}),
      }),
    );
    const entries: DueEntry[] = [];
    for (const i of res.Items ?? []) {
      const entry = dueEntryOf(i);
      if (entry) entries.push(entry);
    }
    const next = res.LastEvaluatedKey ? Buffer.from(JSON.stringify(res.LastEvaluatedKey)).toString('base64url') : undefined;
    return { entries, ...(next ? { next } : {}) };
  }

  async readCursor(): Promise<DueCursor | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.resumerCursor(), ConsistentRead: true }));
    if (!res.Item) return undefined;
    const cursor: DueCursor = { bucket: res.Item.bucket as number };
    if (res.Item.shards && typeof res.Item.shards === 'object') cursor.shards = res.Item.shards as Record<string, string>;
    return cursor;
  }

  async ensureCursor(bucket: number): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.resumerCursor(), type: 'resumer_cursor', bucket },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async writeCursor(cursor: DueCursor): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.resumerCursor(),
          type: 'resumer_cursor',
          bucket: cursor.bucket,
          ...(cursor.shards ? { shards: cursor.shards } : {}),
        },
      }),
    );
  }

  private entriesAfter(tenantId: string, subscriptionId: string, after: string | undefined) {
    return after
      ? {
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          // BETWEEN is inclusive: the entry at `after` itself is skipped by the character after its end.
          ExpressionAttributeValues: {
            ':p': lotPartition(tenantId, subscriptionId),
            ':from': `${LOT_ENTRY_PREFIX}${after}\u0000`,
            ':to': `${LOT_ENTRY_PREFIX}\uffff`,
          },
        }
      : {
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':p': lotPartition(tenantId, subscriptionId), ':e': LOT_ENTRY_PREFIX },
        };
  }

  private wakeKeys(lot: Pick<Lot, 'tenantId' | 'subscriptionId' | 'wakeTime'>, pkName: string, skName: string): Item {
    const wakeMs = Date.parse(lot.wakeTime);
    return {
      [pkName]: duePartition(
        dueBucket(wakeMs, this.bucketSeconds),
        dueShard(lotPartition(lot.tenantId, lot.subscriptionId), this.bucketSeconds),
      ),
      [skName]: `${wakeMs}#${LOT_SK}`,
    };
  }

  private lotItem(lot: Lot): Item {
    const wake = this.wakeKeys(lot, 'gsi2pk', 'gsi2sk');
    return {
      ...keys.lot(lot.tenantId, lot.subscriptionId),
      type: 'lot',
      tenant_id: lot.tenantId,
      subscription_id: lot.subscriptionId,
      state: lot.state,
      url: lot.url,
      opened_time: lot.openedTime,
      wake_time: lot.wakeTime,
      probe_seconds: lot.probeSeconds,
      probe_max_seconds: lot.probeMaxSeconds,
      ...(lot.drainedTo !== undefined ? { drained_to: lot.drainedTo } : {}),
      ...(lot.drainedTime !== undefined ? { drained_time: lot.drainedTime } : {}),
      ...(lot.closedTime !== undefined ? { closed_time: lot.closedTime } : {}),
      ...(lot.quiet ? { quiet: true } : {}),
      ...wake,
    };
  }
}

function fromLotItem(i: Item): Lot {
  const lot: Lot = {
    tenantId: i.tenant_id as string,
    subscriptionId: i.subscription_id as string,
    state: i.state as Lot['state'],
    url: i.url as string,
    openedTime: i.opened_time as string,
    wakeTime: i.wake_time as string,
    probeSeconds: i.probe_seconds as number,
    probeMaxSeconds: (i.probe_max_seconds as number | undefined) ?? (i.probe_seconds as number),
  };
  if (typeof i.drained_to === 'string') lot.drainedTo = i.drained_to;
  if (typeof i.drained_time === 'string') lot.drainedTime = i.drained_time;
  if (typeof i.closed_time === 'string') lot.closedTime = i.closed_time;
  if (i.quiet === true) lot.quiet = true;
  return lot;
}

/** What a key of the due-time index points at: a delivery record (`TENANT#t#DELIVERY#d`) or a lot head. */
function dueEntryOf(i: Item): DueEntry | undefined {
  const pk = i.pk as string;
  if (i.sk === DELIVERY_SK) {
    const at = pk.lastIndexOf('#DELIVERY#');
    const token = (i.gsi2sk as string).slice((i.gsi2sk as string).indexOf('#') + 1);
    return { kind: 'delivery', tenantId: pk.slice('TENANT#'.length, at), deliveryId: pk.slice(at + '#DELIVERY#'.length), token };
  }
  if (i.sk === LOT_SK) {
    const at = pk.lastIndexOf('#SUB#');
    return { kind: 'lot', tenantId: pk.slice('TENANT#'.length, at), subscriptionId: pk.slice(at + '#SUB#'.length, -'#LOT'.length) };
  }
  return undefined;
}
