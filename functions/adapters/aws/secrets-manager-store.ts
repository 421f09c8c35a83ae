import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
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

  async put(name: string, value: string): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }

  async scheduleDeletion(name: string): Promise<void> {
    await this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: DELETION_RECOVERY_DAYS }));
  }
}
