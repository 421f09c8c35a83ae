import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DEFINITION } from '../../functions/adapters/aws/dynamodb-keys.js';
import { DEFAULT_RETRY_SCHEDULE, maxReceiveCount, RECEIVE_HEADROOM, retentionSeconds } from '../../functions/domain/retry-schedule.js';
import { GATEWAY_ERRORS } from '../../lib/constructs/webhook-api.js';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import { API_SECRET_ACTIONS } from '../../lib/webhooks-stack.js';
import {
  allowedActions,
  type BuiltStack,
  buildStack,
  cdkJsonContext,
  deliveryQueueIds,
  functionId,
  logicalIdOf,
  resourcesFor,
  roleStatements,
  SKIP_BUNDLING,
} from './support.js';

const SLOW = 180_000; // a synth; generous because the machine is shared

let built: BuiltStack;
let template: Template;
let resources: Record<string, any>;
let ids: {
  table: string;
  bodies: string;
  bus: string;
  ingestQueue: string;
  ingestDlq: string;
  targetDlq: string;
  deliveryQueue: string;
  dlq: string;
  api: string;
  authorizer: string;
  fanout: string;
  sender: string;
  resumer: string;
  portal: string;
  inbound: string;
};

const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
const ref = (id: string) => ({ Ref: id });

beforeAll(() => {
  built = buildStack();
  template = built.template;
  resources = template.toJSON().Resources;
  const { deliveryQueue, dlq } = deliveryQueueIds(template);
  const bus = logicalIdOf(template, 'AWS::Events::EventBus');
  // The bus's rule (the other, the resumer's schedule, has no bus).
  const ruleTarget = Object.values(template.findResources('AWS::Events::Rule')).find((r) => r.Properties.EventBusName)!.Properties
    .Targets[0];
  const ingestQueue = ruleTarget.Arn['Fn::GetAtt'][0] as string;
  const targetDlq = ruleTarget.DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
  const ingestDlq = resources[ingestQueue].Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
  ids = {
    table: logicalIdOf(template, 'AWS::DynamoDB::Table'),
    bodies: logicalIdOf(template, 'AWS::S3::Bucket'),
    bus,
    ingestQueue,
    ingestDlq,
    targetDlq,
    deliveryQueue,
    dlq,
    api: functionId(template, 'api'),
    authorizer: functionId(template, 'authorizer'),
    fanout: functionId(template, 'fanout'),
    sender: functionId(template, 'sender'),
    resumer: functionId(template, 'resumer'),
    portal: functionId(template, 'portal'),
    inbound: functionId(template, 'inbound'),
  };
}, SLOW);

describe('template as a whole', () => {
  it('has no circular dependency (Template.fromStack rejects one), unlike a DLQ naming its source queue by reference', () => {
    expect(template.toJSON().Resources).toBeDefined();
    const stack = new Stack(new App(), 'Cycle');
    const dlq = new sqs.Queue(stack, 'Dlq');
    const source = new sqs.Queue(stack, 'Source', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    (dlq.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = { redrivePermission: 'byQueue', sourceQueueArns: [source.queueArn] };
    expect(() => Template.fromStack(stack)).toThrow(/cycle/);
  });

  it('has exactly the resources of the design, one of each kind where one is meant', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    // The bus's rule to the ingest queue, and the resumer's schedule.
    template.resourceCountIs('AWS::Events::Rule', 2);
    // ingest + its DLQ, the bus target's DLQ, delivery + its DLQ
    template.resourceCountIs('AWS::SQS::Queue', 5);
    // api, authorizer, fan-out, sender, resumer, portal page, inbound webhooks
    template.resourceCountIs('AWS::Lambda::Function', 7);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    // Per-tenant throttling: the default and shared usage plans, and the shared key (test/cdk/api-throttling.test.ts).
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });
});

describe('data table', () => {
  it('is on-demand with pk/sk string keys, ttl, PITR and AWS-managed encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    // SSE on without a key of our own: KMS with the AWS-managed key aws/dynamodb.
    expect(resources[ids.table].Properties.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('has two GSIs: gsi1 (gsi1pk/gsi1sk, all attributes) and the due-time index gsi2 (gsi2pk/gsi2sk, keys only), as local mode does', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'gsi2',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    const table = resources[ids.table].Properties;
    expect(table.GlobalSecondaryIndexes).toEqual(TABLE_DEFINITION.GlobalSecondaryIndexes);
    expect([...table.AttributeDefinitions].sort(byName)).toEqual([...TABLE_DEFINITION.AttributeDefinitions].sort(byName));
  });

  it('is retained when the stack goes', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('event bodies', () => {
  it('a private, encrypted, TLS-only bucket whose objects expire with the retention (30 days), retained with the stack', () => {
    const bucket = resources[ids.bodies];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketName).toBeUndefined();
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'expire-with-retention', Status: 'Enabled', ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ]);
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0]!.Properties.PolicyDocument.Statement;
    expect(policy).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  it('the api and the fanout put bodies, the sender reads them (with ListBucket, so a missing body is a 404); nobody else touches it', () => {
    const objects = { 'Fn::Join': ['', [getAtt(ids.bodies), '/bodies/*']] };
    const s3Actions = (h: keyof typeof ids) => [...allowedActions(template, ids[h])].filter((a) => a.startsWith('s3:')).sort();
    expect(s3Actions('api')).toEqual(['s3:PutObject']);
    expect(s3Actions('fanout')).toEqual(['s3:PutObject']);
    expect(s3Actions('sender')).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(s3Actions('authorizer')).toEqual([]);
    expect(s3Actions('resumer')).toEqual([]);
    for (const h of ['api', 'fanout'] as const) expect(resourcesFor(template, ids[h], 's3:PutObject')).toEqual([objects]);
    expect(resourcesFor(template, ids.sender, 's3:GetObject')).toEqual([objects]);
    expect(resourcesFor(template, ids.sender, 's3:ListBucket')).toEqual([getAtt(ids.bodies)]);
  });
});

describe('event ingest', () => {
  it('has a custom bus named after the stack', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'Webhooks-events' });
  });

  it('routes every event with detail.tenant_id from the bus to the ingest queue, failures to a DLQ of their own', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(ids.bus),
      EventPattern: { detail: { tenant_id: [{ exists: true }] } },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: getAtt(ids.ingestQueue), DeadLetterConfig: { Arn: getAtt(ids.targetDlq) } })],
    });
    // EventBridge's failures are not mixed with the fan-out's: SQS can redrive only the latter to its source.
    expect(ids.targetDlq).not.toBe(ids.ingestDlq);
    expect(resources[ids.targetDlq].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const rule = logicalIdOf(template, 'AWS::Events::Rule', (r) => r.Properties?.EventBusName !== undefined);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids.targetDlq)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(rule) } },
          }),
        ]),
      },
    });
    template.hasOutput('IngestDeadLetterQueueUrl', { Value: ref(ids.ingestDlq) });
    template.hasOutput('BusTargetDeadLetterQueueUrl', { Value: ref(ids.targetDlq) });
  });

  it("gives each event's tenant as its MessageGroupId on the ingest queue (a fair queue), by a path EventBridge fills in", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: getAtt(ids.ingestQueue), SqsParameters: { MessageGroupId: '$.detail.tenant_id' } })],
    });
    // A standard queue: SqsParameters make it fair, not FIFO.
    expect(resources[ids.ingestQueue].Properties.FifoQueue).toBeUndefined();
  });

  it('lets only this rule send to the ingest queue', () => {
    const rule = logicalIdOf(template, 'AWS::Events::Rule', (r) => r.Properties?.EventBusName !== undefined);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids.ingestQueue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(rule) } },
          }),
        ]),
      },
    });
  });

  it('parks an ingest message in its DLQ after 5 receives', () => {
    expect(resources[ids.ingestQueue].Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(ids.ingestDlq), maxReceiveCount: 5 });
    expect(resources[ids.ingestDlq].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('feeds the fanout function in batches of 100 within a 1 s window, with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(ids.ingestQueue),
      FunctionName: ref(ids.fanout),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps an ingest message invisible for at least 6x the fanout timeout', () => {
    const timeout = resources[ids.fanout].Properties.Timeout as number;
    expect(resources[ids.ingestQueue].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });
});

describe('delivery queues', () => {
  it('derive maxReceiveCount and retention from the default retry schedule', () => {
    expect(resources[ids.deliveryQueue].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(ids.dlq),
      maxReceiveCount: maxReceiveCount(DEFAULT_RETRY_SCHEDULE),
    });
    expect(resources[ids.deliveryQueue].Properties.MessageRetentionPeriod).toBe(retentionSeconds(DEFAULT_RETRY_SCHEDULE));
  });

  it(
    'derive them from a custom schedule: [1,2,3] allows 4 attempts, with receive headroom',
    () => {
      const custom = buildStack({ retrySchedule: [1, 2, 3] });
      const queue = deliveryQueueIds(custom.template).deliveryQueue;
      const props = custom.template.toJSON().Resources[queue].Properties;
      expect(props.RedrivePolicy.maxReceiveCount).toBe(4 + RECEIVE_HEADROOM);
      expect(props.MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
      expect(props.MessageRetentionPeriod).toBe(retentionSeconds([1, 2, 3]));
      custom.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Signs and POSTs'),
        Environment: { Variables: Match.objectLike({ WEBHOOKS_RETRY_SCHEDULE: '1,2,3' }) },
      });
    },
    SLOW,
  );

  it(
    'reject a schedule SQS cannot honour',
    () => {
      expect(() => buildStack({ retrySchedule: [] })).toThrow(/at least one step/);
      // A step may be longer than SQS's 12 h visibility (it is waited in hops), not than its 14-day retention.
      expect(() => buildStack({ retrySchedule: [5, 14 * 24 * 3600] })).toThrow(/0 to 1123200/);
      expect(() => buildStack({ retrySchedule: [7 * 24 * 3600, 6 * 24 * 3600] })).toThrow(/SQS keeps a message 1209600 s at most/);
    },
    SLOW,
  );

  it('keep a delivery invisible for at least 6x the sender timeout and take 1 MiB messages', () => {
    const timeout = resources[ids.sender].Properties.Timeout as number;
    expect(resources[ids.deliveryQueue].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    expect(resources[ids.deliveryQueue].Properties.MaximumMessageSize).toBe(1048576);
  });

  it('keep dead letters 14 days and allow redrive back to the delivery queue only', () => {
    const dlq = resources[ids.dlq].Properties;
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(dlq.RedriveAllowPolicy.redrivePermission).toBe('byQueue');
    expect(dlq.RedriveAllowPolicy.sourceQueueArns).toHaveLength(1);
    // The ARN is built from the delivery queue's name (a GetAtt would be a circular dependency).
    const queueName = resources[ids.deliveryQueue].Properties.QueueName;
    expect(built.stack.resolve(dlq.RedriveAllowPolicy.sourceQueueArns[0])).toEqual({
      'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':sqs:', ref('AWS::Region'), ':', ref('AWS::AccountId'), ':', queueName]],
    });
  });

  it('name the delivery queue after this stack creation, not fixedly: unique path plus the last group of the stack id', () => {
    const name = resources[ids.deliveryQueue].Properties.QueueName;
    const stackUuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', ref('AWS::StackId')] }] };
    expect(name).toEqual({
      'Fn::Join': [
        '-',
        [expect.stringMatching(/^Webhooks-Delivery-[A-F0-9]{8}$/), { 'Fn::Select': [4, { 'Fn::Split': ['-', stackUuid] }] }],
      ],
    });
    // At most 64 + 1 + 12 characters: within SQS's 80.
    expect(name['Fn::Join'][1][0].length).toBeLessThanOrEqual(64);
    for (const q of [ids.dlq, ids.ingestQueue, ids.ingestDlq]) expect(resources[q].Properties.QueueName, q).toBeUndefined();
  });

  it('feed the sender in batches of 10 with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(ids.deliveryQueue),
      FunctionName: ref(ids.sender),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('every queue', () => {
  it('is encrypted by SQS and refuses requests without TLS', () => {
    for (const queue of [ids.ingestQueue, ids.ingestDlq, ids.targetDlq, ids.deliveryQueue, ids.dlq]) {
      expect(resources[queue].Properties.SqsManagedSseEnabled, queue).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});

describe('functions', () => {
  const handlers = ['api', 'authorizer', 'fanout', 'sender', 'resumer'] as const;

  it('run nodejs24.x on arm64 with X-Ray (the sender and resumer only in traces sampled upstream), from a bundled index.mjs', () => {
    for (const h of handlers) {
      const p = resources[ids[h]].Properties;
      expect(p.Runtime, h).toBe('nodejs24.x');
      expect(p.Architectures, h).toEqual(['arm64']);
      expect(p.TracingConfig, h).toEqual({ Mode: h === 'sender' || h === 'resumer' ? 'PassThrough' : 'Active' });
      expect(p.Handler, h).toBe('index.handler');
    }
  });

  it('get 256 MB, the sender 512 MB', () => {
    expect(resources[ids.resumer].Properties.MemorySize).toBe(256);
    expect(resources[ids.api].Properties.MemorySize).toBe(256);
    expect(resources[ids.authorizer].Properties.MemorySize).toBe(256);
    expect(resources[ids.fanout].Properties.MemorySize).toBe(256);
    expect(resources[ids.sender].Properties.MemorySize).toBe(512);
  });

  it('share the environment the handlers read; the api alone gets the subscription cap, the fanout alone the ingest queue', () => {
    for (const h of handlers) {
      expect(resources[ids[h]].Properties.Environment.Variables, h).toEqual({
        WEBHOOKS_MODE: 'aws',
        TABLE_NAME: ref(ids.table),
        WEBHOOKS_BODY_BUCKET: ref(ids.bodies),
        EVENT_BUS_NAME: ref(ids.bus),
        DELIVERY_QUEUE_URL: ref(ids.deliveryQueue),
        SECRET_NAME_PREFIX: 'webhooks/Webhooks/',
        SECRET_STORAGE: 'per-subscription',
        WEBHOOKS_RETRY_SCHEDULE: DEFAULT_RETRY_SCHEDULE.join(','),
        WEBHOOKS_ROTATION_OVERLAP_SECONDS: '86400',
        WEBHOOKS_RETENTION_DAYS: '30',
        WEBHOOKS_ATTEMPT_TIMEOUT_MS: '5000',
        WEBHOOKS_PORTAL_LINK_TTL_SECONDS: '900',
        WEBHOOKS_PORTAL_SESSION_TTL_SECONDS: '3600',
        POWERTOOLS_SERVICE_NAME: 'Webhooks',
        POWERTOOLS_METRICS_NAMESPACE: 'Webhooks',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...(h === 'api'
          ? { MAX_SUBSCRIPTIONS_PER_TENANT: '1000', WEBHOOKS_VERIFICATION: 'challenge', WEBHOOKS_RESUME_RATE_PER_SECOND: '20' }
          : {}),
        // The shared throttling key, for tenants without one of their own (test/cdk/api-throttling.test.ts).
        ...(h === 'authorizer' ? { WEBHOOKS_SHARED_THROTTLE_KEY: expect.any(Object) } : {}),
        // Continuations of a fan-out in pages go back to the ingest queue.
        ...(h === 'fanout' ? { INGEST_QUEUE_URL: ref(ids.ingestQueue) } : {}),
        // Parking: the sender's in-flight budget, the resumer's pace for a recovered endpoint.
        ...(h === 'sender' ? { WEBHOOKS_IN_FLIGHT_BUDGET: '60000' } : {}),
        ...(h === 'resumer' ? { WEBHOOKS_RESUME_RATE_PER_SECOND: '20', WEBHOOKS_AUTO_DISABLE_SECONDS: '432000' } : {}),
      });
    }
  });

  it(
    'take the portal link and session lifetimes from the stack props, within a minute to a day',
    () => {
      const custom = buildStack({ portalLinkTtlSeconds: 120, portalSessionTtlSeconds: 7200 });
      custom.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Webhook subscriptions'),
        Environment: {
          Variables: Match.objectLike({ WEBHOOKS_PORTAL_LINK_TTL_SECONDS: '120', WEBHOOKS_PORTAL_SESSION_TTL_SECONDS: '7200' }),
        },
      });
      expect(() => buildStack({ portalLinkTtlSeconds: 30 })).toThrow(/portalLinkTtlSeconds must be a whole number from 60 to 86400/);
      expect(() => buildStack({ portalSessionTtlSeconds: 86_401 })).toThrow(/portalSessionTtlSeconds/);
    },
    SLOW,
  );

  it('log to their own log group with a retention', () => {
    for (const h of handlers) {
      const logGroup = resources[ids[h]].Properties.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroup].Type, h).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroup].Properties.RetentionInDays, h).toBeGreaterThan(0);
      // Only this function's role may write there; no AWSLambdaBasicExecutionRole.
      const writers = handlers.filter((other) =>
        JSON.stringify(resourcesFor(template, ids[other], 'logs:PutLogEvents')).includes(`"${logGroup}"`),
      );
      expect(writers, h).toEqual([h]);
    }
  });

  it('have roles without managed policies', () => {
    for (const h of handlers) {
      const role = resources[ids[h]].Properties.Role['Fn::GetAtt'][0] as string;
      expect(resources[role].Properties.ManagedPolicyArns, h).toBeUndefined();
    }
  });
});

describe('least privilege', () => {
  const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'];
  const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
  const secretsArn = {
    'Fn::Join': [
      '',
      ['arn:', ref('AWS::Partition'), ':secretsmanager:', ref('AWS::Region'), ':', ref('AWS::AccountId'), ':secret:webhooks/Webhooks/*'],
    ],
  };
  const tableResources = () => [getAtt(ids.table), { 'Fn::Join': ['', [getAtt(ids.table), '/index/*']] }];
  const secretActions = (h: keyof typeof ids) =>
    [...allowedActions(template, ids[h])].filter((a) => a.startsWith('secretsmanager:')).sort();

  it('only X-Ray (and, for the api, BatchGetSecretValue, which has no resource type) is granted on every resource ("*")', () => {
    for (const h of ['api', 'authorizer', 'fanout', 'sender'] as const) {
      for (const s of roleStatements(template, ids[h])) {
        const resourceList = [s.Resource].flat();
        if (resourceList.includes('*'))
          expect(
            [s.Action].flat().every((a) => a.startsWith('xray:') || (h === 'api' && a === 'secretsmanager:BatchGetSecretValue')),
            `${h}: ${JSON.stringify(s)}`,
          ).toBe(true);
      }
    }
  });

  it('api: table read/write, PutEvents on the bus, send to the delivery queue, its secrets by prefix', () => {
    const actions = allowedActions(template, ids.api);
    for (const a of [...TABLE_READ, ...TABLE_WRITE])
      expect(resourcesFor(template, ids.api, a), a).toEqual(expect.arrayContaining(tableResources()));
    expect(resourcesFor(template, ids.api, 'events:PutEvents')).toEqual([getAtt(ids.bus)]);
    expect(resourcesFor(template, ids.api, 'sqs:SendMessage')).toEqual([getAtt(ids.deliveryQueue)]);
    expect(secretActions('api')).toEqual([...API_SECRET_ACTIONS, 'secretsmanager:BatchGetSecretValue'].sort());
    for (const a of API_SECRET_ACTIONS) expect(resourcesFor(template, ids.api, a), a).toEqual([secretsArn]);
    expect(resourcesFor(template, ids.api, 'secretsmanager:BatchGetSecretValue')).toEqual(['*']);
    expect(actions.has('sqs:ReceiveMessage')).toBe(false);
  });

  it('authorizer: reads the table and nothing else', () => {
    const actions = [...allowedActions(template, ids.authorizer)];
    for (const a of TABLE_READ) expect(resourcesFor(template, ids.authorizer, a), a).toEqual(expect.arrayContaining(tableResources()));
    expect(actions.filter((a) => TABLE_WRITE.includes(a))).toEqual([]);
    expect(actions.filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
    expect(
      actions.filter((a) => a.startsWith('dynamodb:') && !/^dynamodb:(Get|Query|Scan|BatchGet|Describe|ConditionCheck)/.test(a)),
    ).toEqual([]);
  });

  it('fanout: table read/write, send to the delivery queue and (continuations) to the ingest queue; no secrets, no bus', () => {
    for (const a of [...TABLE_READ, ...TABLE_WRITE])
      expect(resourcesFor(template, ids.fanout, a), a).toEqual(expect.arrayContaining(tableResources()));
    expect(resourcesFor(template, ids.fanout, 'sqs:SendMessage')).toEqual([getAtt(ids.ingestQueue), getAtt(ids.deliveryQueue)]);
    expect(secretActions('fanout')).toEqual([]);
    expect(allowedActions(template, ids.fanout).has('events:PutEvents')).toBe(false);
    // Consuming the ingest queue comes from its event source, scoped to that queue.
    expect(resourcesFor(template, ids.fanout, 'sqs:ReceiveMessage')).toEqual([getAtt(ids.ingestQueue)]);
  });

  it('sender: table read/write, consume, ChangeMessageVisibility and SendMessage on the delivery queue, read its secrets, PutEvents on the bus only', () => {
    for (const a of [...TABLE_READ, ...TABLE_WRITE])
      expect(resourcesFor(template, ids.sender, a), a).toEqual(expect.arrayContaining(tableResources()));
    expect(resourcesFor(template, ids.sender, 'sqs:ChangeMessageVisibility')).toEqual(expect.arrayContaining([getAtt(ids.deliveryQueue)]));
    expect(new Set(resourcesFor(template, ids.sender, 'sqs:ChangeMessageVisibility').map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify(getAtt(ids.deliveryQueue))]),
    );
    expect(resourcesFor(template, ids.sender, 'sqs:ReceiveMessage')).toEqual([getAtt(ids.deliveryQueue)]);
    // A delivery over its rate limit is sent again, delayed to its slot: to the delivery queue only.
    expect(resourcesFor(template, ids.sender, 'sqs:SendMessage')).toEqual([getAtt(ids.deliveryQueue)]);
    expect(secretActions('sender')).toEqual(['secretsmanager:GetSecretValue']);
    expect(resourcesFor(template, ids.sender, 'secretsmanager:GetSecretValue')).toEqual([secretsArn]);
    // Its operational events (functions/app/operational-events.ts): on the pipeline's bus, no other.
    expect(resourcesFor(template, ids.sender, 'events:PutEvents')).toEqual([getAtt(ids.bus)]);
  });
});

describe('REST API', () => {
  const methods = () => Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
  const resourceIdOf = (pathPart: string) => logicalIdOf(template, 'AWS::ApiGateway::Resource', (r) => r.Properties.PathPart === pathPart);

  it('has a REQUEST authorizer on the Identity and Authorization headers, cached 300 s', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Identity,method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([getAtt(ids.authorizer)])] }),
    });
  });

  const portalMethods = () => methods().filter((m) => JSON.stringify(m.Integration.Uri).includes(JSON.stringify(getAtt(ids.portal))));
  const inboundMethods = () => methods().filter((m) => JSON.stringify(m.Integration.Uri).includes(JSON.stringify(getAtt(ids.inbound))));

  it('sends every method but the portal page and inbound webhooks to the api function (Lambda proxy)', () => {
    expect(methods()).toHaveLength(15);
    // GET /portal, /portal/{proxy+}, /api/docs and /api/docs/{proxy+}.
    expect(portalMethods()).toHaveLength(4);
    // POST /inbound/{source}, without credentials (test/cdk/inbound.test.ts).
    expect(inboundMethods()).toEqual([expect.objectContaining({ HttpMethod: 'POST', AuthorizationType: 'NONE' })]);
    for (const m of methods().filter((x) => !portalMethods().includes(x) && !inboundMethods().includes(x))) {
      expect(m.Integration.Type).toBe('AWS_PROXY');
      expect(m.Integration.IntegrationHttpMethod).toBe('POST');
      expect(JSON.stringify(m.Integration.Uri)).toContain(JSON.stringify(getAtt(ids.api)));
    }
  });

  it('authorizes ANY on /, /{proxy+}, /api, /api/{proxy+} and the resources down to the portal exchange with the authorizer', () => {
    const authorizer = logicalIdOf(template, 'AWS::ApiGateway::Authorizer');
    const any = methods().filter((m) => m.HttpMethod === 'ANY');
    expect(any).toHaveLength(8);
    for (const m of any) {
      expect(m.AuthorizationType).toBe('CUSTOM');
      expect(m.AuthorizerId).toEqual(ref(authorizer));
    }
    const proxies = Object.values(template.findResources('AWS::ApiGateway::Resource')).filter((r) => r.Properties.PathPart === '{proxy+}');
    // /, /api, /api/v0.1, /api/v0.1/portal, /api/docs and /portal.
    expect(proxies).toHaveLength(6);
  });

  it('serves the API reference at GET /api/docs and its files without credentials, from the portal function', () => {
    const docs = logicalIdOf(template, 'AWS::ApiGateway::Resource', (r) => r.Properties.PathPart === 'docs');
    expect(resources[docs].Properties.ParentId).toEqual(ref(resourceIdOf('api')));
    const files = logicalIdOf(
      template,
      'AWS::ApiGateway::Resource',
      (r) => r.Properties.PathPart === '{proxy+}' && JSON.stringify(r.Properties.ParentId) === JSON.stringify(ref(docs)),
    );
    for (const resource of [docs, files]) {
      const onIt = methods().filter((m) => JSON.stringify(m.ResourceId) === JSON.stringify(ref(resource)));
      expect(onIt, resource).toHaveLength(1);
      expect(onIt[0]).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
      expect(onIt[0]!.AuthorizerId).toBeUndefined();
      expect(onIt[0]!.ApiKeyRequired).toBeFalsy();
      expect(portalMethods()).toContain(onIt[0]);
    }
  });

  it('serves the portal page at /portal/ and exchanges portal links at POST /api/v0.1/portal/session-tokens without credentials', () => {
    for (const m of portalMethods()) {
      expect(m.HttpMethod).toBe('GET');
      expect(m.AuthorizationType).toBe('NONE');
    }
    const portalResources = Object.entries(template.findResources('AWS::ApiGateway::Resource')).filter(
      ([, r]) => r.Properties.PathPart === 'portal',
    );
    expect(portalResources).toHaveLength(2);
    const exchange = resourceIdOf('session-tokens');
    const post = methods().filter((m) => m.HttpMethod === 'POST' && !inboundMethods().includes(m));
    expect(post).toHaveLength(1);
    expect(post[0]!.ResourceId).toEqual(ref(exchange));
    expect(post[0]!.AuthorizationType).toBe('NONE');
    expect(JSON.stringify(post[0]!.Integration.Uri)).toContain(JSON.stringify(getAtt(ids.api)));
  });

  it('serves GET /api/openapi.json without credentials', () => {
    const apiResource = resourceIdOf('api');
    const openapi = logicalIdOf(template, 'AWS::ApiGateway::Resource', (r) => r.Properties.PathPart === 'openapi.json');
    expect(resources[openapi].Properties.ParentId).toEqual(ref(apiResource));
    const get = methods().filter((m) => m.HttpMethod === 'GET' && !portalMethods().includes(m));
    expect(get).toHaveLength(1);
    expect(get[0]!.ResourceId).toEqual(ref(openapi));
    expect(get[0]!.AuthorizationType).toBe('NONE');
    expect(get[0]!.AuthorizerId).toBeUndefined();
  });

  it('answers its own errors as JSON {"error": {"code", "message"}}', () => {
    const expected: Record<string, [string | undefined, string]> = {
      UNAUTHORIZED: ['401', 'unauthorized'],
      ACCESS_DENIED: ['403', 'forbidden'],
      DEFAULT_4XX: [undefined, 'bad_request'],
      DEFAULT_5XX: [undefined, 'internal_error'],
    };
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
    for (const [type, [status, _code]] of Object.entries(expected)) {
      const response = responses.find((r) => r.ResponseType === type);
      expect(response, type).toBeDefined();
      expect(response!.StatusCode, type).toBe(status);
    }
    for (const response of responses) {
      // What API Gateway renders: $context.error.messageString is a quoted JSON string.
      const rendered = (response.ResponseTemplates['application/json'] as string).replaceAll(
        '$context.error.messageString',
        '"Missing required request parameters"',
      );
      const body = JSON.parse(rendered) as { error: { code: string; message: string } };
      expect(body.error.code, response.ResponseType).toMatch(/^[a-z_]+$/);
      expect(body.error.message.length, response.ResponseType).toBeGreaterThan(10);
      expect(GATEWAY_ERRORS.some((e) => e.code === body.error.code)).toBe(true);
    }
    expect(responses.find((r) => r.ResponseType === 'UNAUTHORIZED')!.ResponseTemplates['application/json']).toContain(
      '"code":"unauthorized"',
    );
    expect(responses.find((r) => r.ResponseType === 'ACCESS_DENIED')!.ResponseTemplates['application/json']).toContain(
      '"code":"forbidden"',
    );
  });

  it('deploys stage prod with tracing, JSON access logs, error logging and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ],
    });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties;
    expect(() => JSON.parse(stage.AccessLogSetting.Format)).not.toThrow();
    const logGroup = JSON.stringify(stage.AccessLogSetting.DestinationArn).match(/":log-group:",\{"Ref":"([^"]+)"/)?.[1];
    expect(resources[logGroup!].Type).toBe('AWS::Logs::LogGroup');
  });

  it('owns the execution log group API Gateway would make itself, with a retention, made before the stage', () => {
    const restApi = logicalIdOf(template, 'AWS::ApiGateway::RestApi');
    const executionLogs = logicalIdOf(template, 'AWS::Logs::LogGroup', (r) => r.Properties.LogGroupName !== undefined);
    expect(resources[executionLogs].Properties).toEqual({
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', ref(restApi), '/prod']] },
      RetentionInDays: 30,
    });
    expect([resources[executionLogs].DeletionPolicy, resources[executionLogs].UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(stage!.DependsOn).toContain(executionLogs);
  });

  it("lets API Gateway invoke the api, authorizer, portal and inbound functions, the resumer's schedule the resumer, and nobody else", () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p) => p.Properties);
    for (const p of permissions) {
      const fn = p.FunctionName['Fn::GetAtt'][0];
      if (fn === ids.resumer) {
        expect(p.Principal).toBe('events.amazonaws.com');
        continue;
      }
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect([ids.api, ids.authorizer, ids.portal, ids.inbound]).toContain(fn);
    }
    expect(permissions.filter((p) => p.FunctionName['Fn::GetAtt'][0] === ids.resumer)).toHaveLength(1);
    expect(permissions.filter((p) => p.FunctionName['Fn::GetAtt'][0] === ids.authorizer)).toHaveLength(1);
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const queueAlarm = (queue: string) =>
    alarms().find(
      (a) =>
        a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        JSON.stringify(a.Dimensions).includes(JSON.stringify(getAtt(queue, 'QueueName'))),
    );

  it('fire when anything waits in either DLQ', () => {
    for (const queue of [ids.dlq, ids.ingestDlq]) {
      const alarm = queueAlarm(queue);
      expect(alarm, queue).toBeDefined();
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fire when the sender fails', () => {
    const alarm = alarms().find((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(JSON.stringify(ref(ids.sender))));
    expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it(
    'have no actions unless a topic is given, then alarm and recovery go to it',
    () => {
      for (const a of alarms()) expect(a.AlarmActions).toBeUndefined();
      const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops';
      const withTopic = buildStack({ alarmTopicArn: topicArn });
      const withActions = Object.values(withTopic.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(withActions.length).toBeGreaterThanOrEqual(3);
      for (const a of withActions) {
        expect(a.AlarmActions).toEqual([topicArn]);
        expect(a.OKActions).toEqual([topicArn]);
      }
    },
    SLOW,
  );
});

describe('outputs', () => {
  it('has exactly the keys the CLI tools look up', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      [
        'ApiUrl',
        'TableName',
        'EventBusName',
        'IngestQueueUrl',
        'IngestDeadLetterQueueUrl',
        'BusTargetDeadLetterQueueUrl',
        'DeliveryQueueUrl',
        'DeliveryQueueArn',
        'DeadLetterQueueUrl',
        'DeadLetterQueueArn',
        'IngestQueueArn',
        'IngestDeadLetterQueueArn',
        'SecretNamePrefix',
        'StackName',
        'DashboardName',
        'ApiFunctionName',
        'AuthorizerFunctionName',
        'FanoutFunctionName',
        'SenderFunctionName',
        'ResumerFunctionName',
        'RestApiId',
        'ApiStageName',
        'DefaultUsagePlanId',
        'SharedUsagePlanId',
        'InboundUrl',
        'InboundSecretNamePrefix',
        'InboundSources',
        'InboundFunctionName',
        'BodyBucketName',
      ].sort(),
    );
  });

  it('points at the right resources', () => {
    template.hasOutput('TableName', { Value: ref(ids.table) });
    template.hasOutput('EventBusName', { Value: ref(ids.bus) });
    template.hasOutput('IngestQueueUrl', { Value: ref(ids.ingestQueue) });
    template.hasOutput('DeliveryQueueUrl', { Value: ref(ids.deliveryQueue) });
    template.hasOutput('DeliveryQueueArn', { Value: getAtt(ids.deliveryQueue) });
    template.hasOutput('DeadLetterQueueUrl', { Value: ref(ids.dlq) });
    template.hasOutput('DeadLetterQueueArn', { Value: getAtt(ids.dlq) });
    template.hasOutput('IngestQueueArn', { Value: getAtt(ids.ingestQueue) });
    template.hasOutput('IngestDeadLetterQueueUrl', { Value: ref(ids.ingestDlq) });
    template.hasOutput('IngestDeadLetterQueueArn', { Value: getAtt(ids.ingestDlq) });
    template.hasOutput('DashboardName', { Value: ref(logicalIdOf(template, 'AWS::CloudWatch::Dashboard')) });
    for (const h of ['api', 'authorizer', 'fanout', 'sender'] as const)
      template.hasOutput(`${h[0]!.toUpperCase()}${h.slice(1)}FunctionName`, { Value: ref(ids[h]) });
    template.hasOutput('SecretNamePrefix', { Value: 'webhooks/Webhooks/' });
    template.hasOutput('StackName', { Value: 'Webhooks' });
    const restApi = logicalIdOf(template, 'AWS::ApiGateway::RestApi');
    const apiUrl = JSON.stringify(template.toJSON().Outputs.ApiUrl.Value);
    expect(apiUrl).toContain(JSON.stringify(ref(restApi)));
    const stage = logicalIdOf(template, 'AWS::ApiGateway::Stage');
    expect(resources[stage].Properties.StageName).toBe('prod');
    expect(apiUrl).toContain(JSON.stringify(ref(stage)));
  });
});

describe('the app (bin/webhooks.ts)', () => {
  it(
    'names the stack Webhooks by default',
    () => {
      const { stack } = createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
      expect(stack.stackName).toBe('Webhooks');
      expect(stack.artifactId).toBe('Webhooks');
    },
    SLOW,
  );

  it(
    'takes the stack name and retry schedule from context',
    () => {
      const { stack } = createWebhooksApp({
        context: { ...cdkJsonContext(), ...SKIP_BUNDLING, stackName: 'Hooks2', retrySchedule: '1,2' },
      });
      expect(stack.stackName).toBe('Hooks2');
      const t = Template.fromStack(stack);
      t.hasOutput('SecretNamePrefix', { Value: 'webhooks/Hooks2/' });
      t.hasOutput('StackName', { Value: 'Hooks2' });
      t.hasResourceProperties('AWS::Events::EventBus', { Name: 'Hooks2-events' });
      const { deliveryQueue, dlq } = deliveryQueueIds(t);
      const queues = t.toJSON().Resources;
      expect(queues[deliveryQueue].Properties.RedrivePolicy.maxReceiveCount).toBe(3 + RECEIVE_HEADROOM);
      expect(queues[deliveryQueue].Properties.QueueName['Fn::Join'][1][0]).toMatch(/^Hooks2-Delivery-/);
      expect(queues[dlq].Properties.RedriveAllowPolicy.redrivePermission).toBe('byQueue');
    },
    SLOW,
  );

  it(
    'passes rotation overlap, retention and attempt timeout from context to the functions, and rejects bad values',
    () => {
      const { stack } = createWebhooksApp({
        context: {
          ...cdkJsonContext(),
          ...SKIP_BUNDLING,
          secretRotationOverlapSeconds: '3600',
          retentionDays: '7',
          attemptTimeoutSeconds: '5',
        },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            WEBHOOKS_ROTATION_OVERLAP_SECONDS: '3600',
            WEBHOOKS_RETENTION_DAYS: '7',
            WEBHOOKS_ATTEMPT_TIMEOUT_MS: '5000',
          }),
        },
      });
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, attemptTimeoutSeconds: '45' } })).toThrow(
        /attemptTimeoutSeconds must be a whole number from 1 to 30/,
      );
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, retentionDays: 'a week' } })).toThrow(
        /retentionDays must be a whole number/,
      );
    },
    SLOW,
  );

  it(
    "takes the portal's receiver guide address from context (-c receiverGuideUrl=...) and rejects one that is not http(s)",
    () => {
      const { stack } = createWebhooksApp({
        context: { ...cdkJsonContext(), ...SKIP_BUNDLING, receiverGuideUrl: 'https://docs.acme.example/receiving' },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Serves the tenant portal page'),
        Environment: { Variables: Match.objectLike({ WEBHOOKS_RECEIVER_GUIDE_URL: 'https://docs.acme.example/receiving' }) },
      });
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, receiverGuideUrl: 'ftp://docs' } })).toThrow(
        /receiverGuideUrl must be an absolute http or https URL/,
      );
    },
    SLOW,
  );

  it(
    'takes the secret storage from context (-c secretStorage=envelope) and rejects others',
    () => {
      const { stack } = createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, secretStorage: 'envelope' } });
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::SecretsManager::Secret', 1);
      const kek = logicalIdOf(t, 'AWS::SecretsManager::Secret');
      t.hasOutput('KeyEncryptionKeyArn', { Value: { Ref: kek } });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ SECRET_STORAGE: 'envelope', SECRET_KEK_ID: { Ref: kek } }) },
      });
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, secretStorage: 'vault' } })).toThrow(
        /secret storage must be per-subscription or envelope, not vault/,
      );
    },
    SLOW,
  );

  it(
    'rejects a malformed retry schedule in context',
    () => {
      expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, retrySchedule: '5,soon' } })).toThrow(
        /WEBHOOKS_RETRY_SCHEDULE|comma-separated/,
      );
    },
    SLOW,
  );
});
