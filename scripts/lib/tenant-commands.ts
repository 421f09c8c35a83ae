import { randomBytes } from 'node:crypto';
import { type IssuedLink, issuePortalLink, portalTenantOf } from '../../functions/app/portal-access.js';
import { hashKey, newCredentials } from '../../functions/domain/credentials.js';
import type { Tenant } from '../../functions/domain/model.js';
import { THROTTLE_RANGE, type ThrottleLimits } from '../../functions/domain/throttle.js';
import type { PortalSessionStore, TenantRepository } from '../../functions/ports.js';
import type { ThrottlePlans } from './throttle-plans.js';

/**
 * What `npm run tenant` does, against any TenantRepository and, for per-tenant throttling, the
 * API's usage plans (ThrottlePlans; undefined for a stack deployed before them). Each command
 * returns the object the CLI prints as JSON; a command that cannot be done throws CommandError
 * (exit 1) and bad input throws UsageError (exit 2) before anything is written.
 */

export const MAX_NAME_LENGTH = 200;

export class UsageError extends Error {
  override name = 'UsageError';
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly code: 'not_found' | 'already_revoked' | 'not_deployed',
    message: string,
  ) {
    super(message);
  }
}

/** Shown once: the Authorization value is not stored anywhere, only its sha256. */
export interface CreatedTenant {
  identity: string;
  authorization: string;
  tenant_id: string;
  name: string;
}

/**
 * How a tenant is throttled: `own` limits (`throttle`), the stack's `default` (its key in the
 * default plan), or `shared` (no key of its own yet: the shared key, at the stage's limits,
 * until `backfill`). The numbers are null when the plans cannot be read.
 */
export interface ThrottleView {
  plan: 'own' | 'default' | 'shared';
  rate_limit: number | null;
  burst_limit: number | null;
}

/** A tenant as listed: never the key hash (nor its throttling key, which is API Gateway's business). */
export interface TenantView {
  tenant_id: string;
  name: string;
  identity: string;
  status: Tenant['status'];
  created_time: string;
  revoked_time: string | null;
  throttle: ThrottleView;
}

/** The default and shared plans' limits, for the views; undefined when there are no plans to read. */
export type PlanLimits = Awaited<ReturnType<ThrottlePlans['planLimits']>> | undefined;

export interface RevokedTenant extends TenantView {
  revoked: true;
}

export interface CommandContext {
  now?: () => Date;
  credentials?: () => { identity: string; authorization: string };
  tenantId?: () => string;
}

export function newTenantId(): string {
  return `tnt_${randomBytes(12).toString('hex')}`;
}

/** Trimmed; 1..200 characters, no control characters. */
export function validateName(name: string | undefined): string {
  if (name === undefined) throw new UsageError('--name is required');
  const trimmed = name.trim();
  if (!trimmed) throw new UsageError('--name must not be empty');
  if (trimmed.length > MAX_NAME_LENGTH)
    throw new UsageError(`--name must be at most ${MAX_NAME_LENGTH} characters (got ${trimmed.length})`);
  if ([...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new UsageError('--name must not contain control characters');
  return trimmed;
}

export function validateIdentity(identity: string | undefined): string {
  if (identity === undefined) throw new UsageError('--identity is required');
  const trimmed = identity.trim();
  if (!trimmed) throw new UsageError('--identity must not be empty');
  return trimmed;
}

export function toView(t: Tenant, plans: PlanLimits): TenantView {
  const [plan, limits] = t.throttle
    ? (['own', t.throttle] as const)
    : t.throttleKey
      ? (['default', plans?.default] as const)
      : (['shared', plans?.shared] as const);
  return {
    tenant_id: t.tenantId,
    name: t.name,
    identity: t.identity,
    status: t.status,
    created_time: t.createdTime,
    revoked_time: t.revokedTime ?? null,
    throttle: { plan, rate_limit: limits?.rateLimit ?? null, burst_limit: limits?.burstLimit ?? null },
  };
}

/** `--rate` and `--burst`: both, whole numbers within the account's API Gateway quota. */
export function validateLimits(rate: string | undefined, burst: string | undefined): ThrottleLimits {
  const whole = (flag: string, value: string | undefined, [min, max]: readonly [number, number]) => {
    if (value === undefined) throw new UsageError(`${flag} is required (or --reset)`);
    const n = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
    return n;
  };
  return { rateLimit: whole('--rate', rate, THROTTLE_RANGE.rateLimit), burstLimit: whole('--burst', burst, THROTTLE_RANGE.burstLimit) };
}

function requirePlans(plans: ThrottlePlans | undefined, target: string): ThrottlePlans {
  if (!plans)
    throw new CommandError(
      'not_deployed',
      `${target} has no usage plans for per-tenant throttling (deployed before them): deploy this version first (npx cdk deploy)`,
    );
  return plans;
}

/**
 * A tenant with its own API key in the default plan, made first: the tenant item is written
 * whole, key included, so no tenant is left half-made (a key whose tenant could not be written
 * is deleted again). Without plans (a stack deployed before them) the tenant gets no key: the
 * shared key throttles it until `backfill`.
 */
export async function createTenant(
  repo: TenantRepository,
  plans: ThrottlePlans | undefined,
  input: { name: string | undefined },
  ctx: CommandContext = {},
): Promise<CreatedTenant> {
  const name = validateName(input.name);
  const creds = (ctx.credentials ?? newCredentials)();
  const tenantId = (ctx.tenantId ?? newTenantId)();
  const throttleKey = await plans?.createKey(tenantId);
  try {
    await repo.create({
      tenantId,
      name,
      identity: creds.identity,
      keyHash: hashKey(creds.authorization),
      status: 'active',
      createdTime: (ctx.now?.() ?? new Date()).toISOString(),
      ...(throttleKey ? { throttleKey } : {}),
    });
  } catch (err) {
    if (throttleKey) await plans?.deleteKey(throttleKey).catch(() => undefined);
    throw err;
  }
  return { identity: creds.identity, authorization: creds.authorization, tenant_id: tenantId, name };
}

export async function listTenants(repo: TenantRepository, plans: ThrottlePlans | undefined): Promise<TenantView[]> {
  const [tenants, limits] = await Promise.all([repo.list(), plans?.planLimits()]);
  return tenants.map((t) => toView(t, limits));
}

/** Revoked, then its API key deleted: it throttles nobody any more, and frees one of the account's keys. */
export async function revokeTenant(
  repo: TenantRepository,
  plans: ThrottlePlans | undefined,
  input: { identity: string | undefined },
  ctx: CommandContext = {},
): Promise<RevokedTenant> {
  const identity = validateIdentity(input.identity);
  const existing = await repo.findByIdentity(identity);
  if (!existing) throw new CommandError('not_found', `no tenant has identity ${identity}`);
  if (existing.status === 'revoked') {
    throw new CommandError(
      'already_revoked',
      `tenant ${existing.tenantId} (identity ${identity}) was already revoked at ${existing.revokedTime ?? 'an unknown time'}`,
    );
  }
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const revoked = await repo.revoke(identity, at);
  // Someone revoked it between the read and the write.
  if (!revoked) throw new CommandError('already_revoked', `tenant ${existing.tenantId} (identity ${identity}) was already revoked`);
  let after: Tenant = { ...existing, status: 'revoked', revokedTime: at };
  if (existing.throttleKey && plans) {
    // Answers the authorizer cached before the revoke name the key for up to 5 minutes more;
    // those requests get INVALID_API_KEY (503) instead of going through.
    await plans.deleteKey(existing.throttleKey);
    await repo.setThrottleKey(identity, undefined);
    const { throttleKey: _deleted, ...rest } = after;
    after = rest;
  }
  return { ...toView(after, await plans?.planLimits()), revoked: true };
}

/**
 * Gives a tenant its own limits (or, with `limits` undefined, the default again): its key moves
 * to the plan for them; a tenant without a key gets one there. API Gateway first, then the
 * item, so running the command again after a failure finishes the job.
 */
export async function throttleTenant(
  repo: TenantRepository,
  plans: ThrottlePlans | undefined,
  input: { identity: string | undefined; limits: ThrottleLimits | undefined; target: string },
): Promise<TenantView> {
  const identity = validateIdentity(input.identity);
  const apiPlans = requirePlans(plans, input.target);
  const tenant = await repo.findByIdentity(identity);
  if (!tenant) throw new CommandError('not_found', `no tenant has identity ${identity}`);
  if (tenant.status === 'revoked') throw new CommandError('already_revoked', `tenant ${tenant.tenantId} (identity ${identity}) is revoked`);
  let throttleKey = tenant.throttleKey;
  if (throttleKey) await apiPlans.assign(throttleKey, input.limits);
  else {
    throttleKey = await apiPlans.createKey(tenant.tenantId, input.limits);
    await repo.setThrottleKey(identity, throttleKey);
  }
  await repo.setThrottle(identity, input.limits);
  const { throttle: _old, ...rest } = tenant;
  return toView({ ...rest, throttleKey, ...(input.limits ? { throttle: input.limits } : {}) }, await apiPlans.planLimits());
}

export interface BackfillResult {
  /** Tenants that got a key of their own now. */
  keyed: { tenant_id: string; identity: string }[];
  /** Active tenants that already had one. */
  already_keyed: number;
  /** Revoked tenants, which need none. */
  revoked: number;
}

/**
 * The upgrade step: every active tenant without an API key (created before per-tenant
 * throttling, so throttled by the shared key) gets its own, in the plan its limits say. Safe to
 * run again: keyed tenants are left alone. Paced by `plans` (CreateApiKey allows 5 a second).
 * Then the stage's authorizer cache is flushed: answers cached before (some from the authorizer
 * of before the deploy, which named no key at all) give way to ones naming each tenant's key.
 */
export async function backfillKeys(repo: TenantRepository, plans: ThrottlePlans | undefined, target: string): Promise<BackfillResult> {
  const apiPlans = requirePlans(plans, target);
  const result: BackfillResult = { keyed: [], already_keyed: 0, revoked: 0 };
  for (const tenant of await repo.list()) {
    if (tenant.status === 'revoked') result.revoked++;
    else if (tenant.throttleKey) result.already_keyed++;
    else {
      await repo.setThrottleKey(tenant.identity, await apiPlans.createKey(tenant.tenantId, tenant.throttle));
      result.keyed.push({ tenant_id: tenant.tenantId, identity: tenant.identity });
    }
  }
  await apiPlans.flushAuthorizerCache();
  return result;
}

/** A one-time portal link for a tenant, as `POST /api/v0.1/portal/sessions` gives the tenant itself. */
export async function portalLinkFor(
  repo: TenantRepository,
  portal: PortalSessionStore,
  input: { identity: string | undefined; apiUrl: string | undefined; linkTtlSeconds: number },
  ctx: CommandContext = {},
): Promise<IssuedLink & { tenant_id: string }> {
  const identity = validateIdentity(input.identity);
  const tenant = await repo.findByIdentity(identity);
  if (!tenant) throw new CommandError('not_found', `no tenant has identity ${identity}`);
  if (tenant.status === 'revoked') throw new CommandError('already_revoked', `tenant ${tenant.tenantId} (identity ${identity}) is revoked`);
  if (!input.apiUrl) throw new CommandError('not_found', 'the target does not say its API URL (stack output ApiUrl)');
  const link = await issuePortalLink(portal, portalTenantOf(tenant), input.apiUrl, input.linkTtlSeconds, ctx.now?.() ?? new Date());
  return { ...link, tenant_id: tenant.tenantId };
}
