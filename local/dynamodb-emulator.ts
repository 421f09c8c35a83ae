import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
  UpdateTimeToLiveCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { TABLE_DEFINITION } from '../functions/adapters/aws/dynamodb-keys.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

/** dynalite on loopback with its data on disk, and the same table the stack creates. */
export interface DynamoEmulator {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startDynamo(dir: string | undefined, tableName: string): Promise<DynamoEmulator> {
  if (dir) mkdirSync(dir, { recursive: true });
  const server = dynalite({ ...(dir ? { path: dir } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureTable(client, tableName, dir);
  return {
    endpoint,
    client,
    doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string, dir: string | undefined): Promise<void> {
  const backup = dir ? join(dir, MIGRATION_FILE) : undefined;
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const wanted = TABLE_DEFINITION.GlobalSecondaryIndexes.map((g) => g.IndexName);
  const present = new Set((existing?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName!));
  if (existing && wanted.every((n) => present.has(n)) && !(backup && existsSync(backup))) return;
  // An older data directory's table lacks an index added since (dynalite cannot add one to a
  // table): its items are kept in a file beside it, the table made anew, and the items put back.
  // A crash in between finds the file at the next start and puts them back then.
  let items: Record<string, AttributeValue>[] = [];
  if (backup && existsSync(backup)) items = JSON.parse(readFileSync(backup, 'utf8')) as typeof items;
  else if (existing) {
    items = await scanAll(client, tableName);
    if (backup) writeFileSync(backup, JSON.stringify(items));
  }
  if (existing) {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await untilGone(client, tableName);
  }
  const def = structuredClone(TABLE_DEFINITION) as unknown as ConstructorParameters<typeof CreateTableCommand>[0];
  await client.send(new CreateTableCommand({ ...def, TableName: tableName }));
  await untilActive(client, tableName);
  // dynalite stores the setting; expiry itself is left to DynamoDB on AWS.
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }))
    .catch(() => undefined);
  for (let i = 0; i < items.length; i += 25) {
    let pending: WriteRequest[] | undefined = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending?.length) {
      const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = out.UnprocessedItems?.[tableName];
    }
  }
  if (backup) rmSync(backup, { force: true });
}

/** Where a table being made anew keeps its items meanwhile. */
const MIGRATION_FILE = 'table-migration.json';

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * dynalite answers ResourceNotFoundException for a table (and an index) still CREATING, however
 * briefly (createTableMs 0 is a timer, not a promise kept): wait for ACTIVE, as callers of
 * CreateTable on AWS must too.
 */
export async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    if (tries >= 200) throw new Error(`table ${tableName} is still ${Table?.TableStatus} after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilGone(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return;
      throw err;
    }
    if (tries >= 200) throw new Error(`table ${tableName} was not deleted after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
