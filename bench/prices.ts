/**
 * AWS list prices the cost figures use: us-east-1, USD, on-demand, first pricing tier, no free
 * tier. Read from the pricing pages below on 2026-11-30; update the date with the numbers.
 */
export const PRICES_DATE = '2026-11-30';
export const PRICES_REGION = 'us-east-1';

const PER_MILLION = 1 / 1_000_000;

/** The month every monthly figure counts: 30 days, as AWS's pricing examples do. */
export const SECONDS_PER_MONTH = 30 * 86_400;

export const PRICES = {
  secretsManager: {
    /** https://aws.amazon.com/secrets-manager/pricing/ */
    perSecretMonth: 0.4,
    perApiCall: 0.05 / 10_000,
  },
  dynamodb: {
    /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class) */
    perGbMonth: 0.25,
    perReadRequestUnit: 0.125 * PER_MILLION,
    perWriteRequestUnit: 0.625 * PER_MILLION,
    /** Continuous backups (point-in-time recovery), per GB-month of table size (same page). */
    pitrPerGbMonth: 0.2,
    /** Storage counts each item's raw bytes plus 100 bytes of overhead (same page, "Data storage"). */
    itemOverheadBytes: 100,
  },
  lambda: {
    /** https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-seconds a month) */
    perRequest: 0.2 * PER_MILLION,
    perGbSecondArm: 0.0000133334,
    /**
     * Same page, "Provisioned Concurrency Pricing" (Arm): per GB-second an environment is kept
     * initialized, from the time it is enabled until it is disabled (rounded up to 5 minutes), used
     * or not; and the duration of the invocations it serves, per GB-second, in place of
     * perGbSecondArm (requests as ever). The page renders its rate tables client-side: these are
     * its Arm figures as the AWS price list gives them for US East (N. Virginia), 20 % under x86's
     * $0.0000041667 and $0.0000097222.
     */
    provisionedPerGbSecondArm: 0.0000033334,
    provisionedDurationPerGbSecondArm: 0.0000077778,
  },
  sqs: {
    /** https://aws.amazon.com/sqs/pricing/ (standard queues, first 100 billion requests); every 64 KB chunk of a payload is one request. */
    perRequest: 0.4 * PER_MILLION,
    chunkBytes: 64 * 1024,
  },
  eventBridge: {
    /** https://aws.amazon.com/eventbridge/pricing/ (custom events); each 64 KB chunk of an event is billed as one event. Delivery to targets is not charged. */
    perCustomEvent: 1.0 * PER_MILLION,
    chunkBytes: 64 * 1024,
    /**
     * EventBridge Scheduler, per scheduled invocation past the first 14 million a month (same page,
     * "Scheduler"; the free tier is left out like every other here). The copy of the page this was
     * checked against lacked its Scheduler section: the figure is the AWS price list's
     * ("$1.00 per million scheduled invocations" in US East (N. Virginia); other regions up to $1.25).
     * Only the bench's comparison of parking designs uses it (bench/retry-cost.ts).
     */
    schedulerPerInvocation: 1.0 * PER_MILLION,
  },
  apiGateway: {
    /** https://aws.amazon.com/api-gateway/pricing/ REST APIs, first 333 million requests a month. */
    restPerRequest: 3.5 * PER_MILLION,
    /** HTTP APIs, first 300 million requests a month, metered in 512 KB increments. */
    httpPerRequest: 1.0 * PER_MILLION,
    httpMeterBytes: 512 * 1024,
  },
  cloudWatch: {
    /** https://aws.amazon.com/cloudwatch/pricing/ Logs ingestion (standard log class), per GB. */
    logsIngestionPerGb: 0.5,
    /** Logs storage, per GB-month (compressed). */
    logsStoragePerGbMonth: 0.03,
  },
  vpc: {
    /**
     * https://aws.amazon.com/vpc/pricing/ (NAT gateway, US East): per NAT gateway-hour, and per
     * GB it processes, in either direction, whatever the source or destination. Data transfer out
     * to the internet is billed on top, as it is for a Lambda outside a VPC.
     */
    natGatewayPerHour: 0.045,
    natPerGbProcessed: 0.045,
    /** Same page, "Public IPv4 address": every public IPv4 address, an Elastic IP attached to a NAT gateway too, per hour. */
    publicIpv4PerHour: 0.005,
    /** https://aws.amazon.com/privatelink/pricing/ interface endpoint, per hour per zone (and $0.01 per GB); gateway endpoints (DynamoDB, S3) are free. */
    interfaceEndpointPerHourPerZone: 0.01,
  },
  xRay: {
    /** https://aws.amazon.com/xray/pricing/ traces recorded. */
    perTraceRecorded: 5.0 * PER_MILLION,
  },
} as const;
