import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIVE_ALIAS_NAME } from '../../lib/constructs/webhook-api.js';
import { DEFAULT_MEMORY_SIZE, HANDLER_NAMES, type HandlerName } from '../../lib/constructs/webhook-function.js';
import { createWebhooksApp } from '../../lib/webhooks-app.js';
import { WebhooksStack, type WebhooksStackProps } from '../../lib/webhooks-stack.js';
import { type BuiltStack, buildStack, cdkJsonContext, functionId, SKIP_BUNDLING } from './support.js';

/**
 * Cold starts, what an operator can tune: `memorySizes` (each function's memory, over its own
 * default) and `provisionedConcurrency` (a `live` alias with warm environments for the api and
 * the authorizer, the alias being what API Gateway invokes). Unset, neither changes the template.
 */

const SLOW = 180_000;
type Json = Record<string, any>;

/** Each function's own memory: declared in its construct, restated here as what the template must say. */
const OWN_MEMORY: Record<HandlerName, number> = {
  api: DEFAULT_MEMORY_SIZE,
  authorizer: DEFAULT_MEMORY_SIZE,
  fanout: DEFAULT_MEMORY_SIZE,
  sender: 512,
  resumer: DEFAULT_MEMORY_SIZE,
  portal: 128,
  inbound: DEFAULT_MEMORY_SIZE,
};

const resources = (t: Template) => t.toJSON().Resources as Record<string, Json>;
const ofType = (t: Template, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);
const memoryOf = (t: Template, h: HandlerName) => resources(t)[functionId(t, h)]!.Properties.MemorySize as number;
/** The Lambda proxy integrations' URIs, by the method's logical id. */
const integrationUris = (t: Template) =>
  ofType(t, 'AWS::ApiGateway::Method')
    .filter(([, m]) => m.Properties.Integration?.Type === 'AWS_PROXY')
    .map(([id, m]) => [id, JSON.stringify(m.Properties.Integration.Uri)] as const);
const authorizerUri = (t: Template) => JSON.stringify(ofType(t, 'AWS::ApiGateway::Authorizer')[0]![1].Properties.AuthorizerUri);
/** apigateway.amazonaws.com's invoke permissions, as the JSON of what each names. */
const gatewayPermissions = (t: Template) =>
  ofType(t, 'AWS::Lambda::Permission')
    .filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com')
    .map(([, p]) => JSON.stringify(p.Properties.FunctionName));
const aliasOf = (t: Template, h: HandlerName) => {
  const fn = functionId(t, h);
  const aliases = ofType(t, 'AWS::Lambda::Alias').filter(([, a]) => a.Properties.FunctionName.Ref === fn);
  expect(aliases, `${h}'s aliases`).toHaveLength(1);
  return { id: aliases[0]![0], alias: aliases[0]![1] };
};

const refuses = (props: WebhooksStackProps, message: RegExp) => {
  const app = new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
  expect(() => new WebhooksStack(app, 'Refused', props)).toThrow(message);
};

let plain: BuiltStack;
let tuned: BuiltStack;
let warm: BuiltStack;

beforeAll(() => {
  plain = buildStack();
  // The same stack name as plain's: the name prefix is in names and environments.
  tuned = buildStack({ memorySizes: { api: 1024, sender: 2048, portal: 256 } });
  warm = buildStack({ provisionedConcurrency: { api: 2, authorizer: 3 } }, 'Warm');
}, SLOW);

describe('by default', () => {
  it("gives every function its construct's own memory", () => {
    for (const h of HANDLER_NAMES) expect(memoryOf(plain.template, h), h).toBe(OWN_MEMORY[h]);
  });

  it('has no version and no alias, and API Gateway invokes the functions themselves', () => {
    plain.template.resourceCountIs('AWS::Lambda::Version', 0);
    plain.template.resourceCountIs('AWS::Lambda::Alias', 0);
    const api = functionId(plain.template, 'api');
    const uris = integrationUris(plain.template).filter(([, uri]) => uri.includes(api));
    expect(uris.length).toBeGreaterThan(0);
    for (const [, uri] of uris) expect(uri).toContain(JSON.stringify({ 'Fn::GetAtt': [api, 'Arn'] }));
    expect(authorizerUri(plain.template)).toContain(JSON.stringify({ 'Fn::GetAtt': [functionId(plain.template, 'authorizer'), 'Arn'] }));
  });

  it('is the same template with provisionedConcurrency 0 for both', () => {
    const zero = buildStack({ provisionedConcurrency: { api: 0, authorizer: 0 }, memorySizes: {} });
    expect(zero.template.toJSON()).toEqual(plain.template.toJSON());
  });
});

describe('memorySizes', () => {
  it('sets the functions named, and leaves the others at their own', () => {
    const given: Partial<Record<HandlerName, number>> = { api: 1024, sender: 2048, portal: 256 };
    for (const h of HANDLER_NAMES) expect(memoryOf(tuned.template, h), h).toBe(given[h] ?? OWN_MEMORY[h]);
  });

  it('changes nothing else: the template differs only in those three MemorySize values', () => {
    const a = resources(plain.template);
    const b = resources(tuned.template);
    // Logical ids do not depend on the stack's name; the asset hashes are the same without bundling.
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    const changed = Object.keys(a).filter((id) => JSON.stringify(a[id]) !== JSON.stringify(b[id]));
    expect(changed.sort()).toEqual(['api', 'sender', 'portal'].map((h) => functionId(plain.template, h as HandlerName)).sort());
    for (const id of changed) expect({ ...b[id]!.Properties, MemorySize: a[id]!.Properties.MemorySize }).toEqual(a[id]!.Properties);
  });

  it('is refused at synth outside Lambda’s 128 to 10,240 MB, for a fraction of a MB, and for a name that is no function', () => {
    refuses({ memorySizes: { api: 127 } }, /memorySizes\.api must be a whole number of MB from 128 to 10240 .*got 127/);
    refuses({ memorySizes: { sender: 10_241 } }, /memorySizes\.sender must be a whole number of MB from 128 to 10240 .*got 10241/);
    refuses({ memorySizes: { fanout: 512.5 } }, /memorySizes\.fanout must be a whole number .*got 512\.5/);
    refuses(
      { memorySizes: { worker: 512 } as never },
      /memorySizes: "worker" is not a function; the functions are api, authorizer, fanout, sender, resumer, portal, inbound/,
    );
  });

  it('takes the bounds themselves', () => {
    const edges = buildStack({ memorySizes: { resumer: 128, inbound: 10_240 } }, 'Edges');
    expect(memoryOf(edges.template, 'resumer')).toBe(128);
    expect(memoryOf(edges.template, 'inbound')).toBe(10_240);
  });
});

describe('provisionedConcurrency: { api: 2, authorizer: 3 }', () => {
  let t: Template;
  beforeAll(() => {
    t = warm.template;
  });

  it("gives each an alias `live` on the function's own current version, with its environments", () => {
    t.resourceCountIs('AWS::Lambda::Alias', 2);
    t.resourceCountIs('AWS::Lambda::Version', 2);
    for (const [h, n] of [
      ['api', 2],
      ['authorizer', 3],
    ] as const) {
      const { alias } = aliasOf(t, h);
      expect(alias.Properties.Name).toBe(LIVE_ALIAS_NAME);
      expect(alias.Properties.ProvisionedConcurrencyConfig).toEqual({ ProvisionedConcurrentExecutions: n });
      const versionId = alias.Properties.FunctionVersion['Fn::GetAtt'][0] as string;
      expect(alias.Properties.FunctionVersion).toEqual({ 'Fn::GetAtt': [versionId, 'Version'] });
      expect(resources(t)[versionId]!.Type).toBe('AWS::Lambda::Version');
      expect(resources(t)[versionId]!.Properties.FunctionName).toEqual({ Ref: functionId(t, h) });
      // An old version goes once the alias has moved off it: none pile up.
      expect(resources(t)[versionId]!.DeletionPolicy).toBeUndefined();
    }
  });

  it("has every integration of the api function invoke its alias's ARN, never the unqualified function", () => {
    const api = functionId(t, 'api');
    const { id: aliasId } = aliasOf(t, 'api');
    const toApi = integrationUris(t).filter(([, uri]) => uri.includes(aliasId));
    // ANY / and /{proxy+}, /api and /api/{proxy+}, GET /api/openapi.json, the portal path's parents and its exchange.
    expect(toApi.length).toBe(integrationUris(plain.template).filter(([, uri]) => uri.includes(functionId(plain.template, 'api'))).length);
    for (const [, uri] of toApi) expect(uri).toContain(JSON.stringify({ Ref: aliasId }));
    expect(integrationUris(t).filter(([, uri]) => uri.includes(api))).toEqual([]);
  });

  it("has the request authorizer invoke the authorizer's alias", () => {
    const { id: aliasId } = aliasOf(t, 'authorizer');
    expect(authorizerUri(t)).toContain(JSON.stringify({ Ref: aliasId }));
    expect(authorizerUri(t)).not.toContain(functionId(t, 'authorizer'));
  });

  it("gives API Gateway invoke permissions on the aliases only, and still on the portal's and inbound's functions", () => {
    const permissions = gatewayPermissions(t);
    const api = aliasOf(t, 'api').id;
    const authorizer = aliasOf(t, 'authorizer').id;
    expect(permissions).toContain(JSON.stringify({ Ref: authorizer }));
    expect(permissions.filter((p) => p === JSON.stringify({ Ref: api })).length).toBe(
      gatewayPermissions(plain.template).filter((p) => p.includes(functionId(plain.template, 'api'))).length,
    );
    for (const h of ['api', 'authorizer'] as const)
      expect(
        permissions.filter((p) => p.includes(functionId(t, h))),
        h,
      ).toEqual([]);
    for (const h of ['portal', 'inbound'] as const)
      expect(permissions, h).toContain(JSON.stringify({ 'Fn::GetAtt': [functionId(t, h), 'Arn'] }));
  });

  it('leaves the other functions without version or alias, and the memory as it was', () => {
    for (const h of HANDLER_NAMES) expect(memoryOf(t, h), h).toBe(OWN_MEMORY[h]);
    const versioned = ofType(t, 'AWS::Lambda::Version').map(([, v]) => v.Properties.FunctionName.Ref);
    expect(versioned.sort()).toEqual([functionId(t, 'api'), functionId(t, 'authorizer')].sort());
  });

  it('adds no CDK warning or error (none about invoke permissions granted before the version)', () => {
    const annotations = Annotations.fromStack(warm.stack);
    const before = Annotations.fromStack(plain.stack).findWarning('*', Match.anyValue()).length;
    expect(annotations.findWarning('*', Match.anyValue())).toHaveLength(before);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });

  it('publishes a new version when the function changes (its logical id is a hash of code and configuration)', () => {
    const versionIds = (b: BuiltStack) => ofType(b.template, 'AWS::Lambda::Version').map(([id]) => id);
    const bigger = buildStack({ provisionedConcurrency: { api: 2, authorizer: 3 }, memorySizes: { api: 512 } }, 'Warm');
    const again = buildStack({ provisionedConcurrency: { api: 2, authorizer: 3 } }, 'Warm');
    expect(versionIds(again).sort()).toEqual(versionIds(warm).sort());
    const changed = versionIds(bigger).filter((id) => !versionIds(warm).includes(id));
    expect(changed).toHaveLength(1);
    expect(resources(bigger.template)[changed[0]!]!.Properties.FunctionName).toEqual({ Ref: functionId(bigger.template, 'api') });
  });

  it('can be given to one of them alone', () => {
    const apiOnly = buildStack({ provisionedConcurrency: { api: 1 } }, 'ApiOnly');
    apiOnly.template.resourceCountIs('AWS::Lambda::Alias', 1);
    expect(aliasOf(apiOnly.template, 'api').alias.Properties.ProvisionedConcurrencyConfig).toEqual({ ProvisionedConcurrentExecutions: 1 });
    expect(authorizerUri(apiOnly.template)).toContain(
      JSON.stringify({ 'Fn::GetAtt': [functionId(apiOnly.template, 'authorizer'), 'Arn'] }),
    );
  });

  it('is refused at synth for a negative or fractional count and for another function', () => {
    refuses({ provisionedConcurrency: { api: -1 } }, /provisionedConcurrency\.api must be a whole number of environments from 0 .*got -1/);
    refuses({ provisionedConcurrency: { authorizer: 1.5 } }, /provisionedConcurrency\.authorizer must be a whole number .*got 1\.5/);
    refuses(
      { provisionedConcurrency: { sender: 2 } as never },
      /provisionedConcurrency: "sender" cannot have provisioned concurrency; only api and authorizer can/,
    );
  });
});

describe('the app, from context', () => {
  const synth = (context: Record<string, unknown>) => {
    const outdir = mkdtempSync(join(tmpdir(), 'webhooks-cdk-'));
    try {
      const { app, stack } = createWebhooksApp({ outdir, context: { ...cdkJsonContext(), ...SKIP_BUNDLING, ...context } });
      const assembly = app.synth();
      const validation = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: unknown[];
      };
      return { template: assembly.getStackArtifact(stack.artifactId).template as Json, reports: validation.pluginReports };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };
  const fns = (template: Json) =>
    Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::Function');
  const memoryBy = (template: Json, prefix: string) =>
    fns(template).find((f) => f.Properties.Description.startsWith(prefix))!.Properties.MemorySize;

  it(
    'takes -c memorySizes=api=512,sender=1024 and -c provisionedConcurrency=api=2,authorizer=2, and cdk-nag finds nothing',
    () => {
      const { template, reports } = synth({ memorySizes: 'api=512,sender=1024', provisionedConcurrency: 'api=2,authorizer=2' });
      expect(reports).toEqual([]);
      expect(memoryBy(template, 'Webhook subscriptions')).toBe(512);
      expect(memoryBy(template, 'Signs and POSTs')).toBe(1024);
      expect(memoryBy(template, 'Finds the tenant')).toBe(DEFAULT_MEMORY_SIZE);
      const aliases = Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::Alias');
      expect(aliases.map((a) => a.Properties.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions)).toEqual([2, 2]);
    },
    SLOW,
  );

  it(
    'takes them as objects too (cdk.json), or their JSON',
    () => {
      const { template } = synth({ memorySizes: { portal: 256 }, provisionedConcurrency: '{"api":1}' });
      expect(memoryBy(template, 'Serves the tenant portal')).toBe(256);
      const aliases = Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::Alias');
      expect(aliases).toHaveLength(1);
    },
    SLOW,
  );

  it('refuses malformed context with its name', () => {
    const app = (context: Record<string, unknown>) => () =>
      createWebhooksApp({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING, ...context } });
    expect(app({ memorySizes: 'api:512' })).toThrow(/context memorySizes must be name=number pairs such as api=512,sender=1024/);
    expect(app({ memorySizes: 'api=big' })).toThrow(/context memorySizes: api must be a whole number, got "big"/);
    expect(app({ provisionedConcurrency: '{"api":' })).toThrow(/context provisionedConcurrency must be name=number pairs/);
    expect(app({ provisionedConcurrency: 'api=-1' })).toThrow(/context provisionedConcurrency: api must be a whole number, got "-1"/);
    expect(app({ memorySizes: 'api=64' })).toThrow(/memorySizes\.api must be a whole number of MB from 128 to 10240/);
  });
});
