/**
 * Operators manage tenants from a shell:
 *
 *   npm run tenant -- create --name NAME      credentials, shown once
 *   npm run tenant -- list                    every tenant, never a key hash
 *   npm run tenant -- revoke --identity IDT   the API answers 401 for it from then on
 *   npm run tenant -- portal --identity IDT   a one-time link to the tenant portal
 *   npm run tenant -- throttle --identity IDT --rate R --burst B   its own API limits (--reset: the default)
 *   npm run tenant -- backfill                a throttling key for each tenant without one (the upgrade step)
 *
 * Against a deployed stack with --stack NAME (or WEBHOOKS_STACK), else against the running
 * local mode (WEBHOOKS_DATA_DIR, default .data). Prints JSON on stdout. Exit codes: 0 done,
 * 1 could not be done (not found, already revoked, target unreachable), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { DynamoPortalSessionStore } from '../functions/adapters/aws/dynamodb-portal-sessions.js';
import { DynamoTenantRepository } from '../functions/adapters/aws/dynamodb-tenants.js';
import { DEFAULT_PORTAL_LIFETIMES, validatePortalTtl } from '../functions/app/portal-access.js';
import { API_GATEWAY_CREATE_API_KEY_RPS } from '../functions/domain/aws-limits.js';
import type { ThrottleLimits } from '../functions/domain/throttle.js';
import { optionalNumber, PORTAL_LINK_TTL_ENV } from '../functions/runtime/config.js';
import { pacer } from './lib/pacer.js';
import { openTarget, type Target, TargetError } from './lib/targets.js';
import {
  backfillKeys,
  CommandError,
  createTenant,
  listTenants,
  portalLinkFor,
  revokeTenant,
  throttleTenant,
  UsageError,
  validateIdentity,
  validateLimits,
  validateName,
} from './lib/tenant-commands.js';
import { ApiGatewayThrottlePlans } from './lib/throttle-plans.js';

const USAGE = `usage: npm run tenant -- <command> [options]

commands:
  create --name NAME        create a tenant; prints its Identity and Authorization (shown once)
  list                      list tenants as JSON
  revoke --identity IDT     revoke a tenant's credentials
  portal --identity IDT     print a one-time link to the tenant portal (works once, for
                            ${PORTAL_LINK_TTL_ENV} seconds, default 900)
  throttle --identity IDT --rate R --burst B
                            give a tenant its own API limits: R requests a second, bursts of
                            B (whole numbers); --reset instead puts it back on the default
  backfill                  give every tenant created before per-tenant throttling its own
                            throttling key (the upgrade step; safe to run again)

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
  throttle: ['identity', 'rate', 'burst', 'reset'],
  backfill: [],
};

type Command = 'create' | 'list' | 'revoke' | 'portal' | 'throttle' | 'backfill';
type Parsed =
  | { command: Command; name?: string; identity?: string; stack?: string; limits?: ThrottleLimits; reset?: boolean }
  | { command: 'help' };

/** A backfill's pace: under CreateApiKey's 5 a second per account, leaving room for anyone else's. */
const BACKFILL_KEYS_PER_SECOND = API_GATEWAY_CREATE_API_KEY_RPS - 1;

function parse(argv: string[]): Parsed {
  let values: { name?: string; identity?: string; stack?: string; help?: boolean; rate?: string; burst?: string; reset?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        identity: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        reset: { type: 'boolean' },
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
  for (const flag of ['name', 'identity', 'rate', 'burst', 'reset'] as const) {
    if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`${command} takes no --${flag}`);
  }
  if (values.stack !== undefined && !values.stack.trim()) throw new UsageError('--stack must not be empty');
  // Validate before connecting to anything: bad input changes nothing.
  if (command === 'create') validateName(values.name);
  if (command === 'revoke' || command === 'portal' || command === 'throttle') validateIdentity(values.identity);
  const { rate, burst, ...rest } = values;
  if (command === 'throttle') {
    if (values.reset && (rate !== undefined || burst !== undefined))
      throw new UsageError('throttle takes --reset or --rate and --burst, not both');
    if (!values.reset) return { command, ...rest, limits: validateLimits(rate, burst) };
  }
  return { command: command as Command, ...rest };
}

/** The API's usage plans on the target; undefined for a stack deployed before per-tenant throttling. */
function throttlePlansOf(target: Target, paced = false): ApiGatewayThrottlePlans | undefined {
  if (!target.apiGateway) return undefined;
  const limits = { rateLimit: BACKFILL_KEYS_PER_SECOND, burstLimit: BACKFILL_KEYS_PER_SECOND };
  return new ApiGatewayThrottlePlans(target.apiGatewayClient, target.apiGateway, paced ? pacer(limits) : undefined);
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
    const plans = throttlePlansOf(target, parsed.command === 'backfill');
    if (!plans && parsed.command === 'create')
      process.stderr.write(
        `tenant: ${target.description} has no usage plans yet (deployed before per-tenant throttling): the tenant gets no throttling key; run backfill after deploying\n`,
      );
    const result = await run(parsed, target, repo, plans);
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

function run(
  parsed: Exclude<Parsed, { command: 'help' }>,
  target: Target,
  repo: DynamoTenantRepository,
  plans: ApiGatewayThrottlePlans | undefined,
): Promise<unknown> {
  switch (parsed.command) {
    case 'create':
      return createTenant(repo, plans, { name: parsed.name });
    case 'list':
      return listTenants(repo, plans);
    case 'revoke':
      return revokeTenant(repo, plans, { identity: parsed.identity });
    case 'portal':
      return portalLinkFor(repo, new DynamoPortalSessionStore(target.doc, target.tableName), {
        identity: parsed.identity,
        apiUrl: target.apiUrl,
        linkTtlSeconds: validatePortalTtl(
          PORTAL_LINK_TTL_ENV,
          optionalNumber(PORTAL_LINK_TTL_ENV) ?? DEFAULT_PORTAL_LIFETIMES.linkTtlSeconds,
        ),
      });
    case 'throttle':
      return throttleTenant(repo, plans, { identity: parsed.identity, limits: parsed.limits, target: target.description });
    case 'backfill':
      return backfillKeys(repo, plans, target.description);
  }
}

process.exitCode = await main(process.argv.slice(2));
