import { Aws, Fn, Names } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { ThrottleLimits } from '../../functions/domain/throttle.js';

export interface TenantThrottlingProps {
  readonly api: apigw.RestApi;
  /** Each tenant's limit unless the tenant CLI gives it its own. */
  readonly tenantThrottle: ThrottleLimits;
  /** The stage's limit: what tenants without a key of their own share, as they shared the stage before. */
  readonly stageThrottle: ThrottleLimits;
}

/**
 * Per-tenant throttling on API Gateway: usage plans, whose throttle applies to each API key in
 * them separately, and API keys that the authorizer names per request (`usageIdentifierKey`,
 * with the API's key source AUTHORIZER).
 *
 * - The default plan: every tenant's key, created by the tenant CLI, starts here, at
 *   `tenantThrottle`. A tenant given limits of its own moves to the plan for those limits
 *   (`<api id>-<stage>-rate-R-burst-B`, created by the CLI on first use and shared by every
 *   tenant with the same limits), so plans grow with distinct limits, not with tenants.
 * - The shared plan and its one key: answered for tenants created before per-tenant throttling,
 *   which have no key yet. At the stage's own limits, so after the upgrade they are throttled as
 *   they were (together, by the stage) until `npm run tenant -- backfill` gives each a key.
 *
 * The keys are throttling identities, never credentials: clients never send one, and with key
 * source AUTHORIZER one sent in X-API-Key is ignored. So the shared key's value may sit in the
 * template and the authorizer's environment.
 */
export class TenantThrottling extends Construct {
  readonly defaultUsagePlan: apigw.UsagePlan;
  readonly sharedUsagePlan: apigw.UsagePlan;
  readonly sharedKey: apigw.ApiKey;
  /** The shared key's value, for the authorizer (resolved at deploy time). */
  readonly sharedKeyValue: string;

  constructor(scope: Construct, id: string, props: TenantThrottlingProps) {
    super(scope, id);
    const apiStages = [{ api: props.api, stage: props.api.deploymentStage }];
    const throttle = (l: ThrottleLimits): apigw.ThrottleSettings => ({ rateLimit: l.rateLimit, burstLimit: l.burstLimit });

    this.defaultUsagePlan = new apigw.UsagePlan(this, 'DefaultPlan', {
      name: `${props.api.restApiName}-tenants`,
      description: 'Every tenant without limits of its own: its API key is here (the tenant CLI puts it here).',
      apiStages,
      throttle: throttle(props.tenantThrottle),
    });
    this.sharedUsagePlan = new apigw.UsagePlan(this, 'SharedPlan', {
      name: `${props.api.restApiName}-shared`,
      description: 'Tenants created before per-tenant throttling, together, at the stage limits, until they get keys of their own.',
      apiStages,
      throttle: throttle(props.stageThrottle),
    });

    // API key values are unique per account and Region: this construct's path and the stack's
    // UUID (hyphens dropped: 20 to 128 letters and digits) keep two pipelines, or two stacks, apart.
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    this.sharedKeyValue = Fn.join('', [
      Names.uniqueResourceName(this, { maxLength: 64, separator: '' }),
      Fn.join('', Fn.split('-', stackUuid)),
    ]);
    this.sharedKey = new apigw.ApiKey(this, 'SharedKey', {
      value: this.sharedKeyValue,
      enabled: true,
      description: 'Throttling identity of tenants without a key of their own; never a credential (API key source AUTHORIZER).',
    });
    this.sharedUsagePlan.addApiKey(this.sharedKey);
  }
}
