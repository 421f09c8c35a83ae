/**
 * Operators manage tenants from a shell:
 *
 *   npm run tenant -- create --name NAME      credentials, shown once
 *   npm run tenant -- list                    every tenant, never a key hash
 *   npm run tenant -- revoke --identity IDT   the API answers 401 for it from then on
 *   npm run tenant -- portal --identity IDT   a one-time link to the tenant portal
 *
 * Against a deployed stack with --stack NAME (or WEBHOOKS_STACK), else against the running
 * local mode (WEBHOOKS_DATA_DIR, default .data). Prints JSON on stdout. Exit codes: 0 done,
 * 1 could not be done (not found, already revoked, target unreachable), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { DynamoPortalSessionStore } from '../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoTenantRepository } from '../functions/adapters/aws/dynamodb-tenants.js';
import { DEFAULT_PORTAL_LIFETIMES, validatePortalTtl } from '../functions/app/portal-access.js';
import { optionalNumber, PORTAL_LINK_TTL_ENV } from '../functions/runtime/config.js';
import { openTarget, TargetError } from './lib/targets.js';
import {
  CommandError,
  createTenant,
  listTenants,
  portalLinkFor,
  revokeTenant,
  UsageError,
  validateIdentity,
  validateName,
} from './lib/tenant-commands.js';

const USAGE = `usage: npm run tenant -- <command> [options]

commands:
  create --name NAME        create a tenant; prints its Identity and Authorization (shown once)
  list                      list tenants as JSON
  revoke --identity IDT     revoke a tenant's credentials
  portal --identity IDT     print a one-time link to the tenant portal (works once, for
                            ${PORTAL_LINK_TTL_ENV} seconds, default 900)

options:
  --stack NAME              act on the deployed stack NAME (default: env WEBHOOKS_STACK);
                            without either, act on the running local mode found through
                            WEBHOOKS_DATA_DIR (default .data)
  -h, --help                show this help`;

const COMMAND_FLAGS: Record<string, readonly string[]> = {
  create: ['name'],
  list: [],
  revoke: ['identity'],
  portal: ['identity'],
};

type Command = 'create' | 'list' | 'revoke' | 'portal';
type Parsed = { command: Command; name?: string; identity?: string; stack?: string } | { command: 'help' };

function parse(argv: string[]): Parsed {
  let values: { name?: string; identity?: string; stack?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        identity: { type: 'string' },
        stack: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { command: 'help' };
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError('a command is required');
  const allowed = COMMAND_FLAGS[command];
  if (!allowed) throw new UsageError(`unknown command '${command}'`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  for (const flag of ['name', 'identity'] as const) {
    if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`${command} takes no --${flag}`);
  }
  if (values.stack !== undefined && !values.stack.trim()) throw new UsageError('--stack must not be empty');
  // Validate before connecting to anything: bad input changes nothing.
  if (command === 'create') validateName(values.name);
  if (command === 'revoke' || command === 'portal') validateIdentity(values.identity);
  return { command: command as Command, ...values };
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tenant: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let target: Awaited<ReturnType<typeof openTarget>> | undefined;
  try {
    target = await openTarget(parsed.stack !== undefined ? { stack: parsed.stack } : {});
    const repo = new DynamoTenantRepository(target.doc, target.tableName);
    const result =
      parsed.command === 'create'
        ? await createTenant(repo, { name: parsed.name })
        : parsed.command === 'list'
          ? await listTenants(repo)
          : parsed.command === 'portal'
            ? await portalLinkFor(repo, new DynamoPortalSessionStore(target.doc, target.tableName), {
                identity: parsed.identity,
                apiUrl: target.apiUrl,
                linkTtlSeconds: validatePortalTtl(
                  PORTAL_LINK_TTL_ENV,
                  optionalNumber(PORTAL_LINK_TTL_ENV) ?? DEFAULT_PORTAL_LIFETIMES.linkTtlSeconds,
                ),
              })
            : await revokeTenant(repo, { identity: parsed.identity });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tenant: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof CommandError || err instanceof TargetError) {
      process.stderr.write(`tenant: ${err.message}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tenant: ${parsed.command} failed${target ? ` on ${target.description}` : ''}: ${message}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
