import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_KEYRING_TTL_MS, EnvelopeSecretStore } from '../functions/adapters/aws/dynamodb-envelope-secrets.js';
import { DEFAULT_SECRET_CACHE_TTL_MS } from '../functions/app/sender.js';
import { dynamoItemBytes } from '../functions/domain/dynamodb-item-size.js';
import { newKeyringText } from '../functions/domain/envelope.js';
import { newSecretSet, rotate, serializeSecretSet } from '../functions/domain/secret-set.js';
import { PRICES, PRICES_DATE, PRICES_REGION, SECONDS_PER_MONTH } from './prices.js';

/**
 * The monthly cost of keeping one subscription's signing secrets, per storage, from list prices
 * (bench/prices.ts). The sealed item's size is measured from what EnvelopeSecretStore writes.
 */

export interface SecretCostAssumptions {
  subscriptions: number;
  /**
   * Secret reads per subscription per month: each a sender cache miss. A container keeps a
   * subscription's secrets DEFAULT_SECRET_CACHE_TTL_MS (15 minutes), so the most is one read per
   * warm sender container per 15 minutes, around the clock: the default.
   */
  readsPerSubscription: number;
  /** API writes per subscription per month: its create and one rotation. */
  writesPerSubscription: number;
  /** Warm api and sender containers, each re-reading the key ring every keyring TTL (envelope). */
  warmContainers: number;
}

const WARM_CONTAINERS = 10;

export const DEFAULT_SECRET_COST_ASSUMPTIONS: SecretCostAssumptions = {
  subscriptions: 1_000,
  readsPerSubscription: WARM_CONTAINERS * (SECONDS_PER_MONTH / (DEFAULT_SECRET_CACHE_TTL_MS / 1000)),
  writesPerSubscription: 2,
  warmContainers: WARM_CONTAINERS,
};

export interface SecretCostFigure {
  perSubscription: number;
  envelope: number;
  assumptions: SecretCostAssumptions;
  breakdown: Record<'perSubscription' | 'envelope', Record<string, number>>;
  sealedItemBytes: number;
  prices: { date: string; region: string };
}

/** The item EnvelopeSecretStore writes for a rotated secret set (current, previous and its expiry: the largest). */
async function sealedItemBytes(): Promise<number> {
  let item: Record<string, unknown> | undefined;
  const doc = {
    send: async (command: { input: { Item?: Record<string, unknown> } }) => {
      item = command.input.Item;
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  const ring = newKeyringText();
  const store = new EnvelopeSecretStore({ doc, tableName: 't', namePrefix: 'p/', readKeyring: async () => ring });
  const set = rotate(newSecretSet(), new Date(), 86_400);
  await store.create(`p/${randomUUID()}/${randomUUID()}`, serializeSecretSet(set));
  return dynamoItemBytes(item!);
}

export async function measureSecretCost(a: SecretCostAssumptions = DEFAULT_SECRET_COST_ASSUMPTIONS): Promise<SecretCostFigure> {
  const sm = PRICES.secretsManager;
  const ddb = PRICES.dynamodb;
  const bytes = await sealedItemBytes();

  const perSubscription = {
    secretMonth: sm.perSecretMonth,
    reads: a.readsPerSubscription * sm.perApiCall,
    writes: a.writesPerSubscription * sm.perApiCall,
  };
  // Items up to 4 KB: a strongly consistent read is 1 RRU; up to 1 KB a write is 1 WRU.
  const keyringReadsPerMonth = a.warmContainers * (SECONDS_PER_MONTH / (DEFAULT_KEYRING_TTL_MS / 1000));
  const envelope = {
    keyringSecretShare: sm.perSecretMonth / a.subscriptions,
    keyringReadsShare: (keyringReadsPerMonth * sm.perApiCall) / a.subscriptions,
    storage: ((bytes + ddb.itemOverheadBytes) / 1e9) * ddb.perGbMonth,
    reads: a.readsPerSubscription * Math.ceil(bytes / 4096) * ddb.perReadRequestUnit,
    writes: a.writesPerSubscription * Math.ceil(bytes / 1024) * ddb.perWriteRequestUnit,
  };
  const sum = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0);
  return {
    perSubscription: sum(perSubscription),
    envelope: sum(envelope),
    assumptions: a,
    breakdown: { perSubscription, envelope },
    sealedItemBytes: bytes,
    prices: { date: PRICES_DATE, region: PRICES_REGION },
  };
}
