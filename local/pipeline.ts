import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_RETENTION_DAYS, DynamoDeliveryStore } from '../functions/adapters/aws/dynamodb-deliveries.js';
import { DynamoSubscriptionRepository } from '../functions/adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../functions/adapters/aws/dynamodb-tenants.js';
import { SqsQueue } from '../functions/adapters/aws/sqs-queue.js';
import { FileSecretStore } from '../functions/adapters/local/file-secret-store.js';
import { QueueEventBus } from '../functions/adapters/local/queue-event-bus.js';
import { createApi } from '../functions/app/api.js';
import { createAuthorizer } from '../functions/app/authorizer.js';
import { createFanout } from '../functions/app/fanout.js';
import { createSender } from '../functions/app/sender.js';
import { WebhookClient } from '../functions/app/webhook-client.js';
import { LOCAL_POLICY } from '../functions/domain/address-policy.js';
import { FANOUT_BATCH_SIZE, FANOUT_BATCH_WINDOW_SECONDS, SENDER_BATCH_SIZE } from '../functions/domain/batching.js';
import { loadCatalog } from '../functions/domain/catalog.js';
import { hashKey, keyMatches, newCredentials } from '../functions/domain/credentials.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_SCHEDULE } from '../functions/domain/retry-schedule.js';
import { VisibilityRule } from './aws-rules/sqs-visibility.js';
import { CallCounter, LocalMetrics } from './call-counter.js';
import { startDynamo } from './dynamodb-emulator.js';
import { ENDPOINTS_FILE, type LocalEndpoints } from './endpoints.js';
import { type Faults, faultyQueue, faultyStore } from './faults.js';
import { startGateway } from './http-gateway.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';
import { startPoller } from './queue-poller.js';
import { type QueueSnapshot, type SqsEmulator, startSqs } from './sqs-emulator.js';

/**
 * The whole pipeline on one machine: the same handler code as the Lambdas, DynamoDB on
 * dynalite (data on disk), SQS on fauxqs, and in-process stand-ins for EventBridge (a bus
 * that applies the rule: send to the ingest queue) and Secrets Manager (a file).
 */

export const LOCAL_TABLE = 'webhooks';
/** How far local mode's sender scales out over a busy queue (the mapping's maximum concurrency on AWS). */
export const SENDER_MAX_CONCURRENCY = 24;
export const LOCAL_SECRET_PREFIX = 'webhooks/local/';
/** Written on stop: the queues' messages, which fauxqs holds in memory only. */
export const QUEUES_FILE = 'queues.json';

export interface LocalOptions {
  port?: number;
  dataDir?: string;
  identity?: string;
  authorization?: string;
  retrySchedule?: readonly number[];
  attemptTimeoutMs?: number;
  rotationOverlapSeconds?: number;
  retentionDays?: number;
  /**
   * How long the gateway reuses an authorizer answer for the same Identity and Authorization,
   * as API Gateway does (300 s on AWS). 0 by default, so a revoke shows at once locally.
   */
  authorizerCacheTtlSeconds?: number;
  /** Injected faults (tests): see local/faults.ts. */
  faults?: Faults;
  /** The delivery queue's own visibility timeout (60 s; tests shorten it to see throttles come back). */
  processingVisibilitySeconds?: number;
  /** The sender's invocation timeout in the poller (none by default). */
  senderInvocationTimeoutMs?: number;
  log?: (level: string, message: string, detail: Record<string, unknown>) => void;
}

export interface LocalPipeline {
  url: string;
  dataDir: string;
  credentials: { identity: string; authorization: string };
  endpoints: LocalEndpoints;
  /** AWS API calls our code made, by service and operation. */
  calls: CallCounter;
  metrics: LocalMetrics;
  sqs: SqsEmulator;
  /** SQS's 12-hour visibility rule as the twin enforces it, with every change asked for. */
  visibilityRule: VisibilityRule;
  stop(): Promise<void>;
}

export async function startLocalPipeline(options: LocalOptions = {}): Promise<LocalPipeline> {
  const dataDir = resolve(options.dataDir ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  const log = options.log ?? (() => undefined);

  const dynamo = await startDynamo(join(dataDir, 'dynamodb'), LOCAL_TABLE);
  const sqs = await startSqs(schedule, 0, options.processingVisibilitySeconds);
  const queuesFile = join(dataDir, QUEUES_FILE);
  if (existsSync(queuesFile)) {
    // Restored messages are new to SQS; their delivery records keep their attempts and due times.
    const restored = await sqs.restore(JSON.parse(readFileSync(queuesFile, 'utf8')) as QueueSnapshot);
    rmSync(queuesFile);
    if (restored > 0) log('info', 'queued messages restored', { count: restored });
  }
  const calls = new CallCounter();
  const metrics = new LocalMetrics();
  calls.instrument('DynamoDB', dynamo.client);
  // Our code's SQS calls are counted; the pollers' and the bus rule's stand for AWS itself.
  const sqsForCode = calls.instrument(
    'SQS',
    new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const visibilityRule = new VisibilityRule();
  visibilityRule.attach(sqs.client);
  visibilityRule.attach(sqsForCode);
  const subscriptions = new DynamoSubscriptionRepository(dynamo.doc, LOCAL_TABLE);
  const tenants = new DynamoTenantRepository(dynamo.doc, LOCAL_TABLE);
  const store = new DynamoDeliveryStore(dynamo.doc, LOCAL_TABLE, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const secrets = calls.secrets(new FileSecretStore(join(dataDir, 'secrets.json')));
  const ingestQueue = new SqsQueue(sqs.client, sqs.ingest.url);
  const deliveryQueue = new SqsQueue(sqsForCode, sqs.delivery.url);
  const catalog = loadCatalog();
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const client = new WebhookClient({
    policy: LOCAL_POLICY,
    timeoutMs: attemptTimeoutMs,
    userAgent: 'serverless-webhooks/0.1 (local)',
  });

  const credentials = await ensureLocalTenant(tenants, dataDir, options.identity, options.authorization);

  const api = createApi({
    subscriptions,
    secrets,
    bus: calls.bus(new QueueEventBus(ingestQueue)),
    store,
    deliveries: deliveryQueue,
    catalog,
    policy: LOCAL_POLICY,
    secretNamePrefix: LOCAL_SECRET_PREFIX,
    ...(options.rotationOverlapSeconds !== undefined ? { rotationOverlapSeconds: options.rotationOverlapSeconds } : {}),
    log,
  });
  const onError = (err: Error) => log('error', 'poller error', { error: err.message });
  const pollers = [
    startPoller({
      sqs: sqs.client,
      queue: sqs.ingest,
      handler: createFanout({ subscriptions, deliveries: deliveryQueue, store, metrics, log }),
      batchSize: FANOUT_BATCH_SIZE,
      batchWindowSeconds: FANOUT_BATCH_WINDOW_SECONDS,
      concurrency: 2,
      onError,
    }),
    startPoller({
      sqs: sqs.client,
      queue: sqs.delivery,
      handler: createSender({
        secrets,
        deliveries: options.faults ? faultyQueue(deliveryQueue, options.faults) : deliveryQueue,
        store: options.faults ? faultyStore(store, options.faults) : store,
        client,
        schedule,
        attemptTimeoutMs,
        metrics,
        log,
      }),
      batchSize: SENDER_BATCH_SIZE,
      concurrency: 4,
      maxConcurrency: SENDER_MAX_CONCURRENCY,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.senderInvocationTimeoutMs ? { invocationTimeoutMs: options.senderInvocationTimeoutMs } : {}),
      onError,
    }),
  ];
  const gateway = await startGateway({
    port: options.port ?? 3000,
    api,
    authorizer: createAuthorizer(tenants),
    authorizerCacheTtlSeconds: options.authorizerCacheTtlSeconds ?? 0,
    publicPaths: ['/api/openapi.json'],
  });

  const endpoints: LocalEndpoints = {
    apiUrl: gateway.url,
    dynamodbEndpoint: dynamo.endpoint,
    tableName: LOCAL_TABLE,
    sqsEndpoint: sqs.endpoint,
    deliveryQueueUrl: sqs.delivery.url,
    deadLetterQueueUrl: sqs.deliveryDlq.url,
    ingestQueueUrl: sqs.ingest.url,
    pid: process.pid,
  };
  const endpointsFile = join(dataDir, ENDPOINTS_FILE);
  writeFileSync(endpointsFile, JSON.stringify(endpoints, null, 2));

  return {
    url: gateway.url,
    dataDir,
    credentials,
    endpoints,
    calls,
    metrics,
    sqs,
    visibilityRule,
    async stop() {
      await gateway.stop();
      await Promise.all(pollers.map((p) => p.stop()));
      await client.close();
      sqsForCode.destroy();
      writeFileSync(queuesFile, JSON.stringify(sqs.snapshot()), { mode: 0o600 });
      await sqs.stop();
      await dynamo.stop();
      rmSync(endpointsFile, { force: true });
    },
  };
}

/**
 * Local mode always has a tenant to print. Fixed credentials come from the environment;
 * otherwise the first start makes some and keeps them under the data directory (the key
 * itself is stored hashed in DynamoDB, as on AWS; this file is the developer's copy).
 */
async function ensureLocalTenant(
  tenants: DynamoTenantRepository,
  dataDir: string,
  identity?: string,
  authorization?: string,
): Promise<{ identity: string; authorization: string }> {
  const file = join(dataDir, 'local-tenant.json');
  let creds: { identity: string; authorization: string };
  if (identity && authorization) creds = { identity, authorization };
  else if (existsSync(file)) creds = JSON.parse(readFileSync(file, 'utf8')) as typeof creds;
  else creds = newCredentials();
  const existing = await tenants.findByIdentity(creds.identity);
  if (!existing) {
    await tenants.create({
      tenantId: `tnt_local_${creds.identity.slice(-8)}`,
      name: 'local developer',
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active',
      createdTime: new Date().toISOString(),
    });
  } else if (!keyMatches(creds.authorization, existing.keyHash)) {
    throw new Error(`Identity ${creds.identity} already exists in ${dataDir} with another Authorization value`);
  }
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}
