import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPortalSessionStore } from '../../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { WebhookDelivery } from '../../lib/index.js';
import { type ApiGatewayControl, startApiGatewayControl } from '../../local/api-gateway-control.js';
import { LOCAL_CREDENTIALS } from '../../local/local-aws.js';
import { LocalUsagePlans } from '../../local/usage-plans.js';
import { type RedriveTarget, runRedrive } from '../../scripts/lib/redrive.js';
import { resolveTargetInfo } from '../../scripts/lib/targets.js';
import { backfillKeys, createTenant, listTenants, portalLinkFor, revokeTenant, throttleTenant } from '../../scripts/lib/tenant-commands.js';
import { ApiGatewayThrottlePlans } from '../../scripts/lib/throttle-plans.js';
import { cdkJsonContext, SKIP_BUNDLING } from './support.js';

/**
 * The operator's own permissions: the CLIs run here against mocks (SQS, DynamoDB, CloudFormation)
 * and local mode's API Gateway stand-in, every call is turned into the IAM permissions AWS asks
 * for it, and that set must be exactly what grantRedrive / grantOperate give: nothing the CLIs
 * need is missing, nothing is granted that they do not use. docs/runbook.md prints the same.
 */

const SLOW = 180_000;
const REGION = 'us-east-1';
const ENV = { account: '123456789012', region: REGION };
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

describe('the runbook', () => {
  it('prints the same actions, queue by queue, as a policy document an operator can attach', () => {
    const runbook = readFileSync(join(PROJECT_ROOT, 'docs', 'runbook.md'), 'utf8');
    const block = runbook.match(/<!-- operator-policy -->\n```json\n([\s\S]+?)\n```/)?.[1];
    expect(block, 'docs/runbook.md has the operator policy').toBeDefined();
    const doc = JSON.parse(block!.replace(/\$\{[A-Z_]+\}/g, 'X')) as { Version: string; Statement: Json[] };
    expect(doc.Version).toBe('2012-10-17');
    const actionSets = (statements: Json[]) => [...new Set(statements.map((st) => JSON.stringify([st.Action].flat().sort())))].sort();
    const grantedStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === idOf(redriver) || r.Ref === idOf(operator)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(actionSets(doc.Statement)).toEqual(actionSets(grantedStatements));
  });
});
