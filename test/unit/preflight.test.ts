import { APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_THROTTLE } from '../../functions/domain/throttle.js';
import { DEFAULT_FANOUT_MAX_CONCURRENCY, DEFAULT_SENDER_MAX_CONCURRENCY } from '../../lib/webhook-delivery.js';
import {
  type ConcurrencyNeeds,
  concurrencyNeeds,
  provisionedTotal,
  reservedTotal,
  unreservedPeak,
} from '../../scripts/lib/concurrency-needs.js';
import { AccountUnreadable, preflight } from '../../scripts/lib/preflight.js';
import { synthesizeApp } from '../../scripts/lib/synth.js';

/** `npm run preflight`: what it asks AWS, exactly, and what it concludes from the answers. */

const SLOW = 180_000; // a synth
const lambdaMock = mockClient(LambdaClient);
const apiMock = mockClient(APIGatewayClient);
const cfnMock = mockClient(CloudFormationClient);
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const clients = {
  lambda: new LambdaClient({ region: 'us-east-1', credentials }),
  apiGateway: new APIGatewayClient({ region: 'us-east-1', credentials }),
  cloudFormation: new CloudFormationClient({ region: 'us-east-1', credentials }),
};

let needs: ConcurrencyNeeds;
let template: Record<string, any>;

beforeAll(() => {
  ({ template } = synthesizeApp());
  needs = concurrencyNeeds(template);
}, SLOW);
afterAll(() => {
  lambdaMock.restore();
  apiMock.restore();
  cfnMock.restore();
});

const NOT_DEPLOYED = Object.assign(new Error('Stack with id Webhooks does not exist'), { name: 'ValidationError' });

function account(limit: number, unreserved = limit) {
  lambdaMock
    .on(GetAccountSettingsCommand)
    .resolves({ AccountLimit: { ConcurrentExecutions: limit, UnreservedConcurrentExecutions: unreserved } });
}

beforeEach(() => {
  lambdaMock.reset();
  apiMock.reset();
  cfnMock.reset();
  lambdaMock.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [] });
  cfnMock.on(ListStackResourcesCommand).rejects(NOT_DEPLOYED);
  apiMock.on(GetAccountCommand).resolves({ throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 } });
});

const requests = (mock: { calls: () => { args: unknown[] }[] }) =>
  mock.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });

describe("the stack's needs, from its synthesized template", () => {
  it("are the construct's defaults: the sender's and fan-out's caps, twice the stage's burst, the resumer's reservation", () => {
    expect(needs.mappings.map((m) => [m.name, m.concurrency]).sort()).toEqual([
      ['Fanout', DEFAULT_FANOUT_MAX_CONCURRENCY],
      ['Sender', DEFAULT_SENDER_MAX_CONCURRENCY],
    ]);
    expect(needs.stages.map((s) => [s.name, s.burstLimit, s.functionsPerRequest, s.concurrency])).toEqual([
      ['API stage prod', DEFAULT_STAGE_THROTTLE.burstLimit, 2, 2 * DEFAULT_STAGE_THROTTLE.burstLimit],
    ]);
    expect(needs.reserved.map((r) => [r.name, r.concurrency])).toEqual([['Resumer', 1]]);
    expect(needs.uncappedMappings).toEqual([]);
    // README, "Concurrency": 400 + 50 + 400 beside the resumer's 1.
    expect([unreservedPeak(needs), reservedTotal(needs)]).toEqual([850, 1]);
  });

  it(
    'follow the -c settings the deploy is given',
    () => {
      const custom = concurrencyNeeds(synthesizeApp({ senderMaxConcurrency: '200', stageBurstLimit: '50' }).template);
      expect(unreservedPeak(custom)).toBe(200 + DEFAULT_FANOUT_MAX_CONCURRENCY + 2 * 50);
    },
    SLOW,
  );
});

describe('against the account', () => {
  it('asks exactly GetAccountSettings, ListEventSourceMappings, ListStackResources and GetAccount, and passes at the default quota', async () => {
    account(1_000);
    const report = await preflight(needs, 'Webhooks', clients);
    expect(requests(lambdaMock)).toEqual([
      ['GetAccountSettingsCommand', {}],
      ['ListEventSourceMappingsCommand', {}],
    ]);
    expect(requests(cfnMock)).toEqual([['ListStackResourcesCommand', { StackName: 'Webhooks' }]]);
    expect(requests(apiMock)).toEqual([['GetAccountCommand', {}]]);
    expect(report.ok).toBe(true);
    expect(report.lines).toEqual([
      'Stack Webhooks (not deployed: a first create): Lambda concurrency at its caps',
      expect.stringMatching(/^ {2}(Fanout|Sender): up to/),
      expect.stringMatching(/^ {2}(Fanout|Sender): up to/),
      '  API stage prod: up to 400 (a burst of 200 requests, 2 functions, with the authorizer, each)',
      '  Resumer: 1 reserved',
      '  in all 850 from the unreserved pool, and 1 reserved',
      'Account (lambda:GetAccountSettings): ConcurrentExecutions 1,000, UnreservedConcurrentExecutions 1,000',
      'OK    reserving 1 leaves 999 unreserved (Lambda refuses a reservation that leaves under 100)',
      "OK    the unreserved pool of 999 holds the stack's 850, with 149 left for every other function of the account",
      "OK    the stack sets API Gateway's logging role for API stage prod",
      "OK    API stage prod's throttle (100/s, burst 200) is within the account's (10,000/s, burst 5,000)",
    ]);
  });

  it('says a new account at 400 would throttle, by how much, and which quota to raise to what', async () => {
    account(400);
    const report = await preflight(needs, 'Webhooks', clients);
    expect(report.ok).toBe(false);
    const fails = report.lines.filter((l) => l.startsWith('FAIL'));
    expect(fails).toEqual([
      expect.stringContaining('Lambda would throttle: at their caps Fanout, Sender, API stage prod take 850, but only 399'),
    ]);
    expect(report.lines).toContain(
      '      aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 851',
    );
  });

  it('says an account at 50 could not even take the reservation: the deploy itself would fail', async () => {
    account(50);
    const report = await preflight(needs, 'Webhooks', clients);
    const fails = report.lines.filter((l) => l.startsWith('FAIL'));
    expect(fails).toHaveLength(2);
    expect(fails[0]).toContain('the deploy would fail: reserving 1 (Resumer) would leave 49 unreserved');
    expect(report.lines.filter((l) => l.includes('--desired-value'))).toEqual([expect.stringContaining('--desired-value 851')]);
  });

  it("counts an update's own reservation and mappings as freed, and the account's other SQS mappings as taken", async () => {
    account(1_000, 999);
    const ids = (name: string) => [...needs.mappings, ...needs.reserved].find((u) => u.name === name)!.logicalId;
    cfnMock
      .on(ListStackResourcesCommand)
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: ids('Sender'),
            PhysicalResourceId: 'uuid-sender',
            ResourceType: 'x',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
        ],
        NextToken: 'page2',
      })
      .resolves({
        StackResourceSummaries: [
          {
            LogicalResourceId: ids('Fanout'),
            PhysicalResourceId: 'uuid-fanout',
            ResourceType: 'x',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
          {
            LogicalResourceId: ids('Resumer'),
            PhysicalResourceId: 'Webhooks-Resumer-abc',
            ResourceType: 'x',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
        ],
      });
    lambdaMock.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 1 });
    const sqs = (uuid: string, cap?: number, State = 'Enabled') => ({
      UUID: uuid,
      EventSourceArn: `arn:aws:sqs:us-east-1:123456789012:${uuid}`,
      State,
      ...(cap ? { ScalingConfig: { MaximumConcurrency: cap } } : {}),
    });
    lambdaMock
      .on(ListEventSourceMappingsCommand)
      .resolvesOnce({
        EventSourceMappings: [sqs('uuid-sender', 400), sqs('uuid-fanout', 50), sqs('other-pipeline', 400)],
        NextMarker: 'm2',
      })
      .resolves({
        EventSourceMappings: [
          sqs('uncapped'),
          sqs('switched-off', 900, 'Disabled'),
          { UUID: 'stream', EventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s', State: 'Enabled' },
        ],
      });
    const report = await preflight(needs, 'Webhooks', clients);
    expect(requests(cfnMock)).toEqual([
      ['ListStackResourcesCommand', { StackName: 'Webhooks' }],
      ['ListStackResourcesCommand', { StackName: 'Webhooks', NextToken: 'page2' }],
    ]);
    expect(requests(lambdaMock)).toEqual([
      ['GetAccountSettingsCommand', {}],
      ['GetFunctionConcurrencyCommand', { FunctionName: 'Webhooks-Resumer-abc' }],
      ['ListEventSourceMappingsCommand', {}],
      ['ListEventSourceMappingsCommand', { Marker: 'm2' }],
    ]);
    expect(report.lines).toContain('  other SQS event source mappings in this account and Region: 1, capped at 400 together');
    expect(report.lines).toContain('  and 1 without MaximumConcurrency (not counted: they take what is free)');
    expect(report.lines).toContain('OK    reserving 1 leaves 999 unreserved (Lambda refuses a reservation that leaves under 100)');
    // 850 of this stack and 400 of the other pipeline in 999.
    expect(report.lines.find((l) => l.startsWith('FAIL'))).toContain(
      "the account's other mappings 400, but only 999 would be unreserved: 251 short",
    );
    expect(report.lines).toContain(
      '      aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1251',
    );
  });

  it("fails a stage throttled above the account's API Gateway throttle", async () => {
    account(1_000);
    apiMock.on(GetAccountCommand).resolves({ throttleSettings: { rateLimit: 50, burstLimit: 100 } });
    const report = await preflight(needs, 'Webhooks', clients);
    expect(report.ok).toBe(false);
    expect(report.lines.find((l) => l.startsWith('FAIL'))).toContain(
      "API stage prod's throttle (100/s, burst 200) is above the account's (50/s, burst 100)",
    );
  });

  it('says so when it cannot read the account, and checks nothing', async () => {
    lambdaMock.on(GetAccountSettingsCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(preflight(needs, 'Webhooks', clients)).rejects.toThrow(AccountUnreadable);
    await expect(preflight(needs, 'Webhooks', clients)).rejects.toThrow(/lambda:GetAccountSettings.*not authorized/);
    expect(requests(apiMock)).toEqual([]);
  });
});

describe('with provisionedConcurrency (api 2, authorizer 3)', () => {
  let warm: ConcurrencyNeeds;
  let warmTemplate: Record<string, any>;
  beforeAll(() => {
    ({ template: warmTemplate } = synthesizeApp({ provisionedConcurrency: 'api=2,authorizer=3' }));
    warm = concurrencyNeeds(warmTemplate);
  }, SLOW);
  const aliasId = (fnOutput: string) => {
    const fn = warmTemplate.Outputs[fnOutput].Value.Ref as string;
    return Object.entries(warmTemplate.Resources as Record<string, any>).find(
      ([, r]) => r.Type === 'AWS::Lambda::Alias' && r.Properties.FunctionName.Ref === fn,
    )![0];
  };

  it('reads both aliases from the template, beside the rest, and none by default', () => {
    expect(warm.provisioned.map((p) => [p.name, p.concurrency]).sort()).toEqual([
      ['Api (alias live)', 2],
      ['Authorizer (alias live)', 3],
    ]);
    expect(provisionedTotal(warm)).toBe(5);
    expect([unreservedPeak(warm), reservedTotal(warm)]).toEqual([850, 1]);
    expect(needs.provisioned).toEqual([]);
  });

  it('takes them out of the unreserved pool like a reservation, and asks nothing more on a first create', async () => {
    account(1_000);
    const report = await preflight(warm, 'Webhooks', clients);
    expect(requests(lambdaMock)).toEqual([
      ['GetAccountSettingsCommand', {}],
      ['ListEventSourceMappingsCommand', {}],
    ]);
    expect(report.ok).toBe(true);
    expect(report.lines).toContain(
      "  Api (alias live): 2 provisioned (allocated like a reservation; it also serves the first of its stage's burst)",
    );
    expect(report.lines).toContain('  in all 850 from the unreserved pool, and 1 reserved, 5 provisioned');
    expect(report.lines).toContain(
      'OK    reserving 1 and provisioning 5 leaves 994 unreserved (Lambda refuses a reservation that leaves under 100)',
    );
    expect(report.lines).toContain(
      "OK    the unreserved pool of 994 holds the stack's 850, with 144 left for every other function of the account",
    );
  });

  it("counts an update's own provisioned concurrency as freed (GetProvisionedConcurrencyConfig on each deployed alias)", async () => {
    // Deployed with the api's 2 already: the account's unreserved count is 2 lower.
    account(1_000, 997);
    const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}:live`;
    const summary = (logical: string, physical: string) => ({
      LogicalResourceId: logical,
      PhysicalResourceId: physical,
      ResourceType: 'AWS::Lambda::Alias',
      ResourceStatus: 'CREATE_COMPLETE' as const,
      LastUpdatedTimestamp: new Date(),
    });
    cfnMock.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        summary(aliasId('ApiFunctionName'), arn('Webhooks-Api-abc')),
        summary(aliasId('AuthorizerFunctionName'), arn('Webhooks-Authorizer-abc')),
      ],
    });
    lambdaMock
      .on(GetProvisionedConcurrencyConfigCommand, {
        Qualifier: 'live',
        FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:Webhooks-Api-abc',
      })
      .resolves({ RequestedProvisionedConcurrentExecutions: 2, AllocatedProvisionedConcurrentExecutions: 2, Status: 'READY' })
      .on(GetProvisionedConcurrencyConfigCommand, {
        Qualifier: 'live',
        FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:Webhooks-Authorizer-abc',
      })
      .rejects(
        Object.assign(new Error('No Provisioned Concurrency Config found'), { name: 'ProvisionedConcurrencyConfigNotFoundException' }),
      );
    const report = await preflight(warm, 'Webhooks', clients);
    const asked = requests(lambdaMock).filter(([name]) => name === 'GetProvisionedConcurrencyConfigCommand');
    expect(asked.map(([, input]) => input)).toEqual(
      expect.arrayContaining([
        { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:Webhooks-Api-abc', Qualifier: 'live' },
        { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:Webhooks-Authorizer-abc', Qualifier: 'live' },
      ]),
    );
    expect(asked).toHaveLength(2);
    // 997 unreserved, plus the api's 2 it replaces, less the 1 reserved and 5 provisioned.
    expect(report.lines).toContain(
      'OK    reserving 1 and provisioning 5 leaves 993 unreserved (Lambda refuses a reservation that leaves under 100)',
    );
  });

  it('fails a deploy whose provisioned concurrency would leave under 100 unreserved, naming the aliases', async () => {
    account(104);
    const report = await preflight(warm, 'Webhooks', clients);
    expect(report.ok).toBe(false);
    expect(report.lines.find((l) => l.startsWith('FAIL'))).toMatch(
      /^FAIL {2}the deploy would fail: reserving 1 and provisioning 5 \(Resumer, (Api|Authorizer) \(alias live\), (Api|Authorizer) \(alias live\)\) would leave 98 unreserved/,
    );
  });

  it('says so when it cannot read an alias, and stops', async () => {
    account(1_000);
    cfnMock.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        {
          LogicalResourceId: aliasId('ApiFunctionName'),
          PhysicalResourceId: 'arn:aws:lambda:us-east-1:123456789012:function:Webhooks-Api-abc:live',
          ResourceType: 'AWS::Lambda::Alias',
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
      ],
    });
    lambdaMock
      .on(GetProvisionedConcurrencyConfigCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(preflight(warm, 'Webhooks', clients)).rejects.toThrow(
      /Webhooks-Api-abc:live's provisioned concurrency \(lambda:GetProvisionedConcurrencyConfig\): User is not authorized/,
    );
  });
});

describe("API Gateway's logging role, an account setting", () => {
  const ROLE = 'arn:aws:iam::123456789012:role/ops-apigateway-logs';

  it('notes a role the account already has, which the stack would replace, and how to keep it', async () => {
    account(1_000);
    apiMock.on(GetAccountCommand).resolves({ cloudwatchRoleArn: ROLE, throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 } });
    const report = await preflight(needs, 'Webhooks', clients);
    expect(report.ok).toBe(true);
    expect(report.lines).toContain(
      `NOTE  the account already has API Gateway's logging role (${ROLE}); this stack would set its own in its place (harmless to the account's other APIs). To keep the one it has: -c apiGatewayCloudWatchRole=false`,
    );
  });

  it("passes a deployed stack's own role without a note", async () => {
    account(1_000);
    const roleId = needs.apiGatewayLogging.setsRole!;
    cfnMock.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: roleId, PhysicalResourceId: 'Webhooks-ApiRestApiCloudWatchRole-AbC', ResourceType: 'AWS::IAM::Role' } as never,
      ],
    });
    apiMock.on(GetAccountCommand).resolves({
      cloudwatchRoleArn: 'arn:aws:iam::123456789012:role/Webhooks-ApiRestApiCloudWatchRole-AbC',
      throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 },
    });
    const report = await preflight(needs, 'Webhooks', clients);
    expect(report.lines).toContain("OK    the stack sets API Gateway's logging role for API stage prod");
    expect(report.lines.some((l) => l.startsWith('NOTE'))).toBe(false);
  });

  it(
    'with apiGatewayCloudWatchRole=false: passes when the account has a role, fails the deploy it would be when it has none',
    async () => {
      const without = concurrencyNeeds(synthesizeApp({ apiGatewayCloudWatchRole: 'false' }).template);
      expect(without.apiGatewayLogging).toEqual({ loggingStages: ['API stage prod'] });
      account(1_000);
      apiMock.on(GetAccountCommand).resolves({ cloudwatchRoleArn: ROLE, throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 } });
      const fine = await preflight(without, 'Webhooks', clients);
      expect(fine.ok).toBe(true);
      expect(fine.lines).toContain(`OK    API Gateway's logging role (${ROLE}) is set: API stage prod can write access logs`);

      apiMock.on(GetAccountCommand).resolves({ throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 } });
      const refused = await preflight(without, 'Webhooks', clients);
      expect(refused.ok).toBe(false);
      expect(refused.lines).toEqual(
        expect.arrayContaining([
          'FAIL  API Gateway has no logging role in this account and Region, and the stack sets none (apiGatewayCloudWatchRole=false): API stage prod would fail the deploy',
          '      deploy without -c apiGatewayCloudWatchRole=false, so that the stack sets one',
        ]),
      );
    },
    SLOW,
  );
});
