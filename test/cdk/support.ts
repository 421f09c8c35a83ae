import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { WebhooksStack, type WebhooksStackProps } from '../../lib/webhooks-stack.js';
import { cdkJsonContext, SKIP_BUNDLING } from '../../scripts/lib/synth.js';

export { cdkJsonContext, SKIP_BUNDLING } from '../../scripts/lib/synth.js';

export interface BuiltStack {
  app: App;
  stack: WebhooksStack;
  template: Template;
}

export function buildStack(props: WebhooksStackProps = {}, id = 'Webhooks'): BuiltStack {
  const app = new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
  const stack = new WebhooksStack(app, id, props);
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = Record<string, any>;

/** Logical id of the only resource of `type` whose properties match `predicate`. */
export function logicalIdOf(template: Template, type: string, predicate: (r: Json) => boolean = () => true): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, r]) => predicate(r as Json))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected exactly one ${type} to match, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

/**
 * The delivery queue and its DLQ. Neither has a fixed name: the DLQ is the queue with a redrive
 * allow policy, the delivery queue the one whose redrive policy points at it.
 */
export function deliveryQueueIds(template: Template): { deliveryQueue: string; dlq: string } {
  const dlq = logicalIdOf(template, 'AWS::SQS::Queue', (r) => r.Properties?.RedriveAllowPolicy !== undefined);
  const deliveryQueue = logicalIdOf(
    template,
    'AWS::SQS::Queue',
    (r) => JSON.stringify(r.Properties?.RedrivePolicy?.deadLetterTargetArn) === JSON.stringify({ 'Fn::GetAtt': [dlq, 'Arn'] }),
  );
  return { deliveryQueue, dlq };
}

/** The Lambda function whose description starts with `prefix` (each handler has its own). */
export function functionId(
  template: Template,
  handler: 'api' | 'authorizer' | 'fanout' | 'sender' | 'resumer' | 'portal' | 'inbound',
): string {
  const prefixes = {
    api: 'Webhook subscriptions',
    authorizer: 'Finds the tenant',
    fanout: 'Fans each',
    sender: 'Signs and POSTs',
    resumer: 'Resumes parked webhook deliveries',
    portal: 'Serves the tenant portal',
    inbound: 'Verifies providers',
  };
  return logicalIdOf(template, 'AWS::Lambda::Function', (r) => String(r.Properties?.Description ?? '').startsWith(prefixes[handler]));
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of every inline policy attached to the function's role. */
export function roleStatements(template: Template, fnLogicalId: string): Statement[] {
  const fn = template.toJSON().Resources[fnLogicalId] as Json;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p as Json).Properties.Roles.some((r: Json) => r.Ref === roleId),
  );
  return policies.flatMap((p) => (p as Json).Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every action the function's role allows. */
export function allowedActions(template: Template, fnLogicalId: string): Set<string> {
  return new Set(
    roleStatements(template, fnLogicalId)
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf),
  );
}

/** The resources the statements allowing `action` name. */
export function resourcesFor(template: Template, fnLogicalId: string, action: string): unknown[] {
  return roleStatements(template, fnLogicalId)
    .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action))
    .flatMap(resourcesOf);
}

/** Every cdk-nag (and CloudFormation check) acknowledgement in a construct's tree, where it sits and why. */
export function acknowledgedRules(root: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  const walk = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) found.push({ path: c.node.path, id, reason });
    }
    c.node.children.forEach(walk);
  };
  walk(root);
  return found;
}
