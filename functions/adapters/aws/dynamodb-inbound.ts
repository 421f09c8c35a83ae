import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { InboundRecord, InboundStatus } from '../../domain/inbound/event.js';
import { type InboundSource, parseInboundSource } from '../../domain/inbound/source.js';
import type { InboundSourceRepository, InboundStore, Page, PageRequest, StoredInbound } from '../../ports.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { DEFAULT_RETENTION_DAYS } from './dynamodb-deliveries.js';
import { GSI1, INBOUND_SOURCES_PK, inboundHistoryPartition, inboundPartition, keys } from './dynamodb-keys.js';

/**
 * Inbound events in the pipeline's table (dynamodb-keys.ts, `INBOUND#...`): the event's item,
 * written once with `attribute_not_exists(pk)` so a resend finds the first; a `FORWARDED` marker
 * once it is on the bus, a `BUS` marker counting the bus's refusals. Every item expires with the
 * retention (TTL). Run-time source declarations live in one partition; refusal tallies in one per
 * source.
 */
export class DynamoInboundStore implements InboundStore, InboundSourceRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DEFAULT_RETENTION_DAYS,
  ) {}

  private ttl(from = Date.now()): number {
    return Math.ceil(from / 1000) + this.retentionDays * 86_400;
  }

  async accept(record: InboundRecord): Promise<{ accepted: true } | ({ accepted: false } & StoredInbound)> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.inboundEvent(record.source, record.id),
            gsi1pk: inboundHistoryPartition(record.source),
            gsi1sk: `${record.receivedTime}#${record.id}`,
            type: 'inbound_event',
            record,
            ttl: this.ttl(Date.parse(record.receivedTime)),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { accepted: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    const existing = await this.get(record.source, record.id);
    // TTL deletes some time after expiry: an expired item that is still there counts as there.
    if (!existing) throw new Error(`inbound event ${record.id} was there, then vanished`);
    return { accepted: false, ...existing };
  }

  async get(source: string, id: string): Promise<StoredInbound | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': inboundPartition(source, id) },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const event = items.find((i) => i.sk === 'EVENT');
    if (!event) return undefined;
    return { record: event.record as InboundRecord, status: statusOf(items) };
  }

  async markForwarded(record: InboundRecord, at: string, entries: number, forwardSkipped?: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.inboundForwarded(record.source, record.id),
          forwarded_time: at,
          entries,
          ...(forwardSkipped ? { forward_skipped: forwardSkipped } : {}),
          ttl: this.ttl(Date.parse(record.receivedTime)),
        },
      }),
    );
  }

  async markBusFailed(record: InboundRecord, at: string, error: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.inboundBus(record.source, record.id),
        UpdateExpression: 'ADD failures :one SET last_error = :e, last_attempt_time = :t, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':e': error.slice(0, 1000), ':t': at, ':ttl': this.ttl(Date.parse(record.receivedTime)) },
      }),
    );
  }

  async list(source: string, page: PageRequest & { since?: string }): Promise<Page<StoredInbound>> {
    const start = page.cursor ? decodeCursor(page.cursor, ['pk', 'sk', 'gsi1pk', 'gsi1sk']) : undefined;
    if (start && start.gsi1pk !== inboundHistoryPartition(source)) throw new Error('the cursor is of another source');
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: page.since ? 'gsi1pk = :p AND gsi1sk >= :since' : 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': inboundHistoryPartition(source), ...(page.since ? { ':since': page.since } : {}) },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const records = (out.Items ?? []).map((i) => i.record as InboundRecord);
    const markers = await this.markersOf(records);
    const items = records.map((record) => ({ record, status: statusOf(markers.get(record.id) ?? []) }));
    const last = out.LastEvaluatedKey as Record<string, string> | undefined;
    return { items, ...(last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  /** The FORWARDED and BUS markers of a page of events: one BatchGetItem per 50 events. */
  private async markersOf(records: readonly InboundRecord[]): Promise<Map<string, Record<string, unknown>[]>> {
    const found = new Map<string, Record<string, unknown>[]>();
    for (let i = 0; i < records.length; i += 50) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.tableName]: {
          Keys: records.slice(i, i + 50).flatMap((r) => [keys.inboundForwarded(r.source, r.id), keys.inboundBus(r.source, r.id)]),
        },
      };
      while (request && Object.keys(request).length > 0) {
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const id = String(item.pk).slice(String(item.pk).lastIndexOf('#') + 1);
          found.set(id, [...(found.get(id) ?? []), item]);
        }
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return found;
  }

  async addRefusals(source: string, minute: string, counts: Readonly<Record<string, number>>): Promise<void> {
    const reasons = Object.entries(counts).filter(([, n]) => n > 0);
    if (reasons.length === 0) return;
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, unknown> = { ':ttl': this.ttl() };
    const adds = reasons.map(([reason, n], i) => {
      names[`#r${i}`] = reason;
      values[`:n${i}`] = n;
      return `#r${i} :n${i}`;
    });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.inboundRefusals(source, minute),
        UpdateExpression: `ADD ${adds.join(', ')} SET #ttl = :ttl`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async listRefusals(source: string, since: string): Promise<{ minute: string; counts: Record<string, number> }[]> {
    const out: { minute: string; counts: Record<string, number> }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: { ':pk': keys.inboundRefusals(source, '').pk, ':since': since },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk, ttl: _ttl, ...counts } = item;
        out.push({ minute: String(sk), counts: counts as Record<string, number> });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  // ---- Sources declared at run time ----

  async listSources(): Promise<InboundSource[]> {
    const sources: InboundSource[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': INBOUND_SOURCES_PK },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) sources.push(parseInboundSource(item.source, `source item ${String(item.sk)}`));
      start = page.LastEvaluatedKey;
    } while (start);
    return sources;
  }

  async putSource(source: InboundSource): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.inboundSource(source.name), type: 'inbound_source', source } }),
    );
  }

  async deleteSource(name: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.inboundSource(name), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}

function statusOf(items: readonly Record<string, unknown>[]): InboundStatus {
  const status: InboundStatus = {};
  for (const item of items) {
    if (item.sk === 'FORWARDED') {
      status.forwardedTime = String(item.forwarded_time);
      status.forwardedEntries = Number(item.entries);
      if (typeof item.forward_skipped === 'string') status.forwardSkipped = item.forward_skipped;
    } else if (item.sk === 'BUS') {
      status.busFailures = Number(item.failures ?? 0);
      if (typeof item.last_error === 'string') status.lastBusError = item.last_error;
      if (typeof item.last_attempt_time === 'string') status.lastBusAttemptTime = item.last_attempt_time;
    }
  }
  return status;
}
