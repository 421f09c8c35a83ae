import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SECRETS_MANAGER_BATCH_GET_MAX_SECRETS, SECRETS_MANAGER_RATE_QUOTAS } from '../../domain/aws-limits.js';
import { temporarilyUnavailable } from '../../domain/errors.js';
import type { CallBudget, SecretStore } from '../../ports.js';

/** Deleted subscriptions' secrets stay recoverable for a week, Secrets Manager's shortest window. */
export const DELETION_RECOVERY_DAYS = 7;

/**
 * The share of each quota the budget grants a second. A second's calls are granted before they
 * are made, so one granted in a second's last milliseconds can reach Secrets Manager in the next,
 * whose seconds are not exactly ours either: the fifth left over takes those, and the SDK's own
 * retries what still is throttled.
 */
export const SECRETS_MANAGER_BUDGET_SHARE = 0.8;
/** The calls taken from the budget, by their budget name, and each one's calls a second. */
type BudgetedCall = 'BatchGetSecretValue' | 'PutSecretValue';
const budgetName = (call: BudgetedCall) => `SecretsManager.${call}`;
export const SECRETS_MANAGER_BUDGETS: Readonly<Record<string, number>> = Object.fromEntries(
  (['BatchGetSecretValue', 'PutSecretValue'] as const).map((call) => [
    budgetName(call),
    Math.floor(SECRETS_MANAGER_RATE_QUOTAS[call] * SECRETS_MANAGER_BUDGET_SHARE),
  ]),
);

/**
 * One signing secret per subscription in Secrets Manager. The calls with a small account-wide
 * quota (BatchGetSecretValue 100 a second, PutSecretValue 50) are taken from `budget` first, so
 * every container together stays within them; and a ThrottlingException Secrets Manager still
 * answers after the SDK's retries (another caller in the account spent the quota) is a 503 with
 * Retry-After, never a 500.
 */
export class SecretsManagerStore implements SecretStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: { budget?: CallBudget } = {},
  ) {}

  private async call<T>(call: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if ((err as Error).name === 'ThrottlingException') throw temporarilyUnavailable(`Secrets Manager throttled ${call}`);
      throw err;
    }
  }

  private take(call: BudgetedCall, n: number): Promise<void> {
    return this.options.budget?.take(budgetName(call), n) ?? Promise.resolve();
  }

  async create(name: string, value: string, tags: Record<string, string>): Promise<void> {
    await this.call('CreateSecret', () =>
      this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: 'Webhook signing secret (Standard Webhooks)',
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  async get(name: string): Promise<string> {
    const out = await this.call('GetSecretValue', () => this.client.send(new GetSecretValueCommand({ SecretId: name })));
    if (out.SecretString === undefined) throw new Error(`secret ${name} has no string value`);
    return out.SecretString;
  }

  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(names)];
    const out = new Map<string, string>();
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += SECRETS_MANAGER_BATCH_GET_MAX_SECRETS)
      chunks.push(unique.slice(i, i + SECRETS_MANAGER_BATCH_GET_MAX_SECRETS));
    // The whole read's calls at once: a read the second cannot hold waits or is refused before any call.
    await this.take('BatchGetSecretValue', chunks.length);
    await Promise.all(
      chunks.map(async (SecretIdList) => {
        const res = await this.call('BatchGetSecretValue', () => this.client.send(new BatchGetSecretValueCommand({ SecretIdList })));
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
    await this.take('PutSecretValue', 1);
    await this.call('PutSecretValue', () => this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value })));
  }

  async scheduleDeletion(name: string): Promise<void> {
    await this.call('DeleteSecret', () =>
      this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: DELETION_RECOVERY_DAYS })),
    );
  }
}
