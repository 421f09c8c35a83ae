import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SECRETS_MANAGER_BATCH_GET_MAX_SECRETS } from '../../domain/aws-limits.js';
import type { SecretStore } from '../../ports.js';

/** Deleted subscriptions' secrets stay recoverable for a week, Secrets Manager's shortest window. */
export const DELETION_RECOVERY_DAYS = 7;

export class SecretsManagerStore implements SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async create(name: string, value: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: value,
        Description: 'Webhook signing secret (Standard Webhooks)',
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }

  async get(name: string): Promise<string> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
    if (out.SecretString === undefined) throw new Error(`secret ${name} has no string value`);
    return out.SecretString;
  }

  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(names)];
    const out = new Map<string, string>();
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += SECRETS_MANAGER_BATCH_GET_MAX_SECRETS)
      chunks.push(unique.slice(i, i + SECRETS_MANAGER_BATCH_GET_MAX_SECRETS));
    await Promise.all(
      chunks.map(async (SecretIdList) => {
        const res = await this.client.send(new BatchGetSecretValueCommand({ SecretIdList }));
        const failed = res.Errors?.[0];
        if (failed) throw new Error(`secret ${failed.SecretId} could not be read: ${failed.ErrorCode} ${failed.Message ?? ''}`.trim());
        for (const v of res.SecretValues ?? []) {
          if (v.Name === undefined || v.SecretString === undefined) continue;
          out.set(v.Name, v.SecretString);
        }
      }),
    );
    const missing = unique.find((n) => !out.has(n));
    if (missing !== undefined) throw new Error(`secret ${missing} has no string value`);
    return out;
  }

  async put(name: string, value: string): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }

  async scheduleDeletion(name: string): Promise<void> {
    await this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: DELETION_RECOVERY_DAYS }));
  }
}
