/**
 * AWS's documented limits that the code relies on, declared once. Adapters batch by them, the
 * publish route refuses what can never fit them, and the local twin (local/aws-rules/) enforces
 * the ones its emulators do not. docs/aws-rules.md lists each with its source and its test.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

// SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
//      https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
/** One message: body plus every attribute's name, type and value. */
export const SQS_MAX_MESSAGE_BYTES = 1 * MiB;
/** SendMessageBatch: the sum of its messages (as above). */
export const SQS_MAX_BATCH_BYTES = 1 * MiB;
/** SendMessageBatch, ChangeMessageVisibilityBatch, DeleteMessageBatch. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
/**
 * MessageGroupId: up to 128 alphanumeric characters and punctuation. On a standard queue it names
 * the message's tenant for fair queues. It is a request parameter, neither body nor message
 * attribute, so it does not count towards the message's size.
 */
export const SQS_MAX_MESSAGE_GROUP_ID_LENGTH = 128;
const MESSAGE_GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;

export function isSqsMessageGroupId(id: string): boolean {
  return id.length <= SQS_MAX_MESSAGE_GROUP_ID_LENGTH && MESSAGE_GROUP_ID.test(id);
}
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
/** "Approximately 120,000 in flight messages" a standard queue; past it a short poll fails (OverLimit). */
export const SQS_MAX_IN_FLIGHT_MESSAGES = 120_000;

// EventBridge: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html (how an entry is counted)
//   https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb
//   (2026-01-29: events up to 1 MB, from 256 KB; the size page still words the old figure)
/**
 * "The total entry size must be less than" the limit: entries are refused at this size and
 * above. AWS says "1 MB" for EventBridge without a byte count (SQS says 1 MiB): read as the
 * smaller, 1,000,000 bytes, so nothing the twin lets through can be refused on AWS.
 */
export const PUT_EVENTS_MAX_ENTRY_BYTES = 1_000_000;
/** The entries of one PutEvents request together. */
export const PUT_EVENTS_MAX_REQUEST_BYTES = 1_000_000;
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** What the Time parameter counts for, whatever its value. */
export const PUT_EVENTS_TIME_BYTES = 14;

// DynamoDB: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
//           https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
//           https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
export const DYNAMODB_MAX_ITEM_BYTES = 400 * KiB;
export const DYNAMODB_BATCH_WRITE_MAX_ITEMS = 25;
export const DYNAMODB_BATCH_WRITE_MAX_BYTES = 16 * MiB;
export const DYNAMODB_BATCH_GET_MAX_KEYS = 100;
/** BatchGetItem answers at most this much; the rest comes back as UnprocessedKeys. */
export const DYNAMODB_BATCH_GET_MAX_RESPONSE_BYTES = 16 * MiB;
export const DYNAMODB_TRANSACT_MAX_ITEMS = 100;
export const DYNAMODB_TRANSACT_MAX_BYTES = 4 * MiB;
/** Nested maps and lists. */
export const DYNAMODB_MAX_NESTING_DEPTH = 32;

// Secrets Manager: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html
/** Secrets per BatchGetSecretValue; by SecretIdList, each listed id comes back as a value or an entry in Errors. */
export const SECRETS_MANAGER_BATCH_GET_MAX_SECRETS = 20;
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
/**
 * Requests a second per account and Region, none of them adjustable, for the calls our code makes
 * (each quota is shared with calls we never make: GetSecretValue with DescribeSecret, PutSecretValue
 * with UpdateSecret and four replication and staging calls). Past one, Secrets Manager answers
 * ThrottlingException. Read as "in each second"; AWS does not say how it counts within one.
 */
export const SECRETS_MANAGER_RATE_QUOTAS = {
  BatchGetSecretValue: 100,
  GetSecretValue: 10_000,
  PutSecretValue: 50,
} as const;
export type SecretsManagerRatedCall = keyof typeof SECRETS_MANAGER_RATE_QUOTAS;
/**
 * "We recommend you avoid calling PutSecretValue or UpdateSecret at a sustained rate of more than
 * once every 10 minutes": each call makes a version, and versions younger than 24 h are kept past
 * the quota of versions per secret (same page).
 */
export const SECRETS_MANAGER_MIN_SECONDS_BETWEEN_VERSIONS = 10 * 60;

// API Gateway: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * MiB;
/**
 * The account's throttle quota per Region, across all its APIs: the default in most Regions
 * (2,500 a second, burst 1,250 in some newer ones), adjustable. No stage or plan goes past it.
 */
export const API_GATEWAY_ACCOUNT_THROTTLE = { rateLimit: 10_000, burstLimit: 5_000 } as const;
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
/** API keys per account per Region, all APIs together; not adjustable. */
export const API_GATEWAY_MAX_API_KEYS = 10_000;
/** Usage plans per account per Region; adjustable. */
export const API_GATEWAY_MAX_USAGE_PLANS = 300;
/** CreateApiKey (and DeleteApiKey): requests per second per account; not adjustable (limits.html). */
export const API_GATEWAY_CREATE_API_KEY_RPS = 5;
// Lambda: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
/**
 * Synchronous invocation request and response (API Gateway proxy, event source mappings). An SQS
 * event source mapping hands a function "all of the records in the batch ... up to" this
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, BatchSize).
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * MiB;
/**
 * Concurrent executions per account and Region: the default quota (adjustable; new accounts start
 * lower, by an amount AWS does not publish), and its Service Quotas code.
 */
export const LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS = 1_000;
export const LAMBDA_CONCURRENCY_QUOTA_CODE = 'L-B99A9384';
// https://docs.aws.amazon.com/lambda/latest/dg/API_PutFunctionConcurrency.html
/** Reservations must leave at least this many executions unreserved, or Lambda refuses them (and the deploy fails). */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** How SQS counts a message: body plus, per attribute, its name, data type and value. */
export function sqsMessageBytes(
  body: string,
  attributes: Record<
    string,
    { DataType?: string | undefined; StringValue?: string | undefined; BinaryValue?: Uint8Array | undefined }
  > = {},
): number {
  let size = utf8Bytes(body);
  for (const [name, a] of Object.entries(attributes)) {
    size += utf8Bytes(name) + utf8Bytes(a.DataType ?? '');
    if (a.StringValue !== undefined) size += utf8Bytes(a.StringValue);
    if (a.BinaryValue !== undefined) size += a.BinaryValue.byteLength;
  }
  return size;
}

/** EventBridge's own calculation of a PutEvents entry's size (eb-putevent-size.html). */
export function putEventsEntryBytes(entry: {
  Time?: unknown;
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  Resources?: readonly string[] | undefined;
}): number {
  let size = entry.Time !== undefined ? PUT_EVENTS_TIME_BYTES : 0;
  size += utf8Bytes(entry.Source ?? '') + utf8Bytes(entry.DetailType ?? '') + utf8Bytes(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += utf8Bytes(r);
  return size;
}

export const fitsPutEventsEntry = (bytes: number) => bytes < PUT_EVENTS_MAX_ENTRY_BYTES;

/**
 * The event as EventBridge hands it to a target (an SQS message, for the ingest queue): the entry
 * in the envelope EventBridge adds (version, id, account, time, region, resources, detail). "The
 * event in EventBridge is always larger than the entry size" (eb-putevent-size.html): this counts
 * the envelope with the longest values AWS gives its fields (a UUID, a 12-digit account, a time to
 * the second, a region name of up to 20 characters), so an event it passes fits where it is sent.
 */
export function eventBridgeEventBytes(entry: {
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  Resources?: readonly string[] | undefined;
}): number {
  const envelope = {
    version: '0',
    id: '00000000-0000-0000-0000-000000000000',
    'detail-type': entry.DetailType ?? '',
    source: entry.Source ?? '',
    account: '000000000000',
    time: '2026-01-29T00:00:00Z',
    region: 'x'.repeat(20),
    resources: entry.Resources ?? [],
    detail: null,
  };
  // `null` stands for the detail, which goes in as it is (a JSON object's text).
  return utf8Bytes(JSON.stringify(envelope)) - 4 + utf8Bytes(entry.Detail ?? '{}');
}

/**
 * Splits items, in order, into batches of at most `maxCount` items and `maxBytes` bytes. An item
 * larger than `maxBytes` on its own is not batched: it is returned in `oversized`, for the caller
 * to refuse by name rather than have the whole request refused.
 */
export function chunkByCountAndBytes<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxCount: number,
  maxBytes: number,
): { batches: T[][]; oversized: T[] } {
  const batches: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size > maxBytes) {
      oversized.push(item);
      continue;
    }
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}
