import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoTenantRepository } from '../../functions/adapters/aws/dynamodb-tenants.js';
import { LOCAL_ENDPOINTS_FILE, openTarget, resolveTargetInfo, selectTarget, TargetError } from '../../scripts/lib/targets.js';

const OUTPUTS = {
  TableName: 'Webhooks-Table1234-ABCD',
  ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/',
  IngestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-Ingest',
  DeliveryQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-Delivery',
  DeliveryQueueArn: 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-Delivery',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/Webhooks-DeliveryDlq',
  DeadLetterQueueArn: 'arn:aws:sqs:eu-west-1:111122223333:Webhooks-DeliveryDlq',
  StackName: 'MyWebhooks',
};

function stackWith(outputs: Record<string, string>) {
  return {
    Stacks: [
      {
        StackName: 'MyWebhooks',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

describe('target selection', () => {
  it('uses --stack first, then WEBHOOKS_STACK, else local mode under WEBHOOKS_DATA_DIR or .data', () => {
    expect(selectTarget({ stack: 'A', env: { WEBHOOKS_STACK: 'B' } })).toEqual({ kind: 'stack', stackName: 'A' });
    expect(selectTarget({ env: { WEBHOOKS_STACK: 'B' } })).toEqual({ kind: 'stack', stackName: 'B' });
    expect(selectTarget({ env: { WEBHOOKS_DATA_DIR: '/tmp/x' } })).toEqual({ kind: 'local', dataDir: '/tmp/x' });
    expect(selectTarget({ env: {} })).toEqual({ kind: 'local', dataDir: join(process.cwd(), '.data') });
    expect(() => selectTarget({ stack: ' ', env: {} })).toThrow(TargetError);
  });
});

describe('stack target', () => {
  const cfn = mockClient(CloudFormationClient);
  const doc = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    cfn.reset();
    doc.reset();
  });
  afterAll(() => {
    cfn.restore();
    doc.restore();
  });

  it('reads the outputs of exactly the named stack with DescribeStacks', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackWith(OUTPUTS));
    const client = new CloudFormationClient({ region: 'eu-west-1' });
    const info = await resolveTargetInfo({ stack: 'MyWebhooks', env: {}, cloudFormation: client });

    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(cfn.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'MyWebhooks' });
    expect(cfn.calls()).toHaveLength(1);
    expect(info).toEqual({
      kind: 'stack',
      description: 'stack MyWebhooks (eu-west-1)',
      stackName: 'MyWebhooks',
      region: 'eu-west-1',
      tableName: OUTPUTS.TableName,
      apiUrl: OUTPUTS.ApiUrl,
      ingestQueueUrl: OUTPUTS.IngestQueueUrl,
      deliveryQueueUrl: OUTPUTS.DeliveryQueueUrl,
      deliveryQueueArn: OUTPUTS.DeliveryQueueArn,
      deadLetterQueueUrl: OUTPUTS.DeadLetterQueueUrl,
      deadLetterQueueArn: OUTPUTS.DeadLetterQueueArn,
    });
  });

  it('finds the API stage and its usage plans for per-tenant throttling, when the stack has them', async () => {
    const client = new CloudFormationClient({ region: 'eu-west-1' });
    const throttling = { RestApiId: 'a1b2c3', ApiStageName: 'prod', DefaultUsagePlanId: 'p1', SharedUsagePlanId: 'p2' };
    cfn.on(DescribeStacksCommand).resolves(stackWith({ ...OUTPUTS, ...throttling }));
    expect((await resolveTargetInfo({ stack: 'MyWebhooks', env: {}, cloudFormation: client })).apiGateway).toEqual({
      restApiId: 'a1b2c3',
      stage: 'prod',
      defaultUsagePlanId: 'p1',
      sharedUsagePlanId: 'p2',
    });
    // Deployed before per-tenant throttling: none (the tenant commands then say so).
    const { SharedUsagePlanId: _missing, ...partial } = throttling;
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves(stackWith({ ...OUTPUTS, ...partial }));
    expect((await resolveTargetInfo({ stack: 'MyWebhooks', env: {}, cloudFormation: client })).apiGateway).toBeUndefined();
  });

  it('takes the stack from WEBHOOKS_STACK and sends DynamoDB calls to the TableName output, in that region', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackWith(OUTPUTS));
    doc.on(ScanCommand).resolves({ Items: [] });
    // No injected client: the default one, region from the normal AWS env (vitest sets AWS_REGION).
    const target = await openTarget({ env: { WEBHOOKS_STACK: 'MyWebhooks' } });
    try {
      expect(cfn.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'MyWebhooks' });
      expect(target.kind).toBe('stack');
      expect(target.tableName).toBe(OUTPUTS.TableName);
      expect(target.dynamodbEndpoint).toBeUndefined();
      expect(target.sqsEndpoint).toBeUndefined();
      expect(await target.dynamodb.config.region()).toBe(process.env.AWS_REGION);
      expect(await target.sqs.config.region()).toBe(process.env.AWS_REGION);

      await new DynamoTenantRepository(target.doc, target.tableName).list();
      const scans = doc.commandCalls(ScanCommand);
      expect(scans).toHaveLength(1);
      expect(scans[0]!.args[0].input.TableName).toBe(OUTPUTS.TableName);
    } finally {
      target.close();
    }
  });

  it('explains a missing stack and a stack without the outputs', async () => {
    cfn.on(DescribeStacksCommand).rejects(new Error('Stack with id Nope does not exist'));
    const client = new CloudFormationClient({ region: 'eu-west-1' });
    await expect(resolveTargetInfo({ stack: 'Nope', env: {}, cloudFormation: client })).rejects.toThrow(/stack Nope was not found/);

    cfn.reset();
    const { TableName: _omitted, ...rest } = OUTPUTS;
    cfn.on(DescribeStacksCommand).resolves(stackWith(rest));
    await expect(resolveTargetInfo({ stack: 'MyWebhooks', env: {}, cloudFormation: client })).rejects.toThrow(/has no output TableName/);
  });
});

describe('local target', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'webhooks-targets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const endpoints = (pid: number) => ({
    apiUrl: 'http://127.0.0.1:3000',
    dynamodbEndpoint: 'http://127.0.0.1:4567',
    tableName: 'webhooks',
    sqsEndpoint: 'http://127.0.0.1:4568',
    deliveryQueueUrl: 'http://127.0.0.1:4568/000000000000/delivery',
    deadLetterQueueUrl: 'http://127.0.0.1:4568/000000000000/delivery-dlq',
    ingestQueueUrl: 'http://127.0.0.1:4568/000000000000/ingest',
    pid,
  });

  it('says local mode is not running without the endpoints file', async () => {
    await expect(resolveTargetInfo({ env: { WEBHOOKS_DATA_DIR: dir } })).rejects.toThrow(
      'local mode is not running: start it with npm start',
    );
  });

  it('says local mode is not running when the recorded process has exited', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, LOCAL_ENDPOINTS_FILE), JSON.stringify(endpoints(exited)));
    await expect(resolveTargetInfo({ env: { WEBHOOKS_DATA_DIR: dir } })).rejects.toThrow(
      'local mode is not running: start it with npm start',
    );
  });

  it('points the clients at the emulators of a running local mode', async () => {
    const e = endpoints(process.pid);
    writeFileSync(join(dir, LOCAL_ENDPOINTS_FILE), JSON.stringify(e));
    const target = await openTarget({ env: { WEBHOOKS_DATA_DIR: dir } });
    try {
      expect(target).toMatchObject({
        kind: 'local',
        tableName: 'webhooks',
        deliveryQueueUrl: e.deliveryQueueUrl,
        deadLetterQueueUrl: e.deadLetterQueueUrl,
        ingestQueueUrl: e.ingestQueueUrl,
        dynamodbEndpoint: e.dynamodbEndpoint,
        sqsEndpoint: e.sqsEndpoint,
      });
      const dynamoEndpoint = await target.dynamodb.config.endpoint!();
      expect(`${dynamoEndpoint.protocol}//${dynamoEndpoint.hostname}:${dynamoEndpoint.port}`).toBe(e.dynamodbEndpoint);
      const sqsEndpoint = await target.sqs.config.endpoint!();
      expect(`${sqsEndpoint.protocol}//${sqsEndpoint.hostname}:${sqsEndpoint.port}`).toBe(e.sqsEndpoint);
    } finally {
      target.close();
    }
  });
});
