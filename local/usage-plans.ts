import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { API_GATEWAY_MAX_API_KEYS, API_GATEWAY_MAX_USAGE_PLANS } from '../functions/domain/aws-limits.js';
import type { ThrottleLimits } from '../functions/domain/throttle.js';

/**
 * Local mode's stand-in for API Gateway's API keys and usage plans: what the tenant CLI changes
 * (through the REST API in api-gateway-control.ts, with the same SDK calls as on AWS) and what
 * the gateway stand-in throttles by (`limitsForKey`). It keeps API Gateway's rules that the
 * design depends on (docs/aws-rules.md, "API Gateway and Lambda"): a key is valid only once enabled
 * and in a plan of the stage; one key sits in at most one plan per stage; key values are
 * unique; API keys and usage plans stop at the account's quotas. Kept in one JSON file under
 * the data directory, written whole on every change (one owner: the local mode process).
 */

export interface ApiKeyRecord {
  id: string;
  value: string;
  name?: string;
  description?: string;
  enabled: boolean;
  createdDate: number;
}

export interface ApiStageRecord {
  apiId: string;
  stage: string;
}

export interface UsagePlanRecord {
  id: string;
  name: string;
  description?: string;
  apiStages: ApiStageRecord[];
  throttle?: ThrottleLimits;
  keyIds: string[];
}

interface State {
  keys: ApiKeyRecord[];
  plans: UsagePlanRecord[];
}

/** An API Gateway error, by the name and status the SDK turns back into its exception. */
export class ApiGatewayError extends Error {
  constructor(
    readonly type: 'NotFoundException' | 'ConflictException' | 'BadRequestException' | 'LimitExceededException',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (what: string) => new ApiGatewayError('NotFoundException', 404, `Invalid ${what} specified`);
/** API Gateway's ids are short random strings of lower-case letters and digits. */
const newId = () => randomBytes(8).toString('hex').slice(0, 10);
/** A generated key value: 40 letters and digits, as API Gateway's. */
const newKeyValue = () => randomBytes(20).toString('hex');
const sameStage = (a: ApiStageRecord, b: ApiStageRecord) => a.apiId === b.apiId && a.stage === b.stage;

export class LocalUsagePlans {
  private state: State;

  /** `file`: where the state lives between starts (none: in memory only). */
  constructor(private readonly file?: string) {
    this.state = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : { keys: [], plans: [] };
  }

  createApiKey(input: { name?: string; description?: string; enabled?: boolean; value?: string }): ApiKeyRecord {
    if (this.state.keys.length >= API_GATEWAY_MAX_API_KEYS)
      throw new ApiGatewayError('LimitExceededException', 429, `API keys per account and Region: at most ${API_GATEWAY_MAX_API_KEYS}`);
    const value = input.value ?? newKeyValue();
    if (!/^[A-Za-z0-9]{20,128}$/.test(value))
      throw new ApiGatewayError('BadRequestException', 400, 'API key value must be 20 to 128 letters and digits');
    if (this.state.keys.some((k) => k.value === value)) throw new ApiGatewayError('ConflictException', 409, 'API key value already exists');
    const key: ApiKeyRecord = {
      id: newId(),
      value,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      // CreateApiKey documents no default; the stricter reading: a key nobody enabled is refused.
      enabled: input.enabled ?? false,
      createdDate: Math.floor(Date.now() / 1000),
    };
    this.state.keys.push(key);
    this.save();
    return key;
  }

  deleteApiKey(id: string): void {
    if (!this.state.keys.some((k) => k.id === id)) throw notFound('API Key identifier');
    this.state.keys = this.state.keys.filter((k) => k.id !== id);
    // Deleting a key takes it out of its plans.
    for (const p of this.state.plans) p.keyIds = p.keyIds.filter((k) => k !== id);
    this.save();
  }

  createUsagePlan(input: { name: string; description?: string; apiStages?: ApiStageRecord[]; throttle?: ThrottleLimits }): UsagePlanRecord {
    if (this.state.plans.length >= API_GATEWAY_MAX_USAGE_PLANS)
      throw new ApiGatewayError(
        'LimitExceededException',
        429,
        `Usage plans per account and Region: at most ${API_GATEWAY_MAX_USAGE_PLANS}`,
      );
    const plan: UsagePlanRecord = {
      id: newId(),
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      apiStages: input.apiStages ?? [],
      ...(input.throttle ? { throttle: input.throttle } : {}),
      keyIds: [],
    };
    this.state.plans.push(plan);
    this.save();
    return plan;
  }

  getUsagePlan(id: string): UsagePlanRecord {
    const plan = this.state.plans.find((p) => p.id === id);
    if (!plan) throw notFound('Usage Plan ID');
    return plan;
  }

  /** Every plan, or those holding `keyId`, in creation order. */
  getUsagePlans(keyId?: string): UsagePlanRecord[] {
    return this.state.plans.filter((p) => keyId === undefined || p.keyIds.includes(keyId));
  }

  createUsagePlanKey(planId: string, keyId: string): ApiKeyRecord {
    const plan = this.getUsagePlan(planId);
    const key = this.state.keys.find((k) => k.id === keyId);
    if (!key) throw notFound('API Key identifier');
    if (plan.keyIds.includes(keyId)) throw new ApiGatewayError('ConflictException', 409, 'Usage Plan already contains this API key');
    // "A given API key can only be associated with one usage plan for each stage of your API."
    const taken = this.state.plans.find(
      (p) => p.keyIds.includes(keyId) && p.apiStages.some((s) => plan.apiStages.some((t) => sameStage(s, t))),
    );
    if (taken)
      throw new ApiGatewayError(
        'ConflictException',
        409,
        `API Key ${keyId} is already associated with usage plan ${taken.id} for this stage`,
      );
    plan.keyIds.push(keyId);
    this.save();
    return key;
  }

  deleteUsagePlanKey(planId: string, keyId: string): void {
    const plan = this.getUsagePlan(planId);
    if (!plan.keyIds.includes(keyId)) throw notFound('Usage Plan Key');
    plan.keyIds = plan.keyIds.filter((k) => k !== keyId);
    this.save();
  }

  /**
   * What the gateway throttles a request by: the throttle of the plan of `stage` holding the
   * enabled key with this value. Undefined for a missing, unknown or disabled key, or one in no
   * plan of the stage (API Gateway's INVALID_API_KEY).
   */
  limitsForKey(value: string | undefined, stage: ApiStageRecord): ThrottleLimits | undefined {
    const key = value === undefined ? undefined : this.state.keys.find((k) => k.value === value && k.enabled);
    if (!key) return undefined;
    const plan = this.state.plans.find((p) => p.keyIds.includes(key.id) && p.apiStages.some((s) => sameStage(s, stage)));
    // A plan without a throttle limits nothing of its own; the stage and account still do.
    return plan ? (plan.throttle ?? { rateLimit: Number.POSITIVE_INFINITY, burstLimit: Number.POSITIVE_INFINITY }) : undefined;
  }

  /**
   * What a deploy does for the stack's own plans and keys: the plan with this name exists on the
   * stage with these limits (created or updated), and holds the key with this value (created,
   * enabled, if missing). Answers the plan's id.
   */
  deploy(plan: { name: string; stage: ApiStageRecord; throttle: ThrottleLimits; keyValue?: string }): string {
    let record = this.state.plans.find((p) => p.name === plan.name && p.apiStages.some((s) => sameStage(s, plan.stage)));
    record ??= this.createUsagePlan({ name: plan.name, apiStages: [plan.stage] });
    record.throttle = plan.throttle;
    if (plan.keyValue) {
      const key = this.state.keys.find((k) => k.value === plan.keyValue) ?? this.createApiKey({ value: plan.keyValue, enabled: true });
      if (!record.keyIds.includes(key.id)) this.createUsagePlanKey(record.id, key.id);
    }
    this.save();
    return record.id;
  }

  private save(): void {
    if (!this.file) return;
    // Whole, through a rename: a crash leaves the old state or the new one, never half of one.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.state));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
