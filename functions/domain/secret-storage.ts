/**
 * Where signing secrets live: 'per-subscription' (one Secrets Manager secret each, the default)
 * or 'envelope' (sealed in DynamoDB under one key ring). Shared by the CDK construct, the
 * functions' configuration and local mode, so it imports nothing.
 */
export type SecretStorage = 'per-subscription' | 'envelope';
export const SECRET_STORAGES: readonly SecretStorage[] = ['per-subscription', 'envelope'];

/** Unset or empty is the default; anything else must be one of SECRET_STORAGES. */
export function parseSecretStorage(value: string | undefined): SecretStorage {
  if (!value) return 'per-subscription';
  if (!(SECRET_STORAGES as readonly string[]).includes(value))
    throw new Error(`secret storage must be ${SECRET_STORAGES.join(' or ')}, not ${value}`);
  return value as SecretStorage;
}
