/**
 * Operators manage inbound webhook sources from a shell:
 *
 *   npm run inbound -- add --name stripe --scheme stripe --secret whsec_...   a source, its secret in Secrets Manager
 *   npm run inbound -- list                                                   every source, where providers send, its secret's state
 *   npm run inbound -- secret --name N --secret V                             set a source's secret (a stack's source's first)
 *   npm run inbound -- rotate --name N --secret V [--overlap 86400]           new secret; the old one verifies for the overlap
 *   npm run inbound -- history --name N [--limit 20] [--since-hours 24] [--status pending]
 *   npm run inbound -- redrive [--name N]... [--since-hours 336]              put on the bus what the bus refused
 *   npm run inbound -- remove --name N
 *
 * Against a deployed stack with --stack NAME (or WEBHOOKS_STACK), else against the running local
 * mode (WEBHOOKS_DATA_DIR, default .data). Prints JSON. Exit codes: 0 done, 1 could not be done,
 * 2 bad usage. docs/inbound-webhooks.md has the details.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { optionalNumber } from '../functions/runtime/config.js';
import {
  addSource,
  history,
  type InboundTarget,
  listSources,
  redrive,
  removeSource,
  rotateSecret,
  setSecret,
} from './lib/inbound-commands.js';
import { inboundTargetOf } from './lib/inbound-target.js';
import { openTarget, TargetError } from './lib/targets.js';
import { CommandError, UsageError } from './lib/tenant-commands.js';

const USAGE = `usage: npm run inbound -- <command> [options]

commands:
  add --name N --scheme S (--secret V | --generate) [source options]
                            declare a source: POST /inbound/N, verified by scheme S (stripe, github,
                            shopify, slack, standard-webhooks or svix, hmac); its secret goes to
                            Secrets Manager
  list                      every source (the stack's and this CLI's), its endpoint and secret state
  secret --name N (--secret V | --generate)
                            set a source's secret outright (a stack's source's first secret)
  rotate --name N (--secret V | --generate) [--overlap SECONDS]
                            the new secret verifies at once, the old one for --overlap more (86400)
  history --name N [--limit 20] [--since-hours 24] [--status forwarded|pending|bus_failed]
                            accepted events newest first, with their state; refusals by minute and reason
  redrive [--name N]... [--since-hours 336]
                            put on the bus the events the bus refused (or whose request died first)
  remove --name N           remove a source added here (its secret is deleted after 7 days)

source options (add):
  --tolerance SECONDS       replay window of schemes with a timestamp (300)
  --map PROVIDER=OURS       a type mapping; PROVIDER may end with * (repeatable)
  --forward-tenant TENANT   also publish each event to this tenant's subscriptions
  --header NAME             keep this request header with each event (repeatable)
  --description TEXT
  --config FILE             the whole source as JSON (the construct's InboundSource), instead of
                            the options above; --name and --scheme then come from the file
  hmac scheme: --signature-header H [--algorithm sha256] [--encoding hex|base64] [--prefix P]
               [--timestamp-header H] [--signed-payload '{timestamp}.{body}'] [--id-header H]
               [--type-header H | --type-field F]

options:
  --stack NAME              act on the deployed stack NAME (default: env WEBHOOKS_STACK); without
                            either, on the running local mode (WEBHOOKS_DATA_DIR, default .data)
  -h, --help                show this help`;

const OPTIONS = {
  name: { type: 'string', multiple: true },
  scheme: { type: 'string' },
  secret: { type: 'string' },
  generate: { type: 'boolean' },
  tolerance: { type: 'string' },
  map: { type: 'string', multiple: true },
  'forward-tenant': { type: 'string' },
  header: { type: 'string', multiple: true },
  description: { type: 'string' },
  config: { type: 'string' },
  'signature-header': { type: 'string' },
  algorithm: { type: 'string' },
  encoding: { type: 'string' },
  prefix: { type: 'string' },
  'timestamp-header': { type: 'string' },
  'signed-payload': { type: 'string' },
  'id-header': { type: 'string' },
  'type-header': { type: 'string' },
  'type-field': { type: 'string' },
  overlap: { type: 'string' },
  limit: { type: 'string' },
  'since-hours': { type: 'string' },
  status: { type: 'string' },
  stack: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

/** The generic HMAC scheme's settings, each `--kebab-case` flag its camelCase field. */
const HMAC_FLAGS = [
  'signature-header',
  'algorithm',
  'encoding',
  'prefix',
  'timestamp-header',
  'signed-payload',
  'id-header',
  'type-header',
  'type-field',
] as const;

const COMMAND_FLAGS: Record<string, readonly (keyof Values)[]> = {
  add: ['name', 'scheme', 'secret', 'generate', 'tolerance', 'map', 'forward-tenant', 'header', 'description', 'config', ...HMAC_FLAGS],
  list: [],
  secret: ['name', 'secret', 'generate'],
  rotate: ['name', 'secret', 'generate', 'overlap'],
  history: ['name', 'limit', 'since-hours', 'status'],
  redrive: ['name', 'since-hours'],
  remove: ['name'],
};

const whole = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${flag} must be a whole number, got '${v}'`);
  return Number(v);
};
const positive = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number above 0, got '${v}'`);
  return n;
};

/** The source the add command's options declare (checked by the domain's schema afterwards). */
function sourceOf(v: Values): unknown {
  if (v.config !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(v.config, 'utf8'));
    } catch (err) {
      throw new UsageError(`--config ${v.config}: ${(err as Error).message}`);
    }
    return parsed;
  }
  const one = (flag: 'name') => {
    const list = v[flag] ?? [];
    if (list.length !== 1) throw new UsageError(`--${flag} is required, once`);
    return list[0]!;
  };
  const typeMapping: Record<string, string> = {};
  for (const m of v.map ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0 || eq === m.length - 1) throw new UsageError(`--map must read PROVIDER_TYPE=OUR_TYPE, got '${m}'`);
    typeMapping[m.slice(0, eq)] = m.slice(eq + 1);
  }
  const hmac = Object.fromEntries(
    HMAC_FLAGS.filter((f) => v[f] !== undefined).map((f) => [f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v[f]]),
  );
  return {
    name: one('name'),
    scheme: v.scheme,
    ...(v.description !== undefined ? { description: v.description } : {}),
    ...(v.tolerance !== undefined ? { toleranceSeconds: whole('tolerance', v.tolerance) } : {}),
    ...(Object.keys(typeMapping).length ? { typeMapping } : {}),
    ...(v['forward-tenant'] !== undefined ? { forwardTenantId: v['forward-tenant'] } : {}),
    ...(v.header?.length ? { headers: v.header } : {}),
    ...(Object.keys(hmac).length ? { hmac } : {}),
  };
}

type Parsed = { command: string; values: Values };

function parse(argv: string[]): Parsed {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: OPTIONS }) as {
      values: Values;
      positionals: string[];
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { command: 'help', values };
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError('a command is required');
  const allowed = COMMAND_FLAGS[command];
  if (!allowed) throw new UsageError(`unknown command '${command}'`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  for (const flag of Object.keys(values) as (keyof Values)[])
    if (flag !== 'stack' && flag !== 'help' && !allowed.includes(flag)) throw new UsageError(`${command} takes no --${flag}`);
  if (values.stack !== undefined && !values.stack.trim()) throw new UsageError('--stack must not be empty');
  if (command !== 'add' && command !== 'list' && command !== 'redrive' && (values.name?.length ?? 0) !== 1)
    throw new UsageError(`${command} needs --name, once`);
  return { command, values };
}

function run(command: string, v: Values, t: InboundTarget): Promise<unknown> {
  const name = v.name?.[0] ?? '';
  switch (command) {
    case 'add':
      return addSource(t, {
        source: sourceOf(v),
        ...(v.secret !== undefined ? { secret: v.secret } : {}),
        ...(v.generate ? { generate: true } : {}),
      });
    case 'list':
      return listSources(t);
    case 'secret':
      return setSecret(t, { name, ...(v.secret !== undefined ? { secret: v.secret } : {}), ...(v.generate ? { generate: true } : {}) });
    case 'rotate': {
      const overlap = whole('overlap', v.overlap);
      return rotateSecret(t, {
        name,
        ...(v.secret !== undefined ? { secret: v.secret } : {}),
        ...(v.generate ? { generate: true } : {}),
        ...(overlap !== undefined ? { overlapSeconds: overlap } : {}),
      });
    }
    case 'history': {
      const limit = whole('limit', v.limit);
      const sinceHours = positive('since-hours', v['since-hours']);
      return history(t, {
        name,
        ...(limit !== undefined ? { limit } : {}),
        ...(sinceHours !== undefined ? { sinceHours } : {}),
        ...(v.status !== undefined ? { status: v.status } : {}),
      });
    }
    case 'redrive': {
      const sinceHours = positive('since-hours', v['since-hours']);
      return redrive(t, { names: v.name ?? [], ...(sinceHours !== undefined ? { sinceHours } : {}) });
    }
    case 'remove':
      return removeSource(t, { name });
  }
  throw new UsageError(`unknown command '${command}'`);
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
    // Bad input is refused before anything is reached.
    if (parsed.command === 'add') sourceOf(parsed.values);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`inbound: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let target: Awaited<ReturnType<typeof openTarget>> | undefined;
  let inbound: ReturnType<typeof inboundTargetOf> | undefined;
  try {
    target = await openTarget(parsed.values.stack !== undefined ? { stack: parsed.values.stack } : {});
    inbound = inboundTargetOf(target, optionalNumber('WEBHOOKS_RETENTION_DAYS'));
    const result = await run(parsed.command, parsed.values, inbound);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`inbound: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof CommandError || err instanceof TargetError) {
      process.stderr.write(`inbound: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`inbound: ${parsed.command} failed${target ? ` on ${target.description}` : ''}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    inbound?.close();
    target?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
