import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENDPOINTS_FILE, type LocalEndpoints } from '../../local/endpoints.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import type { ApiStageRef } from './throttle-plans.js';

/**
 * Where the operator CLIs (`npm run tenant`, `npm run redrive`) act: a deployed stack, found
 * by its CloudFormation outputs, or a running local mode, found by the endpoints file it
 * writes under its data directory.
 *
 *   --stack NAME or WEBHOOKS_STACK  -> the stack (region from the usual AWS env/config)
 *   otherwise                       -> local mode under WEBHOOKS_DATA_DIR (default `.data`)
 */

/** Same name local/pipeline.ts writes (kept literal so this module does not load the pipeline). */
export { ENDPOINTS_FILE as LOCAL_ENDPOINTS_FILE } from '../../local/endpoints.js';

/** A target that cannot be reached: the CLIs print the message and exit 1. */
export class TargetError extends Error {
  override name = 'TargetError';
}

export type TargetSelection = { kind: 'stack'; stackName: string } | { kind: 'local'; dataDir: string };

/** Addresses of one target; no clients yet. */
export interface TargetInfo {
  kind: 'stack' | 'local';
  /** For messages: `stack Webhooks (eu-west-1)` or `local mode in /path/.data`. */
  description: string;
  tableName: string;
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  /** Present on both targets (stack output `IngestQueueUrl`; local mode's ingest queue). */
  ingestQueueUrl?: string;
  /** The ingest queue's DLQ (fan-out failures) and the bus rule target's DLQ (EventBridge's failures). */
  ingestDeadLetterQueueUrl?: string;
  busTargetDeadLetterQueueUrl?: string;
  /** Stack only (the local SQS stand-in redrives by URL). */
  deliveryQueueArn?: string;
  deadLetterQueueArn?: string;
  apiUrl?: string;
  stackName?: string;
  /** Stack: the region the stack was found in. Local: the dummy region. */
  region?: string;
  /** Local only: emulator endpoints. */
  dynamodbEndpoint?: string;
  sqsEndpoint?: string;
  /**
   * The API stage and its usage plans (stack outputs RestApiId, ApiStageName, DefaultUsagePlanId,
   * SharedUsagePlanId); locally also the endpoint of the API Gateway stand-in. Absent for a stack
   * deployed before per-tenant throttling.
   */
  apiGateway?: ApiStageRef & { endpoint?: string };
  /**
   * Inbound webhooks (stack outputs EventBusName, BodyBucketName, InboundSecretNamePrefix,
   * InboundSources; local mode's endpoints file): absent for a stack deployed before them.
   */
  inbound?: {
    secretPrefix: string;
    declaredSources: string[];
    bodyBucket: string;
    /** Stack: the bus. */
    eventBusName?: string;
    /** Local: the Secrets Manager stand-in, and the bus stand-in's queues. */
    secretsManagerEndpoint?: string;
    busOtherEventsQueueUrl?: string;
  };
}

/** A target with SDK clients configured for it. Call close() when done. */
export interface Target extends TargetInfo {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** API Gateway's control plane (the tenant CLI's keys and usage plans). */
  apiGatewayClient: APIGatewayClient;
  close(): void;
}

export interface SelectOptions {
  /** The value of a `--stack` flag, if given. */
  stack?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ResolveOptions extends SelectOptions {
  /** Injected in tests (aws-sdk-client-mock); defaults to a client with the normal AWS config. */
  cloudFormation?: CloudFormationClient;
}

/** `--stack` wins, then WEBHOOKS_STACK, else local mode under WEBHOOKS_DATA_DIR (default `.data`). */
export function selectTarget(options: SelectOptions = {}): TargetSelection {
  const env = options.env ?? process.env;
  const stackName = options.stack ?? (env.WEBHOOKS_STACK || undefined);
  if (stackName !== undefined) {
    if (!stackName.trim()) throw new TargetError('the stack name is empty');
    return { kind: 'stack', stackName };
  }
  return { kind: 'local', dataDir: resolve(env.WEBHOOKS_DATA_DIR || '.data') };
}

/** Reads the addresses of the selected target (DescribeStacks, or local mode's endpoints file). */
export async function resolveTargetInfo(options: ResolveOptions = {}): Promise<TargetInfo> {
  const selection = selectTarget(options);
  return selection.kind === 'stack' ? resolveStack(selection.stackName, options.cloudFormation) : resolveLocal(selection.dataDir);
}

/** resolveTargetInfo plus DynamoDB (plain and document) and SQS clients for that target. */
export async function openTarget(options: ResolveOptions = {}): Promise<Target> {
  const info = await resolveTargetInfo(options);
  const config =
    info.kind === 'local' ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } : info.region ? { region: info.region } : {};
  const dynamodb = new DynamoDBClient({ ...config, ...(info.dynamodbEndpoint ? { endpoint: info.dynamodbEndpoint } : {}) });
  const sqs = new SQSClient({ ...config, ...(info.sqsEndpoint ? { endpoint: info.sqsEndpoint } : {}) });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const apiGatewayClient = new APIGatewayClient({
    ...config,
    ...(info.apiGateway?.endpoint ? { endpoint: info.apiGateway.endpoint } : {}),
  });
  return {
    ...info,
    dynamodb,
    doc,
    sqs,
    apiGatewayClient,
    close() {
      dynamodb.destroy();
      sqs.destroy();
      apiGatewayClient.destroy();
    },
  };
}

async function resolveStack(stackName: string, injected?: CloudFormationClient): Promise<TargetInfo> {
  const cfn = injected ?? new CloudFormationClient({});
  try {
    let outputs: Output[];
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = out.Stacks?.[0];
      if (!stack) throw new TargetError(`stack ${stackName} was not found`);
      outputs = stack.Outputs ?? [];
    } catch (err) {
      if (err instanceof TargetError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/does not exist/i.test(message))
        throw new TargetError(`stack ${stackName} was not found: ${message} (check the name and AWS_REGION)`);
      if (/region is missing/i.test(message))
        throw new TargetError(`no AWS region is configured: set AWS_REGION or a region in your AWS profile (${message})`);
      throw new TargetError(`could not read stack ${stackName}: ${message}`);
    }
    const value = (key: string): string | undefined => outputs.find((o) => o.OutputKey === key)?.OutputValue;
    const required = (key: string): string => {
      const v = value(key);
      if (!v) throw new TargetError(`stack ${stackName} has no output ${key}: is it a webhooks stack, deployed by this version?`);
      return v;
    };
    let region: string | undefined;
    try {
      region = await cfn.config.region();
    } catch {
      region = undefined;
    }
    const info: TargetInfo = {
      kind: 'stack',
      description: `stack ${stackName}${region ? ` (${region})` : ''}`,
      stackName: value('StackName') ?? stackName,
      tableName: required('TableName'),
      deliveryQueueUrl: required('DeliveryQueueUrl'),
      deadLetterQueueUrl: required('DeadLetterQueueUrl'),
    };
    const optional: Array<[keyof TargetInfo, string]> = [
      ['ingestQueueUrl', 'IngestQueueUrl'],
      ['ingestDeadLetterQueueUrl', 'IngestDeadLetterQueueUrl'],
      ['busTargetDeadLetterQueueUrl', 'BusTargetDeadLetterQueueUrl'],
      ['deliveryQueueArn', 'DeliveryQueueArn'],
      ['deadLetterQueueArn', 'DeadLetterQueueArn'],
      ['apiUrl', 'ApiUrl'],
    ];
    for (const [field, key] of optional) {
      const v = value(key);
      if (v) (info as unknown as Record<string, string>)[field] = v;
    }
    const restApiId = value('RestApiId');
    const stage = value('ApiStageName');
    const defaultUsagePlanId = value('DefaultUsagePlanId');
    const sharedUsagePlanId = value('SharedUsagePlanId');
    if (restApiId && stage && defaultUsagePlanId && sharedUsagePlanId)
      info.apiGateway = { restApiId, stage, defaultUsagePlanId, sharedUsagePlanId };
    const inboundPrefix = value('InboundSecretNamePrefix');
    const bodyBucket = value('BodyBucketName');
    const eventBusName = value('EventBusName');
    if (inboundPrefix && bodyBucket && eventBusName)
      info.inbound = {
        secretPrefix: inboundPrefix,
        bodyBucket,
        eventBusName,
        declaredSources: (value('InboundSources') ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n && n !== '-'),
      };
    if (region) info.region = region;
    return info;
  } finally {
    if (!injected) cfn.destroy();
  }
}

const NOT_RUNNING = 'local mode is not running: start it with npm start';

function resolveLocal(dataDir: string): TargetInfo {
  const file = join(dataDir, ENDPOINTS_FILE);
  if (!existsSync(file))
    throw new TargetError(
      `${NOT_RUNNING} (no ${file}; set WEBHOOKS_DATA_DIR if it uses another data directory, or --stack NAME for a deployed stack)`,
    );
  let endpoints: LocalEndpoints;
  try {
    endpoints = JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
  } catch (err) {
    throw new TargetError(`${NOT_RUNNING} (${file} is unreadable: ${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Number.isInteger(endpoints.pid) || !isAlive(endpoints.pid)) {
    throw new TargetError(`${NOT_RUNNING} (${file} names process ${String(endpoints.pid)}, which has exited)`);
  }
  for (const key of ['dynamodbEndpoint', 'tableName', 'sqsEndpoint', 'deliveryQueueUrl', 'deadLetterQueueUrl'] as const) {
    if (typeof endpoints[key] !== 'string' || !endpoints[key])
      throw new TargetError(`${file} has no ${key}: restart local mode with npm start`);
  }
  return {
    kind: 'local',
    description: `local mode in ${dataDir}`,
    tableName: endpoints.tableName,
    deliveryQueueUrl: endpoints.deliveryQueueUrl,
    deadLetterQueueUrl: endpoints.deadLetterQueueUrl,
    ingestQueueUrl: endpoints.ingestQueueUrl,
    ...(endpoints.ingestDeadLetterQueueUrl ? { ingestDeadLetterQueueUrl: endpoints.ingestDeadLetterQueueUrl } : {}),
    ...(endpoints.busTargetDeadLetterQueueUrl ? { busTargetDeadLetterQueueUrl: endpoints.busTargetDeadLetterQueueUrl } : {}),
    apiUrl: endpoints.apiUrl,
    ...(endpoints.apiGateway ? { apiGateway: endpoints.apiGateway } : {}),
    ...(endpoints.inbound
      ? {
          inbound: {
            secretPrefix: endpoints.inbound.secretPrefix,
            declaredSources: endpoints.inbound.declaredSources,
            bodyBucket: endpoints.inbound.bodyBucket,
            secretsManagerEndpoint: endpoints.inbound.secretsManagerEndpoint,
            busOtherEventsQueueUrl: endpoints.inbound.busOtherEventsQueueUrl,
          },
        }
      : {}),
    region: LOCAL_REGION,
    dynamodbEndpoint: endpoints.dynamodbEndpoint,
    sqsEndpoint: endpoints.sqsEndpoint,
  };
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
