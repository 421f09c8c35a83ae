import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GSI1, INBOUND_SOURCES_PK, inboundHistoryPartition, inboundPartition } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DynamoPortalSessionStore } from '../../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { type InboundRecord, inboundBodyKey } from '../../functions/domain/inbound/event.js';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { WebhookDelivery } from '../../lib/index.js';
import { type ApiGatewayControl, startApiGatewayControl } from '../../local/api-gateway-control.js';
import { LOCAL_CREDENTIALS } from '../../local/local-aws.js';
import { LocalUsagePlans } from '../../local/usage-plans.js';
import {
  addSource,
  history,
  redrive as inboundRedrive,
  listSources,
  removeSource,
  rotateSecret,
  setSecret,
} from '../../scripts/lib/inbound-commands.js';
import { inboundTargetOf } from '../../scripts/lib/inbound-target.js';
import { type RedriveTarget, runRedrive } from '../../scripts/lib/redrive.js';
import { openTarget, resolveTargetInfo } from '../../scripts/lib/targets.js';
import { backfillKeys, createTenant, listTenants, portalLinkFor, revokeTenant, throttleTenant } from '../../scripts/lib/tenant-commands.js';
import { ApiGatewayThrottlePlans } from '../../scripts/lib/throttle-plans.js';
import { cdkJsonContext, SKIP_BUNDLING } from './support.js';

/**
 * The operator's own permissions: the CLIs run here against mocks (SQS, DynamoDB, CloudFormation,
 * Secrets Manager, EventBridge, S3) and local mode's API Gateway stand-in, every call is turned
 * into the IAM permissions AWS asks for it, and that set must be exactly what grantRedrive /
 * grantOperate / grantInbound give: nothing the CLIs need is missing, nothing is granted that they
 * do not use. docs/runbook.md prints the same.
 */

const SLOW = 180_000;
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ENV = { account: ACCOUNT, region: REGION };
const REST_API_ID = 'r3st4p1id';

type Json = Record<string, any>;

/**
 * IAM permissions per SQS call, from SQS's API permissions reference
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html):
 * a move task needs of its caller more than its own action.
 */
const SQS_PERMISSIONS: Record<string, (input: Json) => [string, string][]> = {
  StartMessageMoveTaskCommand: (i) => [
    ...['StartMessageMoveTask', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((a): [string, string] => [
      `sqs:${a}`,
      i.SourceArn,
    ]),
    ['sqs:SendMessage', i.DestinationArn],
  ],
  ListMessageMoveTasksCommand: (i) => [
    ['sqs:ListMessageMoveTasks', i.SourceArn],
    ['sqs:GetQueueAttributes', i.SourceArn],
  ],
  GetQueueAttributesCommand: (i) => [['sqs:GetQueueAttributes', i.QueueUrl]],
  ReceiveMessageCommand: (i) => [['sqs:ReceiveMessage', i.QueueUrl]],
  SendMessageBatchCommand: (i) => [['sqs:SendMessage', i.QueueUrl]],
  DeleteMessageBatchCommand: (i) => [['sqs:DeleteMessage', i.QueueUrl]],
  ChangeMessageVisibilityBatchCommand: (i) => [['sqs:ChangeMessageVisibility', i.QueueUrl]],
};
const DYNAMODB_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  ScanCommand: 'dynamodb:Scan',
};

let stack: Stack;
let hooks: WebhookDelivery;
let template: Template;
let redriver: iam.Role;
let operator: iam.Role;
let inbounder: iam.Role;

const idOf = (c: { node: { defaultChild?: unknown } }) => stack.resolve((c.node.defaultChild as { logicalId: string }).logicalId) as string;

/** `<action> <resource>` of every statement of the role's policies, resources resolved to the names below. */
function granted(role: iam.Role, resourceName: (r: unknown) => string): string[] {
  const roleId = idOf(role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
    .flatMap((s) => {
      expect(s.Effect).toBe('Allow');
      const actions = [s.Action].flat() as string[];
      return actions.flatMap((a) => [s.Resource].flat().map((r) => `${a} ${resourceName(r)}`));
    })
    .sort();
}

/** CloudFormation's value with the pseudo parameters and the REST API's id put in. */
function resolveArn(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(resolveArn).join(v['Fn::Join'][0]);
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::Region') return REGION;
  if (v.Ref === idOf(hooks.webhookApi.api)) return REST_API_ID;
  throw new Error(`unexpected token ${JSON.stringify(v)}`);
}

beforeAll(() => {
  stack = new Stack(new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } }), 'Host', { env: ENV });
  hooks = new WebhookDelivery(stack, 'Hooks');
  redriver = new iam.Role(stack, 'Redriver', { assumedBy: new iam.AccountRootPrincipal() });
  operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  hooks.grantRedrive(redriver);
  hooks.grantOperate(operator);
  inbounder = new iam.Role(stack, 'Inbounder', { assumedBy: new iam.AccountRootPrincipal() });
  hooks.grantInbound(inbounder);
  template = Template.fromStack(stack);
}, SLOW);

/** What the stack's outputs give the CLIs, by a name for each queue. */
const QUEUES = ['delivery', 'dlq', 'ingest', 'ingestDlq', 'busDlq'] as const;
const urlOf = (q: string) => `https://sqs.${REGION}.amazonaws.com/123456789012/${q}`;
const arnOf = (q: string) => `arn:aws:sqs:${REGION}:123456789012:${q}`;

describe('grantRedrive', () => {
  const sqsMock = mockClient(SQSClient);
  const cfnMock = mockClient(CloudFormationClient);
  afterAll(() => {
    sqsMock.restore();
    cfnMock.restore();
  });

  it('grants exactly what npm run redrive calls on AWS, in every mode, and what its move tasks need', async () => {
    const sqs = new SQSClient({ region: REGION, credentials: LOCAL_CREDENTIALS });
    sqsMock.on(GetQueueAttributesCommand).callsFake((i) => ({ Attributes: { QueueArn: arnOf(i.QueueUrl.split('/').at(-1)) } }));
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    const event = (n: number) => ({ MessageId: `m${n}`, ReceiptHandle: `r${n}`, Body: '{"detail":{"tenant_id":"tnt_1"}}' });
    // The bus target DLQ holds one event each time it is read.
    let waiting = [event(1)];
    sqsMock.on(ReceiveMessageCommand).callsFake(() => ({ Messages: waiting.splice(0) }));
    let ingestRefuses = false;
    sqsMock.on(SendMessageBatchCommand).callsFake(() => {
      if (ingestRefuses) throw new Error('refused');
      return { Successful: [{ Id: '0', MessageId: 'n1', MD5OfMessageBody: 'x' }], Failed: [] };
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [] });

    const target: RedriveTarget = {
      kind: 'stack',
      sqs,
      deliveryQueueUrl: urlOf('delivery'),
      deadLetterQueueUrl: urlOf('dlq'),
      deliveryQueueArn: arnOf('delivery'),
      deadLetterQueueArn: arnOf('dlq'),
      ingestQueueUrl: urlOf('ingest'),
      ingestDeadLetterQueueUrl: urlOf('ingestDlq'),
      busTargetDeadLetterQueueUrl: urlOf('busDlq'),
    };
    const local = { waitTimeSeconds: 0 };
    await runRedrive(target, { command: 'redrive' }, local);
    await runRedrive(target, { command: 'status' }, local);
    await runRedrive(target, { command: 'redrive', ingest: true }, local);
    await runRedrive(target, { command: 'status', ingest: true }, local);
    // A send the ingest queue refuses: the bus target DLQ's message is released for the operator.
    waiting = [event(2)];
    ingestRefuses = true;
    await expect(runRedrive(target, { command: 'redrive', ingest: true }, local)).rejects.toThrow(/refused/);
    await resolveTargetInfo({ stack: 'Host', cloudFormation: new CloudFormationClient({ region: REGION }) }).catch(() => undefined);

    const queueName = (urlOrArn: string) => urlOrArn.split(/[/:]/).at(-1)!;
    const needed = new Set(
      sqsMock.calls().flatMap((c) => {
        const command = c.args[0] as { constructor: { name: string }; input: Json };
        const permissions = SQS_PERMISSIONS[command.constructor.name];
        if (!permissions) throw new Error(`no IAM mapping for ${command.constructor.name}`);
        return permissions(command.input).map(([action, queue]) => `${action} ${queueName(queue)}`);
      }),
    );
    expect(cfnMock.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'Host' }]);
    needed.add('cloudformation:DescribeStacks stack');

    const queueIds = new Map<string, string>([
      [idOf(hooks.deliveryQueue as never), 'delivery'],
      [idOf(hooks.deadLetterQueue as never), 'dlq'],
      [idOf(hooks.ingestQueue as never), 'ingest'],
      [idOf(hooks.ingestDeadLetterQueue as never), 'ingestDlq'],
      [idOf(hooks.busTargetDeadLetterQueue as never), 'busDlq'],
    ]);
    const resourceName = (r: unknown) => {
      const v = r as Json;
      if (v.Ref === 'AWS::StackId') return 'stack';
      const queue = queueIds.get(v['Fn::GetAtt']?.[0]);
      if (!queue) throw new Error(`unexpected resource ${JSON.stringify(r)}`);
      return queue;
    };
    expect(granted(redriver, resourceName)).toEqual([...needed].sort());
    expect(QUEUES.every((q) => [...needed].some((n) => n.endsWith(` ${q}`)))).toBe(true);
  });
});

describe('grantOperate', () => {
  const docMock = mockClient(DynamoDBDocumentClient);
  let dir: string;
  let control: ApiGatewayControl;
  const apiCalls: string[] = [];
  afterAll(async () => {
    docMock.restore();
    await control?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('grants exactly what npm run tenant calls on AWS: its table items, API keys, usage plans and the stage cache', async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhooks-operator-'));
    const plans = new LocalUsagePlans(join(dir, 'plans.json'));
    const stage = { apiId: REST_API_ID, stage: 'prod' };
    const defaultUsagePlanId = plans.deploy({ name: 'tenants', stage, throttle: { rateLimit: 20, burstLimit: 40 } });
    const sharedUsagePlanId = plans.deploy({
      name: 'shared',
      stage,
      throttle: { rateLimit: 100, burstLimit: 200 },
      keyValue: 's'.repeat(32),
    });
    control = await startApiGatewayControl(plans);
    const client = new APIGatewayClient({ endpoint: control.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    // The request as signed and sent: its method and path are the IAM action and resource.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method: string; path: string };
        apiCalls.push(`apigateway:${request.method} arn:aws:apigateway:${REGION}::${request.path}`);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequests' },
    );
    const throttle = new ApiGatewayThrottlePlans(client, { restApiId: REST_API_ID, stage: 'prod', defaultUsagePlanId, sharedUsagePlanId });

    // The table as the commands find it: the tenant `create` wrote, then one from before keys.
    let tenant: Json = {};
    docMock.on(PutCommand).callsFake((i) => {
      if (i.Item.type === 'tenant') tenant = i.Item;
      return {};
    });
    docMock.on(GetCommand).callsFake(() => ({ Item: tenant }));
    docMock.on(UpdateCommand).resolves({});
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
    const repo = new DynamoTenantRepository(doc, 'table');

    const created = await createTenant(repo, throttle, { name: 'Acme' });
    docMock.on(ScanCommand).resolves({ Items: [tenant] });
    await listTenants(repo, throttle);
    await throttleTenant(repo, throttle, { identity: created.identity, limits: { rateLimit: 5, burstLimit: 10 }, target: 'stack' });
    await portalLinkFor(repo, new DynamoPortalSessionStore(doc, 'table'), {
      identity: created.identity,
      apiUrl: 'https://api/',
      linkTtlSeconds: 900,
    });
    await revokeTenant(repo, throttle, { identity: created.identity });
    const { throttle_key: _k, throttle_key_id: _i, ...unkeyed } = tenant;
    docMock.on(ScanCommand).resolves({ Items: [{ ...unkeyed, status: 'active', identity: 'idt_old', pk: 'x', sk: 'y' }] });
    await backfillKeys(repo, throttle, 'stack');
    client.destroy();

    const needed = new Set([
      'cloudformation:DescribeStacks stack',
      ...docMock.calls().map((c) => `${DYNAMODB_ACTIONS[(c.args[0] as { constructor: { name: string } }).constructor.name]} table`),
    ]);
    const tableId = idOf(hooks.table as never);
    const resourceName = (r: unknown) => {
      const v = r as Json;
      if (v.Ref === 'AWS::StackId') return 'stack';
      if (v['Fn::GetAtt']?.[0] === tableId) return 'table';
      return resolveArn(r);
    };
    const grants = granted(operator, resourceName);
    expect(grants.filter((g) => !g.startsWith('apigateway:'))).toEqual([...needed].sort());

    // Every API Gateway request is allowed by a statement of its method, and every statement is used.
    const patterns = grants.filter((g) => g.startsWith('apigateway:'));
    const matches = (call: string, pattern: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(call);
    for (const call of new Set(apiCalls))
      expect(
        patterns.some((p) => matches(call, p)),
        call,
      ).toBe(true);
    for (const pattern of patterns)
      expect(
        [...apiCalls].some((c) => matches(c, pattern)),
        pattern,
      ).toBe(true);
  });
});

/** A statement's resource pattern matched as IAM does (`*` any run of characters, `?` one). */
const matchesPattern = (value: string, pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

describe('grantInbound', () => {
  const mocks: { restore(): void }[] = [];
  afterAll(() => {
    for (const m of mocks) m.restore();
  });

  it('grants exactly what npm run inbound calls on AWS, in every command, on the INBOUND# items only', async () => {
    // Made here, not when the file is collected: grantRedrive and grantOperate mock CloudFormation and DynamoDB until their end.
    const cfnMock = mockClient(CloudFormationClient);
    const docMock = mockClient(DynamoDBDocumentClient);
    const smMock = mockClient(SecretsManagerClient);
    const ebMock = mockClient(EventBridgeClient);
    const s3Mock = mockClient(S3Client);
    mocks.push(cfnMock, docMock, smMock, ebMock, s3Mock);

    const prefix = hooks.inboundSecretNamePrefix;
    const outputs: Record<string, string> = {
      StackName: 'Host',
      TableName: 'table',
      DeliveryQueueUrl: urlOf('delivery'),
      DeadLetterQueueUrl: urlOf('dlq'),
      ApiUrl: 'https://api.example/prod/',
      InboundSecretNamePrefix: prefix,
      BodyBucketName: 'bodies',
      EventBusName: 'bus',
      // A source the stack declares: its first secret is set by `secret`.
      InboundSources: 'declared',
    };
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Host',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });

    // Secrets Manager as it answers: the declared source's secret was deleted (restorable), the rest are made here.
    // Each call is kept with whether its secret existed, which decides the ARN IAM sees (a new one has no suffix yet).
    const secrets = new Map<string, { value: string; deleting?: boolean }>([
      [`${prefix}declared`, { value: '{"current":"old"}', deleting: true }],
    ]);
    const secretCalls: { action: string; name: string; existed: boolean }[] = [];
    const secret = (action: string, name: string) => {
      const s = secrets.get(name);
      secretCalls.push({ action, name, existed: s !== undefined });
      return s;
    };
    const existing = (action: string, name: string, restoring = false) => {
      const s = secret(action, name);
      if (!s) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
      if (s.deleting && !restoring)
        throw new InvalidRequestException({
          message: 'You can’t perform this operation on the secret because it was marked for deletion.',
          $metadata: {},
        });
      return s;
    };
    smMock.on(GetSecretValueCommand).callsFake((i) => ({ SecretString: existing('GetSecretValue', i.SecretId).value }));
    smMock.on(PutSecretValueCommand).callsFake((i) => {
      existing('PutSecretValue', i.SecretId).value = i.SecretString;
      return {};
    });
    smMock.on(RestoreSecretCommand).callsFake((i) => {
      existing('RestoreSecret', i.SecretId, true).deleting = false;
      return {};
    });
    smMock.on(DeleteSecretCommand).callsFake((i) => {
      existing('DeleteSecret', i.SecretId).deleting = true;
      return {};
    });
    smMock.on(CreateSecretCommand).callsFake((i) => {
      secret('CreateSecret', i.Name);
      // Tags on CreateSecret need TagResource as well (CreateSecret's "Required permissions").
      if (i.Tags?.length) secretCalls.push({ action: 'TagResource', name: i.Name, existed: false });
      secrets.set(i.Name, { value: i.SecretString });
      return {};
    });

    // The table: the sources added here, and a source's history of four events: one forwarded,
    // one the bus has not taken yet, one whose large body expired from the bucket, one with a
    // large body in the bucket that the bus refused.
    const now = Date.now();
    const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
    const largeBody = JSON.stringify({ id: 'evt_3', type: 'charge.succeeded', data: 'x'.repeat(400_000) });
    const event = (n: number, minutes: number, body: Partial<InboundRecord>): InboundRecord => ({
      id: `inb_${String(n).repeat(32)}`,
      source: 'stripe',
      scheme: 'stripe',
      providerId: `evt_${n}`,
      providerType: 'charge.succeeded',
      type: 'charge.succeeded',
      receivedTime: ago(minutes),
      headers: {},
      contentType: 'application/json',
      bodyBytes: body.body?.length ?? largeBody.length,
      ...body,
    });
    const events = [
      event(1, 60, { body: '{"id":"evt_1","type":"charge.succeeded"}' }),
      event(4, 45, { bodyKey: inboundBodyKey('stripe', `inb_${'4'.repeat(32)}`, Buffer.from('gone')) }),
      event(2, 30, { body: '{"id":"evt_2","type":"charge.succeeded"}' }),
      event(3, 10, { bodyKey: inboundBodyKey('stripe', `inb_${'3'.repeat(32)}`, Buffer.from(largeBody)) }),
    ];
    const markers = [
      { pk: inboundPartition('stripe', events[0]!.id), sk: 'FORWARDED', forwarded_time: ago(59), entries: 1 },
      { pk: inboundPartition('stripe', events[3]!.id), sk: 'BUS', failures: 1, last_error: 'ThrottlingException' },
    ];
    const sources = new Map<string, Json>();
    docMock.on(QueryCommand).callsFake((i) => {
      if (i.IndexName === GSI1)
        return {
          Items:
            i.ExpressionAttributeValues[':p'] === inboundHistoryPartition('stripe') ? events.map((record) => ({ record })).reverse() : [],
        };
      const pk = i.ExpressionAttributeValues[':pk'] as string;
      if (pk === INBOUND_SOURCES_PK) return { Items: [...sources.values()] };
      if (pk.endsWith('#REFUSED')) return { Items: [{ pk, sk: `${ago(5).slice(0, 16)}:00.000Z`, ttl: 1, signature_mismatch: 2 }] };
      return { Items: [] };
    });
    docMock.on(BatchGetCommand).callsFake((i) => {
      const wanted = new Set((i.RequestItems.table.Keys as Json[]).map((k) => `${k.pk} ${k.sk}`));
      return { Responses: { table: markers.filter((m) => wanted.has(`${m.pk} ${m.sk}`)) } };
    });
    docMock.on(PutCommand).callsFake((i) => {
      if (i.Item.type === 'inbound_source') sources.set(i.Item.sk, i.Item);
      return {};
    });
    docMock.on(UpdateCommand).resolves({});
    docMock.on(DeleteCommand).callsFake((i) => {
      const old = sources.get(i.Key.sk);
      sources.delete(i.Key.sk);
      return old ? { Attributes: old } : {};
    });
    const missingKeys: string[] = [];
    s3Mock.on(GetObjectCommand).callsFake((i) => {
      if (i.Key !== events[3]!.bodyKey) {
        missingKeys.push(i.Key);
        throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      }
      return { Body: { transformToString: async () => largeBody } };
    });
    // The redrive's first PutEvents is refused (a BUS marker), its second taken (a FORWARDED marker).
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });

    // What the CLI does with --stack Host (scripts/inbound.ts's main), every command once.
    const target = await openTarget({ stack: 'Host', cloudFormation: new CloudFormationClient({ region: REGION }) });
    const t = inboundTargetOf(target);
    try {
      await addSource(t, { source: { name: 'stripe', scheme: 'stripe' }, secret: `whsec_${'a'.repeat(32)}` });
      expect((await listSources(t)).map((s) => [s.name, s.secret])).toEqual([
        ['declared', 'missing'],
        ['stripe', 'set'],
      ]);
      await setSecret(t, { name: 'declared', secret: 'b'.repeat(32) });
      await rotateSecret(t, { name: 'stripe', secret: `whsec_${'c'.repeat(32)}` });
      const seen = await history(t, { name: 'stripe' });
      expect(seen.events.map((e) => e.status)).toEqual(['bus_failed', 'pending', 'pending', 'forwarded']);
      expect(seen.refused.total).toBe(2);
      const redriven = await inboundRedrive(t, {});
      expect(redriven.sources).toEqual({
        declared: { redriven: 0, failed: 0, body_missing: 0, errors: [] },
        stripe: { redriven: 1, failed: 1, body_missing: 1, errors: [expect.stringMatching(/ThrottlingException/)] },
      });
      await removeSource(t, { name: 'stripe' });
    } finally {
      t.close();
      target.close();
    }

    // Every call as the IAM action, the resource's ARN and (DynamoDB) the partition keys it touches.
    type Need = { action: string; arn: string; leadingKeys?: string[] };
    const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    const partitionKeyOf = (i: Json) => {
      const m = /^(\w+) = (:\w+)/.exec(i.KeyConditionExpression);
      if (!m) throw new Error(`no partition key equality in ${i.KeyConditionExpression}`);
      return i.ExpressionAttributeValues[m[2]!] as string;
    };
    const dynamo: Record<string, (i: Json) => Need[]> = {
      QueryCommand: (i) => [
        {
          action: 'dynamodb:Query',
          arn: i.IndexName ? `${tableArn(i.TableName)}/index/${i.IndexName}` : tableArn(i.TableName),
          leadingKeys: [partitionKeyOf(i)],
        },
      ],
      PutCommand: (i) => [{ action: 'dynamodb:PutItem', arn: tableArn(i.TableName), leadingKeys: [i.Item.pk] }],
      UpdateCommand: (i) => [{ action: 'dynamodb:UpdateItem', arn: tableArn(i.TableName), leadingKeys: [i.Key.pk] }],
      DeleteCommand: (i) => [{ action: 'dynamodb:DeleteItem', arn: tableArn(i.TableName), leadingKeys: [i.Key.pk] }],
      BatchGetCommand: (i) =>
        Object.entries(i.RequestItems as Record<string, { Keys: Json[] }>).map(([table, r]) => ({
          action: 'dynamodb:BatchGetItem',
          arn: tableArn(table),
          leadingKeys: r.Keys.map((k) => k.pk as string),
        })),
    };
    const secretArn = (name: string, existed: boolean) =>
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}${existed ? '-AbC123' : ''}`;
    expect(secretCalls).toHaveLength(smMock.calls().length + smMock.commandCalls(CreateSecretCommand).length);
    const needed: Need[] = [
      ...cfnMock.commandCalls(DescribeStacksCommand).map((c) => {
        expect(c.args[0].input).toEqual({ StackName: 'Host' });
        return { action: 'cloudformation:DescribeStacks', arn: 'stack' };
      }),
      ...docMock.calls().flatMap((c) => {
        const command = c.args[0] as { constructor: { name: string }; input: Json };
        const permissions = dynamo[command.constructor.name];
        if (!permissions) throw new Error(`no IAM mapping for ${command.constructor.name}`);
        return permissions(command.input);
      }),
      ...secretCalls.map((c) => ({ action: `secretsmanager:${c.action}`, arn: secretArn(c.name, c.existed) })),
      ...ebMock.commandCalls(PutEventsCommand).flatMap((c) =>
        (c.args[0].input.Entries ?? []).map((e) => ({
          action: 'events:PutEvents',
          arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${e.EventBusName}`,
        })),
      ),
      // A missing key is a 404 (body_missing) only with ListBucket on the bucket, a 403 without
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, Permissions).
      ...s3Mock
        .commandCalls(GetObjectCommand)
        .flatMap(({ args: [{ input }] }) => [
          { action: 's3:GetObject', arn: `arn:aws:s3:::${input.Bucket}/${input.Key}` },
          ...(missingKeys.includes(input.Key!) ? [{ action: 's3:ListBucket', arn: `arn:aws:s3:::${input.Bucket}` }] : []),
        ]),
    ];
    // Every command was run: each of these calls was made.
    expect(new Set(needed.map((n) => n.action))).toEqual(
      new Set([
        'cloudformation:DescribeStacks',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:RestoreSecret',
        'secretsmanager:DeleteSecret',
        'events:PutEvents',
        's3:GetObject',
        's3:ListBucket',
      ]),
    );
    expect(needed.filter((n) => n.action === 'dynamodb:Query').map((n) => n.arn.endsWith(`/index/${GSI1}`))).toContain(true);

    // What the grant gives: each statement's actions on its resources, under its condition.
    const arns = new Map<string, string>([
      [idOf(hooks.table as never), tableArn('table')],
      [idOf(hooks.eventBus as never), `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/bus`],
      [idOf(hooks.bodies.bucket), 'arn:aws:s3:::bodies'],
    ]);
    const resolve = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const v = value as Json;
      if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(resolve).join(v['Fn::Join'][0]);
      if (v.Ref === 'AWS::Partition') return 'aws';
      if (v.Ref === 'AWS::StackId') return 'stack';
      const arn = v['Fn::GetAtt']?.[1] === 'Arn' ? arns.get(v['Fn::GetAtt'][0]) : undefined;
      if (!arn) throw new Error(`unexpected resource ${JSON.stringify(v)}`);
      return arn;
    };
    type Grant = { action: string; pattern: string; condition?: Json };
    const grants: Grant[] = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === idOf(inbounder)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
      .flatMap((st) => {
        expect(st.Effect).toBe('Allow');
        return ([st.Action].flat() as string[]).flatMap((action) =>
          [st.Resource].flat().map((r) => ({ action, pattern: resolve(r), ...(st.Condition ? { condition: st.Condition } : {}) })),
        );
      });
    const allows = (g: Grant, n: Need) => {
      if (g.action !== n.action || !matchesPattern(n.arn, g.pattern)) return false;
      if (!g.condition) return true;
      const patterns = g.condition['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined;
      if (!patterns || Object.keys(g.condition).length !== 1 || Object.keys(g.condition['ForAllValues:StringLike']).length !== 1)
        throw new Error(`unexpected condition ${JSON.stringify(g.condition)}`);
      return (n.leadingKeys ?? []).every((k) => patterns.some((p) => matchesPattern(k, p)));
    };
    // Nothing missing: each call is allowed by a statement. Nothing spare: each statement allows a call.
    for (const n of needed)
      expect(
        grants.some((g) => allows(g, n)),
        `${n.action} ${n.arn} ${n.leadingKeys ?? ''}`,
      ).toBe(true);
    for (const g of grants)
      expect(
        needed.some((n) => allows(g, n)),
        `${g.action} ${g.pattern}`,
      ).toBe(true);

    // And no further: every table statement keeps to INBOUND# keys; the secrets, objects and bus are the inbound ones.
    for (const g of grants.filter((x) => x.action.startsWith('dynamodb:')))
      expect(g.condition, `${g.action} ${g.pattern}`).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INBOUND#*'] } });
    for (const g of grants.filter((x) => !x.action.startsWith('dynamodb:'))) expect(g.condition).toBeUndefined();
    const refused: Need[] = [
      { action: 'dynamodb:Query', arn: tableArn('table'), leadingKeys: ['TENANT#tnt_1'] },
      { action: 'dynamodb:BatchGetItem', arn: tableArn('table'), leadingKeys: ['INBOUND#stripe#x', 'SUB#sub_1'] },
      { action: 'dynamodb:Query', arn: `${tableArn('table')}/index/gsi2`, leadingKeys: ['INBOUND#stripe'] },
      { action: 'dynamodb:PutItem', arn: `${tableArn('table')}/index/${GSI1}`, leadingKeys: ['INBOUND#stripe'] },
      { action: 'secretsmanager:GetSecretValue', arn: secretArn(`${hooks.secretNamePrefix}tnt_1/sub_1`, true) },
      { action: 'secretsmanager:GetSecretValue', arn: secretArn('webhooks-inbound/other/stripe', true) },
      { action: 's3:GetObject', arn: 'arn:aws:s3:::bodies/bodies/tnt_1/x' },
      { action: 's3:ListBucket', arn: 'arn:aws:s3:::other-bucket' },
      { action: 'events:PutEvents', arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
    ];
    for (const n of refused)
      expect(
        grants.some((g) => allows(g, n)),
        `${n.action} ${n.arn} ${n.leadingKeys ?? ''}`,
      ).toBe(false);
  });
});

describe('the runbook', () => {
  it('prints the same actions and conditions, queue by queue, as a policy document an operator can attach', () => {
    const runbook = readFileSync(join(PROJECT_ROOT, 'docs', 'runbook.md'), 'utf8');
    const block = runbook.match(/<!-- operator-policy -->\n```json\n([\s\S]+?)\n```/)?.[1];
    expect(block, 'docs/runbook.md has the operator policy').toBeDefined();
    const doc = JSON.parse(block!.replace(/\$\{[A-Z_]+\}/g, 'X')) as { Version: string; Statement: Json[] };
    expect(doc.Version).toBe('2012-10-17');
    const actionSets = (statements: Json[]) =>
      [...new Set(statements.map((st) => JSON.stringify([[st.Action].flat().sort(), st.Condition ?? null])))].sort();
    const grantedStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: Json) => [redriver, operator, inbounder].some((role) => r.Ref === idOf(role))))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(actionSets(doc.Statement)).toEqual(actionSets(grantedStatements));
  });
});
