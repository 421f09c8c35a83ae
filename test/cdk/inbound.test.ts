import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import { buildStack, cdkJsonContext, functionId, logicalIdOf, roleStatements, SKIP_BUNDLING, type Statement } from './support.js';

/** The inbound endpoint as the stack deploys it: its method, its function's environment and its role. */

const SOURCES = [
  { name: 'stripe', scheme: 'stripe' as const, typeMapping: { 'invoice.*': 'billing.invoice' } },
  { name: 'gh', scheme: 'github' as const, forwardTenantId: 'tnt_ops' },
];

let template: Template;
let resources: Record<string, any>;
let inbound: string;

beforeAll(() => {
  ({ template } = buildStack({ inboundSources: SOURCES }));
  resources = template.toJSON().Resources;
  inbound = functionId(template, 'inbound');
}, 120_000);

describe('POST <ApiUrl>inbound/{source}', () => {
  it('is a method without authorizer or API key, on a resource of its own, integrated with the inbound function', () => {
    const resource = logicalIdOf(template, 'AWS::ApiGateway::Resource', (r) => r.Properties.PathPart === '{source}');
    const parent = resources[resource].Properties.ParentId.Ref;
    expect(resources[parent].Properties.PathPart).toBe('inbound');
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m: any) => m.Properties.ResourceId.Ref === resource,
    ) as any[];
    expect(methods).toHaveLength(1);
    expect(methods[0].Properties).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
    expect(methods[0].Properties.ApiKeyRequired).toBeUndefined();
    expect(JSON.stringify(methods[0].Properties.Integration.Uri)).toContain(inbound);
  });

  it('gives the function its sources, their secrets’ prefix and the bus; a 10 s timeout', () => {
    const props = resources[inbound].Properties;
    expect(JSON.parse(props.Environment.Variables.WEBHOOKS_INBOUND_SOURCES)).toEqual(SOURCES);
    expect(props.Environment.Variables.WEBHOOKS_INBOUND_SECRET_PREFIX).toBe('webhooks-inbound/Webhooks/');
    expect(props.Environment.Variables.EVENT_BUS_NAME).toBeDefined();
    expect(props.Timeout).toBe(10);
  });

  it('least privilege: the table’s INBOUND# items only, bodies/inbound/, its bus, its secrets’ prefix; no tenant data', () => {
    const statements = roleStatements(template, inbound).filter(
      (s) => ![s.Action].flat().some((a) => String(a).startsWith('logs:') || String(a).startsWith('xray:')),
    );
    const byService = (svc: string) => statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith(`${svc}:`)));
    const dynamo = byService('dynamodb');
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]).toMatchObject({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INBOUND#*'] } },
    } satisfies Partial<Statement>);
    // The table itself, not its indexes.
    expect(JSON.stringify(dynamo[0]!.Resource)).not.toContain('index');
    const s3 = byService('s3');
    expect(s3).toHaveLength(1);
    expect(s3[0]!.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/bodies/inbound/*');
    expect(byService('events')).toEqual([expect.objectContaining({ Action: 'events:PutEvents' })]);
    const secrets = byService('secretsmanager');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(secrets[0]!.Resource)).toContain(':secret:webhooks-inbound/Webhooks/*');
    expect(statements).toHaveLength(4);
  });

  it('outputs where providers send, the secrets’ prefix and the declared sources for the inbound CLI', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.InboundSecretNamePrefix.Value).toBe('webhooks-inbound/Webhooks/');
    expect(outputs.InboundSources.Value).toBe('stripe,gh');
    expect(JSON.stringify(outputs.InboundUrl.Value)).toContain('inbound/');
    expect(outputs.BodyBucketName).toBeDefined();
    expect(outputs.InboundFunctionName).toBeDefined();
  });
});

describe('declaring sources', () => {
  it('takes them as JSON in context (-c inboundSources=...), checked as the construct checks its props', () => {
    const context = { ...cdkJsonContext(), ...SKIP_BUNDLING, inboundSources: JSON.stringify([{ name: 'acme', scheme: 'svix' }]) };
    const { stack } = createWebhooksApp({ context });
    const fn = Template.fromStack(stack);
    const env = fn.toJSON().Resources[functionId(fn, 'inbound')].Properties.Environment.Variables;
    expect(JSON.parse(env.WEBHOOKS_INBOUND_SOURCES)).toEqual([{ name: 'acme', scheme: 'standard-webhooks' }]);
    expect(() => createWebhooksApp({ context: { ...context, inboundSources: '[{"name":"x"' } })).toThrow(
      /context inboundSources must be a JSON list/,
    );
    expect(() => createWebhooksApp({ context: { ...context, inboundSources: '[{"name":"x","scheme":"paypal"}]' } })).toThrow(
      /context inboundSources\[0\]\.scheme/,
    );
  });

  it('refuses a source the pipeline could not serve', () => {
    expect(() => buildStack({ inboundSources: [{ name: 'a', scheme: 'hmac' } as never] }, 'Bad1')).toThrow(/hmac\.signatureHeader/);
    expect(() =>
      buildStack(
        {
          inboundSources: [
            { name: 'a', scheme: 'github' },
            { name: 'a', scheme: 'stripe' },
          ],
        },
        'Bad2',
      ),
    ).toThrow(/used twice/);
  });
});
