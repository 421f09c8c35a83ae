import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { DynamoCallBudget } from '../functions/adapters/aws/dynamodb-call-budget.js';
import { DEFAULT_RETENTION_DAYS, DynamoDeliveryStore } from '../functions/adapters/aws/dynamodb-deliveries.js';
import { EnvelopeSecretStore } from '../functions/adapters/aws/dynamodb-envelope-secrets.js';
import { DynamoInboundStore } from '../functions/adapters/aws/dynamodb-inbound.js';
import { DynamoParkingStore } from '../functions/adapters/aws/dynamodb-parking.js';
import { DynamoPortalSessionStore } from '../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoRateSlots } from '../functions/adapters/aws/dynamodb-rate-limit.js';
import { DynamoRecoveryStore } from '../functions/adapters/aws/dynamodb-recoveries.js';
import { DynamoSubscriptionRepository } from '../functions/adapters/aws/dynamodb-subscriptions.js';
import { DynamoTenantRepository } from '../functions/adapters/aws/dynamodb-tenants.js';
import { SECRETS_MANAGER_BUDGETS, SecretsManagerStore } from '../functions/adapters/aws/secrets-manager-store.js';
import { SqsInFlightGauge } from '../functions/adapters/aws/sqs-in-flight.js';
import { SqsQueue } from '../functions/adapters/aws/sqs-queue.js';
import { QueueEventBus } from '../functions/adapters/local/queue-event-bus.js';
import { createApi, PUBLIC_PATHS } from '../functions/app/api.js';
import { API_DOCS_PATH, createApiDocsAssets } from '../functions/app/api-docs-assets.js';
import { createAuthorizer } from '../functions/app/authorizer.js';
import { createFanout } from '../functions/app/fanout.js';
import { createInbound } from '../functions/app/inbound.js';
import { SourceRegistry, type SourceRegistryOptions } from '../functions/app/inbound-sources.js';
import { ListSecretCache } from '../functions/app/list-secrets.js';
import { OperationalEvents } from '../functions/app/operational-events.js';
import {
  DEFAULT_PORTAL_LIFETIMES,
  type IssuedLink,
  issuePortalLink,
  type PortalLifetimes,
  portalTenantOf,
  validatePortalTtl,
} from '../functions/app/portal-access.js';
import { createPortalAssets } from '../functions/app/portal-assets.js';
import { createRecoveryWorker } from '../functions/app/recovery.js';
import { createResumer, type ResumeReport } from '../functions/app/resumer.js';
import { createSender } from '../functions/app/sender.js';
import { WebhookClient } from '../functions/app/webhook-client.js';
import { LOCAL_POLICY } from '../functions/domain/address-policy.js';
import { API_GATEWAY_ACCOUNT_THROTTLE } from '../functions/domain/aws-limits.js';
import { FANOUT_BATCH_SIZE, FANOUT_BATCH_WINDOW_SECONDS, SENDER_BATCH_SIZE } from '../functions/domain/batching.js';
import { loadCatalog } from '../functions/domain/catalog.js';
import { hashKey, keyMatches, newCredentials } from '../functions/domain/credentials.js';
import { newKeyringText } from '../functions/domain/envelope.js';
import { type InboundSource, parseInboundSources, SourceConfigError } from '../functions/domain/inbound/source.js';
import type { ThrottleKey } from '../functions/domain/model.js';
import { RECEIVER_GUIDE_URL_ENV, validateReceiverGuideUrl } from '../functions/domain/portal.js';
import { DEFAULT_AUTO_DISABLE_SECONDS } from '../functions/domain/recovery.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_SCHEDULE } from '../functions/domain/retry-schedule.js';
import type { SecretStorage } from '../functions/domain/secret-storage.js';
import { parseSourceIps, SOURCE_IPS_ENV } from '../functions/domain/source-ips.js';
import {
  checkTenantWithinStage,
  DEFAULT_STAGE_THROTTLE,
  DEFAULT_TENANT_THROTTLE,
  type ThrottleLimits,
  validateThrottle,
} from '../functions/domain/throttle.js';
import { UPGRADE_VERIFICATION, type VerificationMode } from '../functions/domain/verification.js';
import type { BodyStore, EntryBus, EventBus, InboundStore, SecretStore } from '../functions/ports.js';
import { PORTAL_LINK_TTL_ENV, PORTAL_SESSION_TTL_ENV } from '../functions/runtime/config.js';
import { buildApiDocs, buildPortal } from '../portal/build.js';
import { startApiGatewayControl } from './api-gateway-control.js';
import { enforceDynamoRules } from './aws-rules/dynamodb.js';
import { enforceSqsRules } from './aws-rules/sqs.js';
import { VisibilityRule } from './aws-rules/sqs-visibility.js';
import { LOCAL_BODY_BUCKET, startBodyBucket } from './body-bucket.js';
import { CallCounter, LocalMetrics } from './call-counter.js';
import { startDynamo } from './dynamodb-emulator.js';
import { ENDPOINTS_FILE, type LocalEndpoints } from './endpoints.js';
import { Faults, faultyEntryBus, faultyInboundStore, faultyQueue, faultyResumer, faultyStore, faultyTenants } from './faults.js';
import { GatewayThrottle } from './gateway-throttle.js';
import { type GatewayExchange, LOCAL_REST_API_ID, LOCAL_STAGE, startGateway } from './http-gateway.js';
import { acquireInstanceLock, LocalStartError } from './instance-lock.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';
import { startPoller } from './queue-poller.js';
import { LocalSecretsManager } from './secrets-manager-emulator.js';
import { type SqsEmulator, startSqs } from './sqs-emulator.js';
import { UsageMeter } from './usage-meter.js';
import { LocalUsagePlans } from './usage-plans.js';

/**
 * The whole pipeline on one machine: the same handler code as the Lambdas, DynamoDB on
 * dynalite and SQS on fauxqs (both on disk under the data directory, written through, so a
 * `kill -9` loses nothing accepted), and in-process stand-ins for EventBridge (a bus that
 * applies the rule: send to the ingest queue) and Secrets Manager (a file behind the SDK's own
 * client, local/secrets-manager-emulator.ts, also served on loopback for the inbound CLI).
 */

export const LOCAL_TABLE = 'webhooks';
/** How far local mode's sender scales out over a busy queue (the mapping's maximum concurrency on AWS). */
export const SENDER_MAX_CONCURRENCY = 24;
/**
 * How far local mode's fan-out scales out over a backlog (50 on AWS, DEFAULT_FANOUT_MAX_CONCURRENCY):
 * with two at most, a noisy tenant's batches of 100 held both and a quiet tenant's event waited
 * on the ingest queue for one of them to finish, however fair the queue's order.
 */
export const FANOUT_MAX_CONCURRENCY = 8;
export const LOCAL_SECRET_PREFIX = 'webhooks/local/';
/** Inbound sources' secrets, in the local Secrets Manager stand-in (the stack's `webhooks-inbound/<namePrefix>/`). */
export const LOCAL_INBOUND_SECRET_PREFIX = 'webhooks-inbound/local/';
/**
 * How long local mode's inbound function keeps what it read of its sources: a source added with the
 * CLI, or a secret rotated, shows within a second (the stack's function keeps sources a minute and
 * re-reads a secret after a mismatch at most every 30 s; functions/app/inbound-sources.ts).
 */
export const LOCAL_INBOUND_CACHE: Pick<SourceRegistryOptions, 'sourcesTtlMs' | 'refreshAfterMissMs'> = {
  sourcesTtlMs: 1_000,
  refreshAfterMissMs: 1_000,
};
/** Envelope storage's key-encryption key ring, in the local Secrets Manager stand-in. */
export const LOCAL_KEK_NAME = 'webhooks/local-key-encryption-key';
/** Local mode's due-time buckets: the resumer runs every second (on AWS, every minute on 60 s buckets). */
export const LOCAL_DUE_BUCKET_SECONDS = 1;
/**
 * The shared throttling key (the stack's is derived from its path and stack id): what the
 * authorizer answers for tenants without a key of their own. Not a credential.
 */
export const LOCAL_SHARED_THROTTLE_KEY = 'localSharedThrottleKey00000000000000000';
/**
 * Options that leave only the account's API limits (10,000 a second, burst 5,000): for the
 * benchmarks, and tests that send fast without being about throttling, so they never depend on
 * the machine's speed. npm start and the stack keep the defaults.
 */
export const ACCOUNT_THROTTLE_ONLY: Pick<LocalOptions, 'tenantThrottle' | 'stageThrottle'> = {
  tenantThrottle: API_GATEWAY_ACCOUNT_THROTTLE,
  stageThrottle: API_GATEWAY_ACCOUNT_THROTTLE,
};
/** Local mode's API keys and usage plans (local/usage-plans.ts), under the data directory. */
const USAGE_PLANS_FILE = 'api-gateway-usage-plans.json';
/** How long a stop waits for batches in flight before closing the emulators under them. */
const STOP_GRACE_MS = 2_000;

export interface LocalOptions {
  port?: number;
  dataDir?: string;
  identity?: string;
  authorization?: string;
  retrySchedule?: readonly number[];
  attemptTimeoutMs?: number;
  /**
   * Endpoint verification (functions/domain/verification.ts), as the construct's `verification`:
   * `none` by default here, as the construct without its context flag (an embedding app);
   * `npm start` runs this repository's app, so it passes what a new deployment gets
   * (`challenge`, WEBHOOKS_VERIFICATION to choose).
   */
  verification?: VerificationMode;
  /** The waits between a verification request's attempts (DEFAULT_VERIFICATION_SCHEDULE); tests shorten it. */
  verificationSchedule?: readonly number[];
  rotationOverlapSeconds?: number;
  retentionDays?: number;
  /**
   * How long the gateway reuses an authorizer answer for the same Identity and Authorization,
   * as API Gateway does (300 s on AWS). 0 by default, so a revoke shows at once locally.
   */
  authorizerCacheTtlSeconds?: number;
  /**
   * Each tenant's limit unless given its own (`npm run tenant -- throttle`), as the construct's
   * `tenantThrottle` (WEBHOOKS_TENANT_RATE_LIMIT, WEBHOOKS_TENANT_BURST_LIMIT; 20 a second, burst 40).
   */
  tenantThrottle?: ThrottleLimits;
  /** The stage's limit for everyone together, as `stageThrottle` (WEBHOOKS_STAGE_RATE_LIMIT, ..._BURST_LIMIT; 100, burst 200). */
  stageThrottle?: ThrottleLimits;
  /** Live subscriptions a tenant may have (1,000 by default, as on AWS); creating more answers 409. */
  maxSubscriptionsPerTenant?: number;
  /** How long a portal link works, in seconds (WEBHOOKS_PORTAL_LINK_TTL_SECONDS; 900). */
  portalLinkTtlSeconds?: number;
  /** How long a portal session lasts, in seconds (WEBHOOKS_PORTAL_SESSION_TTL_SECONDS; 3600). */
  portalSessionTtlSeconds?: number;
  /**
   * Where the portal links to the receiver guide, as the construct's `receiverGuideUrl`
   * (WEBHOOKS_RECEIVER_GUIDE_URL; by default the guide the portal serves, `/portal/receiving-webhooks.md`).
   */
  receiverGuideUrl?: string;
  /**
   * The addresses the API reports deliveries come from (GET /api/v0.1/source-ips, the portal), as
   * the stack's Elastic IPs with `staticSourceIps` (WEBHOOKS_SOURCE_IPS, comma-separated). Local
   * mode sends from this machine: `['127.0.0.1']` is the truthful value for loopback receivers.
   * None by default, as the stack without `staticSourceIps`.
   */
  sourceIps?: readonly string[];
  /** Where signing secrets live, as the construct's `secretStorage` ('per-subscription' by default). */
  secretStorage?: SecretStorage;
  /**
   * The api's per-container cache of listed secrets, as on AWS for per-subscription storage
   * (functions/app/list-secrets.ts). false: every list reads every secret, as before the cache
   * (the bench's baseline).
   */
  listSecretCache?: boolean;
  /**
   * How long a received batch stays invisible before the queue hands it out again
   * (PROCESSING_VISIBILITY_SECONDS). Tests shorten it to see batches lost to a crash come back.
   */
  processingVisibilitySeconds?: number;
  /**
   * In-flight messages each queue holds before receives stop (SQS's quota, about 120,000 for a
   * standard queue). Tests set it low to see the pipeline at the cap.
   */
  sqsInFlightCap?: number;
  /** Injected faults (tests), local/faults.ts: the pipeline makes its own when none is given. */
  faults?: Faults;
  /** The sender's invocation timeout in the poller (none by default). */
  senderInvocationTimeoutMs?: number;
  /**
   * Parking (functions/domain/parking.ts): long waits out of the queue, failing endpoints' deliveries
   * held in lots. On by default, as on AWS; off is the engine from before it (every wait in flight),
   * kept to show what it prevents.
   */
  parking?: boolean;
  /**
   * The due-time index's bucket, in seconds: 1 locally, so parked deliveries and lots move within
   * a second or two of when they are due (on AWS the resumer runs once a minute on 60 s buckets).
   */
  dueBucketSeconds?: number;
  /** How often the resumer runs, in ms (once per bucket by default, as the stack's schedule). */
  resumeIntervalMs?: number;
  /** The delivery queue's in-flight budget (the construct's `inFlightBudget`, 60,000). */
  inFlightBudget?: number;
  /** Held deliveries the resumer sends a recovered endpoint a second (the construct's `resumeRatePerSecond`, 20). */
  resumeRatePerSecond?: number;
  /**
   * How long every delivery to a subscription fails before it is disabled, in seconds (the
   * construct's `autoDisableAfter`, 5 days; WEBHOOKS_AUTO_DISABLE_SECONDS). Tests use seconds.
   */
  autoDisableSeconds?: number;
  /** How long one resumer run may work (40 s, as in the stack's 60 s function); tests shorten it. */
  resumerTimeBudgetMs?: number;
  /** The sender's, the resumer's, the delivery store's and the API's clock (tests move it past long waits). */
  clock?: () => Date;
  /**
   * Inbound sources declared at the start, as the construct's `inboundSources` (WEBHOOKS_INBOUND_SOURCES,
   * JSON); more can be added with `npm run inbound -- add`. Their secrets are set with the CLI.
   */
  inboundSources?: readonly InboundSource[];
  /** The inbound function's caches (LOCAL_INBOUND_CACHE by default). */
  inboundCache?: Pick<SourceRegistryOptions, 'sourcesTtlMs' | 'secretTtlMs' | 'refreshAfterMissMs'>;
  /** How long the inbound function waits for the bus before leaving an event to the redrive. */
  inboundBusTimeoutMs?: number;
  /** The inbound function's clock (tests of the replay window). */
  inboundClock?: () => Date;
  /**
   * Called as each fan-out and sender invocation starts, with the batch it was given (the
   * benchmarks learn from it how long messages waited in each queue). Nothing depends on it.
   */
  onInvocation?: (fn: 'fanout' | 'sender', event: SQSEvent) => void;
  /** Sees every answer the API Gateway stand-in sends (the tests check each against the OpenAPI document). */
  observeApi?: (exchange: GatewayExchange) => void;
  log?: (level: string, message: string, detail: Record<string, unknown>) => void;
}

export interface LocalPipeline {
  url: string;
  dataDir: string;
  credentials: { identity: string; authorization: string };
  /** The local tenant's id: producers name it in the events they put on the bus. */
  tenantId: string;
  endpoints: LocalEndpoints;
  /** AWS API calls our code made, by service and operation. */
  calls: CallCounter;
  /** The twin's Secrets Manager: its busiest second and its throttles, by call. */
  secretsManager: Pick<LocalSecretsManager, 'peakPerSecond' | 'throttled'>;
  /** What AWS would bill for, by the unit each service bills in (the benchmark's cost model). */
  usage: UsageMeter;
  /** The bus as producers put events on it (PutEvents), counted and metered like the API's. */
  bus: EventBus;
  metrics: LocalMetrics;
  sqs: SqsEmulator;
  /** Event bodies too large for the table (fauxqs's S3, bucket LOCAL_BODY_BUCKET). */
  bodies: BodyStore;
  /** Inbound events as the inbound function stores them (dynalite). */
  inbound: InboundStore;
  /** The bus as the inbound function and the inbound CLI's redrive put entries on it (counted and metered). */
  entryBus: EntryBus;
  /** Faults tests inject where AWS could produce them (local/faults.ts): `options.faults`, or the pipeline's own. */
  faults: Faults;
  /** API Gateway's API keys and usage plans as local mode keeps them (the tenant CLI changes them). */
  usagePlans: LocalUsagePlans;
  /** A one-time portal link for the local tenant. */
  portalLink(): Promise<IssuedLink>;
  /** SQS's 12-hour visibility rule as the twin enforces it, with every change asked for. */
  visibilityRule: VisibilityRule;
  /** One resumer run now (after the one under way, if any): what the stack's schedule does once a minute. */
  resumeNow(): Promise<ResumeReport>;
  stop(): Promise<void>;
}

export async function startLocalPipeline(options: LocalOptions = {}): Promise<LocalPipeline> {
  const dataDir = resolve(options.dataDir ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const lock = acquireInstanceLock(dataDir);
  // What has started so far, stopped in reverse if a later step fails.
  const started: Stop[] = [() => lock.release()];
  try {
    return await startPipeline(options, dataDir, lock, started);
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

type Stop = () => Promise<void> | void;

/** Newest first, each one even if an earlier one failed (the lock is always released last). */
async function stopAll(started: Stop[]): Promise<void> {
  let first: unknown;
  for (const stop of started.splice(0).reverse()) {
    try {
      await stop();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}

function portalLifetimesOf(options: LocalOptions): PortalLifetimes {
  try {
    return {
      linkTtlSeconds: validatePortalTtl(
        `portalLinkTtlSeconds (${PORTAL_LINK_TTL_ENV})`,
        options.portalLinkTtlSeconds ?? DEFAULT_PORTAL_LIFETIMES.linkTtlSeconds,
      ),
      sessionTtlSeconds: validatePortalTtl(
        `portalSessionTtlSeconds (${PORTAL_SESSION_TTL_ENV})`,
        options.portalSessionTtlSeconds ?? DEFAULT_PORTAL_LIFETIMES.sessionTtlSeconds,
      ),
    };
  } catch (err) {
    throw new LocalStartError((err as Error).message);
  }
}

/** The declared inbound sources, checked as the construct checks its props. */
function inboundSourcesOf(options: LocalOptions): InboundSource[] {
  try {
    return parseInboundSources([...(options.inboundSources ?? [])], 'inboundSources (WEBHOOKS_INBOUND_SOURCES)');
  } catch (err) {
    if (err instanceof SourceConfigError) throw new LocalStartError(err.message);
    throw err;
  }
}

function receiverGuideUrlOf(options: LocalOptions): string | undefined {
  try {
    return validateReceiverGuideUrl(`receiverGuideUrl (${RECEIVER_GUIDE_URL_ENV})`, options.receiverGuideUrl);
  } catch (err) {
    throw new LocalStartError((err as Error).message);
  }
}

/** Both limits, checked as the construct checks its props. */
function throttlesOf(options: LocalOptions): { tenant: ThrottleLimits; stage: ThrottleLimits } {
  try {
    const tenant = validateThrottle('tenantThrottle (WEBHOOKS_TENANT_*)', options.tenantThrottle ?? DEFAULT_TENANT_THROTTLE);
    const stage = validateThrottle('stageThrottle (WEBHOOKS_STAGE_*)', options.stageThrottle ?? DEFAULT_STAGE_THROTTLE);
    checkTenantWithinStage(tenant, stage);
    return { tenant, stage };
  } catch (err) {
    throw new LocalStartError((err as Error).message);
  }
}

async function startPipeline(
  options: LocalOptions,
  dataDir: string,
  lock: ReturnType<typeof acquireInstanceLock>,
  started: Stop[],
): Promise<LocalPipeline> {
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  const usage = new UsageMeter();
  const log = usage.log(options.log ?? (() => undefined));
  // A bad setting stops the start before anything runs.
  const portalLifetimes = portalLifetimesOf(options);
  const throttles = throttlesOf(options);
  const declaredInbound = inboundSourcesOf(options);
  const receiverGuideUrl = receiverGuideUrlOf(options);

  // What the stack's deploy creates: the default plan, and the shared key in a plan at the stage's limits.
  const usagePlans = new LocalUsagePlans(join(dataDir, USAGE_PLANS_FILE));
  const apiStage = { apiId: LOCAL_REST_API_ID, stage: LOCAL_STAGE };
  const defaultUsagePlanId = usagePlans.deploy({ name: 'local-api-tenants', stage: apiStage, throttle: throttles.tenant });
  const sharedUsagePlanId = usagePlans.deploy({
    name: 'local-api-shared',
    stage: apiStage,
    throttle: throttles.stage,
    keyValue: LOCAL_SHARED_THROTTLE_KEY,
  });
  // The gateway starts last; until then there is no cache to flush.
  let flushAuthorizerCache: () => void = () => undefined;
  const apiGatewayControl = await startApiGatewayControl(usagePlans, {
    flushAuthorizerCache: (restApiId, stage) => {
      if (restApiId === apiStage.apiId && stage === apiStage.stage) flushAuthorizerCache();
    },
  });
  started.push(() => apiGatewayControl.stop());

  const dynamo = await startDynamo(join(dataDir, 'dynamodb'), LOCAL_TABLE);
  started.push(() => dynamo.stop());
  const sqs = await startSqs({
    schedule,
    dataDir: join(dataDir, 'sqs'),
    ...(options.processingVisibilitySeconds !== undefined ? { processingVisibilitySeconds: options.processingVisibilitySeconds } : {}),
    ...(options.sqsInFlightCap !== undefined ? { inFlightCap: options.sqsInFlightCap } : {}),
  });
  started.push(() => sqs.stop());
  const calls = new CallCounter();
  const metrics = new LocalMetrics();
  const bodyBucket = await startBodyBucket(sqs.endpoint, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  started.push(() => bodyBucket.stop());
  calls.instrument('S3', bodyBucket.client);
  const bodies = bodyBucket.store;
  calls.instrument('DynamoDB', dynamo.client);
  usage.instrumentDynamo(dynamo.client);
  usage.instrumentSqs(sqs.client, 'aws');
  // Our code's SQS calls are counted; the pollers' and the bus rule's stand for AWS itself.
  const sqsForCode = calls.instrument(
    'SQS',
    new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  usage.instrumentSqs(sqsForCode, 'code');
  started.push(() => sqsForCode.destroy());
  // AWS's rules the emulators do not enforce themselves (docs/aws-rules.md).
  const faults = options.faults ?? new Faults();
  enforceDynamoRules(dynamo.client);
  enforceSqsRules(sqs.client, faults);
  enforceSqsRules(sqsForCode, faults);
  const visibilityRule = new VisibilityRule();
  visibilityRule.attach(sqs.client);
  visibilityRule.attach(sqsForCode);
  const subscriptions = new DynamoSubscriptionRepository(dynamo.doc, LOCAL_TABLE);
  const tenants = new DynamoTenantRepository(dynamo.doc, LOCAL_TABLE);
  const dueBucketSeconds = options.dueBucketSeconds ?? LOCAL_DUE_BUCKET_SECONDS;
  const clock = options.clock ?? (() => new Date());
  const store = new DynamoDeliveryStore(dynamo.doc, LOCAL_TABLE, options.retentionDays ?? DEFAULT_RETENTION_DAYS, clock, dueBucketSeconds);
  const parkingStore = new DynamoParkingStore(dynamo.doc, LOCAL_TABLE, dueBucketSeconds);
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const recoveryStore = new DynamoRecoveryStore(dynamo.doc, LOCAL_TABLE, retentionDays, clock, dueBucketSeconds);
  // Secrets Manager: the AWS adapter over the in-process stand-in, its small quotas budgeted in the
  // table as on AWS (the budget's writes are our code's DynamoDB calls, so counted).
  const localSecretsManager = new LocalSecretsManager(join(dataDir, 'secrets.json'));
  const secretsManagerClient = calls.instrument('SecretsManager', localSecretsManager.client());
  const secretsManager = new SecretsManagerStore(secretsManagerClient, {
    budget: new DynamoCallBudget({ doc: dynamo.doc, tableName: LOCAL_TABLE, limits: SECRETS_MANAGER_BUDGETS }),
  });
  started.push(async () => secretsManagerClient.destroy());
  let secrets: SecretStore = secretsManager;
  if (options.secretStorage === 'envelope') {
    // The stack generates this secret at deploy time; locally it is made on first start.
    await secretsManager.get(LOCAL_KEK_NAME).catch(() => secretsManager.create(LOCAL_KEK_NAME, newKeyringText(), {}));
    secrets = new EnvelopeSecretStore({
      doc: dynamo.doc,
      tableName: LOCAL_TABLE,
      namePrefix: LOCAL_SECRET_PREFIX,
      readKeyring: () => secretsManager.get(LOCAL_KEK_NAME),
    });
  }
  // fauxqs refuses emoji that SQS takes (functions/domain/sqs-safe-json.ts): escaped locally.
  const ingestQueue = new SqsQueue(sqs.client, sqs.ingest.url, { astral: true });
  const deliveryQueue = new SqsQueue(sqsForCode, sqs.delivery.url, { astral: true });
  // The fan-out's continuations: our code's calls to the ingest queue, so counted.
  const ingest = new SqsQueue(sqsForCode, sqs.ingest.url, { astral: true });
  const catalog = loadCatalog();
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const client = new WebhookClient({
    policy: LOCAL_POLICY,
    timeoutMs: attemptTimeoutMs,
    userAgent: 'serverless-webhooks/0.1 (local)',
  });
  started.push(() => client.close());

  const { tenantId, ...credentials } = await ensureLocalTenant(tenants, dataDir, options.identity, options.authorization, (id) => {
    // As `npm run tenant -- create` does: an enabled key of its own, in the default plan.
    const key = usagePlans.createApiKey({ name: id, enabled: true });
    usagePlans.createUsagePlanKey(defaultUsagePlanId, key.id);
    return { id: key.id, value: key.value };
  });
  const portal = new DynamoPortalSessionStore(dynamo.doc, LOCAL_TABLE);
  // Known once the gateway listens; portal links point below it.
  let baseUrl = '';

  const queueBus = new QueueEventBus(
    ingestQueue,
    LOCAL_REGION,
    new SqsQueue(sqs.client, sqs.busTargetDlq.url),
    new SqsQueue(sqs.client, sqs.busOtherEvents.url, { astral: true }),
    new SqsQueue(sqs.client, sqs.busOperationalEvents.url, { astral: true }),
  );
  const bus = usage.bus(calls.bus(queueBus));
  const entryBus = usage.entries(calls.entries(faultyEntryBus(queueBus, faults)));
  // The sender's and the API's operational events: counted and metered as the stack's PutEvents.
  const operational = new OperationalEvents({ bus: usage.entries(calls.entries(queueBus)), metrics, log });

  // Inbound webhooks: the same handler as the stack's inbound function, its secrets read through
  // the same adapter over the same Secrets Manager stand-in (GetSecretValue only, so without the
  // budget, as on AWS). The inbound CLI reaches that stand-in over loopback.
  const inboundStore = new DynamoInboundStore(dynamo.doc, LOCAL_TABLE, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const inbound = createInbound({
    sources: new SourceRegistry({
      declared: declaredInbound,
      repository: inboundStore,
      secrets: new SecretsManagerStore(secretsManagerClient),
      secretPrefix: LOCAL_INBOUND_SECRET_PREFIX,
      ...LOCAL_INBOUND_CACHE,
      ...options.inboundCache,
      log,
    }),
    store: faultyInboundStore(inboundStore, faults),
    bodies,
    bus: entryBus,
    metrics,
    bodyBucket: LOCAL_BODY_BUCKET,
    ...(options.inboundBusTimeoutMs !== undefined ? { busTimeoutMs: options.inboundBusTimeoutMs } : {}),
    ...(options.inboundClock ? { now: options.inboundClock } : {}),
    log,
  });
  const secretsManagerEndpoint = await localSecretsManager.listen();
  started.push(() => secretsManagerEndpoint.stop());
  const api = createApi({
    subscriptions,
    secrets,
    bus,
    store,
    bodies,
    deliveries: deliveryQueue,
    catalog,
    operational,
    policy: LOCAL_POLICY,
    secretNamePrefix: LOCAL_SECRET_PREFIX,
    verificationMode: options.verification ?? UPGRADE_VERIFICATION,
    ...(options.rotationOverlapSeconds !== undefined ? { rotationOverlapSeconds: options.rotationOverlapSeconds } : {}),
    ...(options.maxSubscriptionsPerTenant !== undefined ? { maxSubscriptionsPerTenant: options.maxSubscriptionsPerTenant } : {}),
    ...(options.secretStorage !== 'envelope' && options.listSecretCache !== false ? { listSecretCache: new ListSecretCache() } : {}),
    recoveries: {
      store: recoveryStore,
      retentionDays,
      ...(options.resumeRatePerSecond !== undefined ? { ratePerSecond: options.resumeRatePerSecond } : {}),
    },
    portal,
    portalLifetimes,
    sourceIps: parseSourceIps((options.sourceIps ?? []).join(','), `sourceIps (${SOURCE_IPS_ENV})`),
    baseUrl: () => baseUrl,
    log,
    ...(options.clock ? { now: options.clock } : {}),
  });
  const onError = (err: Error) => log('error', 'poller error', { error: err.message });
  const observed = <R>(fn: 'fanout' | 'sender', handler: (event: SQSEvent) => Promise<R>) => {
    const onInvocation = options.onInvocation;
    if (!onInvocation) return handler;
    return (event: SQSEvent) => {
      onInvocation(fn, event);
      return handler(event);
    };
  };
  const pollers = [
    startPoller({
      sqs: sqs.client,
      queue: sqs.ingest,
      handler: observed(
        'fanout',
        usage.lambda(
          'fanout',
          faults.wrapHandler('fanout', createFanout({ subscriptions, deliveries: deliveryQueue, ingest, store, bodies, metrics, log })),
        ),
      ),
      batchSize: FANOUT_BATCH_SIZE,
      batchWindowSeconds: FANOUT_BATCH_WINDOW_SECONDS,
      concurrency: 2,
      maxConcurrency: FANOUT_MAX_CONCURRENCY,
      onError,
    }),
    startPoller({
      sqs: sqs.client,
      queue: sqs.delivery,
      handler: observed(
        'sender',
        usage.lambda(
          'sender',
          faults.wrapHandler(
            'sender',
            createSender({
              secrets,
              deliveries: faultyQueue(deliveryQueue, faults),
              store: faultyStore(store, faults),
              bodies,
              client,
              schedule,
              attemptTimeoutMs,
              ...(options.verificationSchedule ? { verificationSchedule: options.verificationSchedule } : {}),
              ...(options.parking === false
                ? {}
                : {
                    parking: {
                      lots: parkingStore,
                      gauge: new SqsInFlightGauge(sqsForCode, sqs.delivery.url),
                      dueBucketSeconds,
                      ...(options.inFlightBudget !== undefined ? { inFlightBudget: options.inFlightBudget } : {}),
                    },
                  }),
              operational,
              rateSlots: new DynamoRateSlots(dynamo.doc, LOCAL_TABLE),
              metrics,
              log,
              ...(options.clock ? { now: options.clock } : {}),
            }),
          ),
        ),
      ),
      batchSize: SENDER_BATCH_SIZE,
      concurrency: 4,
      maxConcurrency: SENDER_MAX_CONCURRENCY,
      faults,
      ...(options.senderInvocationTimeoutMs ? { invocationTimeoutMs: options.senderInvocationTimeoutMs } : {}),
      onError,
    }),
  ];
  // The stack's once-a-minute schedule: one run at a time, as its reserved concurrency of 1 makes it.
  const resumerPorts = faultyResumer(parkingStore, deliveryQueue, faults);
  const resumer = usage.lambda(
    'resumer',
    createResumer({
      parking: resumerPorts.parking,
      store,
      deliveries: resumerPorts.queue,
      dueBucketSeconds,
      ...(options.resumeRatePerSecond !== undefined ? { resumeRatePerSecond: options.resumeRatePerSecond } : {}),
      ...(options.resumerTimeBudgetMs !== undefined ? { timeBudgetMs: options.resumerTimeBudgetMs } : {}),
      autoDisable: { afterSeconds: options.autoDisableSeconds ?? DEFAULT_AUTO_DISABLE_SECONDS, store: recoveryStore },
      operational,
      recoveries: createRecoveryWorker({
        recoveries: recoveryStore,
        store,
        subscriptions,
        deliveries: resumerPorts.queue,
        now: clock,
        ...(options.resumeRatePerSecond !== undefined ? { ratePerSecond: options.resumeRatePerSecond } : {}),
        log,
      }),
      now: clock,
      metrics,
      log,
    }),
  );
  const resumes = startResumeLoop(() => resumer(undefined), options.resumeIntervalMs ?? dueBucketSeconds * 1000, onError);
  started.push(() => resumes.stop());
  // A batch still in flight after the grace period is abandoned, not lost: its messages were
  // never deleted, so the queue hands them out again after the next start.
  started.push(() =>
    Promise.race([Promise.all(pollers.map((p) => p.stop())), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]).then(
      () => undefined,
    ),
  );
  const portalAssets = createPortalAssets(await buildPortal(), {
    receiverGuideUrl,
    newLinkHelp: `Running locally: npm run -s tenant -- portal --identity ${credentials.identity} prints a new link.`,
  });
  const apiDocsAssets = createApiDocsAssets(buildApiDocs());
  const port = options.port ?? 3000;
  const gateway = await startGateway({
    port,
    api: usage.lambda('api', api),
    authorizer: usage.lambda(
      'authorizer',
      createAuthorizer(faultyTenants(tenants, faults), portal, { sharedThrottleKey: LOCAL_SHARED_THROTTLE_KEY, metrics, log }),
    ),
    authorizerCacheTtlSeconds: options.authorizerCacheTtlSeconds ?? 0,
    throttle: new GatewayThrottle({ stage: throttles.stage, planLimits: (key) => usagePlans.limitsForKey(key, apiStage) }),
    publicPaths: PUBLIC_PATHS,
    ...(options.observeApi ? { observe: options.observeApi } : {}),
    sites: [
      { prefix: '/portal', handler: portalAssets },
      // The API reference page: the portal function serves it on AWS too, without the authorizer.
      { prefix: API_DOCS_PATH, handler: apiDocsAssets },
      // No authorizer: the signature is the credential (the stack's POST /inbound/{source} has none either).
      { prefix: '/inbound', handler: usage.lambda('inbound', inbound) },
    ],
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      throw new LocalStartError(
        `port ${port} is in use: stop what listens there, or set PORT to a free port (for example PORT=3001 npm start)`,
      );
    }
    throw err;
  });
  started.push(() => gateway.stop());
  flushAuthorizerCache = gateway.flushAuthorizerCache;
  lock.setUrl(gateway.url);
  baseUrl = `${gateway.url}/`;

  const endpoints: LocalEndpoints = {
    apiUrl: gateway.url,
    dynamodbEndpoint: dynamo.endpoint,
    tableName: LOCAL_TABLE,
    sqsEndpoint: sqs.endpoint,
    deliveryQueueUrl: sqs.delivery.url,
    deadLetterQueueUrl: sqs.deliveryDlq.url,
    ingestQueueUrl: sqs.ingest.url,
    ingestDeadLetterQueueUrl: sqs.ingestDlq.url,
    busTargetDeadLetterQueueUrl: sqs.busTargetDlq.url,
    operationalEventsQueueUrl: sqs.busOperationalEvents.url,
    apiGateway: {
      endpoint: apiGatewayControl.endpoint,
      restApiId: LOCAL_REST_API_ID,
      stage: LOCAL_STAGE,
      defaultUsagePlanId,
      sharedUsagePlanId,
    },
    inbound: {
      secretsManagerEndpoint: secretsManagerEndpoint.endpoint,
      secretPrefix: LOCAL_INBOUND_SECRET_PREFIX,
      declaredSources: declaredInbound.map((s) => s.name),
      busOtherEventsQueueUrl: sqs.busOtherEvents.url,
      bodyBucket: LOCAL_BODY_BUCKET,
    },
    pid: process.pid,
  };
  const endpointsFile = join(dataDir, ENDPOINTS_FILE);
  writeFileSync(endpointsFile, JSON.stringify(endpoints, null, 2));
  started.push(() => rmSync(endpointsFile, { force: true }));

  return {
    url: gateway.url,
    dataDir,
    credentials,
    tenantId,
    endpoints,
    calls,
    secretsManager: localSecretsManager,
    usage,
    bus,
    metrics,
    sqs,
    bodies,
    inbound: inboundStore,
    entryBus,
    faults,
    visibilityRule,
    resumeNow: () => resumes.runNow(),
    usagePlans,
    async portalLink() {
      const tenant = await tenants.findByIdentity(credentials.identity);
      if (!tenant) throw new Error(`the local tenant ${credentials.identity} is gone`);
      return issuePortalLink(portal, portalTenantOf(tenant), baseUrl, portalLifetimes.linkTtlSeconds, new Date());
    },
    // The gateway stops taking requests before the pollers and the emulators go.
    stop: () => stopAll(started),
  };
}

/** Runs `run` every `intervalMs`, one run at a time (a run asked for meanwhile waits for the one under way). */
function startResumeLoop(run: () => Promise<ResumeReport>, intervalMs: number, onError: (err: Error) => void) {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const serial = (): Promise<ResumeReport> => {
    const next = chain.then(run);
    chain = next.catch(() => undefined);
    return next;
  };
  const timer = setInterval(() => {
    if (!stopped) serial().catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    runNow: serial,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await chain;
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
  identity: string | undefined,
  authorization: string | undefined,
  newThrottleKey: (tenantId: string) => ThrottleKey,
): Promise<{ identity: string; authorization: string; tenantId: string }> {
  const file = join(dataDir, 'local-tenant.json');
  let creds: { identity: string; authorization: string };
  if (identity && authorization) creds = { identity, authorization };
  else if (existsSync(file)) creds = JSON.parse(readFileSync(file, 'utf8')) as typeof creds;
  else creds = newCredentials();
  const existing = await tenants.findByIdentity(creds.identity);
  const tenantId = existing?.tenantId ?? `tnt_local_${creds.identity.slice(-8)}`;
  if (!existing) {
    await tenants.create({
      tenantId,
      name: 'local developer',
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active',
      createdTime: new Date().toISOString(),
      throttleKey: newThrottleKey(tenantId),
    });
  } else if (!keyMatches(creds.authorization, existing.keyHash)) {
    throw new Error(`Identity ${creds.identity} already exists in ${dataDir} with another Authorization value`);
  }
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return { ...creds, tenantId };
}
