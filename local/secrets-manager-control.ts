import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FileSecretStore } from '../functions/adapters/local/file-secret-store.js';

/**
 * Secrets Manager's API (JSON 1.1: `POST /` with `X-Amz-Target: secretsmanager.<Operation>`), the
 * few operations the inbound CLI calls (CreateSecret, GetSecretValue, PutSecretValue,
 * DescribeSecret, DeleteSecret, RestoreSecret), on loopback over local mode's secret file, so that
 * `npm run inbound` runs the same `@aws-sdk/client-secrets-manager` calls against local mode as
 * against AWS, and the running pipeline sees what it writes at once (one process owns the file).
 * Errors carry `__type`, from which the SDK builds the exceptions AWS's answers give.
 */

export interface SecretsManagerControl {
  endpoint: string;
  stop(): Promise<void>;
}

class ControlError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new ControlError('InvalidRequestException', 'Invalid JSON body');
  }
}

function nameOf(body: Record<string, unknown>, field: 'Name' | 'SecretId'): string {
  const v = body[field];
  if (typeof v !== 'string' || !v) throw new ControlError('InvalidParameterException', `${field} is required`);
  return v.startsWith('arn:aws:secretsmanager:') ? v.slice(v.indexOf(':secret:') + ':secret:'.length) : v;
}

async function operate(store: FileSecretStore, op: string, body: Record<string, unknown>): Promise<unknown> {
  const existing = (name: string, allowDeleted = false) => {
    const d = store.describe(name);
    if (!d) throw new ControlError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (d.deleted && !allowDeleted)
      throw new ControlError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    return d;
  };
  switch (op) {
    case 'CreateSecret': {
      const name = nameOf(body, 'Name');
      const d = store.describe(name);
      if (d?.deleted)
        throw new ControlError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      if (d) throw new ControlError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const tags = Object.fromEntries(((body.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]));
      await store.create(name, String(body.SecretString ?? ''), tags);
      return { ARN: arnOf(name), Name: name, VersionId: crypto.randomUUID() };
    }
    case 'GetSecretValue': {
      const name = nameOf(body, 'SecretId');
      existing(name);
      return {
        ARN: arnOf(name),
        Name: name,
        SecretString: await store.get(name),
        VersionId: crypto.randomUUID(),
        CreatedDate: Date.now() / 1000,
      };
    }
    case 'PutSecretValue': {
      const name = nameOf(body, 'SecretId');
      existing(name);
      await store.put(name, String(body.SecretString ?? ''));
      return { ARN: arnOf(name), Name: name, VersionId: crypto.randomUUID() };
    }
    case 'DescribeSecret': {
      const name = nameOf(body, 'SecretId');
      const d = existing(name, true);
      return { ARN: arnOf(name), Name: name, ...(d.deleted ? { DeletedDate: Date.now() / 1000 } : {}) };
    }
    case 'DeleteSecret': {
      const name = nameOf(body, 'SecretId');
      existing(name);
      await store.scheduleDeletion(name);
      return { ARN: arnOf(name), Name: name, DeletionDate: Date.now() / 1000 + 7 * 86_400 };
    }
    case 'RestoreSecret': {
      const name = nameOf(body, 'SecretId');
      existing(name, true);
      await store.restore(name);
      return { ARN: arnOf(name), Name: name };
    }
  }
  throw new ControlError('InvalidRequestException', `${op} is not served by local mode's Secrets Manager stand-in`);
}

export async function startSecretsManagerControl(store: FileSecretStore, port = 0): Promise<SecretsManagerControl> {
  const server: Server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    readJson(req)
      .then((body) => operate(store, op, body))
      .then(
        (out) => {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(out));
        },
        (err: unknown) => {
          const [status, type] = err instanceof ControlError ? [400, err.type] : [500, 'InternalServiceError'];
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: type, message: err instanceof Error ? err.message : String(err) }));
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
