import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  SECRETS_MANAGER_BATCH_GET_MAX_SECRETS,
  SECRETS_MANAGER_RATE_QUOTAS,
  type SecretsManagerRatedCall,
} from '../functions/domain/aws-limits.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';

/**
 * Local mode's Secrets Manager: a real SecretsManagerClient whose requests are answered in the
 * process, in Secrets Manager's JSON protocol, from one file under the data directory (readable
 * only by its owner, so secrets survive restarts with the DynamoDB data they belong to). So the
 * same adapter as on AWS (functions/adapters/aws/secrets-manager-store.ts) runs locally, through
 * the SDK's own serialization, retries and error parsing, the way the SQS adapter runs against
 * fauxqs.
 *
 * It keeps the rules the pipeline meets on AWS (docs/aws-rules.md): BatchGetSecretValue takes 1
 * to 20 ids and reports each one it cannot read in `Errors`; a secret scheduled for deletion can
 * be neither read nor written; and the account's request quotas (SECRETS_MANAGER_RATE_QUOTAS)
 * answer ThrottlingException past them, counting every attempt, retries included, as AWS counts
 * requests. One emulator is the whole account: every client of it shares the quotas.
 */

interface StoredSecret {
  value: string;
  tags: Record<string, string>;
  deletedAt?: string;
}

const ACCOUNT = '000000000000';

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () => new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new ServiceError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

export class LocalSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();
  /** Requests of each rated call in the current second. */
  private readonly used = new Map<SecretsManagerRatedCall, { second: number; count: number }>();
  /** The most requests of each rated call any one second took, and how many it throttled (the bench reads them). */
  readonly peakPerSecond: Partial<Record<SecretsManagerRatedCall, number>> = {};
  readonly throttled: Partial<Record<SecretsManagerRatedCall, number>> = {};

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredSecret>;
      for (const [k, v] of Object.entries(saved)) this.secrets.set(k, v);
    }
  }

  /** A client of this account; `maxAttempts` as the SDK's (tests take 1 to see a throttle at once). */
  client(options: { maxAttempts?: number } = {}): SecretsManagerClient {
    return new SecretsManagerClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...options,
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
          const [status, body] = this.answer(request.headers['x-amz-target'] ?? '', decode(request.body));
          return {
            response: {
              statusCode: status,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: new TextEncoder().encode(JSON.stringify(body)),
            },
          };
        },
      } as unknown as SecretsManagerClient['config']['requestHandler'],
    });
  }

  private answer(target: string, input: Record<string, unknown>): [number, unknown] {
    const operation = target.replace(/^secretsmanager\./, '');
    try {
      if (operation in SECRETS_MANAGER_RATE_QUOTAS) this.throttle(operation as SecretsManagerRatedCall);
      return [200, this.operate(operation, input)];
    } catch (err) {
      if (err instanceof ServiceError) return [400, { __type: err.type, message: err.message }];
      throw err;
    }
  }

  /** Calendar seconds, as the quotas are written ("per second"). */
  private throttle(call: SecretsManagerRatedCall): void {
    const second = Math.floor(this.now() / 1000);
    const window = this.used.get(call);
    const count = window?.second === second ? window.count + 1 : 1;
    this.used.set(call, { second, count });
    if (count > SECRETS_MANAGER_RATE_QUOTAS[call]) {
      this.throttled[call] = (this.throttled[call] ?? 0) + 1;
      throw new ServiceError('ThrottlingException', 'Rate exceeded');
    }
    this.peakPerSecond[call] = Math.max(this.peakPerSecond[call] ?? 0, count);
  }

  private operate(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateSecret': {
        const name = String(input.Name);
        if (this.secrets.has(name))
          throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        const tags = Object.fromEntries(((input.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]));
        this.secrets.set(name, { value: String(input.SecretString), tags });
        this.save();
        return { ARN: arnOf(name), Name: name, VersionId: randomUUID() };
      }
      case 'GetSecretValue': {
        const name = String(input.SecretId);
        return this.valueOf(name, this.readable(name));
      }
      case 'BatchGetSecretValue': {
        const ids = input.SecretIdList as string[] | undefined;
        if (!ids || ids.length < 1 || ids.length > SECRETS_MANAGER_BATCH_GET_MAX_SECRETS)
          throw new ServiceError(
            'InvalidParameterException',
            `SecretIdList must hold 1 to ${SECRETS_MANAGER_BATCH_GET_MAX_SECRETS} secret ids; it held ${ids?.length ?? 0} (this stand-in takes no Filters)`,
          );
        const SecretValues: unknown[] = [];
        const Errors: unknown[] = [];
        for (const id of ids) {
          try {
            SecretValues.push(this.valueOf(id, this.readable(id)));
          } catch (err) {
            if (!(err instanceof ServiceError)) throw err;
            Errors.push({ SecretId: id, ErrorCode: err.type, Message: err.message });
          }
        }
        return { SecretValues, Errors };
      }
      case 'PutSecretValue': {
        const name = String(input.SecretId);
        this.readable(name).value = String(input.SecretString);
        this.save();
        return { ARN: arnOf(name), Name: name, VersionId: randomUUID(), VersionStages: ['AWSCURRENT'] };
      }
      case 'DeleteSecret': {
        const name = String(input.SecretId);
        const secret = this.readable(name);
        secret.deletedAt = new Date(this.now()).toISOString();
        this.save();
        const days = Number(input.RecoveryWindowInDays ?? 30);
        return { ARN: arnOf(name), Name: name, DeletionDate: this.now() / 1000 + days * 86_400 };
      }
      default:
        throw new ServiceError('InvalidAction', `This stand-in does not serve ${operation}`);
    }
  }

  private readable(name: string): StoredSecret {
    const secret = this.secrets.get(name);
    if (!secret) throw notFound();
    if (secret.deletedAt) throw markedForDeletion();
    return secret;
  }

  private valueOf(name: string, secret: StoredSecret) {
    return { ARN: arnOf(name), Name: name, SecretString: secret.value, VersionStages: ['AWSCURRENT'], CreatedDate: this.now() / 1000 };
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.secrets), null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** The random suffix AWS appends is fixed here: nothing reads ARNs back. */
const arnOf = (name: string) => `arn:aws:secretsmanager:${LOCAL_REGION}:${ACCOUNT}:secret:${name}-local0`;

function decode(body: unknown): Record<string, unknown> {
  // The SDK hands over a string or UTF-8 bytes (a Uint8Array whose string methods it warns about).
  const text =
    typeof body === 'string'
      ? body
      : body instanceof Uint8Array
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
        : '';
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
