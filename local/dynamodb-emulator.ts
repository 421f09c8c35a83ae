import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
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
  await ensureTable(client, tableName);
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

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    await addMissingIndexes(client, tableName, new Set((Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName!)));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const def = structuredClone(TABLE_DEFINITION) as unknown as ConstructorParameters<typeof CreateTableCommand>[0];
  await client.send(new CreateTableCommand({ ...def, TableName: tableName }));
  // dynalite stores the setting; expiry itself is left to DynamoDB on AWS.
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }))
    .catch(() => undefined);
}

/**
 * A data directory from an older version has the table without the indexes added since: they are
 * added as a stack update adds them (one at a time), and dynalite backfills them.
 */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, present: Set<string>): Promise<void> {
  for (const index of TABLE_DEFINITION.GlobalSecondaryIndexes) {
    if (present.has(index.IndexName)) continue;
    const names = new Set<string>(index.KeySchema.map((k) => k.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: TABLE_DEFINITION.AttributeDefinitions.filter((a) => names.has(a.AttributeName)).map((a) => ({ ...a })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema.map((k) => ({ ...k })),
              Projection: { ...index.Projection },
            },
          },
        ],
      }),
    );
  }
}
