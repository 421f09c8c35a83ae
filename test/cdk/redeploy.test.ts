import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhookDelivery } from '../../lib/index.js';
import { buildStack, cdkJsonContext, functionId, logicalIdOf, resourcesFor, SKIP_BUNDLING } from './support.js';

/**
 * A stack deploys, is destroyed (or fails its first create and rolls back) and deploys again, in
 * every storage mode. What can stop the second create is a physical name the first one left
 * taken: a resource CloudFormation kept (DeletionPolicy Retain), or a secret, whose name Secrets
 * Manager holds through its recovery window even once deleted. So none of those may have a name
 * that is the same at every create.
 */

const SLOW = 180_000; // a synth; generous because the machine is shared

type Json = Record<string, any>;

/** Names unique per account and Region, by resource type: a second resource of that name fails to create. */
const UNIQUE_NAMES: Record<string, string> = {
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ApiGateway::ApiKey': 'Value',
  // Bucket names are unique across every account.
  'AWS::S3::Bucket': 'BucketName',
};

/** Whether `value` depends on something CloudFormation draws anew at each create: the stack's id, or a resource of this template. */
function drawnAtCreate(value: unknown, resourceIds: Set<string>): boolean {
  if (Array.isArray(value)) return value.some((v) => drawnAtCreate(v, resourceIds));
  if (!value || typeof value !== 'object') return false;
  const v = value as Json;
  if (v.Ref === 'AWS::StackId') return true;
  if (typeof v.Ref === 'string' && resourceIds.has(v.Ref)) return true;
  if (Array.isArray(v['Fn::GetAtt']) && resourceIds.has(v['Fn::GetAtt'][0])) return true;
  return Object.values(v).some((x) => drawnAtCreate(x, resourceIds));
}

/** `<type> <logical id>: <name>` of every resource whose unique name is the same at each create. */
function fixedNames(template: Template, which: (r: Json) => boolean = () => true): string[] {
  const resources = template.toJSON().Resources as Record<string, Json>;
  const ids = new Set(Object.keys(resources));
  return Object.entries(resources)
    .filter(([, r]) => which(r))
    .flatMap(([id, r]) => {
      const prop = UNIQUE_NAMES[r.Type];
      const name = prop ? r.Properties?.[prop] : undefined;
      return name === undefined || drawnAtCreate(name, ids) ? [] : [`${r.Type} ${id}: ${JSON.stringify(name)}`];
    });
}

/** What outlives the stack: retained resources, and secrets (deleted ones keep their name through the recovery window). */
const outlivesTheStack = (r: Json) => r.DeletionPolicy === 'Retain' || r.Type === 'AWS::SecretsManager::Secret';

let perSubscription: Template;
let envelope: Template;
let envelopeAgain: Template;
let staging: Template;
let destroying: Template;
let destroyingHooks: WebhookDelivery;

beforeAll(() => {
  perSubscription = buildStack().template;
  envelope = buildStack({ secretStorage: 'envelope' }).template;
  // The same stack id and name again, as a second `npx cdk deploy` after a destroy synthesizes it.
  envelopeAgain = buildStack({ secretStorage: 'envelope' }).template;
  staging = buildStack({ secretStorage: 'envelope' }, 'WebhooksStaging').template;
  const stack = new Stack(new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } }), 'Host');
  destroyingHooks = new WebhookDelivery(stack, 'Hooks', { secretStorage: 'envelope', removalPolicy: RemovalPolicy.DESTROY });
  destroying = Template.fromStack(stack);
}, SLOW);

describe('deploy, destroy, deploy again', () => {
  it('leaves no name taken by what outlives the stack, in either storage and either removal policy', () => {
    for (const [mode, template] of [
      ['per-subscription', perSubscription],
      ['envelope', envelope],
      ['envelope, RemovalPolicy.DESTROY', destroying],
    ] as const)
      expect(fixedNames(template, outlivesTheStack), mode).toEqual([]);
  });

  it('synthesizes the same stack id twice to the same template, whose only fixed name goes with the stack', () => {
    expect(envelopeAgain.toJSON()).toEqual(envelope.toJSON());
    // The bus is named after the stack for producers, and deleted with it (and by a failed create's rollback).
    const bus = logicalIdOf(envelope, 'AWS::Events::EventBus');
    expect(fixedNames(envelope)).toEqual([`AWS::Events::EventBus ${bus}: "Webhooks-events"`]);
    expect(envelope.toJSON().Resources[bus].DeletionPolicy).toBeUndefined();
  });

  it('gives a second stack in the same account no name the first one has', () => {
    const first = new Set(fixedNames(envelope).map((n) => n.split(': ')[1]));
    for (const name of fixedNames(staging).map((n) => n.split(': ')[1])) expect(first.has(name), name).toBe(false);
  });
});

describe("the envelope storage's key ring", () => {
  it('has a name CloudFormation generates, and the removal policy of the table whose items it seals', () => {
    for (const [mode, template, policy] of [
      ['RETAIN (the default)', envelope, 'Retain'],
      ['DESTROY', destroying, 'Delete'],
    ] as const) {
      const resources = template.toJSON().Resources as Record<string, Json>;
      const ring = resources[logicalIdOf(template, 'AWS::SecretsManager::Secret')]!;
      const table = resources[logicalIdOf(template, 'AWS::DynamoDB::Table')]!;
      expect(ring.Properties.Name, mode).toBeUndefined();
      expect([ring.DeletionPolicy, ring.UpdateReplacePolicy], mode).toEqual([policy, policy]);
      expect([table.DeletionPolicy, table.UpdateReplacePolicy], mode).toEqual([policy, policy]);
    }
    expect(destroyingHooks.keyEncryptionKey).toBeDefined();
  });

  it(
    'can be an existing ring, given by ARN: the stack then makes none and reads only that one',
    () => {
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Webhooks-KeyRing-AbCdEf';
      const { template } = buildStack({ secretStorage: 'envelope', keyEncryptionKeyArn: arn });
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      template.hasOutput('KeyEncryptionKeyArn', { Value: arn });
      for (const h of ['api', 'sender'] as const) {
        const fn = functionId(template, h);
        expect(template.toJSON().Resources[fn].Properties.Environment.Variables.SECRET_KEK_ID, h).toBe(arn);
        expect(resourcesFor(template, fn, 'secretsmanager:GetSecretValue'), h).toEqual([arn]);
      }
    },
    SLOW,
  );

  it('is refused for per-subscription storage, where nothing would read it', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'Bad');
    const ring = secretsmanager.Secret.fromSecretNameV2(stack, 'Ring', 'some-ring');
    expect(() => new WebhookDelivery(stack, 'W', { keyEncryptionKey: ring })).toThrow(/secretStorage 'envelope'/);
  });
});
