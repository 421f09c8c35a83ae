import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, maxReceiveCount, retentionSeconds } from '../../functions/domain/retry-schedule.js';
import { ALARM_IDS, deliveryLateDefaultSeconds } from '../../lib/constructs/alarms.js';
import { WIDGETS } from '../../lib/constructs/dashboard.js';
import { PROJECT_ROOT, prebundledHandler, WebhookFunction } from '../../lib/constructs/webhook-function.js';
import { WebhookDelivery, type WebhookDeliveryProps } from '../../lib/index.js';
import { allowedActions, cdkJsonContext, resourcesFor, SKIP_BUNDLING } from './support.js';

/**
 * The construct as a consumer uses it: non-default props, a second instance with defaults in
 * the same stack (an explicit account and region), a producer granted publishing, the
 * dashboard's widgets, each alarm's metric, and cdk-nag over the whole stack.
 */

const SLOW = 180_000; // a synth; generous because the machine is shared
const ENV = { account: '123456789012', region: 'eu-west-1' };

const CUSTOM: WebhookDeliveryProps = {
  retrySchedule: [10, 60, 600],
  attemptTimeout: Duration.seconds(5),
  retention: Duration.days(7),
  secretRotationOverlap: Duration.hours(1),
  senderMaxConcurrency: 120,
  fanoutMaxConcurrency: 12,
  maxSubscriptionsPerTenant: 25,
  secretStorage: 'envelope',
  alarmThresholds: {
    oldestDeliveryAgeSeconds: 600,
    functionErrors: 3,
    functionThrottles: 5,
    apiServerErrorRate: 0.01,
    authorizerErrors: 2,
    oldestHeldDeliverySeconds: 3600,
    resumerLagSeconds: 300,
    inboundRefusals: 50,
  },
  inFlightBudget: 20_000,
  resumeRatePerSecond: 50,
  logRetention: logs.RetentionDays.ONE_WEEK,
  logLevel: 'DEBUG',
  debugLogSampleRate: 0.1,
  removalPolicy: RemovalPolicy.DESTROY,
  namePrefix: 'acme-hooks',
  receiverGuideUrl: 'https://docs.acme.example/webhooks/receiving',
};

let stack: Stack;
let hooks: WebhookDelivery;
let other: WebhookDelivery;
let template: Template;
let resources: Record<string, any>;
let topicId: string;

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
/** Logical id of a construct's CloudFormation resource. */
const idOf = (construct: { node: { defaultChild?: unknown } } | { node: { defaultChild?: unknown } }): string =>
  stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId);
const fnId = (w: WebhookDelivery, h: keyof WebhookDelivery['functions']) => idOf(w.functions[h]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
  stack = new Stack(app, 'Host', { env: ENV });
  const topic = new sns.Topic(stack, 'Ops', { enforceSSL: true });
  hooks = new WebhookDelivery(stack, 'Hooks', { ...CUSTOM, alarmTopic: topic });
  other = new WebhookDelivery(stack, 'Other');
  const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  hooks.grantPublish(producer);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  topicId = idOf(topic);
}, SLOW);

describe('WebhookDelivery with non-default props', () => {
  it('passes every setting to the functions; the subscription cap to the api alone', () => {
    for (const h of ['api', 'authorizer', 'fanout', 'sender'] as const) {
      const env = resources[fnId(hooks, h)].Properties.Environment.Variables;
      expect(env, h).toMatchObject({
        WEBHOOKS_RETRY_SCHEDULE: '10,60,600',
        WEBHOOKS_ATTEMPT_TIMEOUT_MS: '5000',
        WEBHOOKS_RETENTION_DAYS: '7',
        WEBHOOKS_ROTATION_OVERLAP_SECONDS: '3600',
        SECRET_NAME_PREFIX: 'webhooks/acme-hooks/',
        POWERTOOLS_SERVICE_NAME: 'acme-hooks',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0.1',
      });
      expect(env.MAX_SUBSCRIPTIONS_PER_TENANT, h).toBe(h === 'api' ? '25' : undefined);
    }
  });

  it("points the portal's receiver guide link where told; without the setting, at the guide the portal serves", () => {
    const portalEnv = (w: WebhookDelivery) => resources[idOf(w.webhookApi.portal.portalFunction.function)].Properties.Environment.Variables;
    expect(portalEnv(hooks).WEBHOOKS_RECEIVER_GUIDE_URL).toBe('https://docs.acme.example/webhooks/receiving');
    expect(portalEnv(other).WEBHOOKS_RECEIVER_GUIDE_URL).toBeUndefined();
  });

  it('caps the sender and fan-out event source mappings at the given concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(fnId(hooks, 'sender')),
      EventSourceArn: getAtt(idOf(hooks.deliveryQueue)),
      ScalingConfig: { MaximumConcurrency: 120 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(fnId(hooks, 'fanout')),
      EventSourceArn: getAtt(idOf(hooks.ingestQueue)),
      ScalingConfig: { MaximumConcurrency: 12 },
    });
  });

  it('derives the delivery queue from the schedule and names things from the prefix', () => {
    const queue = resources[idOf(hooks.deliveryQueue)].Properties;
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(maxReceiveCount([10, 60, 600]));
    expect(queue.MessageRetentionPeriod).toBe(retentionSeconds([10, 60, 600]));
    expect(resources[idOf(hooks.eventBus)].Properties.Name).toBe('acme-hooks-events');
    expect(resources[idOf(hooks.webhookApi.api)].Properties.Name).toBe('acme-hooks-api');
  });

  it('destroys the table and log groups when told, with the given log retention', () => {
    expect(resources[idOf(hooks.table)].DeletionPolicy).toBe('Delete');
    const executionLogs = resources[idOf(hooks.webhookApi.executionLogGroup)];
    expect([executionLogs.DeletionPolicy, executionLogs.Properties.RetentionInDays]).toEqual(['Delete', 7]);
    for (const h of ['api', 'authorizer', 'fanout', 'sender'] as const) {
      const logGroup = resources[fnId(hooks, h)].Properties.LoggingConfig.LogGroup.Ref;
      expect(resources[logGroup].Properties.RetentionInDays, h).toBe(7);
      expect(resources[logGroup].DeletionPolicy, h).toBe('Delete');
    }
    // The defaults keep them.
    expect(resources[idOf(other.table)].DeletionPolicy).toBe('Retain');
    const otherLogs = resources[fnId(other, 'sender')].Properties.LoggingConfig.LogGroup.Ref;
    expect(resources[otherLogs].DeletionPolicy).toBe('Retain');
    expect(resources[otherLogs].Properties.RetentionInDays).toBe(30);
  });

  it('envelope storage: one generated key ring secret, and the functions may read only it', () => {
    const kek = idOf(hooks.keyEncryptionKey!);
    expect(resources[kek].Type).toBe('AWS::SecretsManager::Secret');
    // No fixed name (test/cdk/redeploy.test.ts); the description names the table whose items it seals.
    expect(resources[kek].Properties.Name).toBeUndefined();
    expect(JSON.stringify(resources[kek].Properties.Description)).toContain(JSON.stringify(ref(idOf(hooks.table))));
    expect(resources[kek].Properties).toMatchObject({
      GenerateSecretString: {
        SecretStringTemplate: '{"current":"k1"}',
        GenerateStringKey: 'k1',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
    });
    // The table's removal policy (DESTROY here).
    expect(resources[kek].DeletionPolicy).toBe(resources[idOf(hooks.table)].DeletionPolicy);
    expect(resources[kek].DeletionPolicy).toBe('Delete');
    for (const h of ['api', 'sender'] as const) {
      const env = resources[fnId(hooks, h)].Properties.Environment.Variables;
      expect(env, h).toMatchObject({ SECRET_STORAGE: 'envelope', SECRET_KEK_ID: ref(kek) });
      expect(
        [...allowedActions(template, fnId(hooks, h))].filter((a) => a.startsWith('secretsmanager:')),
        h,
      ).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesFor(template, fnId(hooks, h), 'secretsmanager:GetSecretValue'), h).toEqual([ref(kek)]);
    }
    for (const h of ['authorizer', 'fanout'] as const)
      expect(
        [...allowedActions(template, fnId(hooks, h))].filter((a) => a.startsWith('secretsmanager:')),
        h,
      ).toEqual([]);
    // The default instance keeps one secret per subscription, and no key ring.
    expect(other.keyEncryptionKey).toBeUndefined();
    expect(resources[fnId(other, 'api')].Properties.Environment.Variables).toMatchObject({ SECRET_STORAGE: 'per-subscription' });
    expect(resources[fnId(other, 'api')].Properties.Environment.Variables.SECRET_KEK_ID).toBeUndefined();
    expect(ofType('AWS::SecretsManager::Secret')).toHaveLength(1);
  });

  it('grants a producer PutEvents on its bus and nothing else', () => {
    const producerRole = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('Producer'))![0];
    const policies = ofType('AWS::IAM::Policy').filter(
      ([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(producerRole)]),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].Properties.PolicyDocument.Statement).toEqual([
      { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(idOf(hooks.eventBus)) },
    ]);
  });

  it('rejects settings AWS or the pipeline cannot honour', () => {
    const tryWith = (props: WebhookDeliveryProps) => () =>
      new WebhookDelivery(new Stack(new App({ context: SKIP_BUNDLING }), 'Bad'), 'W', props);
    expect(tryWith({ senderMaxConcurrency: 1 })).toThrow(/senderMaxConcurrency must be a whole number from 2 to 1000/);
    expect(tryWith({ fanoutMaxConcurrency: 1001 })).toThrow(/fanoutMaxConcurrency must be a whole number from 2 to 1000/);
    expect(tryWith({ namePrefix: 'not ok' })).toThrow(/namePrefix/);
    expect(tryWith({ debugLogSampleRate: 2 })).toThrow(/debugLogSampleRate/);
    expect(tryWith({ attemptTimeout: Duration.seconds(31) })).toThrow(/attemptTimeout/);
    expect(tryWith({ maxSubscriptionsPerTenant: 0 })).toThrow(/maxSubscriptionsPerTenant/);
    expect(tryWith({ secretStorage: 'vault' as never })).toThrow(/secretStorage must be 'per-subscription' or 'envelope', got "vault"/);
    expect(tryWith({ alarmThresholds: { apiServerErrorRate: 5 } })).toThrow(/apiServerErrorRate/);
    expect(tryWith({ receiverGuideUrl: 'javascript:alert(1)' })).toThrow(/receiverGuideUrl must be an absolute http or https URL/);
    expect(tryWith({ receiverGuideUrl: 'docs/receiving-webhooks.md' })).toThrow(/receiverGuideUrl must be an absolute http or https URL/);
  });
});

describe('two instances in one stack', () => {
  it('synthesize side by side: two of everything, one API Gateway account role', () => {
    // Seven each (the inbound one among them), and the one provider CDK shares in a stack to empty DESTROY buckets (the bodies').
    template.resourceCountIs('AWS::Lambda::Function', 15);
    template.resourceCountIs('AWS::SQS::Queue', 10);
    template.resourceCountIs('AWS::Events::EventBus', 2);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * ALARM_IDS.length);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('share no physical name', () => {
    const names = (type: string, prop: string) =>
      ofType(type)
        .map(([, r]) => r.Properties[prop])
        .filter((n) => n !== undefined)
        .map((n) => JSON.stringify(n));
    for (const [type, prop] of [
      ['AWS::Events::EventBus', 'Name'],
      ['AWS::ApiGateway::RestApi', 'Name'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::ApiGateway::UsagePlan', 'UsagePlanName'],
      // API key values are unique per account and Region.
      ['AWS::ApiGateway::ApiKey', 'Value'],
    ] as const) {
      const all = names(type, prop);
      expect(new Set(all).size, type).toBe(all.length);
    }
    expect(other.namePrefix).toMatch(/^Host-Other-[A-F0-9]{8}$/);
    expect(other.secretNamePrefix).not.toBe(hooks.secretNamePrefix);
    // The execution log groups have the names API Gateway gives them, each its own API's id.
    expect(names('AWS::Logs::LogGroup', 'LogGroupName')).toEqual(
      [hooks, other].map((w) =>
        JSON.stringify({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', ref(idOf(w.webhookApi.api)), '/prod']] }),
      ),
    );
    // Nothing else is named: dashboards, alarms, tables, functions and the other log groups get generated names.
    for (const [type, prop] of [
      ['AWS::CloudWatch::Dashboard', 'DashboardName'],
      ['AWS::CloudWatch::Alarm', 'AlarmName'],
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::Lambda::Function', 'FunctionName'],
    ] as const)
      expect(names(type, prop), type).toEqual([]);
  });

  it('pass cdk-nag (AwsSolutions) with an explicit account and region', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

/** The dashboard body with its CloudFormation tokens put back in place of their JSON strings. */
function dashboardBody(w: WebhookDelivery): { widgets: any[] } {
  const body = resources[idOf(w.dashboard.dashboard)].Properties.DashboardBody;
  const parts: unknown[] = body['Fn::Join'] ? body['Fn::Join'][1] : [body];
  const tokens: unknown[] = [];
  const text = parts.map((p) => (typeof p === 'string' ? p : `@@${tokens.push(p) - 1}@@`)).join('');
  const revive = (v: unknown): unknown => {
    if (typeof v === 'string' && /^@@\d+@@$/.test(v)) return tokens[Number(v.slice(2, -2))];
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    return v;
  };
  return revive(JSON.parse(text)) as { widgets: any[] };
}

describe('dashboard', () => {
  const widget = (w: WebhookDelivery, title: string) => {
    const found = dashboardBody(w).widgets.filter((x) => x.properties.title === title);
    expect(found, title).toHaveLength(1);
    return found[0].properties;
  };
  /** [namespace, metric name, dimension name, value, ...] without the trailing options object. */
  const metricsOf = (props: any) =>
    (props.metrics as unknown[][]).map((m) => (typeof m.at(-1) === 'object' && !('Ref' in (m.at(-1) as object)) ? m.slice(0, -1) : m));
  const statsOf = (props: any) => (props.metrics as any[][]).map((m) => m.at(-1).stat);

  it('has one widget per WIDGETS title, each instance its own', () => {
    for (const w of [hooks, other]) {
      const titles = dashboardBody(w).widgets.map((x) => x.properties.title);
      expect(titles.sort()).toEqual(Object.values(WIDGETS).sort());
    }
  });

  it('shows deliveries succeeded, retried, dead-lettered and skipped per minute, for this instance', () => {
    const props = widget(hooks, WIDGETS.deliveries);
    expect(metricsOf(props)).toEqual(
      ['DeliverySucceeded', 'DeliveryRetried', 'DeliveryDeadLettered', 'DeliverySkipped'].map((m) => [
        'Webhooks',
        m,
        'service',
        'acme-hooks',
      ]),
    );
    expect(statsOf(props)).toEqual(['Sum', 'Sum', 'Sum', 'Sum']);
    expect(props.period).toBe(60);
  });

  it('shows operational events put on the bus and refused, per minute', () => {
    const props = widget(hooks, WIDGETS.operational);
    expect(metricsOf(props)).toEqual(
      ['OperationalEventsEmitted', 'OperationalEventsFailed'].map((m) => ['Webhooks', m, 'service', 'acme-hooks']),
    );
    expect(statsOf(props)).toEqual(['Sum', 'Sum']);
  });

  it('shows attempt latency p50 and p99', () => {
    const props = widget(hooks, WIDGETS.latency);
    expect(metricsOf(props)).toEqual([
      ['Webhooks', 'AttemptLatency', 'service', 'acme-hooks'],
      ['Webhooks', 'AttemptLatency', 'service', 'acme-hooks'],
    ]);
    expect(statsOf(props)).toEqual(['p50', 'p99']);
  });

  it('shows depth and oldest age of the delivery queue, its DLQ, the ingest queue and its DLQ', () => {
    const queues = [hooks.deliveryQueue, hooks.deadLetterQueue, hooks.ingestQueue, hooks.ingestDeadLetterQueue].map((q) =>
      getAtt(idOf(q), 'QueueName'),
    );
    expect(metricsOf(widget(hooks, WIDGETS.queueDepth))).toEqual(
      queues.map((q) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', q]),
    );
    expect(metricsOf(widget(hooks, WIDGETS.queueAge))).toEqual(
      queues.map((q) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', q]),
    );
  });

  it('shows errors, throttles, concurrency and cold starts of each function', () => {
    const fns = (['api', 'authorizer', 'fanout', 'sender', 'resumer', 'inbound'] as const).map((h) => ref(fnId(hooks, h)));
    expect(metricsOf(widget(hooks, WIDGETS.errors))).toEqual(fns.map((f) => ['AWS/Lambda', 'Errors', 'FunctionName', f]));
    expect(metricsOf(widget(hooks, WIDGETS.throttles))).toEqual(fns.map((f) => ['AWS/Lambda', 'Throttles', 'FunctionName', f]));
    expect(metricsOf(widget(hooks, WIDGETS.concurrency))).toEqual(
      fns.map((f) => ['AWS/Lambda', 'ConcurrentExecutions', 'FunctionName', f]),
    );
    expect(statsOf(widget(hooks, WIDGETS.concurrency))).toEqual(fns.map(() => 'Maximum'));
    expect(metricsOf(widget(hooks, WIDGETS.coldStarts))).toEqual(
      fns.map((f) => ['Webhooks', 'ColdStart', 'function_name', f, 'service', 'acme-hooks']),
    );
  });

  it("shows API requests, 4xx, 5xx and latency of this instance's stage", () => {
    const stage = ref(idOf(hooks.webhookApi.api.deploymentStage));
    const dims = ['ApiName', 'acme-hooks-api', 'Stage', stage];
    expect(metricsOf(widget(hooks, WIDGETS.apiRequests))).toEqual(
      ['Count', '4XXError', '5XXError'].map((m) => ['AWS/ApiGateway', m, ...dims]),
    );
    expect(metricsOf(widget(hooks, WIDGETS.apiLatency))).toEqual([
      ['AWS/ApiGateway', 'Latency', ...dims],
      ['AWS/ApiGateway', 'Latency', ...dims],
    ]);
  });

  it("tells the authorizer's refused credentials from its failures (Lambda's Errors counts both)", () => {
    const props = widget(hooks, WIDGETS.authorizer);
    expect(metricsOf(props)).toEqual([
      ['Webhooks', 'AuthorizerRefused', 'service', 'acme-hooks'],
      ['Webhooks', 'AuthorizerFailed', 'service', 'acme-hooks'],
    ]);
    expect(statsOf(props)).toEqual(['Sum', 'Sum']);
  });

  it('shows the state of every alarm of its instance', () => {
    const props = widget(hooks, WIDGETS.alarms);
    expect(props.alarms).toHaveLength(ALARM_IDS.length);
    expect(props.alarms).toEqual(hooks.alarms.alarms.map((a) => getAtt(idOf(a))));
  });
});

describe('alarms', () => {
  const alarm = (w: WebhookDelivery, id: (typeof ALARM_IDS)[number]) => resources[idOf(w.alarms.byId[id]!)].Properties;
  const dimensions = (name: string, value: unknown) => [{ Name: name, Value: value }];

  it('watch the metric each is about, with the given thresholds, and page the topic', () => {
    const q = (x: { node: any }) => dimensions('QueueName', getAtt(idOf(x), 'QueueName'));
    const fn = (h: keyof WebhookDelivery['functions']) => dimensions('FunctionName', ref(fnId(hooks, h)));
    const expected: Record<(typeof ALARM_IDS)[number], Record<string, unknown>> = {
      DeliveriesLate: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: q(hooks.deliveryQueue),
        Threshold: 600,
        Statistic: 'Maximum',
        EvaluationPeriods: 5,
      },
      DeadLetterQueueNotEmpty: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: q(hooks.deadLetterQueue),
        Threshold: 0,
      },
      IngestDeadLetterQueueNotEmpty: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: q(hooks.ingestDeadLetterQueue),
        Threshold: 0,
      },
      BusTargetDeadLetterQueueNotEmpty: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: q(hooks.busTargetDeadLetterQueue),
        Threshold: 0,
      },
      SenderErrors: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: fn('sender'),
        Threshold: 3,
        Statistic: 'Sum',
        Period: 300,
      },
      SenderThrottles: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: fn('sender'), Threshold: 5, Statistic: 'Sum' },
      FanoutErrors: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: fn('fanout'), Threshold: 3 },
      FanoutThrottles: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: fn('fanout'), Threshold: 5 },
      ApiServerErrors: {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Dimensions: [
          { Name: 'ApiName', Value: 'acme-hooks-api' },
          { Name: 'Stage', Value: ref(idOf(hooks.webhookApi.api.deploymentStage)) },
        ],
        Threshold: 0.01,
        Statistic: 'Average',
      },
      // The authorizer's own count of its failures: Lambda's Errors counts every refused credential too.
      AuthorizerErrors: {
        Namespace: 'Webhooks',
        MetricName: 'AuthorizerFailed',
        Dimensions: dimensions('service', 'acme-hooks'),
        Threshold: 2,
        Statistic: 'Sum',
        Period: 300,
      },
      // Half the in-flight budget, three minutes running.
      DeliveryQueueInFlightHigh: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesNotVisible',
        Dimensions: q(hooks.deliveryQueue),
        Threshold: 10_000,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 3,
      },
      HeldDeliveriesOld: {
        Namespace: 'Webhooks',
        MetricName: 'OldestHeldAgeSeconds',
        Dimensions: dimensions('service', 'acme-hooks'),
        Threshold: 3600,
        Statistic: 'Maximum',
        Period: 900,
      },
      DeliveriesOverdue: {
        Namespace: 'Webhooks',
        MetricName: 'ResumeLagSeconds',
        Dimensions: dimensions('service', 'acme-hooks'),
        Threshold: 300,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
      },
      ResumerErrors: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: fn('resumer'), Threshold: 3 },
      // The inbound function's own counts: refused signatures, and events the bus did not take.
      InboundRefusals: {
        Namespace: 'Webhooks',
        MetricName: 'InboundRefused',
        Dimensions: dimensions('service', 'acme-hooks'),
        Threshold: 50,
        Statistic: 'Sum',
        Period: 300,
      },
      InboundBusFailures: {
        Namespace: 'Webhooks',
        MetricName: 'InboundBusFailed',
        Dimensions: dimensions('service', 'acme-hooks'),
        Threshold: 0,
        Statistic: 'Sum',
        Period: 300,
      },
    };
    expect(Object.keys(expected).sort()).toEqual([...ALARM_IDS].sort());
    for (const id of ALARM_IDS) {
      const a = alarm(hooks, id);
      // The resumer reports every minute: no data from it is a breach.
      const missing = id === 'DeliveriesOverdue' ? 'breaching' : 'notBreaching';
      expect(a, id).toMatchObject({ ...expected[id], ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: missing });
      expect(a.AlarmActions, id).toEqual([ref(topicId)]);
      expect(a.OKActions, id).toEqual([ref(topicId)]);
      expect(a.AlarmDescription, id).toContain(`docs/runbook.md#${id.toLowerCase()}`);
    }
  });

  it('default to thresholds derived from the schedule, zero errors and 5 % API 5xx, with no actions without a topic', () => {
    expect(deliveryLateDefaultSeconds(DEFAULT_RETRY_SCHEDULE)).toBe(Math.ceil((5 + 300) * 1.1) + 900);
    expect(alarm(other, 'DeliveriesLate').Threshold).toBe(deliveryLateDefaultSeconds(DEFAULT_RETRY_SCHEDULE));
    expect(alarm(other, 'SenderErrors').Threshold).toBe(0);
    expect(alarm(other, 'ApiServerErrors').Threshold).toBe(0.05);
    expect(alarm(other, 'DeliveryQueueInFlightHigh').Threshold).toBe(30_000);
    expect(alarm(other, 'HeldDeliveriesOld').Threshold).toBe(12 * 3600);
    expect(alarm(other, 'DeliveriesOverdue').Threshold).toBe(600);
    expect(alarm(other, 'InboundRefusals').Threshold).toBe(10);
    for (const id of ALARM_IDS) expect(alarm(other, id).AlarmActions, id).toBeUndefined();
  });

  it("state the default DeliveriesLate threshold as it is derived, in the operators' alarm table and the runbook", () => {
    const seconds = deliveryLateDefaultSeconds(DEFAULT_RETRY_SCHEDULE).toLocaleString('en-US');
    for (const doc of [join('docs', 'operators', 'operating.md'), join('docs', 'runbook.md')])
      expect(readFileSync(join(PROJECT_ROOT, doc), 'utf8'), doc).toContain(`${seconds} s`);
  });

  it("are each a row of the operators' alarm table (docs/operators/operating.md), and the table has no other", () => {
    const page = readFileSync(join(PROJECT_ROOT, 'docs', 'operators', 'operating.md'), 'utf8');
    const table = page.slice(page.indexOf('| alarm | fires when'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
    const named = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    expect(named.sort()).toEqual([...ALARM_IDS].sort());
  });

  it('each have a section in docs/runbook.md', () => {
    const runbook = readFileSync(join(PROJECT_ROOT, 'docs', 'runbook.md'), 'utf8');
    for (const id of ALARM_IDS) expect(runbook, id).toMatch(new RegExp(`^## ${id}$`, 'm'));
    expect(runbook).toMatch(/^## Upgrading$/m);
    expect(runbook).toMatch(/^## `cdk destroy`$/m);
  });
});

describe('handler code', () => {
  let dir: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is bundled from source in this repository (no pre-bundled handlers next to lib/)', () => {
    expect(prebundledHandler('api')).toBeUndefined();
    const s = new Stack(new App({ context: SKIP_BUNDLING }), 'Source');
    expect(new WebhookFunction(s, 'Api', { handler: 'api', description: 'source', environment: {} }).function).toBeInstanceOf(
      NodejsFunction,
    );
  });

  it(
    'is taken as it is from a pre-bundled directory when there is one (what the packed package ships)',
    () => {
      dir = mkdtempSync(join(tmpdir(), 'webhooks-prebundled-'));
      mkdirSync(join(dir, 'sender', 'events'), { recursive: true });
      const code = 'export const handler = async () => ({ batchItemFailures: [] });\n';
      writeFileSync(join(dir, 'sender', 'index.mjs'), code);
      writeFileSync(join(dir, 'sender', 'events', 'card.created.json'), '{}');
      const outdir = join(dir, 'cdk.out');
      const app = new App({ outdir });
      const s = new Stack(app, 'Prebundled');
      const fn = new WebhookFunction(s, 'Sender', {
        handler: 'sender',
        description: 'prebundled',
        environment: {},
        prebundledHandlersDir: dir,
      });
      expect(fn.function).not.toBeInstanceOf(NodejsFunction);
      app.synth();
      const cfn = s.resolve((fn.function.node.defaultChild as CfnFunction).code) as { s3Key: string };
      const staged = join(outdir, `asset.${cfn.s3Key.replace(/\.zip$/, '')}`);
      expect(readFileSync(join(staged, 'index.mjs'), 'utf8')).toBe(code);
      expect(readFileSync(join(staged, 'events', 'card.created.json'), 'utf8')).toBe('{}');
      expect(s.resolve((fn.function.node.defaultChild as CfnFunction).handler)).toBe('index.handler');
    },
    SLOW,
  );
});
