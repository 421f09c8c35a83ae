import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_IPS_ENV } from '../../functions/domain/source-ips.js';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import {
  acknowledgedRules,
  allowedActions,
  type BuiltStack,
  buildStack,
  cdkJsonContext,
  functionId,
  resourcesFor,
  SKIP_BUNDLING,
} from './support.js';

/**
 * `staticSourceIps`: off by default (no VPC, no NAT, no Elastic IP, the sender outside any VPC);
 * on, one NAT gateway with its own Elastic IP per zone, the sender alone in the private subnets,
 * the addresses in an output and in the api's environment, both from the same EIP resources.
 */

const SLOW = 180_000;
type Json = Record<string, any>;

const HANDLERS = ['api', 'authorizer', 'fanout', 'sender', 'resumer', 'portal', 'inbound'] as const;
const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

const resourcesOfType = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Json][];
const fnProps = (t: Template, handler: (typeof HANDLERS)[number]) => t.toJSON().Resources[functionId(t, handler)].Properties as Json;

let off: BuiltStack;
let on: BuiltStack;
let three: BuiltStack;

beforeAll(() => {
  off = buildStack();
  on = buildStack({ staticSourceIps: { availabilityZones: 2 } }, 'WithIps');
  three = buildStack(
    {
      env: { account: '123456789012', region: 'eu-west-1' },
      staticSourceIps: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    },
    'WithThreeIps',
  );
}, SLOW);

describe('by default (off)', () => {
  it('has no VPC, NAT gateway, Elastic IP, endpoint, flow log or security group', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::FlowLog',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::InternetGateway',
    ])
      off.template.resourceCountIs(type, 0);
  });

  it('runs no function in a VPC, tells the api no address and outputs none', () => {
    for (const h of HANDLERS) expect(fnProps(off.template, h).VpcConfig, h).toBeUndefined();
    expect(fnProps(off.template, 'api').Environment.Variables[SOURCE_IPS_ENV]).toBeUndefined();
    expect(off.template.toJSON().Outputs.SourceIps).toBeUndefined();
    expect(allowedActions(off.template, functionId(off.template, 'sender')).has('ec2:CreateNetworkInterface')).toBe(false);
  });
});

describe('with staticSourceIps: { availabilityZones: 2 }', () => {
  let t: Template;
  let eips: string[];
  beforeAll(() => {
    t = on.template;
    eips = resourcesOfType(t, 'AWS::EC2::EIP').map(([id]) => id);
  });

  it('has one VPC with two NAT gateways, each with its own Elastic IP allocated by the stack', () => {
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::NatGateway', 2);
    expect(eips).toHaveLength(2);
    for (const [, eip] of resourcesOfType(t, 'AWS::EC2::EIP')) expect(eip.Properties.Domain).toBe('vpc');
    const allocations = resourcesOfType(t, 'AWS::EC2::NatGateway').map(([, n]) => n.Properties.AllocationId);
    expect(allocations).toEqual(eips.map((id) => ({ 'Fn::GetAtt': [id, 'AllocationId'] })));
    // Each NAT gateway in its own zone's public subnet.
    const subnets = resourcesOfType(t, 'AWS::EC2::NatGateway').map(([, n]) => n.Properties.SubnetId.Ref as string);
    const resources = t.toJSON().Resources;
    expect(new Set(subnets.map((s) => JSON.stringify(resources[s].Properties.AvailabilityZone))).size).toBe(2);
    for (const s of subnets) expect(resources[s].Properties.MapPublicIpOnLaunch).toBe(true);
  });

  it('puts the sender, and only the sender, in the private subnets, behind an egress-only security group', () => {
    const resources = t.toJSON().Resources as Record<string, Json>;
    const sender = fnProps(t, 'sender');
    const privateSubnets = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::EC2::Subnet' && r.Properties.MapPublicIpOnLaunch === false)
      .map(([id]) => ({ Ref: id }));
    expect(privateSubnets).toHaveLength(2);
    expect(sender.VpcConfig.SubnetIds).toEqual(privateSubnets);
    // Each private subnet's default route goes to its zone's NAT gateway.
    for (const { Ref } of privateSubnets) {
      const table = Object.values(resources).find(
        (r) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation' && r.Properties.SubnetId.Ref === Ref,
      )!;
      const route = Object.values(resources).find(
        (r) => r.Type === 'AWS::EC2::Route' && r.Properties.RouteTableId.Ref === table.Properties.RouteTableId.Ref,
      )!;
      expect(route.Properties.DestinationCidrBlock).toBe('0.0.0.0/0');
      expect(Object.keys(route.Properties.NatGatewayId)).toEqual(['Ref']);
    }
    for (const h of HANDLERS.filter((x) => x !== 'sender')) expect(fnProps(t, h).VpcConfig, h).toBeUndefined();
    const [sgId, sg] = resourcesOfType(t, 'AWS::EC2::SecurityGroup')[0]!;
    expect(resourcesOfType(t, 'AWS::EC2::SecurityGroup')).toHaveLength(1);
    expect(sender.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
    ]);
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it("gives the sender's role the ENI actions (no managed policy), and no other role", () => {
    const sender = functionId(t, 'sender');
    const actions = allowedActions(t, sender);
    for (const a of ENI_ACTIONS) expect(actions.has(a), a).toBe(true);
    expect(resourcesFor(t, sender, 'ec2:CreateNetworkInterface')).toEqual(['*']);
    const role = t.toJSON().Resources[fnProps(t, 'sender').Role['Fn::GetAtt'][0]].Properties as Json;
    expect(role.ManagedPolicyArns).toBeUndefined();
    for (const h of HANDLERS.filter((x) => x !== 'sender'))
      expect(allowedActions(t, functionId(t, h)).has('ec2:CreateNetworkInterface'), h).toBe(false);
  });

  it('reaches DynamoDB and S3 through gateway endpoints (free) on the private route tables, and has no interface endpoint', () => {
    const endpoints = resourcesOfType(t, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties as Json);
    expect(endpoints.map((e) => e.VpcEndpointType)).toEqual(['Gateway', 'Gateway']);
    expect(JSON.stringify(endpoints.map((e) => e.ServiceName))).toMatch(/dynamodb.*s3/);
    for (const e of endpoints) expect(e.RouteTableIds).toHaveLength(2);
  });

  it('logs all the VPC traffic to a log group with the functions retention and removal policy', () => {
    t.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    const flowLog = resourcesOfType(t, 'AWS::EC2::FlowLog')[0]![1];
    const groupId = flowLog.Properties.LogGroupName.Ref as string;
    const group = t.toJSON().Resources[groupId] as Json;
    expect(group.Properties.RetentionInDays).toBe(30);
    expect(group.DeletionPolicy).toBe('Retain');
  });

  it('outputs the addresses as one list, and gives the api the same list, both from the EIP resources', () => {
    const joined = { 'Fn::Join': [',', eips.map((id) => ({ 'Fn::GetAtt': [id, 'PublicIp'] }))] };
    expect(t.toJSON().Outputs.SourceIps.Value).toEqual(joined);
    expect(fnProps(t, 'api').Environment.Variables[SOURCE_IPS_ENV]).toEqual(joined);
    for (const h of HANDLERS.filter((x) => x !== 'api')) expect(fnProps(t, h).Environment?.Variables?.[SOURCE_IPS_ENV], h).toBeUndefined();
  });
});

describe('three named zones in a stack with an env', () => {
  it('has three NAT gateways and three Elastic IPs, one per zone', () => {
    three.template.resourceCountIs('AWS::EC2::NatGateway', 3);
    three.template.resourceCountIs('AWS::EC2::EIP', 3);
    const zones = resourcesOfType(three.template, 'AWS::EC2::Subnet').map(([, s]) => s.Properties.AvailabilityZone as string);
    expect([...new Set(zones)].sort()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(fnProps(three.template, 'sender').VpcConfig.SubnetIds).toHaveLength(3);
  });
});

describe('refused at synth, with what to do', () => {
  it('0 zones, a zone named twice, more zones than an env-agnostic stack sees, more than the Elastic IP quota', () => {
    expect(() => buildStack({ staticSourceIps: { availabilityZones: 0 } }, 'Zero')).toThrow(/1 or more zones/);
    expect(() => buildStack({ staticSourceIps: { availabilityZones: ['eu-west-1a', 'eu-west-1a'] } }, 'Twice')).toThrow(
      /names a zone twice/,
    );
    expect(() => buildStack({ staticSourceIps: { availabilityZones: 3 } }, 'Three')).toThrow(
      /the stack sees 2 \(a stack without an account and region gets 2\): give the stack an env/,
    );
    expect(() =>
      buildStack(
        { staticSourceIps: { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'] } },
        'Six',
      ),
    ).toThrow(/6 zones need 6 Elastic IPs, more than the quota of 5 per Region .*Service Quotas/);
    // With the quota raised, six named zones are fine.
    const six = buildStack(
      {
        staticSourceIps: {
          availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'],
          elasticIpQuota: 10,
        },
      },
      'SixRaised',
    );
    six.template.resourceCountIs('AWS::EC2::EIP', 6);
  });

  it('a context value that is neither a count nor zone names', () => {
    expect(() => createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, staticSourceIps: 'two' } })).toThrow(
      /context staticSourceIps must be a number of zones or zone names/,
    );
  });
});

describe('cdk-nag AwsSolutions with static source IPs', () => {
  let report: PolicyValidationPluginReport;
  beforeAll(() => {
    report = new AwsSolutionsChecks().validateScope(on.stack);
  });

  it('finds nothing unacknowledged (VPC7: the flow logs are there)', () => {
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
    expect(Annotations.fromStack(on.stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it("acknowledges only the sender role's Resource::* again, with a reason naming the ENIs", () => {
    const before = acknowledgedRules(off.stack).map(
      (a) => `${a.path.replace(/^Webhooks/, '')} ${a.id.replaceAll('/Webhooks/', '/<stack>/')}`,
    );
    const acknowledged = acknowledgedRules(on.stack);
    const after = acknowledged.map((a) => `${a.path.replace(/^WithIps/, '')} ${a.id.replaceAll('/WithIps/', '/<stack>/')}`);
    const added = after.filter((a) => !before.includes(a));
    const eniReasons = acknowledged.filter((a) => a.reason.includes('Hyperplane ENIs')).map((a) => `${a.path} ${a.id}`);
    // None of AwsSolutions: CDK's FlowLog acknowledges two of its own template checks itself, and
    // the stack the zones it reads from stack.availabilityZones (literal AZs, cfn-lint's W3010).
    expect(added).toEqual([
      ' CloudFormation-Validate::W3010',
      '/Default/Egress/Vpc/All CloudFormation-Validate::F3002',
      '/Default/Egress/Vpc/All CloudFormation-Validate::F3003',
    ]);
    expect(eniReasons).toEqual(['WithIps/Default/Sender/Sender/Role Annotation::AwsSolutions-IAM5[Resource::*]']);
  });

  it(
    'the app synthesizes with -c staticSourceIps=2 and an empty validation report, and the output',
    () => {
      const outdir = mkdtempSync(join(tmpdir(), 'webhooks-cdk-'));
      try {
        const { app, stack } = createWebhooksApp({ outdir, context: { ...cdkJsonContext(), ...SKIP_BUNDLING, staticSourceIps: '2' } });
        const assembly = app.synth();
        const validation = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
          pluginReports: unknown[];
        };
        expect(validation.pluginReports).toEqual([]);
        const template = assembly.getStackArtifact(stack.artifactId).template as Json;
        expect(Object.keys(template.Outputs)).toContain('SourceIps');
        expect(Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::EC2::EIP')).toHaveLength(2);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
    SLOW,
  );
});
