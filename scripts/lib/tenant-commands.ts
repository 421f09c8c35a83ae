import { randomBytes } from 'node:crypto';
import { type IssuedLink, issuePortalLink, portalTenantOf } from '../../functions/app/portal-access.js';
import { hashKey, newCredentials } from '../../functions/domain/credentials.js';
import type { Tenant } from '../../functions/domain/model.js';
import type { PortalSessionStore, TenantRepository } from '../../functions/ports.js';

/**
 * What `npm run tenant` does, against any TenantRepository. Each command returns the object
 * the CLI prints as JSON; a command that cannot be done throws CommandError (exit 1) and
 * bad input throws UsageError (exit 2) before anything is written.
 */

export const MAX_NAME_LENGTH = 200;

export class UsageError extends Error {
  override name = 'UsageError';
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly code: 'not_found' | 'already_revoked',
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

/** A tenant as listed: never the key hash. */
export interface TenantView {
  tenant_id: string;
  name: string;
  identity: string;
  status: Tenant['status'];
  created_time: string;
  revoked_time: string | null;
}

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

export function toView(t: Tenant): TenantView {
  return {
    tenant_id: t.tenantId,
    name: t.name,
    identity: t.identity,
    status: t.status,
    created_time: t.createdTime,
    revoked_time: t.revokedTime ?? null,
  };
}

export async function createTenant(
  repo: TenantRepository,
  input: { name: string | undefined },
  ctx: CommandContext = {},
): Promise<CreatedTenant> {
  const name = validateName(input.name);
  const creds = (ctx.credentials ?? newCredentials)();
  const tenantId = (ctx.tenantId ?? newTenantId)();
  await repo.create({
    tenantId,
    name,
    identity: creds.identity,
    keyHash: hashKey(creds.authorization),
    status: 'active',
    createdTime: (ctx.now?.() ?? new Date()).toISOString(),
  });
  return { identity: creds.identity, authorization: creds.authorization, tenant_id: tenantId, name };
}

export async function listTenants(repo: TenantRepository): Promise<TenantView[]> {
  return (await repo.list()).map(toView);
}

export async function revokeTenant(
  repo: TenantRepository,
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
  return { ...toView({ ...existing, status: 'revoked', revokedTime: at }), revoked: true };
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
