import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALARM_IDS } from '../../lib/constructs/alarms.js';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { docBlock } from '../support/docs.js';
import { startReceiver } from '../support/receiver.js';

/**
 * The package as a consumer gets it: `npm pack` (its prepack builds dist/), the tarball installed
 * into a temporary plain-JavaScript CDK app, and that app synthesizing two WebhookDelivery
 * instances in one stack, checked by cdk-nag; and the typed client, `serverless-webhooks/client`,
 * imported by a plain JavaScript script and typechecked in a TypeScript one. Offline: the tarball's
 * one dependency, openapi-fetch (for the client), comes from npm's cache, which installing this
 * repository filled, and the app's aws-cdk-lib, constructs and cdk-nag are links to this
 * repository's copies.
 */

const SLOW = 300_000;
const PACKAGE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function npm(args: string[], cwd: string): string {
  // Under `npm test` npm says where it is; otherwise the npm on PATH.
  const cli = process.env.npm_execpath;
  const [cmd, argv] = cli?.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args];
  return execFileSync(cmd, argv, { cwd, encoding: 'utf8', timeout: SLOW, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

const APP = `
import { App, Stack, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WebhookDelivery } from '${PACKAGE.name}';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const alarmTopic = new sns.Topic(stack, 'Ops', { enforceSSL: true });
const orders = new WebhookDelivery(stack, 'Orders', { namePrefix: 'orders', alarmTopic, senderMaxConcurrency: 100 });
const billing = new WebhookDelivery(stack, 'Billing', {
  retrySchedule: [10, 60],
  attemptTimeout: Duration.seconds(5),
  removalPolicy: RemovalPolicy.DESTROY,
  logLevel: 'WARN',
});
const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
orders.grantPublish(producer);
Validations.of(app).addPlugins(new AwsSolutionsChecks());
app.synth();
console.log(JSON.stringify({ orders: orders.namePrefix, billing: billing.namePrefix, ordersBus: stack.resolve(orders.eventBusName) }));
`;

/** A tenant's script: the client as the package exports it, one call to the URL it is given. */
const CLIENT_SCRIPT = `
import { createWebhooksClient } from '${PACKAGE.name}/client';
const client = createWebhooksClient({ baseUrl: process.argv[2], identity: 'idt_consumer', authorization: 'key_consumer' });
const { data, error, response } = await client.GET('/api/v0.1/webhooks', { params: { query: { limit: 5 } } });
console.log(JSON.stringify({ status: response.status, data, error }));
`;

/** And in TypeScript: the exported declarations resolve, type the answers, and refuse a route the API has not. */
const CLIENT_TYPES = `
import { type components, createWebhooksClient } from '${PACKAGE.name}/client';
const client = createWebhooksClient({ baseUrl: 'http://127.0.0.1:1', identity: 'idt_consumer', authorization: 'key_consumer' });
export async function first(): Promise<components['schemas']['SubscriptionV01'] | undefined> {
  const { data } = await client.GET('/api/v0.1/webhooks');
  return data?.webhook_subscriptions[0];
}
// @ts-expect-error no such route
void client.GET('/api/v0.1/no-such-route');
`;

let work: string;
let tarball: string;
let appDir: string;
let outdir: string;
let printed: { orders: string; billing: string; ordersBus: unknown };
let template: { Resources: Record<string, any> };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webhooks-pack-'));
  // prepack (npm run build) prints first; the JSON report is the last thing on stdout.
  const packOutput = npm(['pack', '--json', '--pack-destination', work], PROJECT_ROOT);
  const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[/m))) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);

  appDir = join(work, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
  npm(
    [
      'install',
      tarball,
      '--no-save',
      '--no-package-lock',
      '--offline',
      '--legacy-peer-deps',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
    ],
    appDir,
  );
  // After the install (npm would prune links it did not make): the peers, from this repository.
  for (const dep of ['aws-cdk-lib', 'constructs', 'cdk-nag'])
    symlinkSync(join(PROJECT_ROOT, 'node_modules', dep), join(appDir, 'node_modules', dep), 'dir');
  writeFileSync(join(appDir, 'app.js'), APP);

  outdir = join(work, 'cdk.out');
  const out = execFileSync(process.execPath, ['app.js', outdir], { cwd: appDir, encoding: 'utf8', timeout: SLOW });
  printed = JSON.parse(out.trim().split('\n').at(-1)!);
  template = JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8'));
}, SLOW);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A doc's app, written into the consumer app as `name`.mjs and run there: the template of its stack `stackName`. */
function synthesizeDocApp(name: string, program: string, stackName: string): typeof template & { Outputs: Record<string, unknown> } {
  writeFileSync(join(appDir, `${name}.mjs`), program);
  const out = join(work, `${name}.out`);
  execFileSync(process.execPath, [`${name}.mjs`], { cwd: appDir, timeout: SLOW, env: { ...process.env, CDK_OUTDIR: out } });
  return JSON.parse(readFileSync(join(out, `${stackName}.template.json`), 'utf8'));
}

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
/** Our functions: not the provider CDK adds once a stack to empty buckets removed with it (the bodies' bucket, DESTROY). */
const ourFunctions = () => ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomS3AutoDeleteObjects'));

describe('the packed package', () => {
  it('holds the compiled construct with declarations and the four pre-bundled handlers, and no TypeScript sources', () => {
    const installed = join(appDir, 'node_modules', PACKAGE.name);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    // The portal function serves the API reference from beside its index.mjs (TenantPortal, pre-bundled).
    expect(existsSync(join(installed, 'dist', 'handlers', 'portal', 'api-docs', 'redoc.standalone.js'))).toBe(true);
    // The typed client's runtime; the construct needs nothing but its peers.
    expect(Object.keys(pkg.dependencies)).toEqual(['openapi-fetch']);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(existsSync(join(installed, pkg.main))).toBe(true);
    expect(existsSync(join(installed, pkg.types))).toBe(true);
    expect(readFileSync(join(installed, pkg.types), 'utf8')).toContain('WebhookDelivery');
    for (const h of ['api', 'authorizer', 'fanout', 'sender']) {
      expect(existsSync(join(installed, 'dist', 'handlers', h, 'index.mjs')), h).toBe(true);
      expect(existsSync(join(installed, 'dist', 'handlers', h, 'events', 'card.created.json')), h).toBe(true);
    }
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const all = files(installed);
    expect(all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(existsSync(join(installed, 'functions', 'handlers'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    expect(existsSync(join(installed, 'docs', 'runbook.md'))).toBe(true);
  });
});

describe('the typed client from the installed tarball', () => {
  // The tarball installed as docs/tenants/typed-client.md says (offline here, peers linked from this repository).
  it('imports as serverless-webhooks/client and sends the tenant headers', async () => {
    const api = await startReceiver((_req, _n, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"webhook_subscriptions":[],"next_cursor":null}');
    });
    try {
      writeFileSync(join(appDir, 'client.js'), CLIENT_SCRIPT);
      const { stdout } = await promisify(execFile)(process.execPath, ['client.js', api.url.replace(/\/webhook$/, '')], {
        cwd: appDir,
        timeout: SLOW,
      });
      expect(JSON.parse(stdout)).toEqual({ status: 200, data: { webhook_subscriptions: [], next_cursor: null } });
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]).toMatchObject({
        method: 'GET',
        path: '/api/v0.1/webhooks?limit=5',
        headers: expect.objectContaining({ identity: 'idt_consumer', authorization: 'key_consumer' }),
      });
    } finally {
      await api.close();
    }
  });

  it('typechecks in a TypeScript consumer (module nodenext), its declarations included', () => {
    writeFileSync(join(appDir, 'client-types.ts'), CLIENT_TYPES);
    const compilerOptions = { module: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], strict: true, noEmit: true, types: [] };
    writeFileSync(join(appDir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['client-types.ts'] }));
    const tsc = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', appDir], {
      cwd: appDir,
      encoding: 'utf8',
      timeout: SLOW,
    });
    // Any error shows here: a missing declaration, a wrong type, an unused @ts-expect-error.
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

describe('a plain JavaScript CDK app using the installed tarball', () => {
  it('synthesizes two WebhookDelivery instances in one stack, each with its dashboard and alarms, past cdk-nag', () => {
    // Seven functions each: api, authorizer, fan-out, sender, resumer, the portal page and inbound webhooks.
    expect(ourFunctions()).toHaveLength(14);
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(2);
    expect(ofType('AWS::CloudWatch::Alarm')).toHaveLength(2 * ALARM_IDS.length);
    expect(ofType('AWS::SQS::Queue')).toHaveLength(10);
    expect(ofType('AWS::ApiGateway::RestApi')).toHaveLength(2);
    // One API Gateway account logging role per stack is enough.
    expect(ofType('AWS::ApiGateway::Account')).toHaveLength(1);
    const validation = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(validation.pluginReports).toEqual([]);
  });

  it('gives each instance its own names: buses, REST APIs, delivery queues, secret prefixes', () => {
    expect(printed.orders).toBe('orders');
    expect(printed.billing).toMatch(/^Consumer-Billing-[A-F0-9]{8}$/);
    const busNames = ofType('AWS::Events::EventBus').map(([, r]) => r.Properties.Name);
    expect(busNames.sort()).toEqual([`${printed.billing}-events`, 'orders-events'].sort());
    const apiNames = ofType('AWS::ApiGateway::RestApi').map(([, r]) => r.Properties.Name);
    expect(apiNames.sort()).toEqual([`${printed.billing}-api`, 'orders-api'].sort());
    const queueNames = ofType('AWS::SQS::Queue')
      .map(([, r]) => r.Properties.QueueName)
      .filter(Boolean)
      .map((n) => n['Fn::Join'][1][0]);
    expect(new Set(queueNames).size).toBe(2);
    const prefixes = new Set(
      ourFunctions()
        .map(([, r]) => r.Properties.Environment.Variables.SECRET_NAME_PREFIX as string | undefined)
        // The portal page's function knows nothing of secrets.
        .filter(Boolean),
    );
    expect([...prefixes].sort()).toEqual([`webhooks/${printed.billing}/`, 'webhooks/orders/'].sort());
  });

  it('uses the pre-bundled handlers as assets, and the props it was given', () => {
    for (const [id, fn] of ourFunctions()) {
      expect(fn.Properties.Handler, id).toBe('index.handler');
      // The code asset is staged as asset.<hash> and uploaded as <hash>.zip.
      const assetDir = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8').length, id).toBeGreaterThan(1000);
      expect(existsSync(join(assetDir, 'events', 'card.created.json')), id).toBe(true);
    }
    const scaling = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties.ScalingConfig.MaximumConcurrency);
    expect(scaling.sort((a, b) => a - b)).toEqual([50, 50, 100, 400]);
    const billingEnv = ourFunctions()
      .map(([, r]) => r.Properties.Environment.Variables)
      .filter((v) => v.SECRET_NAME_PREFIX === `webhooks/${printed.billing}/`);
    for (const env of billingEnv)
      expect(env).toMatchObject({ WEBHOOKS_RETRY_SCHEDULE: '10,60', WEBHOOKS_ATTEMPT_TIMEOUT_MS: '5000', POWERTOOLS_LOG_LEVEL: 'WARN' });
    const withActions = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.AlarmActions);
    expect(withActions).toHaveLength(ALARM_IDS.length);
    // The producer may PutEvents on the orders bus only.
    const producerPolicy = ofType('AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties.Roles).includes('Producer'));
    expect(producerPolicy![1].Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'events:PutEvents',
        Effect: 'Allow',
        Resource: expect.objectContaining({ 'Fn::GetAtt': [expect.any(String), 'Arn'] }),
      }),
    ]);
  });

  it("runs the construct page's example as written: its props, the publisher's grant, the API URL output", () => {
    const platform = synthesizeDocApp('construct-app', docBlock('docs/operators/construct.md', 'construct-app'), 'Platform');
    const resources = Object.values(platform.Resources);
    expect(resources.some((r) => r.Type === 'AWS::Events::EventBus' && r.Properties.Name === 'platform-webhooks-events')).toBe(true);
    expect(platform.Outputs.WebhooksApiUrl).toBeDefined();
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(ALARM_IDS.length);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
  });

  it("runs the inbound page's construct and rule examples as written, in one app", () => {
    // The reader's own surroundings: the app, the stack and the queue the rule feeds.
    const prelude = `import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WebhookDelivery } from '${PACKAGE.name}';
const app = new App();
const stack = new Stack(app, 'Inbound');
const paymentsQueue = new sqs.Queue(stack, 'Payments', { enforceSSL: true });
`;
    const program = [
      prelude,
      docBlock('docs/inbound-webhooks.md', 'inbound-construct'),
      docBlock('docs/inbound-webhooks.md', 'inbound-rule'),
      'app.synth();',
    ];
    const inbound = synthesizeDocApp('inbound-app', program.join('\n'), 'Inbound');
    const rules = Object.values(inbound.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules.map((r) => r.Properties.EventPattern)).toContainEqual({
      source: ['webhooks.inbound.stripe'],
      'detail-type': ['payment.updated'],
    });
    const declared = JSON.stringify(
      Object.values(inbound.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.Environment),
    );
    expect(declared).toContain('github');
    expect(declared).toContain('payment_intent.*');
  });

  it("runs the README's construct example as written, in the same consumer app", () => {
    const platform = synthesizeDocApp('readme-app', docBlock('README.md', 'construct-example'), 'Platform');
    const resources = Object.entries(platform.Resources);
    expect(resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    const policy = resources.find(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('OrderService'));
    expect(policy![1].Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Effect: 'Allow' }),
    ]);
    const queue = resources.find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.WEBHOOKS_RETRY_SCHEDULE,
    );
    expect(queue![1].Properties.Environment.Variables.WEBHOOKS_RETRY_SCHEDULE).toBe('5,60,600,3600');
  });
});
