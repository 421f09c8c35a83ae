import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetUsagePlanCommand,
  GetUsagePlansCommand,
  NotFoundException,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import type { ThrottleKey } from '../../functions/domain/model.js';
import type { ThrottleLimits } from '../../functions/domain/throttle.js';

/**
 * API Gateway's side of per-tenant throttling, as the tenant commands use it: each tenant's API
 * key, and which usage plan holds it. One adapter for both targets: the stack's API Gateway, or
 * local mode's stand-in for it (local/api-gateway-control.ts), through the same SDK calls.
 */
export interface ThrottlePlans {
  /** A new enabled API key for the tenant, in the plan for `limits` (undefined: the default plan). */
  createKey(tenantId: string, limits?: ThrottleLimits): Promise<ThrottleKey>;
  /** Puts the key in the plan for `limits` (undefined: the default plan) and takes it out of the stage's others. */
  assign(key: ThrottleKey, limits?: ThrottleLimits): Promise<void>;
  /** Takes the key out of the stage's plans and deletes it (frees one of the account's API keys). */
  deleteKey(key: ThrottleKey): Promise<void>;
  /** The limits of the default plan and of the shared key's plan, as deployed. */
  planLimits(): Promise<{ default: ThrottleLimits; shared: ThrottleLimits }>;
  /**
   * Drops every answer API Gateway cached from the authorizer on the stage: the next request of
   * each credential is authorized afresh and so names its tenant's key as it is now.
   */
  flushAuthorizerCache(): Promise<void>;
}

/** Where the plans live: the stack's outputs, or local mode's endpoints file. */
export interface ApiStageRef {
  restApiId: string;
  stage: string;
  defaultUsagePlanId: string;
  sharedUsagePlanId: string;
}

/**
 * The plan of tenants given their own limits: one per distinct limits on this stage, shared by
 * every tenant with them (a plan's throttle applies to each of its keys apart), so plans grow
 * with the limits in use, not with tenants.
 */
export const overridePlanName = (api: ApiStageRef, l: ThrottleLimits) =>
  `${api.restApiId}-${api.stage}-rate-${l.rateLimit}-burst-${l.burstLimit}`;

/** GetUsagePlans' largest page. */
const PLAN_PAGE = 500;

export class ApiGatewayThrottlePlans implements ThrottlePlans {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly api: ApiStageRef,
    /** Waited before each CreateApiKey (5 a second per account, not adjustable): a backfill paces itself with it. */
    private readonly beforeCreateKey: () => Promise<void> = async () => undefined,
  ) {}

  async createKey(tenantId: string, limits?: ThrottleLimits): Promise<ThrottleKey> {
    await this.beforeCreateKey();
    const created = await this.client.send(
      new CreateApiKeyCommand({
        name: tenantId,
        description: `Throttling identity of tenant ${tenantId} on ${this.api.restApiId}/${this.api.stage}; never a credential (API key source AUTHORIZER)`,
        // Said, not left to a default CreateApiKey does not document: a disabled key is refused like an unknown one.
        enabled: true,
      }),
    );
    if (!created.id || !created.value) throw new Error('API Gateway answered CreateApiKey without an id and value');
    const key = { id: created.id, value: created.value };
    try {
      await this.addToPlan(await this.planIdFor(limits), key);
    } catch (err) {
      // A key in no plan would only count against the account's quota.
      await this.client.send(new DeleteApiKeyCommand({ apiKey: key.id })).catch(() => undefined);
      throw err;
    }
    return key;
  }

  async assign(key: ThrottleKey, limits?: ThrottleLimits): Promise<void> {
    const target = await this.planIdFor(limits);
    const holding = await this.stagePlans(key.id);
    // A key may be in one plan per stage only, so it leaves the old plan before it joins the new:
    // between the two calls API Gateway finds it in none and answers the tenant's requests with
    // the INVALID_API_KEY gateway response (503, Retry-After).
    for (const plan of holding)
      if (plan.id !== target) await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id }));
    if (!holding.some((p) => p.id === target)) await this.addToPlan(target, key);
  }

  async deleteKey(key: ThrottleKey): Promise<void> {
    for (const plan of await this.stagePlans(key.id))
      await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: key.id }));
    try {
      await this.client.send(new DeleteApiKeyCommand({ apiKey: key.id }));
    } catch (err) {
      if (!(err instanceof NotFoundException)) throw err;
    }
  }

  async planLimits(): Promise<{ default: ThrottleLimits; shared: ThrottleLimits }> {
    const limitsOf = async (usagePlanId: string) => {
      const plan = await this.client.send(new GetUsagePlanCommand({ usagePlanId }));
      if (plan.throttle?.rateLimit === undefined || plan.throttle.burstLimit === undefined)
        throw new Error(`usage plan ${usagePlanId} has no throttle`);
      return { rateLimit: plan.throttle.rateLimit, burstLimit: plan.throttle.burstLimit };
    };
    return { default: await limitsOf(this.api.defaultUsagePlanId), shared: await limitsOf(this.api.sharedUsagePlanId) };
  }

  async flushAuthorizerCache(): Promise<void> {
    await this.client.send(new FlushStageAuthorizersCacheCommand({ restApiId: this.api.restApiId, stageName: this.api.stage }));
  }

  private async addToPlan(usagePlanId: string, key: ThrottleKey): Promise<void> {
    await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }));
  }

  /** The default plan, or the plan for these limits, made on first use. */
  private async planIdFor(limits: ThrottleLimits | undefined): Promise<string> {
    if (!limits) return this.api.defaultUsagePlanId;
    const name = overridePlanName(this.api, limits);
    const existing = (await this.stagePlans()).find((p) => p.name === name);
    if (existing?.id) return existing.id;
    const plan = await this.client.send(
      new CreateUsagePlanCommand({
        name,
        description: `Tenants given their own limits of ${limits.rateLimit} requests a second, burst ${limits.burstLimit} (npm run tenant -- throttle)`,
        apiStages: [{ apiId: this.api.restApiId, stage: this.api.stage }],
        throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
      }),
    );
    if (!plan.id) throw new Error('API Gateway answered CreateUsagePlan without an id');
    return plan.id;
  }

  /** This stage's plans (those holding `keyId`, when given), every page. */
  private async stagePlans(keyId?: string): Promise<(UsagePlan & { id: string })[]> {
    const plans: (UsagePlan & { id: string })[] = [];
    let position: string | undefined;
    do {
      const page = await this.client.send(
        new GetUsagePlansCommand({ limit: PLAN_PAGE, ...(keyId ? { keyId } : {}), ...(position ? { position } : {}) }),
      );
      for (const p of page.items ?? [])
        if (p.id && p.apiStages?.some((s) => s.apiId === this.api.restApiId && s.stage === this.api.stage)) plans.push({ ...p, id: p.id });
      position = page.position;
    } while (position);
    return plans;
  }
}
