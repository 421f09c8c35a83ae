import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type InboundSource, parseInboundSources, SourceConfigError } from '../functions/domain/inbound/source.js';
import { parseSchedule } from '../functions/domain/retry-schedule.js';
import { parseSecretStorage } from '../functions/domain/secret-storage.js';
import { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE, type ThrottleLimits, throttleSetting } from '../functions/domain/throttle.js';
import type { LogLevel, MemorySizes, ProvisionedConcurrency, StaticSourceIps } from './webhook-delivery.js';
import { WebhooksStack } from './webhooks-stack.js';

function logLevelFrom(value: string | undefined): LogLevel | undefined {
  if (value === undefined) return undefined;
  const level = value.toUpperCase();
  if (level !== 'DEBUG' && level !== 'INFO' && level !== 'WARN' && level !== 'ERROR')
    throw new Error(`context logLevel must be DEBUG, INFO, WARN or ERROR, got "${value}"`);
  return level;
}

export const DEFAULT_STACK_NAME = 'Webhooks';

/**
 * The CDK app (bin/webhooks.ts runs it): the WebhooksStack, configured from context
 * (cdk.json or `-c key=value`), checked by cdk-nag's AwsSolutions pack, which fails the synth
 * on any finding that is not acknowledged with a reason.
 *
 *   stackName                       another name, e.g. for a second copy in one account
 *   retrySchedule                   seconds before each retry, comma-separated: 5,60,600
 *   alarmTopicArn                   SNS topic for the alarms
 *   apiGatewayCloudWatchRole=false  when the account already has API Gateway's logging role
 *   secretRotationOverlapSeconds    how long a rotated-out secret keeps signing (86400)
 *   retentionDays                   days of delivery history (30)
 *   attemptTimeoutSeconds           per-attempt HTTP timeout (5)
 *   senderMaxConcurrency            most concurrent sender invocations (400)
 *   fanoutMaxConcurrency            most concurrent fan-out invocations (50)
 *   maxSubscriptionsPerTenant       subscription cap per tenant (1000)
 *   logLevel                        DEBUG, INFO, WARN or ERROR (INFO)
 *   portalLinkTtlSeconds            how long a tenant portal link works, once (900)
 *   portalSessionTtlSeconds         how long a tenant portal session lasts (3600)
 *   receiverGuideUrl                where the portal links to the receiver guide (the guide it serves)
 *   secretStorage                   per-subscription or envelope (per-subscription)
 *   keyEncryptionKeyArn             envelope: an existing key ring's complete ARN (a new ring)
 *   tenantRateLimit, tenantBurstLimit   each tenant's API limit unless given its own (20, 40)
 *   stageRateLimit, stageBurstLimit     the API stage's limit, all tenants together (100, 200)
 *   inboundSources                  inbound webhook sources, a JSON list: [{"name":"stripe","scheme":"stripe"}]
 *   staticSourceIps                 deliveries from fixed Elastic IPs: a number of zones (2), or zone names, comma-separated (off)
 *   elasticIpQuota                  with staticSourceIps: the account's Elastic IP quota in the region (5)
 *   memorySizes                     memory per function, MB: api=512,sender=1024 or {"api":512} (each function's own)
 *   provisionedConcurrency          warm environments of the api and authorizer: api=2,authorizer=2 or {"api":2} (none)
 */
export function createWebhooksApp(props?: AppProps): { app: App; stack: WebhooksStack } {
  const app = new App(props);

  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    return Array.isArray(value) ? value.join(',') : String(value);
  };

  const wholeFrom = (key: string): number | undefined => {
    const v = context(key);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`context ${key} must be a whole number, got "${v}"`);
    return Number(v);
  };
  const numberFrom = (
    key:
      | 'secretRotationOverlapSeconds'
      | 'retentionDays'
      | 'attemptTimeoutSeconds'
      | 'senderMaxConcurrency'
      | 'fanoutMaxConcurrency'
      | 'maxSubscriptionsPerTenant'
      | 'portalLinkTtlSeconds'
      | 'portalSessionTtlSeconds',
  ) => {
    const v = wholeFrom(key);
    return v === undefined ? {} : { [key]: v };
  };
  const throttleFrom = (prefix: 'tenant' | 'stage', defaults: ThrottleLimits) =>
    throttleSetting(wholeFrom(`${prefix}RateLimit`), wholeFrom(`${prefix}BurstLimit`), defaults);

  const inboundSources = (): InboundSource[] | undefined => {
    const raw: unknown = app.node.tryGetContext('inboundSources');
    if (raw === undefined || raw === null || raw === '') return undefined;
    let value = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new Error(`context inboundSources must be a JSON list of sources: ${(err as Error).message}`);
      }
    }
    try {
      return parseInboundSources(value, 'context inboundSources');
    } catch (err) {
      if (err instanceof SourceConfigError) throw new Error(err.message);
      throw err;
    }
  };

  const staticSourceIps = (): StaticSourceIps | undefined => {
    const v = context('staticSourceIps');
    if (v === undefined || v === 'false') return undefined;
    const quota = wholeFrom('elasticIpQuota');
    const zones = /^\d+$/.test(v) ? Number(v) : v.split(',').map((z) => z.trim());
    if (Array.isArray(zones) && zones.some((z) => !/^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/.test(z)))
      throw new Error(`context staticSourceIps must be a number of zones or zone names such as eu-west-1a,eu-west-1b; got "${v}"`);
    return { availabilityZones: zones, ...(quota !== undefined ? { elasticIpQuota: quota } : {}) };
  };

  // `name=N,name=N` on the command line, or an object in cdk.json (or its JSON on the command line).
  const namedWholeNumbers = (key: string): Record<string, number> | undefined => {
    const raw: unknown = app.node.tryGetContext(key);
    if (raw === undefined || raw === null || raw === '') return undefined;
    const example = `such as api=512,sender=1024 or {"api":512}`;
    let entries: [string, unknown][];
    if (typeof raw === 'object' && !Array.isArray(raw)) entries = Object.entries(raw);
    else if (typeof raw === 'string' && raw.trim().startsWith('{')) {
      try {
        entries = Object.entries(JSON.parse(raw) as object);
      } catch (err) {
        throw new Error(`context ${key} must be name=number pairs ${example}: ${(err as Error).message}`);
      }
    } else
      entries = String(raw)
        .split(',')
        .map((pair) => {
          const [name, value, ...rest] = pair.split('=').map((x) => x.trim());
          if (!name || value === undefined || rest.length)
            throw new Error(`context ${key} must be name=number pairs ${example}; got "${raw}"`);
          return [name, value];
        });
    return Object.fromEntries(
      entries.map(([name, value]) => {
        if (!/^\d+$/.test(String(value))) throw new Error(`context ${key}: ${name} must be a whole number, got "${String(value)}"`);
        return [name, Number(value)];
      }),
    );
  };

  const stackName = context('stackName') ?? DEFAULT_STACK_NAME;
  const schedule = context('retrySchedule');
  const stack = new WebhooksStack(app, stackName, {
    stackName,
    retrySchedule: schedule === undefined ? undefined : parseSchedule(schedule),
    alarmTopicArn: context('alarmTopicArn'),
    apiGatewayCloudWatchRole: context('apiGatewayCloudWatchRole') !== 'false',
    ...numberFrom('secretRotationOverlapSeconds'),
    ...numberFrom('retentionDays'),
    ...numberFrom('attemptTimeoutSeconds'),
    ...numberFrom('senderMaxConcurrency'),
    ...numberFrom('fanoutMaxConcurrency'),
    ...numberFrom('maxSubscriptionsPerTenant'),
    logLevel: logLevelFrom(context('logLevel')),
    ...numberFrom('portalLinkTtlSeconds'),
    ...numberFrom('portalSessionTtlSeconds'),
    receiverGuideUrl: context('receiverGuideUrl'),
    secretStorage: parseSecretStorage(context('secretStorage')),
    keyEncryptionKeyArn: context('keyEncryptionKeyArn'),
    tenantThrottle: throttleFrom('tenant', DEFAULT_TENANT_THROTTLE),
    stageThrottle: throttleFrom('stage', DEFAULT_STAGE_THROTTLE),
    inboundSources: inboundSources(),
    staticSourceIps: staticSourceIps(),
    // The names and ranges are checked by the construct, under these same names.
    memorySizes: namedWholeNumbers('memorySizes') as MemorySizes | undefined,
    provisionedConcurrency: namedWholeNumbers('provisionedConcurrency') as ProvisionedConcurrency | undefined,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
