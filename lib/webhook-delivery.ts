import { ArnFormat, type CfnResource, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type InboundSource, parseInboundSources, SourceConfigError } from '../functions/domain/inbound/source.js';
import {
  DEFAULT_IN_FLIGHT_BUDGET,
  DEFAULT_RESUME_RATE_PER_SECOND,
  minRetentionDays,
  SQS_IN_FLIGHT_QUOTA,
} from '../functions/domain/parking.js';
import {
  DEFAULT_PORTAL_LINK_TTL_SECONDS,
  DEFAULT_PORTAL_SESSION_TTL_SECONDS,
  PORTAL_LINK_TTL_ENV,
  PORTAL_SESSION_TTL_ENV,
  PORTAL_TTL_RANGE,
  validateReceiverGuideUrl,
} from '../functions/domain/portal.js';
import { DEFAULT_AUTO_DISABLE_SECONDS } from '../functions/domain/recovery.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_SCHEDULE, validateSchedule } from '../functions/domain/retry-schedule.js';
import { SECRET_STORAGES, type SecretStorage } from '../functions/domain/secret-storage.js';
import { checkStaticSourceIps, DEFAULT_ELASTIC_IP_QUOTA, SOURCE_IPS_ENV } from '../functions/domain/source-ips.js';
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT } from '../functions/domain/subscription-cap.js';
import {
  checkTenantWithinStage,
  DEFAULT_STAGE_THROTTLE,
  DEFAULT_TENANT_THROTTLE,
  type ThrottleLimits,
  validateThrottle,
} from '../functions/domain/throttle.js';
import {
  NEW_DEPLOYMENT_VERIFICATION,
  UPGRADE_VERIFICATION,
  VERIFICATION_MODE_ENV,
  VERIFICATION_MODES,
  type VerificationMode,
} from '../functions/domain/verification.js';
import { AUTO_DISABLE_ENV, BODY_BUCKET_ENV, IN_FLIGHT_BUDGET_ENV, RESUME_RATE_ENV } from '../functions/runtime/config.js';
import { type AlarmThresholds, PipelineAlarms, type PipelineFunctions } from './constructs/alarms.js';
import { DeliveryDashboard } from './constructs/dashboard.js';
import { DataTable } from './constructs/data-table.js';
import { DeliveryQueues } from './constructs/delivery-queues.js';
import { DeliveryResumer } from './constructs/delivery-resumer.js';
import { DeliverySender, SENDER_TIMEOUT } from './constructs/delivery-sender.js';
import { StaticEgress } from './constructs/egress.js';
import { EventBodies } from './constructs/event-bodies.js';
import { EventIngest } from './constructs/event-ingest.js';
import { INBOUND_BODY_PREFIX, InboundWebhooks } from './constructs/inbound-webhooks.js';
import { KeyEncryptionKey } from './constructs/key-encryption-key.js';
import { grantInbound, grantOperate, grantRedrive, type OperatedPipeline } from './constructs/operator-grants.js';
import { API_STAGE_NAME, checkProvisionedConcurrency, type ProvisionedConcurrency, WebhookApi } from './constructs/webhook-api.js';
import { checkMemorySizes, type MemorySizes, type WebhookFunction } from './constructs/webhook-function.js';

export type { AlarmThresholds } from './constructs/alarms.js';

export type { InboundSource, MemorySizes, ProvisionedConcurrency, SecretStorage, ThrottleLimits };

/** Powertools Logger levels. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** CloudWatch namespace of the pipeline's own metrics (functions/runtime/observability.ts writes them). */
export const METRICS_NAMESPACE = 'Webhooks';

/**
 * Sender and fan-out concurrency caps (their SQS event source mappings' MaximumConcurrency, 2 to
 * 1,000). Chosen so that, with the default account quota of 1,000 concurrent executions, the
 * API keeps room: the stage's burst of 200 requests uses at most 200 api and 200 authorizer
 * environments, 400 + 50 + 400 = 850, and 150 are left for the rest of the account.
 */
export const DEFAULT_SENDER_MAX_CONCURRENCY = 400;
export const DEFAULT_FANOUT_MAX_CONCURRENCY = 50;
/** Lambda's bounds for an SQS event source mapping's MaximumConcurrency. */
export const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 } as const;

export { DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT };

/** `staticSourceIps`: deliveries from fixed addresses. */
export interface StaticSourceIps {
  /**
   * How many Availability Zones (the first ones the stack sees) or which, by name: one NAT
   * gateway and one Elastic IP each, so one address per zone. A stack without an account and
   * region sees 2 zones; for 3 or more give it an env or name them.
   */
  readonly availabilityZones: number | readonly string[];
  /**
   * The account's Elastic IP quota in the region: more zones than this are refused at synth
   * (the quota counts every address of the account there, so leave room for the others).
   * @default 5 (AWS's default quota)
   */
  readonly elasticIpQuota?: number;
}

/**
 * The CDK feature-flag pattern for a default that changed: cdk.json (of this repository, so of
 * every new deployment from it) sets the flag; an app that does not keeps the earlier behaviour.
 */
export const VERIFICATION_CONTEXT_FLAG = '@webhooks/endpointVerification';

export function verificationSetting(scope: Construct, given: VerificationMode | undefined): VerificationMode {
  if (given !== undefined) {
    if (!(VERIFICATION_MODES as readonly string[]).includes(given))
      throw new Error(`verification must be one of ${VERIFICATION_MODES.join(', ')}, got "${given}"`);
    return given;
  }
  const flag: unknown = scope.node.tryGetContext(VERIFICATION_CONTEXT_FLAG);
  return flag === true || flag === 'true' ? NEW_DEPLOYMENT_VERIFICATION : UPGRADE_VERIFICATION;
}

export interface WebhookDeliveryProps {
  /**
   * Seconds to wait before each retry of a failed delivery; a delivery gets one attempt more than
   * there are steps. Each step at most 12 h (SQS's visibility limit). The delivery queue's
   * maxReceiveCount and retention are derived from it.
   * @default DEFAULT_RETRY_SCHEDULE: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 12 h, 12 h
   */
  readonly retrySchedule?: readonly number[];
  /** Per-attempt HTTP timeout, 1 to 30 s (the sender runs a batch within its 60 s). @default Duration.seconds(5) (seed 004's "at most 5 seconds") */
  readonly attemptTimeout?: Duration;
  /**
   * Endpoint verification (docs/tenants/api.md, "Endpoint verification"): `challenge` (the endpoint must echo a
   * signed challenge before it gets anything else), `reachability` (any 2xx to the signed
   * request) or `none` (verified at once). Without it, the context flag
   * `VERIFICATION_CONTEXT_FLAG` decides: `true` (this repository's cdk.json, so a new deployment
   * from it) gives `challenge`; absent (an app embedding an earlier version of this construct) gives
   * `none`, so an upgrade keeps delivering as before.
   * @default challenge with the context flag set, none without it
   */
  readonly verification?: VerificationMode;
  /** How long events, deliveries and attempts are kept (DynamoDB TTL), 1 to 365 days. @default Duration.days(30) */
  readonly retention?: Duration;
  /** How long a rotated-out signing secret keeps signing, 0 to 30 days. @default Duration.hours(24) */
  readonly secretRotationOverlap?: Duration;
  /**
   * Most concurrent sender invocations (MaximumConcurrency of its SQS event source mapping, 2 to
   * 1,000). Each handles up to 10 deliveries at a time.
   * @default 400
   */
  readonly senderMaxConcurrency?: number;
  /** Most concurrent fan-out invocations (2 to 1,000). Each handles up to 100 events. @default 50 */
  readonly fanoutMaxConcurrency?: number;
  /**
   * The delivery queue's in-flight budget (1,000 to 110,000): SQS allows about 120,000 in-flight
   * messages a standard queue, and at that cap a long-poll receive gets nothing, so every tenant
   * stalls. The sender parks waits it would keep in flight once the queue passes 40 % of this, and
   * the `DeliveryQueueInFlightHigh` alarm fires at 50 %.
   * @default 60000
   */
  readonly inFlightBudget?: number;
  /** How many held deliveries a second the resumer sends a recovered endpoint, per subscription (1 to 500). @default 20 */
  readonly resumeRatePerSecond?: number;
  /**
   * How long every delivery to a subscription must have failed (its lot open: functions/domain/parking.ts)
   * before it is disabled, with reason `endpoint_failing` (1 minute to 90 days). Svix's default.
   * @default Duration.days(5)
   */
  readonly autoDisableAfter?: Duration;
  /** Most subscriptions one tenant may have (the api function's MAX_SUBSCRIPTIONS_PER_TENANT). @default 1000 */
  readonly maxSubscriptionsPerTenant?: number;
  /**
   * Each tenant's API limit, `{ rateLimit, burstLimit }` (requests a second, and the bucket a
   * burst can empty), unless `npm run tenant -- throttle` gives it its own: the default usage
   * plan's throttle. At most the stage's. Whole numbers from 1.
   * @default DEFAULT_TENANT_THROTTLE: 20 a second, burst 40
   */
  readonly tenantThrottle?: ThrottleLimits;
  /**
   * The API stage's limit, for every tenant and the public routes together. At most the account's
   * API Gateway throttle quota (10,000 a second, burst 5,000 by default).
   * @default DEFAULT_STAGE_THROTTLE: 100 a second, burst 200
   */
  readonly stageThrottle?: ThrottleLimits;
  /** How long a tenant portal link works (once), 60 s to 1 day. @default Duration.minutes(15) */
  readonly portalLinkTtl?: Duration;
  /** How long a tenant portal session lasts, 60 s to 1 day. @default Duration.hours(1) */
  readonly portalSessionTtl?: Duration;
  /**
   * Where the tenant portal's link to the receiver guide (docs/receiving-webhooks.md: verifying
   * signatures, retries, deduplication, rotation) points, beside each subscription's signing
   * secret: an absolute http or https URL, such as the guide on your own documentation site.
   * @default the guide the portal serves itself, as plain text: `<ApiUrl>portal/receiving-webhooks.md`
   */
  readonly receiverGuideUrl?: string;
  /**
   * Where signing secrets are kept: `'per-subscription'` is one Secrets Manager secret per
   * subscription, named `webhooks/<namePrefix>/<tenant>/<subscription>` ($0.40 a month each).
   * `'envelope'` is one Secrets Manager secret (`keyEncryptionKey`, generated) holding a
   * key-encryption key ring; each subscription's secrets are sealed with it (AES-256-GCM) in an
   * item beside the subscription in the table. Choose it before the first subscription: changing
   * it later leaves existing subscriptions' secrets in the other storage, unread.
   * @default 'per-subscription'
   */
  readonly secretStorage?: SecretStorage;
  /**
   * With `secretStorage: 'envelope'`, an existing key ring to use instead of making one, e.g.
   * `Secret.fromSecretCompleteArn(...)`: a ring kept from an earlier stack, or one managed
   * elsewhere. It must hold `{"current":"<id>","<id>":"<32 or more characters>",...}`. The stack
   * then neither creates nor removes a ring; the api and sender functions may read this one.
   * @default a new ring with a generated name and the table's removal policy
   */
  readonly keyEncryptionKey?: secretsmanager.ISecret;
  /** SNS topic that gets every alarm and its recovery. @default no alarm actions (the alarms still show on the dashboard) */
  readonly alarmTopic?: sns.ITopic;
  /** Alarm thresholds. @default see AlarmThresholds */
  readonly alarmThresholds?: AlarmThresholds;
  /** Retention of the functions' and the API's log groups. @default logs.RetentionDays.ONE_MONTH (API access logs: THREE_MONTHS) */
  readonly logRetention?: logs.RetentionDays;
  /** Level of the functions' logs; successful delivery attempts log at DEBUG, failed ones at WARN. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** Share of invocations (0 to 1) that log at DEBUG whatever logLevel says: a sample of successful attempts. @default 0 */
  readonly debugLogSampleRate?: number;
  /**
   * What happens to the table (tenants, subscriptions, history) and the log groups when the
   * construct is removed or the stack destroyed.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Prefix of the names this construct gives: the event bus `<prefix>-events`, the REST API
   * `<prefix>-api`, the signing secrets `webhooks/<prefix>/...` and the metrics' `service`
   * dimension. Letters, digits and hyphens, starting with a letter, at most 128.
   * @default a name unique to this construct in its stack (stack name, path and a hash)
   */
  readonly namePrefix?: string;
  /**
   * Set the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account), which stage
   * logging needs once per account and region. Turn off when the account already has one.
   * @default true for the first WebhookDelivery of a stack, false for the others
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * Inbound webhook sources (docs/inbound-webhooks.md): each is `POST <ApiUrl>inbound/<name>`,
   * verified by its provider's scheme (`stripe`, `github`, `shopify`, `slack`,
   * `standard-webhooks`/`svix`, `hmac`), its events put on the bus as `webhooks.inbound.<name>`.
   * Their secrets are set after the deploy (`npm run inbound -- secret --name <name> --secret ...`,
   * kept in Secrets Manager as `webhooks-inbound/<namePrefix>/<name>`); more sources can be added
   * at run time with `npm run inbound -- add`.
   * @default none (the endpoint still serves sources added with the CLI)
   */
  readonly inboundSources?: readonly InboundSource[];
  /**
   * Send every delivery from a fixed set of addresses receivers can allow: the sender (the only
   * function that connects to tenants' endpoints) runs in a VPC's private subnets behind one NAT
   * gateway per zone, each with an Elastic IP the stack allocates (`sourceIps`; the api answers
   * them on `GET /api/v0.1/source-ips` and the portal shows them). Costs $36 a 30-day month per
   * zone (NAT gateway and public IPv4 address hours) plus $0.045 per GB through the NAT, about
   * $0.33 per million attempts (us-east-1; docs/operators/sizing-and-quotas.md, "Static source IPs").
   * @default off: the sender runs outside any VPC, from Lambda's shared addresses
   */
  readonly staticSourceIps?: StaticSourceIps;
  /**
   * Memory per function in MB (128 to 10,240, whole MB), over each one's own default: `api`,
   * `authorizer`, `fanout`, `resumer`, `inbound` 256, `sender` 512, `portal` 128. Lambda gives CPU
   * in proportion to memory (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html),
   * so more memory is a shorter cold start and shorter invocations, at a higher price per ms.
   * @default each function's own
   */
  readonly memorySizes?: MemorySizes;
  /**
   * Execution environments Lambda keeps initialized for the api and the authorizer (no cold start
   * for the first that many concurrent requests): each function given gets a version and an alias
   * `live` with that many, and API Gateway invokes the alias. Billed whether used or not, $2.16 a
   * 30-day month per environment at 256 MB on arm64 (us-east-1; docs/operators/sizing-and-quotas.md, "Cold starts: what you can
   * tune"), and taken from the account's unreserved concurrency (`npm run preflight` counts it).
   * @default none: no version, no alias
   */
  readonly provisionedConcurrency?: ProvisionedConcurrency;
}

/** Bounds of the numeric settings, [min, max]. */
export const SETTING_LIMITS = {
  attemptTimeoutSeconds: [1, 30],
  retentionDays: [1, 365],
  secretRotationOverlapSeconds: [0, 30 * 86_400],
  maxSubscriptionsPerTenant: [1, 1_000_000],
  inFlightBudget: [1_000, SQS_IN_FLIGHT_QUOTA - 10_000],
  resumeRatePerSecond: [1, 500],
  autoDisableSeconds: [60, 90 * 86_400],
  portalLinkTtlSeconds: [PORTAL_TTL_RANGE.min, PORTAL_TTL_RANGE.max],
  portalSessionTtlSeconds: [PORTAL_TTL_RANGE.min, PORTAL_TTL_RANGE.max],
} as const satisfies Record<string, readonly [number, number]>;

export function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

/** Secret actions the api function needs to manage one signing secret per subscription. */
export const API_SECRET_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:TagResource',
  'secretsmanager:DescribeSecret',
] as const;

const NAME_PREFIX = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** Stacks where a WebhookDelivery already sets the account's API Gateway logging role. */
const STACKS_WITH_CLOUDWATCH_ROLE = new WeakSet<Stack>();

/**
 * The webhook delivery pipeline, as one construct to add to any stack:
 *
 *   tenant -> API Gateway (authorizer) -> api fn -> DynamoDB, Secrets Manager, bus, delivery queue
 *   producers -> bus -> rule -> ingest queue -> fanout fn -> delivery queue -> sender fn -> receivers
 *   delivery queue -> (last attempt failed) -> DLQ -> (console redrive) -> delivery queue
 *
 * plus a CloudWatch dashboard and alarms. No fixed physical names: any number of instances fit
 * in one stack (give each its own namePrefix to read their names easily).
 */
export class WebhookDelivery extends Construct {
  readonly retrySchedule: readonly number[];
  /** The endpoint verification setting in force (props, else the context flag). */
  readonly verification: VerificationMode;
  readonly namePrefix: string;
  /** Prefix of the signing secrets' names: `webhooks/<namePrefix>/`. */
  readonly secretNamePrefix: string;
  /** With `secretStorage: 'envelope'`, the secret holding the key-encryption key ring. */
  readonly keyEncryptionKey?: secretsmanager.ISecret;
  /** The `service` dimension of the pipeline's metrics (namespace METRICS_NAMESPACE). */
  readonly metricsServiceName: string;
  readonly data: DataTable;
  /** The bucket for event bodies too large for the table (over about 392 KB, up to 1 MiB). */
  readonly bodies: EventBodies;
  readonly deliveryQueues: DeliveryQueues;
  readonly ingest: EventIngest;
  readonly delivery: DeliverySender;
  readonly resumer: DeliveryResumer;
  /** The delivery queue's in-flight budget (`inFlightBudget`). */
  readonly inFlightBudget: number;
  readonly webhookApi: WebhookApi;
  /** Inbound webhooks: `POST <ApiUrl>inbound/{source}` and its function. */
  readonly inbound: InboundWebhooks;
  /** Prefix of the inbound sources' secrets: `webhooks-inbound/<namePrefix>/`. */
  readonly inboundSecretNamePrefix: string;
  /** The sources declared here (more may be added at run time). */
  readonly inboundSources: readonly InboundSource[];
  readonly alarms: PipelineAlarms;
  readonly dashboard: DeliveryDashboard;
  /** With `staticSourceIps`: the VPC, NAT gateways and Elastic IPs the sender POSTs through. */
  readonly egress?: StaticEgress;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.retrySchedule = validateSchedule([...(props.retrySchedule ?? DEFAULT_RETRY_SCHEDULE)]);
    this.verification = verificationSetting(this, props.verification);
    this.namePrefix = props.namePrefix ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    if (!NAME_PREFIX.test(this.namePrefix))
      throw new Error(`namePrefix must be letters, digits and hyphens, start with a letter, at most 128; got "${this.namePrefix}"`);
    this.secretNamePrefix = `webhooks/${this.namePrefix}/`;
    this.metricsServiceName = this.namePrefix;
    const secretStorage = props.secretStorage ?? 'per-subscription';
    if (!SECRET_STORAGES.includes(secretStorage))
      throw new Error(`secretStorage must be ${SECRET_STORAGES.map((s) => `'${s}'`).join(' or ')}, got "${secretStorage}"`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logLevel = props.logLevel ?? 'INFO';
    if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel))
      throw new Error(`logLevel must be DEBUG, INFO, WARN or ERROR, got "${logLevel}"`);
    const sampleRate = props.debugLogSampleRate ?? 0;
    if (!(sampleRate >= 0 && sampleRate <= 1)) throw new Error(`debugLogSampleRate must be from 0 to 1, got ${sampleRate}`);
    const concurrency = (name: string, value: number) => wholeNumber(name, value, MAX_CONCURRENCY_RANGE.min, MAX_CONCURRENCY_RANGE.max);
    const seconds = (d: Duration | undefined, fallback: Duration) => (d ?? fallback).toSeconds();
    // Every setting is checked before anything is built (building a function bundles it).
    const senderMaxConcurrency = concurrency('senderMaxConcurrency', props.senderMaxConcurrency ?? DEFAULT_SENDER_MAX_CONCURRENCY);
    const fanoutMaxConcurrency = concurrency('fanoutMaxConcurrency', props.fanoutMaxConcurrency ?? DEFAULT_FANOUT_MAX_CONCURRENCY);
    const maxSubscriptionsPerTenant = wholeNumber(
      'maxSubscriptionsPerTenant',
      props.maxSubscriptionsPerTenant ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT,
      ...SETTING_LIMITS.maxSubscriptionsPerTenant,
    );
    const rotationOverlapSeconds = wholeNumber(
      'secretRotationOverlap (seconds)',
      seconds(props.secretRotationOverlap, Duration.hours(24)),
      ...SETTING_LIMITS.secretRotationOverlapSeconds,
    );
    const retentionDays = wholeNumber('retention (days)', (props.retention ?? Duration.days(30)).toDays(), ...SETTING_LIMITS.retentionDays);
    // A parked delivery is rebuilt from the event and its record when it comes due: both must outlive its schedule.
    if (retentionDays < minRetentionDays(this.retrySchedule))
      throw new Error(
        `retention must be at least ${minRetentionDays(this.retrySchedule)} days for this retry schedule (its span with jitter, plus a day); got ${retentionDays}`,
      );
    const inFlightBudget = wholeNumber(
      'inFlightBudget',
      props.inFlightBudget ?? DEFAULT_IN_FLIGHT_BUDGET,
      ...SETTING_LIMITS.inFlightBudget,
    );
    const resumeRatePerSecond = wholeNumber(
      'resumeRatePerSecond',
      props.resumeRatePerSecond ?? DEFAULT_RESUME_RATE_PER_SECOND,
      ...SETTING_LIMITS.resumeRatePerSecond,
    );
    const autoDisableSeconds = wholeNumber(
      'autoDisableAfter (seconds)',
      seconds(props.autoDisableAfter, Duration.seconds(DEFAULT_AUTO_DISABLE_SECONDS)),
      ...SETTING_LIMITS.autoDisableSeconds,
    );
    const attemptTimeoutSeconds = wholeNumber(
      'attemptTimeout (seconds)',
      seconds(props.attemptTimeout, Duration.millis(DEFAULT_ATTEMPT_TIMEOUT_MS)),
      ...SETTING_LIMITS.attemptTimeoutSeconds,
    );
    const stageThrottle = validateThrottle('stageThrottle', props.stageThrottle ?? DEFAULT_STAGE_THROTTLE);
    const tenantThrottle = validateThrottle('tenantThrottle', props.tenantThrottle ?? DEFAULT_TENANT_THROTTLE);
    checkTenantWithinStage(tenantThrottle, stageThrottle);
    try {
      this.inboundSources = parseInboundSources([...(props.inboundSources ?? [])], 'inboundSources');
    } catch (err) {
      if (err instanceof SourceConfigError) throw new Error(err.message);
      throw err;
    }
    this.inboundSecretNamePrefix = `webhooks-inbound/${this.namePrefix}/`;
    const staticIps = props.staticSourceIps;
    if (staticIps) {
      const zones = staticIps.availabilityZones;
      checkStaticSourceIps({
        zones: typeof zones === 'number' ? zones : zones.length,
        availableZones: stack.availabilityZones.length,
        elasticIpQuota: staticIps.elasticIpQuota ?? DEFAULT_ELASTIC_IP_QUOTA,
        ...(typeof zones === 'number' ? {} : { names: zones }),
      });
    }
    const memorySizes = checkMemorySizes({ ...props.memorySizes });
    const provisionedConcurrency = checkProvisionedConcurrency({ ...props.provisionedConcurrency });
    const serverErrorRate = props.alarmThresholds?.apiServerErrorRate;
    if (serverErrorRate !== undefined && !(serverErrorRate >= 0 && serverErrorRate <= 1))
      throw new Error(`alarmThresholds.apiServerErrorRate must be from 0 to 1, got ${serverErrorRate}`);

    this.data = new DataTable(this, 'Data', { removalPolicy });
    const table = this.data.table;
    this.bodies = new EventBodies(this, 'Bodies', { retentionDays, removalPolicy });

    this.deliveryQueues = new DeliveryQueues(this, 'Delivery', {
      retrySchedule: this.retrySchedule,
      senderTimeout: SENDER_TIMEOUT,
    });
    const deliveryQueue = this.deliveryQueues.queue;

    if (props.keyEncryptionKey && secretStorage !== 'envelope')
      throw new Error("keyEncryptionKey is the envelope storage's key ring: give it with secretStorage 'envelope'");
    if (secretStorage === 'envelope')
      this.keyEncryptionKey = props.keyEncryptionKey ?? new KeyEncryptionKey(this, 'KeyEncryptionKey', { table, removalPolicy }).secret;

    const environment: Record<string, string> = {
      WEBHOOKS_MODE: 'aws',
      TABLE_NAME: table.tableName,
      [BODY_BUCKET_ENV]: this.bodies.bucket.bucketName,
      DELIVERY_QUEUE_URL: deliveryQueue.queueUrl,
      SECRET_NAME_PREFIX: this.secretNamePrefix,
      SECRET_STORAGE: secretStorage,
      ...(this.keyEncryptionKey ? { SECRET_KEK_ID: this.keyEncryptionKey.secretArn } : {}),
      WEBHOOKS_RETRY_SCHEDULE: this.retrySchedule.join(','),
      WEBHOOKS_ROTATION_OVERLAP_SECONDS: String(rotationOverlapSeconds),
      WEBHOOKS_RETENTION_DAYS: String(retentionDays),
      WEBHOOKS_ATTEMPT_TIMEOUT_MS: String(attemptTimeoutSeconds * 1000),
      [PORTAL_LINK_TTL_ENV]: String(
        wholeNumber(
          'portalLinkTtl (seconds)',
          props.portalLinkTtl?.toSeconds() ?? DEFAULT_PORTAL_LINK_TTL_SECONDS,
          ...SETTING_LIMITS.portalLinkTtlSeconds,
        ),
      ),
      [PORTAL_SESSION_TTL_ENV]: String(
        wholeNumber(
          'portalSessionTtl (seconds)',
          props.portalSessionTtl?.toSeconds() ?? DEFAULT_PORTAL_SESSION_TTL_SECONDS,
          ...SETTING_LIMITS.portalSessionTtlSeconds,
        ),
      ),
      POWERTOOLS_SERVICE_NAME: this.metricsServiceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: logLevel,
      ...(sampleRate > 0 ? { POWERTOOLS_LOGGER_SAMPLE_RATE: String(sampleRate) } : {}),
      NODE_OPTIONS: '--enable-source-maps',
    };
    const functionDefaults = { logRetention: props.logRetention, logRemovalPolicy: removalPolicy, memorySizes };

    this.ingest = new EventIngest(this, 'Ingest', {
      eventBusName: `${this.namePrefix}-events`,
      environment,
      maxConcurrency: fanoutMaxConcurrency,
      ...functionDefaults,
    });
    const bus = this.ingest.bus;
    environment.EVENT_BUS_NAME = bus.eventBusName;

    if (staticIps)
      this.egress = new StaticEgress(this, 'Egress', {
        availabilityZones: staticIps.availabilityZones,
        logRetention: props.logRetention,
        logRemovalPolicy: removalPolicy,
      });

    // The only function that connects to tenants' endpoints (the api's test events and retries,
    // and the resumer's held deliveries, go through the delivery queue to it): the only one in the VPC.
    this.delivery = new DeliverySender(this, 'Sender', {
      queue: deliveryQueue,
      environment: { ...environment, [IN_FLIGHT_BUDGET_ENV]: String(inFlightBudget) },
      maxConcurrency: senderMaxConcurrency,
      ...(this.egress ? { egress: this.egress } : {}),
      ...functionDefaults,
    });
    this.inFlightBudget = inFlightBudget;

    this.resumer = new DeliveryResumer(this, 'Resumer', {
      environment: { ...environment, [RESUME_RATE_ENV]: String(resumeRatePerSecond), [AUTO_DISABLE_ENV]: String(autoDisableSeconds) },
      ...functionDefaults,
    });

    // One AWS::ApiGateway::Account per stack is enough (it is per account and region anyway).
    const cloudWatchRole = props.apiGatewayCloudWatchRole ?? !STACKS_WITH_CLOUDWATCH_ROLE.has(stack);
    if (cloudWatchRole) STACKS_WITH_CLOUDWATCH_ROLE.add(stack);

    this.webhookApi = new WebhookApi(this, 'Api', {
      environment,
      // The API starts verifications (the sender reads each one's mode from its subscription), and
      // recoveries, which send at the resume rate as the resumer's do.
      apiEnvironment: {
        MAX_SUBSCRIPTIONS_PER_TENANT: String(maxSubscriptionsPerTenant),
        [RESUME_RATE_ENV]: String(resumeRatePerSecond),
        [VERIFICATION_MODE_ENV]: this.verification,
        // From the EIP resources themselves: the addresses are declared once, in the egress construct.
        ...(this.egress ? { [SOURCE_IPS_ENV]: this.egress.publicIps } : {}),
      },
      cloudWatchRole,
      restApiName: `${this.namePrefix}-api`,
      stageThrottle,
      tenantThrottle,
      accessLogRetention: props.logRetention,
      provisionedConcurrency,
      receiverGuideUrl: Token.isUnresolved(props.receiverGuideUrl)
        ? props.receiverGuideUrl
        : validateReceiverGuideUrl('receiverGuideUrl', props.receiverGuideUrl),
      ...functionDefaults,
    });

    this.inbound = new InboundWebhooks(this, 'Inbound', {
      api: this.webhookApi.api,
      environment,
      sources: this.inboundSources,
      table,
      bus: this.ingest.bus,
      bodies: this.bodies,
      secretPrefix: this.inboundSecretNamePrefix,
      ...functionDefaults,
    });

    // ---- Least privilege: every grant, by function. ----
    const api = this.webhookApi.apiFunction;
    const authorizer = this.webhookApi.authorizerFunction;
    const fanout = this.ingest.fanout;
    const sender = this.delivery.sender;
    const resumer = this.resumer.resumer;
    const secretsArn = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.secretNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    table.grants.readWriteData(api.function);
    this.grantPublish(api.function);
    deliveryQueue.grants.sendMessages(api.function);
    if (this.keyEncryptionKey) {
      // Envelope: the sealed secrets are table items; the only secret read is the key ring.
      api.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.keyEncryptionKey.secretArn] }),
      );
    } else {
      api.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...API_SECRET_ACTIONS], resources: [secretsArn] }));
      // List pages; the action has no resource type ("*"), each secret still needs GetSecretValue above.
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
      api.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }));
      acknowledgeWildcard(
        api,
        'Resource::*',
        'secretsmanager:BatchGetSecretValue supports no resource-level permission; what it returns is limited by GetSecretValue on the signing-secret prefix.',
      );
    }

    table.grants.readData(authorizer.function);
    // Bodies too large for the table: the API and the fan-out put them, the sender reads them.
    this.bodies.grantPut(api.function);
    this.bodies.grantPut(fanout.function);
    this.bodies.grantRead(sender.function);

    table.grants.readWriteData(fanout.function);
    deliveryQueue.grants.sendMessages(fanout.function);

    table.grants.readWriteData(sender.function);
    // Its parking: the queue's in-flight count (the event source's grant has GetQueueAttributes too, said here for itself).
    deliveryQueue.grants.actions(sender.function, ['sqs:GetQueueAttributes']);
    // Operational events (dead letters, endpoints failing and back, 410s) go on the bus; the api's
    // (a tenant's disable) go with its publish grant above. This bus only.
    this.grantPublish(sender.function);
    // A delivery over its subscription's rate limit is sent again, delayed to its slot (rate-limit.ts).
    deliveryQueue.grants.sendMessages(sender.function);

    table.grants.readWriteData(resumer.function);
    deliveryQueue.grants.sendMessages(resumer.function);
    // An auto-disable is reported on the bus (webhook.subscription.disabled). This bus only.
    this.grantPublish(resumer.function);
    sender.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.keyEncryptionKey?.secretArn ?? secretsArn] }),
    );

    const tableIndexes = `Resource::<${stack.resolve((table.node.defaultChild as CfnResource).logicalId)}.Arn>/index/*`;
    // As cdk-nag writes the ARN: pseudo parameters as <AWS::...>, a stack's explicit env as itself.
    const literalOr = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const secretPrefix = `Resource::arn:${literalOr(stack.partition, 'AWS::Partition')}:secretsmanager:${literalOr(stack.region, 'AWS::Region')}:${literalOr(stack.account, 'AWS::AccountId')}:secret:${this.secretNamePrefix}*`;
    const bodyObjects = `Resource::<${stack.resolve((this.bodies.bucket.node.defaultChild as CfnResource).logicalId)}.Arn>/bodies/*`;
    for (const fn of [api, fanout, sender]) {
      acknowledgeWildcard(
        fn,
        bodyObjects,
        "Event bodies are objects created at run time under the bucket's bodies/ prefix, one per large event.",
      );
    }
    const inboundFn = this.inbound.inboundFunction;
    acknowledgeWildcard(
      inboundFn,
      `Resource::<${stack.resolve((this.bodies.bucket.node.defaultChild as CfnResource).logicalId)}.Arn>/${INBOUND_BODY_PREFIX}*`,
      "Large inbound bodies are objects created at run time under the bucket's bodies/inbound/ prefix, one per event.",
    );
    acknowledgeWildcard(
      inboundFn,
      `Resource::arn:${literalOr(stack.partition, 'AWS::Partition')}:secretsmanager:${literalOr(stack.region, 'AWS::Region')}:${literalOr(stack.account, 'AWS::AccountId')}:secret:${this.inboundSecretNamePrefix}*`,
      `Inbound sources' secrets are made at run time (npm run inbound); only this pipeline's prefix ${this.inboundSecretNamePrefix} is readable.`,
    );
    for (const fn of [api, authorizer, fanout, sender, resumer]) {
      acknowledgeWildcard(fn, tableIndexes, 'Queries the table\'s GSI gsi1; CDK grants every index of this one table ("<table>/index/*").');
    }
    for (const fn of this.keyEncryptionKey ? [] : [api, sender]) {
      acknowledgeWildcard(
        fn,
        secretPrefix,
        `Signing secrets are created per subscription at run time; access is limited to this pipeline's name prefix ${this.secretNamePrefix}.`,
      );
    }

    const functions = this.functions;
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      retrySchedule: this.retrySchedule,
      deliveryQueue,
      deadLetterQueue: this.deliveryQueues.deadLetterQueue,
      ingestDeadLetterQueue: this.ingest.deadLetterQueue,
      busTargetDeadLetterQueue: this.ingest.targetDeadLetterQueue,
      functions,
      stage: this.webhookApi.api.deploymentStage,
      inFlightBudget,
      metric: (metricName, options) => this.metric(metricName, options),
      alarmTopic: props.alarmTopic,
      thresholds: props.alarmThresholds,
    });

    this.dashboard = new DeliveryDashboard(this, 'Dashboard', {
      metric: (metricName, options) => this.metric(metricName, options),
      queues: {
        delivery: deliveryQueue,
        deliveryDlq: this.deliveryQueues.deadLetterQueue,
        ingest: this.ingest.queue,
        ingestDlq: this.ingest.deadLetterQueue,
      },
      functions,
      stage: this.webhookApi.api.deploymentStage,
      alarms: this.alarms.alarms,
      inFlightBudget,
      resumerLogGroup: this.resumer.resumer.logGroup,
      inboundLogGroup: this.inbound.inboundFunction.logGroup,
    });
  }

  /** Lets `grantee` publish tenant events to the bus (events:PutEvents on this bus only). */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    // Not bus.grants.allPutEvents: that grants events:PutEvents on every bus ("*").
    return this.ingest.bus.grants.actions(grantee, ['events:PutEvents']);
  }

  /**
   * Lets an operator's `grantee` run `npm run redrive` (every mode) on this pipeline: message move
   * tasks from the delivery and ingest DLQs, the bus target DLQ's receive, send and delete, and
   * DescribeStacks on this stack. Nothing else (docs/runbook.md prints it as a policy document).
   */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return grantRedrive(grantee, this.operated());
  }

  /**
   * Lets an operator's `grantee` run `npm run tenant` on this pipeline: the tenant and portal-link
   * items of the table, API keys and usage plans (account-wide paths: API Gateway names them at run
   * time), this stage's authorizer cache, and DescribeStacks on this stack.
   */
  grantOperate(grantee: iam.IGrantable): iam.Grant {
    return grantOperate(grantee, this.operated());
  }

  /**
   * Lets an operator's `grantee` run `npm run inbound` (every command) on this pipeline: the
   * table's `INBOUND#` items only (condition `dynamodb:LeadingKeys`; Query on the table and gsi1),
   * the inbound sources' secrets under `inboundSecretNamePrefix`, PutEvents on this bus, reading
   * `bodies/inbound/` objects of the body bucket (and ListBucket on it, so a body gone is a 404), and DescribeStacks on this stack.
   */
  grantInbound(grantee: iam.IGrantable): iam.Grant {
    return grantInbound(grantee, this.operated());
  }

  private operated(): OperatedPipeline {
    return {
      scope: this,
      deliveryQueue: this.deliveryQueues.queue,
      deadLetterQueue: this.deliveryQueues.deadLetterQueue,
      ingestQueue: this.ingest.queue,
      ingestDeadLetterQueue: this.ingest.deadLetterQueue,
      busTargetDeadLetterQueue: this.ingest.targetDeadLetterQueue,
      table: this.data.table,
      api: this.webhookApi.api,
      stageName: API_STAGE_NAME,
      bus: this.ingest.bus,
      bodyBucket: this.bodies.bucket,
      inboundSecretPrefix: this.inboundSecretNamePrefix,
    };
  }

  /** One of the pipeline's own metrics (DeliverySucceeded, AttemptLatency, ColdStart...), for this instance. */
  metric(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.SUM,
      ...options,
      dimensionsMap: { service: this.metricsServiceName, ...options.dimensionsMap },
    });
  }

  /** With `staticSourceIps`: the addresses every delivery comes from, comma-separated (a token until deployed). */
  get sourceIps(): string | undefined {
    return this.egress?.publicIps;
  }
  /** Base URL of the tenant API (ends with the stage and a slash). */
  get apiUrl(): string {
    return this.webhookApi.api.url;
  }
  /** The pipeline's Lambda functions (the portal's files have one more). */
  get functions(): PipelineFunctions {
    return {
      api: this.webhookApi.apiFunction.function,
      authorizer: this.webhookApi.authorizerFunction.function,
      fanout: this.ingest.fanout.function,
      sender: this.delivery.sender.function,
      resumer: this.resumer.resumer.function,
      inbound: this.inbound.inboundFunction.function,
    };
  }
  get table(): dynamodb.ITable {
    return this.data.table;
  }
  get eventBus(): events.IEventBus {
    return this.ingest.bus;
  }
  get eventBusName(): string {
    return this.ingest.bus.eventBusName;
  }
  get deliveryQueue(): sqs.IQueue {
    return this.deliveryQueues.queue;
  }
  get deadLetterQueue(): sqs.IQueue {
    return this.deliveryQueues.deadLetterQueue;
  }
  get ingestQueue(): sqs.IQueue {
    return this.ingest.queue;
  }
  get ingestDeadLetterQueue(): sqs.IQueue {
    return this.ingest.deadLetterQueue;
  }
  /** Events EventBridge could not put on the ingest queue (the rule target's DLQ; `npm run redrive -- --ingest`). */
  get busTargetDeadLetterQueue(): sqs.IQueue {
    return this.ingest.targetDeadLetterQueue;
  }
}

function acknowledgeWildcard(fn: WebhookFunction, finding: string, reason: string): void {
  Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}
